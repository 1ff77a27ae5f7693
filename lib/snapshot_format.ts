/**
 * The snapshot file format, shared by the writer and the loader.
 *
 * ```
 * header   32 B  magic "KVCSNAP\n", version u32, flags u32 (0),
 *                created-at f64 (ms since the epoch), reserved u32 (0),
 *                CRC-32 of the 28 bytes before it
 * block    *     tag "BLCK", payload length u32, entry count u32, payload,
 *                CRC-32 of tag, length, count and payload
 * trailer  28 B  tag "ENDS", length u32 (12), count u32 (0),
 *                entries f64, blocks u32, CRC-32 as for a block
 * ```
 *
 * A payload is a run of entries, oldest first, each: expires-at f64 (ms
 * since the epoch, 0: never), key length u32, value length u32, then the key
 * and the value as the UTF-8 bytes of their JSON string literals. Numbers are
 * little-endian. Nothing may follow the trailer, so a file cut anywhere lacks
 * it, and a changed byte fails a checksum, the magic or the version.
 *
 * @module
 */

import { crc32 as zlibCrc32 } from "node:zlib";

/** First bytes of every snapshot file. */
export const SNAPSHOT_MAGIC = new TextEncoder().encode("KVCSNAP\n");

/** Format version this code writes and reads. */
export const SNAPSHOT_VERSION = 1;

/** Bytes of the file header. */
export const HEADER_BYTES = 32;

/** Bytes before a block's or trailer's payload: tag, length, count. */
export const FRAME_HEADER_BYTES = 12;

/** Bytes of the checksum after a payload. */
export const FRAME_CHECKSUM_BYTES = 4;

/** Bytes of an entry before its key: expires-at, key length, value length. */
export const ENTRY_HEADER_BYTES = 16;

/** Bytes of the trailer's payload: entries f64, blocks u32. */
export const TRAILER_PAYLOAD_BYTES = 12;

/** Tag of a block of entries ("BLCK" as a little-endian u32). */
export const BLOCK_TAG = 0x4b434c42;

/** Tag of the trailer ("ENDS" as a little-endian u32). */
export const TRAILER_TAG = 0x53444e45;

/**
 * Payload bytes after which the writer closes a block (256 KiB): the work
 * between two yields to the event loop is about one block's worth.
 */
export const BLOCK_BYTES = 1 << 18;

/**
 * A snapshot file that cannot be used: truncated, corrupted, foreign or of
 * another version. The message names the file and what is wrong.
 */
export class SnapshotError extends Error {
  /** Creates an error about the snapshot at `path`. */
  constructor(readonly path: string, problem: string) {
    super(
      `Snapshot file ${
        JSON.stringify(path)
      } ${problem}. It was left as it is: move it away (or delete it) to start with an empty cache.`,
    );
    this.name = "SnapshotError";
  }
}

/** CRC-32 (IEEE, as zlib and gzip) of `bytes`, continuing from `previous`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return zlibCrc32(bytes, previous) >>> 0;
}

/** Encodes the file header for a snapshot created at `createdAt`. */
export function encodeHeader(createdAt: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(SNAPSHOT_MAGIC, 0);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, 0, true);
  view.setFloat64(16, createdAt, true);
  view.setUint32(24, 0, true);
  view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
  return bytes;
}

/** What a valid header says. */
export interface SnapshotHeader {
  /** When the snapshot was started, in ms since the epoch. */
  createdAt: number;
}

function foreign(path: string): SnapshotError {
  return new SnapshotError(
    path,
    'is not a kv-cache snapshot (its first bytes are not "KVCSNAP")',
  );
}

/**
 * Checks and decodes a file header: magic, version, checksum.
 *
 * @throws {SnapshotError} naming the first thing wrong.
 */
export function decodeHeader(path: string, bytes: Uint8Array): SnapshotHeader {
  if (bytes.length < HEADER_BYTES) {
    const magicSoFar = SNAPSHOT_MAGIC.subarray(0, bytes.length);
    if (!bytes.every((byte, i) => byte === magicSoFar[i])) throw foreign(path);
    throw new SnapshotError(
      path,
      `is truncated: ${bytes.length} bytes, shorter than its ${HEADER_BYTES}-byte header`,
    );
  }
  if (!SNAPSHOT_MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw foreign(path);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      path,
      `has format version ${version}; this kv-cache reads version ${SNAPSHOT_VERSION}`,
    );
  }
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28))) {
    throw new SnapshotError(path, "is corrupt: its header fails its checksum");
  }
  if (view.getUint32(12, true) !== 0 || view.getUint32(24, true) !== 0) {
    throw new SnapshotError(path, "is corrupt: its header has unknown flags");
  }
  return { createdAt: view.getFloat64(16, true) };
}

/**
 * Writes a frame's header (tag, payload length, count) at the start of
 * `frame` and its checksum at the end; the payload lies between.
 */
export function sealFrame(frame: Uint8Array, tag: number, count: number) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const payloadLength = frame.length - FRAME_HEADER_BYTES -
    FRAME_CHECKSUM_BYTES;
  view.setUint32(0, tag, true);
  view.setUint32(4, payloadLength, true);
  view.setUint32(8, count, true);
  const end = frame.length - FRAME_CHECKSUM_BYTES;
  view.setUint32(end, crc32(frame.subarray(0, end)), true);
}

/** Encodes the trailer: how many entries and blocks came before it. */
export function encodeTrailer(entries: number, blocks: number): Uint8Array {
  const frame = new Uint8Array(
    FRAME_HEADER_BYTES + TRAILER_PAYLOAD_BYTES + FRAME_CHECKSUM_BYTES,
  );
  const view = new DataView(frame.buffer);
  view.setFloat64(FRAME_HEADER_BYTES, entries, true);
  view.setUint32(FRAME_HEADER_BYTES + 8, blocks, true);
  sealFrame(frame, TRAILER_TAG, 0);
  return frame;
}
