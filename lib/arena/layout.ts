/**
 * The memory of an arena store, allocated up front: every piece of its state
 * lives in one of four buffers, so that the same store can be opened by
 * several isolates when the buffers are `SharedArrayBuffer`s (sent to Web
 * Workers with `postMessage`), or privately in one isolate with
 * `ArrayBuffer`s.
 *
 * - `control`: the lock word, the scalar state (head segment, index level,
 *   reclaim job, sweep cursor) and the counters; see the `C_*`/`F_*` indexes.
 * - `buckets`: the hash index's bucket heads.
 * - `table`: per segment its used bytes, live bytes, generation and whether
 *   a compaction rewrites it; then the age order, the free stack and the
 *   reclaim job's segments.
 * - `segments`: every segment, back to back. It is sized for the whole budget
 *   but the operating system backs only the pages written, so an empty store
 *   holds next to no memory.
 *
 * @module
 */

/** Bytes of a record before its key: next, hash, key length, value length, expiry. */
export const RECORD_HEADER_BYTES = 24;

/**
 * Smallest default segment size: 256 KiB. Reclaiming space works a segment at
 * a time, so this bounds that work: about 6,500 records of the smallest kind
 * (a few ms), and a 1.5 GB cache has some 5,700 segments.
 */
export const MIN_SEGMENT_BYTES = 1 << 18;

/**
 * The index can grow to a power-of-two number of buckets, at least one for
 * every this many bytes of `maxBytes` (4 bytes each: 3% to 6% of the memory,
 * reserved in the budget, but only the buckets in use are touched).
 */
export const BYTES_PER_BUCKET = 128;

/**
 * Segment memory is counted in steps of this many bytes (or what is left of
 * the budget): the store reports as held the steps its segments reached.
 */
export const SEGMENT_CHUNK_BYTES = 4 << 20;

/** Most adjacent segments compacted together. */
export const MAX_COMPACTION_WINDOW = 8;

/** Options that fix an arena's layout. */
export interface ArenaLayoutOptions {
  /** Memory the store may hold: segments plus index, in bytes. */
  maxBytes: number;
  /** TTL of entries written without one; 0 means they never expire. */
  defaultTtlSeconds: number;
  /** Longest key that will be stored, in code points. */
  maxKeySize: number;
  /** Longest value that will be stored, in code points. */
  maxValueSize: number;
  /** Segment size in bytes, a power of two (default: see `segmentBytesFor`). */
  segmentBytes?: number;
}

/**
 * An arena's memory and the numbers every isolate opening it must agree on.
 * Plain data: `postMessage` sends it to a worker, sharing the buffers when
 * they are `SharedArrayBuffer`s.
 */
export interface ArenaLayout {
  /** Memory the store may hold: segments plus index, in bytes. */
  maxBytes: number;
  /** TTL of entries written without one; 0 means they never expire. */
  defaultTtlSeconds: number;
  /** Longest key stored, in code points. */
  maxKeySize: number;
  /** Longest value stored, in code points. */
  maxValueSize: number;
  /** Most bytes one record can take. */
  maxRecordBytes: number;
  /** Bytes per segment, a power of two. */
  segmentBytes: number;
  /** Segments the budget allows. */
  maxSegments: number;
  /** Whether the buffers are shared, so that every operation takes the lock. */
  shared: boolean;
  /** Lock, scalar state and counters. */
  control: ArrayBufferLike;
  /** Bucket heads of the hash index. */
  buckets: ArrayBufferLike;
  /** Per-segment numbers, age order, free stack and reclaim job. */
  table: ArrayBufferLike;
  /** The segments, back to back. */
  segments: ArrayBufferLike;
}

