/**
 * Loads a snapshot into a cache, block by block (the file is never held in
 * memory whole), checking every block's checksum and the trailer. Entries
 * that expired meanwhile, or that exceed today's key and value limits, are
 * skipped; the rest are restored oldest first, so the store's own eviction
 * keeps the newest ones when the snapshot is larger than the cache.
 *
 * The file is only read. Any defect throws a {@linkcode SnapshotError}; the
 * cache may then hold part of the snapshot, and the caller is expected to
 * stop.
 *
 * @module
 */

import type { Cache, JsonLiterals } from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  BLOCK_TAG,
  crc32,
  decodeHeader,
  ENTRY_HEADER_BYTES,
  FRAME_CHECKSUM_BYTES,
  FRAME_HEADER_BYTES,
  HEADER_BYTES,
  SnapshotError,
  TRAILER_PAYLOAD_BYTES,
  TRAILER_TAG,
} from "./snapshot_format.ts";

/** Options for {@linkcode loadSnapshot}. */
export interface SnapshotLoadOptions {
  /** Entries with longer keys (in code points) are skipped. */
  maxKeySize: number;
  /** Entries with longer values (in code points) are skipped. */
  maxValueSize: number;
  /** Decides which entries have expired (default: system clock). */
  clock?: Clock;
  /** Monotonic time for the report (default `performance.now`). */
  now?: () => number;
}

/** What {@linkcode loadSnapshot} did. */
export interface SnapshotLoadReport {
  /** Entries restored into the cache (some may since have been evicted). */
  restored: number;
  /** Entries skipped because they had expired. */
  expired: number;
  /** Entries skipped because their key or value exceeds today's limits. */
  tooLarge: number;
  /** Bytes of the file. */
  bytes: number;
  /** When the snapshot was started, in ms since the epoch. */
  createdAt: number;
  /** Wall time of the load, in ms. */
  durationMs: number;
}

const decoder = new TextDecoder();

/**
 * Code points of the string whose JSON literal is `bytes[start..end)`, or
 * at most that: a literal has a byte per code point at least, plus quotes.
 */
function fitsIn(
  bytes: Uint8Array,
  start: number,
  end: number,
  maxCodePoints: number,
): boolean {
  if (end - start - 2 <= maxCodePoints) return true;
  let count = 0;
  for (const _ of JSON.parse(decoder.decode(bytes.subarray(start, end)))) {
    if (++count > maxCodePoints) return false;
  }
  return true;
}

/**
 * Reads exactly `buffer.length` bytes; returns how many were there. Reads
 * synchronously: a load runs before the port opens, with nothing else to
 * serve, and a thousand asynchronous reads a second cost more than they
 * overlap.
 */
function readFully(file: Deno.FsFile, buffer: Uint8Array): number {
  let read = 0;
  while (read < buffer.length) {
    const n = file.readSync(buffer.subarray(read));
    if (n === null) break;
    read += n;
  }
  return read;
}

/**
 * Restores the snapshot at `path` into `cache`; see the module docs.
 *
 * @throws {SnapshotError} when the file is truncated, corrupt, foreign or of
 * another version; other errors (e.g. permissions) as they come.
 */
