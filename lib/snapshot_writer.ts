/**
 * Writes a snapshot of a cache's live entries, atomically and without
 * stalling requests: entries are serialised a bounded batch at a time into
 * blocks of about 256 KiB, each written with asynchronous file I/O (the event
 * loop serves requests meanwhile), to a temporary file in the same directory
 * that is synced, renamed over the snapshot and followed by a sync of the
 * directory. A crash at any moment leaves the previous snapshot or the new
 * one.
 *
 * @module
 */

import type { Cache, JsonLiterals } from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  BLOCK_BYTES,
  BLOCK_TAG,
  encodeHeader,
  encodeTrailer,
  ENTRY_HEADER_BYTES,
  FRAME_CHECKSUM_BYTES,
  FRAME_HEADER_BYTES,
  sealFrame,
} from "./snapshot_format.ts";

/** Options for {@linkcode writeSnapshot}. */
export interface SnapshotWriteOptions {
  /** Stops the write between blocks; the previous snapshot stays. */
  signal?: AbortSignal;
  /** Source of the creation time in the header (default: system clock). */
  clock?: Clock;
  /** Payload bytes after which a block is closed (default 256 KiB). */
  blockBytes?: number;
  /** Monotonic time for the report (default `performance.now`). */
  now?: () => number;
}

/** What {@linkcode writeSnapshot} wrote. */
export interface SnapshotWriteReport {
  /** Entries written. */
  entries: number;
  /** Bytes of the file. */
  bytes: number;
  /** Blocks of entries in the file. */
  blocks: number;
  /** Wall time from start to the synced rename, in ms. */
  durationMs: number;
  /** Longest stretch of synchronous work between yields, in ms. */
  longestSliceMs: number;
}

/** Path of the temporary file a snapshot of `path` is written to first. */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp`;
}

/** Directory holding `path` ("." for a bare file name). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/** Collects entries into one frame buffer: header room, payload, checksum room. */
class BlockBuilder {
  bytes: Uint8Array;
  view: DataView;
  length = FRAME_HEADER_BYTES;
  count = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  get payloadBytes(): number {
    return this.length - FRAME_HEADER_BYTES;
  }

  add(literals: JsonLiterals, expiresAt: number): void {
    const keyLength = literals.keyEnd - literals.keyStart;
    const valueLength = literals.valueEnd - literals.valueStart;
    const needed = this.length + ENTRY_HEADER_BYTES + keyLength +
      valueLength + FRAME_CHECKSUM_BYTES;
    if (needed > this.bytes.length) this.#grow(needed);
    const at = this.length;
    this.view.setFloat64(at, expiresAt, true);
    this.view.setUint32(at + 8, keyLength, true);
    this.view.setUint32(at + 12, valueLength, true);
    const { bytes } = literals;
    this.bytes.set(
      bytes.subarray(literals.keyStart, literals.keyEnd),
      at + ENTRY_HEADER_BYTES,
    );
    this.bytes.set(
      bytes.subarray(literals.valueStart, literals.valueEnd),
      at + ENTRY_HEADER_BYTES + keyLength,
    );
    this.length = at + ENTRY_HEADER_BYTES + keyLength + valueLength;
    this.count++;
  }

  /** Seals the block and returns its bytes (valid until the next `reset`). */
  seal(): Uint8Array {
    const frame = this.bytes.subarray(0, this.length + FRAME_CHECKSUM_BYTES);
    sealFrame(frame, BLOCK_TAG, this.count);
    return frame;
  }

  reset(): void {
    this.length = FRAME_HEADER_BYTES;
    this.count = 0;
  }

  #grow(needed: number): void {
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const bytes = new Uint8Array(capacity);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/**
 * Writes the live entries of `cache`, oldest first, to the snapshot at
 * `path` (see the module docs). On failure or abort the temporary file is
 * removed, the previous snapshot is left as it was, and the error is thrown.
 */
export async function writeSnapshot(
  cache: Cache,
  path: string,
  options: SnapshotWriteOptions = {},
): Promise<SnapshotWriteReport> {
  const now = options.now ?? (() => performance.now());
  const blockBytes = options.blockBytes ?? BLOCK_BYTES;
  const started = now();
  const temporary = temporaryPathFor(path);
  const file = await Deno.open(temporary, {
    write: true,
    create: true,
    truncate: true,
  });
  let closed = false;
  try {
    const header = encodeHeader((options.clock ?? systemClock).now());
    await writeAll(file, header);
    const block = new BlockBuilder(
      blockBytes + FRAME_HEADER_BYTES + FRAME_CHECKSUM_BYTES + (64 << 10),
    );
    const add = block.add.bind(block);
    const walk = cache.walk();
    let bytes = header.length;
    let entries = 0;
    let blocks = 0;
    let longestSliceMs = 0;
    let sliceStart = now();
    const flush = async () => {
      const frame = block.seal();
      entries += block.count;
      bytes += frame.length;
      blocks++;
      longestSliceMs = Math.max(longestSliceMs, now() - sliceStart);
      await writeAll(file, frame);
      options.signal?.throwIfAborted();
      sliceStart = now();
      block.reset();
    };
    let more = true;
    while (more) {
      more = walk.step(add);
      if (block.payloadBytes >= blockBytes || (!more && block.count > 0)) {
        await flush();
      }
    }
    longestSliceMs = Math.max(longestSliceMs, now() - sliceStart);
    const trailer = encodeTrailer(entries, blocks);
    await writeAll(file, trailer);
    bytes += trailer.length;
    await file.sync();
    file.close();
    closed = true;
    options.signal?.throwIfAborted();
    await Deno.rename(temporary, path);
    await syncDirectory(directoryOf(path));
    return {
      entries,
      bytes,
      blocks,
      durationMs: now() - started,
      longestSliceMs,
    };
  } catch (error) {
    if (!closed) file.close();
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** Makes a rename in `directory` durable: fsync of the directory itself. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await Deno.open(directory, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