// Int32 slots of `control`. The lock has a cache line of its own.
/** The lock word (see `SharedLock`). */
export const C_LOCK = 0;
/** Segment being appended to, or -1. */
export const C_HEAD = 16;
/** Buckets in use at the current index level. */
export const C_LEVEL_BUCKETS = 17;
/** Linear hashing's split pointer. */
export const C_SPLIT = 18;
/** Segments handed out so far (the rest of `segments` was never touched). */
export const C_SEGMENTS = 19;
/** Length of the age order. */
export const C_ORDER_LENGTH = 20;
/** Length of the free stack. */
export const C_FREE_LENGTH = 21;
/** Segments in the reclaim job in progress (0: none). */
export const C_JOB_LENGTH = 22;
/** 1 if the job evicts its segment, 0 if it compacts its run. */
export const C_JOB_EVICTS = 23;
/** Position of the job's first segment in the age order. */
export const C_JOB_START = 24;
/** The job's next record: index into the job, and offset in that segment. */
export const C_JOB_SOURCE = 25;
/** See `C_JOB_SOURCE`. */
export const C_JOB_OFFSET = 26;
/** Where the compaction copies the next record it keeps. */
export const C_JOB_TARGET = 27;
/** See `C_JOB_TARGET`. */
export const C_JOB_TARGET_OFFSET = 28;
/** The sweep's segment (-1: no pass in progress), its generation and offset. */
export const C_SWEEP_SEGMENT = 29;
/** See `C_SWEEP_SEGMENT`. */
export const C_SWEEP_GENERATION = 30;
/** See `C_SWEEP_SEGMENT`. */
export const C_SWEEP_OFFSET = 31;
/** Live entries. */
export const C_ENTRIES = 32;
const CONTROL_INTS = 64;

// Float64 slots of `control`, after the ints.
/** Bytes of records written so far. */
export const F_WRITTEN_BYTES = 0;
/** `F_WRITTEN_BYTES` at which to look for an early compaction again. */
export const F_EARLY_COMPACTION_AT = 1;
/** Bytes of live records. */
export const F_LIVE_BYTES = 2;
/** Bytes of segment memory reached so far, in `SEGMENT_CHUNK_BYTES` steps. */
export const F_ALLOCATED_BYTES = 3;
/** When the store was created (clock milliseconds). */
export const F_CREATED_AT = 4;
/** Counters, in `CacheStats` order. */
export const F_HITS = 5;
/** See `CacheStats.misses`. */
export const F_MISSES = 6;
/** See `CacheStats.puts`. */
export const F_PUTS = 7;
/** See `CacheStats.deletes`. */
export const F_DELETES = 8;
/** See `CacheStats.expiredOnRead`. */
export const F_EXPIRED_ON_READ = 9;
/** See `CacheStats.expiredBySweep`. */
export const F_EXPIRED_BY_SWEEP = 10;
/** See `CacheStats.evicted`. */
export const F_EVICTED = 11;
/** See `CacheStats.sweepsRun`. */
export const F_SWEEPS_RUN = 12;
/** See `CacheStats.compactions`. */
export const F_COMPACTIONS = 13;
/** Times an operation found the lock held by another isolate. */
export const F_LOCK_CONTENDED = 14;
/** Times a contended operation slept in `Atomics.wait`. */
export const F_LOCK_SLEPT = 15;
const CONTROL_DOUBLES = 32;

/** Buckets the index starts with; it grows by linear hashing from there. */
export const INITIAL_BUCKETS = 1024;

/**
 * Most bytes one record can take: keys and values are stored as their JSON
 * string literals in UTF-8, at most 6 bytes per code point (`\u001f`) plus
 * the quotes.
 */
export function maxRecordBytes(maxKeySize: number, maxValueSize: number) {
  return RECORD_HEADER_BYTES + 6 * (maxKeySize + maxValueSize) + 4;
}

/** Default segment size: 256 KiB, or larger so that 8 records always fit. */
export function segmentBytesFor(maxRecord: number): number {
  let size = MIN_SEGMENT_BYTES;
  while (size < 8 * maxRecord) size *= 2;
  return size;
}