export async function loadSnapshot(
  cache: Cache,
  path: string,
  options: SnapshotLoadOptions,
): Promise<SnapshotLoadReport> {
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? systemClock;
  const started = now();
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const head = new Uint8Array(HEADER_BYTES);
    const headLength = readFully(file, head);
    const { createdAt } = decodeHeader(path, head.subarray(0, headLength));
    const report: SnapshotLoadReport = {
      restored: 0,
      expired: 0,
      tooLarge: 0,
      bytes: size,
      createdAt,
      durationMs: 0,
    };
    let position = HEADER_BYTES;
    let buffer = new Uint8Array(2 << 20);
    let entries = 0;
    let blocks = 0;
    const restorer = new BlockRestorer(cache, options, clock, report);
    for (;;) {
      const what = `block ${blocks + 1} (at byte ${position})`;
      if (position + FRAME_HEADER_BYTES > size) {
        throw new SnapshotError(
          path,
          position === size
            ? `is truncated: it ends after ${blocks} blocks, without its trailer`
            : `is truncated: it ends inside the header of ${what}`,
        );
      }
      const frameHead = buffer.subarray(0, FRAME_HEADER_BYTES);
      readFully(file, frameHead);
      const headView = new DataView(buffer.buffer, 0, FRAME_HEADER_BYTES);
      const tag = headView.getUint32(0, true);
      const payloadLength = headView.getUint32(4, true);
      const count = headView.getUint32(8, true);
      if (tag !== BLOCK_TAG && tag !== TRAILER_TAG) {
        throw new SnapshotError(path, `is corrupt: ${what} has no block tag`);
      }
      const frameLength = FRAME_HEADER_BYTES + payloadLength +
        FRAME_CHECKSUM_BYTES;
      if (position + frameLength > size) {
        throw new SnapshotError(
          path,
          `is truncated or corrupt: ${what} claims ${payloadLength} bytes, more than the file has left`,
        );
      }
      if (buffer.length < frameLength) {
        const grown = new Uint8Array(frameLength);
        grown.set(frameHead);
        buffer = grown;
      }
      readFully(file, buffer.subarray(FRAME_HEADER_BYTES, frameLength));
      const view = new DataView(buffer.buffer, 0, frameLength);
      const end = frameLength - FRAME_CHECKSUM_BYTES;
      if (view.getUint32(end, true) !== crc32(buffer.subarray(0, end))) {
        throw new SnapshotError(
          path,
          `is corrupt: ${what} fails its checksum`,
        );
      }
      position += frameLength;
      if (tag === TRAILER_TAG) {
        if (
          payloadLength !== TRAILER_PAYLOAD_BYTES ||
          view.getFloat64(FRAME_HEADER_BYTES, true) !== entries ||
          view.getUint32(FRAME_HEADER_BYTES + 8, true) !== blocks
        ) {
          throw new SnapshotError(
            path,
            `is corrupt: its trailer does not match the ${blocks} blocks and ${entries} entries before it`,
          );
        }
        if (position !== size) {
          throw new SnapshotError(
            path,
            `is corrupt: ${size - position} bytes follow its trailer`,
          );
        }
        break;
      }
      blocks++;
      entries += count;
      let whole: boolean;
      try {
        whole = restorer.restore(buffer, view, end, count);
      } catch (error) {
        // Only a file that passed its checksums yet was not written by
        // kv-cache gets here, e.g. a literal that is not JSON.
        throw new SnapshotError(
          path,
          `is corrupt: ${what} holds an entry the store refuses (${
            (error as Error).message
          })`,
        );
      }
      if (!whole) {
        throw new SnapshotError(
          path,
          `is corrupt: the entries of ${what} do not add up to its length`,
        );
      }
    }
    report.durationMs = now() - started;
    return report;
  } finally {
    file.close();
  }
}

/** Restores the entries of blocks into a cache, counting what it skips. */
class BlockRestorer {
  readonly #literals: JsonLiterals = {
    bytes: new Uint8Array(0),
    keyStart: 0,
    keyEnd: 0,
    valueStart: 0,
    valueEnd: 0,
  };

  constructor(
    readonly cache: Cache,
    readonly limits: SnapshotLoadOptions,
    readonly clock: Clock,
    readonly report: SnapshotLoadReport,
  ) {}

  /**
   * Restores the `count` entries of the block in `bytes` (viewed by `view`),
   * whose payload ends at `end`; false if they do not fill it exactly.
   */
  restore(bytes: Uint8Array, view: DataView, end: number, count: number) {
    const { cache, limits, report } = this;
    const literals = this.#literals;
    literals.bytes = bytes;
    const now = this.clock.now();
    let at = FRAME_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (at + ENTRY_HEADER_BYTES > end) return false;
      const expiresAt = view.getFloat64(at, true);
      const keyLength = view.getUint32(at + 8, true);
      const valueLength = view.getUint32(at + 12, true);
      const keyStart = at + ENTRY_HEADER_BYTES;
      const valueStart = keyStart + keyLength;
      const valueEnd = valueStart + valueLength;
      if (valueEnd > end || keyLength < 2 || valueLength < 2) return false;
      at = valueEnd;
      if (expiresAt !== 0 && expiresAt <= now) {
        report.expired++;
        continue;
      }
      if (
        !fitsIn(bytes, keyStart, valueStart, limits.maxKeySize) ||
        !fitsIn(bytes, valueStart, valueEnd, limits.maxValueSize)
      ) {
        report.tooLarge++;
        continue;
      }
      literals.keyStart = keyStart;
      literals.keyEnd = literals.valueStart = valueStart;
      literals.valueEnd = valueEnd;
      cache.restore(literals, expiresAt);
      report.restored++;
    }
    return at === end;
  }
}