/**
 * Smallest `maxBytes` an arena with these key and value limits and the
 * default segment size accepts: 5 segments, as the index takes at most 1/16
 * of `maxBytes` and 4 segments must remain.
 */
export function minimumArenaBytes(
  maxKeySize: number,
  maxValueSize: number,
): number {
  return 5 * segmentBytesFor(maxRecordBytes(maxKeySize, maxValueSize));
}

/** Buckets the index of a store of `maxBytes` can grow to. */
export function bucketCountFor(maxBytes: number): number {
  return nextPowerOfTwo(Math.max(1024, maxBytes / BYTES_PER_BUCKET));
}

/** The smallest power of two at or above `n`. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Allocates an empty arena's memory: `SharedArrayBuffer`s when `shared`,
 * else `ArrayBuffer`s. Throws a `RangeError` naming the numbers when the
 * budget cannot hold the index and 4 segments.
 */
export function createArenaLayout(
  options: ArenaLayoutOptions,
  shared: boolean,
): ArenaLayout {
  const maxRecord = maxRecordBytes(options.maxKeySize, options.maxValueSize);
  const segmentBytes = options.segmentBytes ?? segmentBytesFor(maxRecord);
  if (
    nextPowerOfTwo(segmentBytes) !== segmentBytes ||
    segmentBytes < 4 * maxRecord
  ) {
    throw new RangeError(
      `Segment size ${segmentBytes} must be a power of two of at least 4 records (${
        4 * maxRecord
      } bytes)`,
    );
  }
  const bucketBytes = 4 * bucketCountFor(options.maxBytes);
  const maxSegments = Math.min(
    Math.floor((options.maxBytes - bucketBytes) / segmentBytes),
    // Addresses are 32-bit numbers of 8-byte words.
    Math.floor(0xfffffffe / (segmentBytes / 8)),
  );
  if (maxSegments < 4) {
    throw new RangeError(
      `A cache of ${options.maxBytes} bytes is too small: it needs at least ${
        bucketBytes + 4 * segmentBytes
      } bytes for its index and 4 segments of ${segmentBytes} bytes`,
    );
  }
  const allocate = (bytes: number): ArrayBufferLike =>
    shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    maxBytes: options.maxBytes,
    defaultTtlSeconds: options.defaultTtlSeconds,
    maxKeySize: options.maxKeySize,
    maxValueSize: options.maxValueSize,
    maxRecordBytes: maxRecord,
    segmentBytes,
    maxSegments,
    shared,
    control: allocate(4 * CONTROL_INTS + 8 * CONTROL_DOUBLES),
    buckets: allocate(bucketBytes),
    table: allocate(4 * (6 * maxSegments + MAX_COMPACTION_WINDOW)),
    segments: allocate(maxSegments * segmentBytes),
  };
}

/** Typed views of an arena's `control` buffer. */
export function controlViews(
  layout: ArenaLayout,
): { ints: Int32Array; doubles: Float64Array } {
  return {
    ints: new Int32Array(layout.control, 0, CONTROL_INTS),
    doubles: new Float64Array(
      layout.control,
      4 * CONTROL_INTS,
      CONTROL_DOUBLES,
    ),
  };
}

/** Typed views of an arena's `table` buffer, one per kind of number. */
export function tableViews(layout: ArenaLayout): {
  used: Int32Array;
  live: Int32Array;
  generation: Int32Array;
  rewriting: Int32Array;
  order: Int32Array;
  free: Int32Array;
  job: Int32Array;
} {
  const n = layout.maxSegments;
  const view = (at: number, length: number) =>
    new Int32Array(layout.table, 4 * at, length);
  return {
    used: view(0, n),
    live: view(n, n),
    generation: view(2 * n, n),
    rewriting: view(3 * n, n),
    order: view(4 * n, n),
    free: view(5 * n, n),
    job: view(6 * n, MAX_COMPACTION_WINDOW),
  };
}
