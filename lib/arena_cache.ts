/**
 * A cache that keeps its keys, values and index out of the V8 heap: records
 * are appended to a log of fixed-size segments (`ArrayBuffer`s) and found
 * through a chained hash index in a `Uint32Array`. The garbage collector sees
 * a few thousand objects instead of millions, so a full cache causes no GC
 * pauses, and the memory held is exactly the segments plus the index.
 *
 * Age order falls out of the layout: segments are kept oldest first and
 * records are appended, so the oldest write is at the front. An overwrite
 * appends a new record and marks the old one dead; space held by dead records
 * is reclaimed by compacting adjacent segments in place, which keeps their
 * order. When the store is full and no compaction is cheap, the oldest
 * segment is evicted whole. Before it is full, a store whose segments are
 * mostly dead compacts too, instead of growing: a small set of keys written
 * over and over keeps reusing the same few, warm segments.
 *
 * @module
 */

import {
  type Cache,
  CacheCounters,
  type CacheStats,
  type EntryVisitor,
  type EntryWalk,
  type JsonLiterals,
  type SweepResult,
} from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import { checkEntry, checkTtl, type EntryLimits } from "./entry_limits.ts";
import { hashBytes } from "./hash.ts";
import { jsonStringRoom, writeJsonString } from "./json_bytes.ts";

/** Options for {@linkcode ArenaCache}. */
export interface ArenaCacheOptions extends EntryLimits {
  /** Memory the store may hold: segments plus index, in bytes. */
  maxBytes: number;
  /** TTL of entries written without one; 0 means they never expire. */
  defaultTtlSeconds: number;
  /** Time source for expiry; defaults to the system clock. */
  clock?: Clock;
  /** Segment size in bytes, a power of two (default: see `segmentBytesFor`). */
  segmentBytes?: number;
}

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
 * Segments are carved out of buffers of this many bytes (or what is left of
 * the budget). One allocation this large gets its own pages from the
 * operating system; buffers of a single 256 KiB segment ended up in malloc's
 * heap between short-lived allocations, and fragmentation cost 15% more
 * resident memory than the segments held.
 */
export const SEGMENT_CHUNK_BYTES = 4 << 20;

/** Buckets the index starts with; it grows by linear hashing from there. */
const INITIAL_BUCKETS = 1024;

/** Most adjacent segments compacted together. */
export const MAX_COMPACTION_WINDOW = 8;

/**
 * Bytes of old records a write lets the reclaim job in progress examine, per
 * byte it writes. A job examines at most about three segments for each one it
 * frees, so at this pace it finishes well before the free segments kept in
 * reserve run out.
 */
export const RECLAIM_PACE = 4;

/** Most free segments kept in reserve once the store is full. */
export const MAX_RESERVED_SEGMENTS = 4;

/**
 * Below its budget, a store compacts instead of growing once less than this
 * share of its segment bytes is live. Growing means writing to memory never
 * touched: a page fault every dozen records, and CPU caches that never warm.
 */
export const EARLY_COMPACTION_LIVE_SHARE = 0.5;

/** Segments a store may hold before compacting below its budget. */
export const EARLY_COMPACTION_MIN_SEGMENTS = 16;

const NIL = 0;
const DEAD = 0x80000000;
// Header fields, as Uint32Array word offsets from the record start.
const NEXT = 0;
const HASH = 1;
const KEY_LENGTH = 2;
const VALUE_LENGTH = 3;
// Expiry is a Float64 at byte 16 of the header.
const EXPIRES_AT = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
 * Smallest `maxBytes` an `ArenaCache` with these key and value limits and the
 * default segment size accepts: 5 segments, as the index takes at most 1/16
 * of `maxBytes` and 4 segments must remain.
 */
export function minimumArenaBytes(
  maxKeySize: number,
  maxValueSize: number,
): number {
  return 5 * segmentBytesFor(maxRecordBytes(maxKeySize, maxValueSize));
}

function bucketCountFor(maxBytes: number): number {
  return nextPowerOfTwo(Math.max(1024, maxBytes / BYTES_PER_BUCKET));
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function recordSize(keyLength: number, valueLength: number): number {
  return (RECORD_HEADER_BYTES + keyLength + valueLength + 7) & ~7;
}

/**
 * Copies `length` bytes of `from` at `start` into `to` at `at`: a native copy
 * through a view, five times faster than a loop for a 300-byte value.
 */
function copyBytes(
  from: Uint8Array,
  start: number,
  length: number,
  to: Uint8Array,
  at: number,
): void {
  to.set(from.subarray(start, start + length), at);
}

function equalBytes(
  a: Uint8Array,
  aStart: number,
  b: Uint8Array,
  bStart: number,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) {
    if (a[aStart + i] !== b[bStart + i]) return false;
  }
  return true;
}

interface Segment {
  bytes: Uint8Array;
  words: Uint32Array;
  doubles: Float64Array;
}

/**
 * A log-structured cache in `ArrayBuffer` segments; see the module docs. Has
 * the same semantics as `MapCache`: per-entry TTL, lazy expiry, batched sweep
 * and eviction of the oldest writes first.
 */
export class ArenaCache implements Cache {
  readonly #clock: Clock;
  readonly #counters: CacheCounters;
  readonly #defaultTtlMs: number;
  readonly #limits: EntryLimits;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  /** Bytes of segment buffers allocated so far. */
  #allocatedBytes = 0;
  /** The buffer new segments are carved from, and the next free offset. */
  #chunk: ArrayBuffer | null = null;
  #chunkOffset = 0;
  readonly #segmentShift: number;
  readonly #wordMask: number;
  readonly #maxRecordBytes: number;
  readonly #maxSegments: number;
  /** Bucket heads; only the first `#bucketsInUse` are in use (and touched). */
  readonly #buckets: Uint32Array;
  /** Buckets in use at the current level: `INITIAL_BUCKETS << level`. */
  #levelBuckets = INITIAL_BUCKETS;
  /** Linear hashing's split pointer: buckets below it were split this level. */
  #split = 0;
  readonly #segments: Segment[] = [];
  readonly #used: Int32Array;
  readonly #live: Int32Array;
  readonly #generation: Uint32Array;
  /** Segment numbers in use, oldest first; the last is the head. */
  #order: number[] = [];
  #free: number[] = [];
  #head = -1;
  /** Free segments a full store keeps ahead of need. */
  readonly #reserve: number;
  /** Segments of the reclaim job in progress, oldest first ([] when none). */
  #job: number[] = [];
  /** Whether the job evicts its one segment (else it compacts its run). */
  #jobEvicts = false;
  /** Position of the job's first segment in `#order`. */
  #jobStart = 0;
  /** The job's next record to examine: a segment of `#job`, and an offset. */
  #jobSource = 0;
  #jobOffset = 0;
  /** Where a compaction copies the next record it keeps. */
  #jobTarget = 0;
  #jobTargetOffset = 0;
  /** 1 for segments a compaction is rewriting; a sweep skips them. */
  readonly #rewriting: Uint8Array;
  #scratch = new Uint8Array(1024);
  #foundPrevious = NIL;
  #sweepSegment = -1;
  #sweepGeneration = 0;
  #sweepOffset = 0;
  /** Bytes of records written so far, and when to look for early compaction. */
  #writtenBytes = 0;
  #earlyCompactionAt = 0;
  #entries = 0;
  #liveBytes = 0;

  /** Creates an empty cache; allocates only its index until entries arrive. */
  constructor(options: ArenaCacheOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#counters = new CacheCounters(this.#clock);
    this.#defaultTtlMs = options.defaultTtlSeconds * 1000;
    this.#limits = {
      maxKeySize: options.maxKeySize,
      maxValueSize: options.maxValueSize,
    };
    this.#maxBytes = options.maxBytes;
    this.#maxRecordBytes = maxRecordBytes(
      options.maxKeySize,
      options.maxValueSize,
    );
    const segmentBytes = options.segmentBytes ??
      segmentBytesFor(this.#maxRecordBytes);
    if (
      nextPowerOfTwo(segmentBytes) !== segmentBytes ||
      segmentBytes < 4 * this.#maxRecordBytes
    ) {
      throw new RangeError(
        `Segment size ${segmentBytes} must be a power of two of at least 4 records (${
          4 * this.#maxRecordBytes
        } bytes)`,
      );
    }
    this.#segmentBytes = segmentBytes;
    const wordsPerSegment = segmentBytes / 8;
    this.#segmentShift = Math.log2(wordsPerSegment);
    this.#wordMask = wordsPerSegment - 1;
    const bucketCount = bucketCountFor(options.maxBytes);
    this.#buckets = new Uint32Array(bucketCount);
    this.#maxSegments = Math.min(
      Math.floor((options.maxBytes - this.#buckets.byteLength) / segmentBytes),
      Math.floor(0xfffffffe / wordsPerSegment),
    );
    if (this.#maxSegments < 4) {
      throw new RangeError(
        `A cache of ${options.maxBytes} bytes is too small: it needs at least ${
          this.#buckets.byteLength + 4 * segmentBytes
        } bytes for its index and 4 segments of ${segmentBytes} bytes`,
      );
    }
    this.#used = new Int32Array(this.#maxSegments);
    this.#live = new Int32Array(this.#maxSegments);
    this.#generation = new Uint32Array(this.#maxSegments);
    this.#rewriting = new Uint8Array(this.#maxSegments);
    this.#reserve = Math.min(
      MAX_RESERVED_SEGMENTS,
      Math.max(1, this.#maxSegments >> 4),
    );
  }

  /** {@inheritDoc Cache.get} */
  get(key: string): string | undefined {
    const json = this.getJson(key);
    return json === undefined ? undefined : JSON.parse(json);
  }

  /** {@inheritDoc Cache.getJson} */
  getJson(key: string): string | undefined {
    const address = this.#lookup(key);
    if (address === NIL) return undefined;
    const { segment, offset } = this.#locate(address);
    const words = offset >>> 2;
    const start = offset + RECORD_HEADER_BYTES +
      segment.words[words + KEY_LENGTH];
    return decoder.decode(
      segment.bytes.subarray(
        start,
        start + segment.words[words + VALUE_LENGTH],
      ),
    );
  }

  /** {@inheritDoc Cache.set} */
  set(key: string, value: string, ttlSeconds?: number): void {
    checkEntry(key, value, ttlSeconds, this.#limits);
    const valueJson = JSON.stringify(value);
    const slot = this.#headWithRoom(
      RECORD_HEADER_BYTES + jsonStringRoom(key.length) + 3 * valueJson.length,
    );
    const segment = this.#segments[slot];
    const offset = this.#used[slot];
    const keyStart = offset + RECORD_HEADER_BYTES;
    const keyLength = writeJsonString(key, segment.bytes, keyStart);
    const valueLength = encoder.encodeInto(
      valueJson,
      segment.bytes.subarray(keyStart + keyLength),
    ).written;
    this.#link(slot, offset, keyLength, valueLength, this.#expiry(ttlSeconds));
  }

  /** {@inheritDoc Cache.setJson} */
  setJson(literals: JsonLiterals, ttlSeconds?: number): void {
    checkTtl(ttlSeconds);
    this.#storeLiterals(literals, this.#expiry(ttlSeconds));
  }

  /** {@inheritDoc Cache.restore} */
  restore(literals: JsonLiterals, expiresAt: number): void {
    this.#storeLiterals(literals, expiresAt);
  }

  /** {@inheritDoc Cache.walk} */
  walk(): EntryWalk {
    // Per segment, its generation + 1 when the walk reported it (0: never).
    const reported = new Uint32Array(this.#maxSegments);
    const literals: JsonLiterals = {
      bytes: new Uint8Array(0),
      keyStart: 0,
      keyEnd: 0,
      valueStart: 0,
      valueEnd: 0,
    };
    return { step: (visit) => this.#walkStep(reported, literals, visit) };
  }

  /**
   * One step of a walk: reports the live records of the oldest segment not
   * reported in its current generation. A compaction that moves records into
   * a reported segment gives it a new generation, so they are reported again
   * rather than missed. A segment being compacted is not read: the step
   * advances the compaction instead (by one segment's worth of records).
   */
  #walkStep(
    reported: Uint32Array,
    literals: JsonLiterals,
    visit: EntryVisitor,
  ): boolean {
    let slot = -1;
    for (const candidate of this.#order) {
      if (reported[candidate] !== ((this.#generation[candidate] + 1) >>> 0)) {
        slot = candidate;
        break;
      }
    }
    if (slot < 0) return false;
    if (this.#rewriting[slot] === 1) {
      this.#reclaimStep(this.#segmentBytes);
      return true;
    }
    const segment = this.#segments[slot];
    const words = segment.words;
    const end = this.#used[slot];
    const now = this.#clock.now();
    literals.bytes = segment.bytes;
    for (let offset = 0; offset < end;) {
      const keyLength = words[(offset >>> 2) + KEY_LENGTH];
      const valueLength = words[(offset >>> 2) + VALUE_LENGTH];
      const expiresAt = segment.doubles[(offset >>> 3) + EXPIRES_AT];
      if (!(keyLength & DEAD) && (expiresAt === 0 || expiresAt > now)) {
        literals.keyStart = offset + RECORD_HEADER_BYTES;
        literals.keyEnd = literals.valueStart = literals.keyStart + keyLength;
        literals.valueEnd = literals.valueStart + valueLength;
        visit(literals, expiresAt);
      }
      offset += recordSize(keyLength & ~DEAD, valueLength);
    }
    reported[slot] = this.#generation[slot] + 1;
    return true;
  }

  /** Stores a key and value given as literals, expiring at `expiresAt`. */
  #storeLiterals(literals: JsonLiterals, expiresAt: number): void {
    const { bytes, keyStart: from, valueStart } = literals;
    const keyLength = literals.keyEnd - from;
    const valueLength = literals.valueEnd - valueStart;
    const size = RECORD_HEADER_BYTES + keyLength + valueLength;
    if (size > this.#maxRecordBytes) {
      throw new RangeError(
        `Cannot store a record of ${size} bytes; the largest is ${this.#maxRecordBytes}`,
      );
    }
    const slot = this.#headWithRoom(recordSize(keyLength, valueLength));
    const segment = this.#segments[slot];
    const offset = this.#used[slot];
    const keyStart = offset + RECORD_HEADER_BYTES;
    copyBytes(bytes, from, keyLength, segment.bytes, keyStart);
    copyBytes(
      bytes,
      valueStart,
      valueLength,
      segment.bytes,
      keyStart + keyLength,
    );
    this.#link(slot, offset, keyLength, valueLength, expiresAt);
  }

  /** The absolute expiry of an entry written now with `ttlSeconds`. */
  #expiry(ttlSeconds: number | undefined): number {
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    return ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
  }

  /** The head segment if it has `room` bytes free, else a new head. */
  #headWithRoom(room: number): number {
    const slot = this.#head;
    return slot < 0 || this.#used[slot] + room > this.#segmentBytes
      ? this.#openSegment()
      : slot;
  }

  /**
   * Completes a record just written at the end of a segment: links it into
   * the index in place of the key's previous record, sets its header and
   * expiry, and advances the reclaim job.
   */
  #link(
    slot: number,
    offset: number,
    keyLength: number,
    valueLength: number,
    expiresAt: number,
  ): void {
    const segment = this.#segments[slot];
    const keyStart = offset + RECORD_HEADER_BYTES;
    const hash = hashBytes(segment.bytes, keyStart, keyLength);
    const old = this.#find(hash, segment.bytes, keyStart, keyLength);
    if (old !== NIL) this.#remove(old, this.#foundPrevious);

    const size = recordSize(keyLength, valueLength);
    const words = offset >>> 2;
    const bucket = this.#bucketOf(hash);
    segment.words[words + NEXT] = this.#buckets[bucket];
    segment.words[words + HASH] = hash;
    segment.words[words + KEY_LENGTH] = keyLength;
    segment.words[words + VALUE_LENGTH] = valueLength;
    segment.doubles[(offset >>> 3) + EXPIRES_AT] = expiresAt;
    this.#buckets[bucket] = this.#address(slot, offset);
    this.#used[slot] = offset + size;
    this.#live[slot] += size;
    this.#liveBytes += size;
    this.#entries++;
    this.#writtenBytes += size;
    this.#counters.puts++;
    if (this.#entries > this.#levelBuckets + this.#split) this.#splitBucket();
    if (
      this.#job.length > 0 ||
      (this.#free.length < this.#reserve && this.#startJobIfDue())
    ) {
      this.#reclaimStep(RECLAIM_PACE * size);
    }
  }

  /** {@inheritDoc Cache.delete} */
  delete(key: string): boolean {
    const address = this.#findKey(key);
    if (address === NIL) return false;
    const expired = this.#isExpired(address, this.#clock.now());
    this.#remove(address, this.#foundPrevious);
    if (expired) {
      this.#counters.expiredOnRead++;
      return false;
    }
    this.#counters.deletes++;
    return true;
  }

  /** {@inheritDoc Cache.sweep} */
  sweep(maxEntries: number): SweepResult {
    const now = this.#clock.now();
    let removed = 0;
    if (this.#sweepSegment < 0) {
      this.#startSweepAt(this.#order[0] ?? -1); // a new pass
    } else if (
      this.#generation[this.#sweepSegment] !== this.#sweepGeneration
    ) {
      // Reclaiming moves the cursor off segments it frees or rewrites, so
      // this is only a safety net: start the pass over.
      this.#startSweepAt(this.#order[0] ?? -1);
    }
    for (let examined = 0; examined < maxEntries; examined++) {
      let slot = this.#sweepSegment;
      while (
        slot >= 0 &&
        (this.#sweepOffset >= this.#used[slot] || this.#rewriting[slot] === 1)
      ) {
        const index = this.#order.indexOf(slot);
        slot = index >= 0 && index + 1 < this.#order.length
          ? this.#order[index + 1]
          : -1;
        this.#startSweepAt(slot);
      }
      if (slot < 0) {
        this.#counters.sweepsRun++;
        this.#counters.expiredBySweep += removed;
        return { removed, done: true };
      }
      const offset = this.#sweepOffset;
      const words = this.#segments[slot].words;
      const keyLength = words[(offset >>> 2) + KEY_LENGTH];
      this.#sweepOffset += recordSize(
        keyLength & ~DEAD,
        words[(offset >>> 2) + VALUE_LENGTH],
      );
      if (keyLength & DEAD) continue;
      const address = this.#address(slot, offset);
      if (this.#isExpired(address, now)) {
        this.#remove(address, this.#findPrevious(address));
        removed++;
      }
    }
    this.#counters.expiredBySweep += removed;
    return { removed, done: false };
  }

  /** {@inheritDoc Cache.stats} */
  stats(): CacheStats {
    return this.#counters.stats({
      entries: this.#entries,
      estimatedBytes: 4 * (this.#levelBuckets + this.#split) +
        this.#allocatedBytes,
      maxBytes: this.#maxBytes,
      liveBytes: this.#liveBytes,
    });
  }

  // --- addresses and records ---------------------------------------------

  /** Packs a segment number and byte offset into a non-zero 32-bit address. */
  #address(slot: number, offset: number): number {
    return slot * (this.#wordMask + 1) + (offset >>> 3) + 1;
  }

  #locate(address: number): { segment: Segment; offset: number } {
    const a = address - 1;
    return {
      segment: this.#segments[a >>> this.#segmentShift],
      offset: (a & this.#wordMask) << 3,
    };
  }

  #isExpired(address: number, now: number): boolean {
    const { segment, offset } = this.#locate(address);
    const expiresAt = segment.doubles[(offset >>> 3) + EXPIRES_AT];
    return expiresAt !== 0 && expiresAt <= now;
  }

  /** Encodes `key` into the scratch buffer; returns the index entry for it. */
  #findKey(key: string): number {
    const room = jsonStringRoom(key.length);
    if (this.#scratch.length < room) this.#scratch = new Uint8Array(room);
    const length = writeJsonString(key, this.#scratch, 0);
    return this.#find(
      hashBytes(this.#scratch, 0, length),
      this.#scratch,
      0,
      length,
    );
  }

  /** Finds the live, unexpired record for `key` (removing it if expired). */
  #lookup(key: string): number {
    const address = this.#findKey(key);
    if (address === NIL) {
      this.#counters.misses++;
      return NIL;
    }
    if (this.#isExpired(address, this.#clock.now())) {
      this.#remove(address, this.#foundPrevious);
      this.#counters.expiredOnRead++;
      this.#counters.misses++;
      return NIL;
    }
    this.#counters.hits++;
    return address;
  }

  /**
   * Returns the address of the record whose key bytes equal the given ones,
   * or NIL; leaves the address of its predecessor in the bucket chain (NIL
   * for the chain head) in `#foundPrevious`.
   */
  #find(
    hash: number,
    key: Uint8Array,
    keyStart: number,
    keyLength: number,
  ): number {
    let previous = NIL;
    let address = this.#buckets[this.#bucketOf(hash)];
    while (address !== NIL) {
      const a = address - 1;
      const segment = this.#segments[a >>> this.#segmentShift];
      const offset = (a & this.#wordMask) << 3;
      const words = offset >>> 2;
      if (
        segment.words[words + HASH] === hash &&
        segment.words[words + KEY_LENGTH] === keyLength &&
        equalBytes(
          segment.bytes,
          offset + RECORD_HEADER_BYTES,
          key,
          keyStart,
          keyLength,
        )
      ) {
        this.#foundPrevious = previous;
        return address;
      }
      previous = address;
      address = segment.words[words + NEXT];
    }
    return NIL;
  }

  // --- the index: linear hashing ---------------------------------------------
  //
  // The index grows one bucket at a time as entries arrive (one split per
  // insert past a load of 1), so it stays as small as the entries need: a
  // small cache's buckets fit in the CPU caches, and no insert ever rehashes
  // the whole table. The array is allocated at its largest size up front, but
  // the operating system only backs the part in use.

  /** The bucket of `hash`: its low bits at this level, or one more bit if split. */
  #bucketOf(hash: number): number {
    const bucket = hash & (this.#levelBuckets - 1);
    return bucket < this.#split ? hash & (2 * this.#levelBuckets - 1) : bucket;
  }

  /** Splits the next bucket in order, moving half its chain to a new bucket. */
  #splitBucket(): void {
    const target = this.#levelBuckets + this.#split;
    if (target >= this.#buckets.length) return; // at the largest size
    const from = this.#split;
    const mask = 2 * this.#levelBuckets - 1;
    let address = this.#buckets[from];
    let stay = NIL;
    let move = NIL;
    // Rebuild both chains; order within a chain does not matter.
    while (address !== NIL) {
      const { segment, offset } = this.#locate(address);
      const words = offset >>> 2;
      const next = segment.words[words + NEXT];
      if ((segment.words[words + HASH] & mask) === from) {
        segment.words[words + NEXT] = stay;
        stay = address;
      } else {
        segment.words[words + NEXT] = move;
        move = address;
      }
      address = next;
    }
    this.#buckets[from] = stay;
    this.#buckets[target] = move;
    if (++this.#split === this.#levelBuckets) {
      this.#levelBuckets *= 2;
      this.#split = 0;
    }
  }

  /** Returns the address that links to `address` in its chain (NIL: bucket). */
  #findPrevious(address: number): number {
    const { segment, offset } = this.#locate(address);
    const hash = segment.words[(offset >>> 2) + HASH];
    let previous = NIL;
    let current = this.#buckets[this.#bucketOf(hash)];
    while (current !== address) {
      previous = current;
      const located = this.#locate(current);
      current = located.segment.words[(located.offset >>> 2) + NEXT];
    }
    return previous;
  }

  /** Points whatever links to `from` (its predecessor or bucket) at `to`. */
  #relink(previous: number, hash: number, to: number): void {
    if (previous === NIL) this.#buckets[this.#bucketOf(hash)] = to;
    else {
      const { segment, offset } = this.#locate(previous);
      segment.words[(offset >>> 2) + NEXT] = to;
    }
  }

  /** Unlinks a live record from the index and marks it dead. */
  #remove(address: number, previous: number): void {
    const { segment, offset } = this.#locate(address);
    const words = offset >>> 2;
    const keyLength = segment.words[words + KEY_LENGTH];
    this.#relink(
      previous,
      segment.words[words + HASH],
      segment.words[words + NEXT],
    );
    segment.words[words + KEY_LENGTH] = keyLength | DEAD;
    const size = recordSize(keyLength, segment.words[words + VALUE_LENGTH]);
    this.#live[(address - 1) >>> this.#segmentShift] -= size;
    this.#liveBytes -= size;
    this.#entries--;
  }

  // --- segments -------------------------------------------------------------

  /** Makes a fresh segment the head, reclaiming space first if at the limit. */
  #openSegment(): number {
    let slot: number;
    if (this.#free.length > 0) slot = this.#free.pop()!;
    else if (this.#segments.length < this.#maxSegments) {
      slot = this.#segments.length;
      this.#segments.push(this.#newSegment());
    } else {
      // Only when writes outran the paced reclaim: finish it now.
      while (this.#free.length === 0) this.#reclaimStep(Infinity);
      slot = this.#free.pop()!;
    }
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#order.push(slot);
    this.#head = slot;
    return slot;
  }

  /** Carves a new segment out of the current chunk, allocating one if needed. */
  #newSegment(): Segment {
    const size = this.#segmentBytes;
    if (this.#chunk === null || this.#chunkOffset === this.#chunk.byteLength) {
      const segmentsLeft = this.#maxSegments - this.#segments.length;
      const perChunk = Math.max(1, Math.floor(SEGMENT_CHUNK_BYTES / size));
      this.#chunk = new ArrayBuffer(Math.min(perChunk, segmentsLeft) * size);
      this.#chunkOffset = 0;
      this.#allocatedBytes += this.#chunk.byteLength;
    }
    const offset = this.#chunkOffset;
    this.#chunkOffset += size;
    return {
      bytes: new Uint8Array(this.#chunk, offset, size),
      words: new Uint32Array(this.#chunk, offset, size / 4),
      doubles: new Float64Array(this.#chunk, offset, size / 8),
    };
  }

  // --- reclaiming space ------------------------------------------------------
  //
  // Once the budget is spent, space comes from a reclaim job: compacting a run
  // of adjacent segments, or evicting the oldest one. Freeing a segment of
  // tiny records unlinks some 6,500 of them, several milliseconds of work, so
  // no single request does a whole job: each write advances the job in
  // progress by `RECLAIM_PACE` times its own size, and the job finishes while
  // the free segments held in reserve are still there. Between steps every
  // record is either in its old place or in its new one, linked and findable.

  /**
   * Starts a reclaim job if one is due: always at the budget, and below it
   * when the segments are mostly dead and a compaction would be cheap.
   */
  #startJobIfDue(): boolean {
    const segments = this.#segments.length;
    if (segments === this.#maxSegments) return this.#startJob(true);
    if (
      segments < EARLY_COMPACTION_MIN_SEGMENTS ||
      this.#liveBytes >=
        EARLY_COMPACTION_LIVE_SHARE * segments * this.#segmentBytes ||
      this.#writtenBytes < this.#earlyCompactionAt
    ) return false;
    if (this.#startJob(false)) return true;
    // Nothing cheap to compact: grow, and look again a segment later.
    this.#earlyCompactionAt = this.#writtenBytes + this.#segmentBytes;
    return false;
  }

  /** Advances the reclaim job by `budget` bytes of records, starting one if none. */
  #reclaimStep(budget: number): void {
    if (this.#job.length === 0) this.#startJob(true);
    const done = this.#jobEvicts
      ? this.#evictRecords(budget)
      : this.#compactRecords(budget);
    if (done) this.#finishJob();
  }

  /**
   * Picks the run of adjacent segments that frees segments most cheaply, if
   * that copies at most one segment's worth of live records per segment
   * freed (half of one, early); otherwise the oldest segment, to be evicted,
   * if `mayEvict`. Returns whether a job was started.
   */
  #startJob(mayEvict: boolean): boolean {
    const order = this.#order;
    const candidates = order.length - 1; // never the head
    const usable = this.#segmentBytes - this.#maxRecordBytes;
    let bestStart = -1;
    let bestLength = 0;
    let bestCost = mayEvict ? this.#segmentBytes : this.#segmentBytes / 2;
    for (let start = 0; start < candidates; start++) {
      let live = 0;
      for (
        let length = 1;
        length <= MAX_COMPACTION_WINDOW && start + length <= candidates;
        length++
      ) {
        live += this.#live[order[start + length - 1]];
        const freed = length - Math.ceil(live / usable);
        if (freed <= 0) continue;
        const cost = live / freed;
        if (cost < bestCost) {
          bestCost = cost;
          bestStart = start;
          bestLength = length;
        }
      }
    }
    if (bestStart < 0 && !mayEvict) return false;
    this.#jobEvicts = bestStart < 0;
    this.#jobStart = this.#jobEvicts ? 0 : bestStart;
    this.#job = order.slice(
      this.#jobStart,
      this.#jobStart + (this.#jobEvicts ? 1 : bestLength),
    );
    this.#jobSource = 0;
    this.#jobOffset = 0;
    this.#jobTarget = 0;
    this.#jobTargetOffset = 0;
    if (!this.#jobEvicts) {
      for (const slot of this.#job) this.#rewriting[slot] = 1;
    }
    return true;
  }

  /** Unlinks the live records of the oldest segment; true when all are gone. */
  #evictRecords(budget: number): boolean {
    const slot = this.#job[0];
    const words = this.#segments[slot].words;
    const end = this.#used[slot];
    const now = this.#clock.now();
    let offset = this.#jobOffset;
    while (offset < end && budget > 0) {
      const keyLength = words[(offset >>> 2) + KEY_LENGTH];
      const size = recordSize(
        keyLength & ~DEAD,
        words[(offset >>> 2) + VALUE_LENGTH],
      );
      if (!(keyLength & DEAD)) {
        const address = this.#address(slot, offset);
        if (this.#isExpired(address, now)) this.#counters.expiredBySweep++;
        else this.#counters.evicted++;
        this.#remove(address, this.#findPrevious(address));
      }
      offset += size;
      budget -= size;
    }
    this.#jobOffset = offset;
    return offset >= end;
  }

  /**
   * Copies the live records of the job's segments, in order, to the front of
   * those same segments, dropping expired ones; true when all are examined.
   * The copy never overtakes the reading, so it only overwrites records that
   * were already moved or dead.
   */
  #compactRecords(budget: number): boolean {
    const job = this.#job;
    const now = this.#clock.now();
    while (budget > 0 && this.#jobSource < job.length) {
      const slot = job[this.#jobSource];
      const offset = this.#jobOffset;
      if (offset >= this.#used[slot]) {
        this.#jobSource++;
        this.#jobOffset = 0;
        continue;
      }
      const segment = this.#segments[slot];
      const words = offset >>> 2;
      const keyLength = segment.words[words + KEY_LENGTH];
      const size = recordSize(
        keyLength & ~DEAD,
        segment.words[words + VALUE_LENGTH],
      );
      this.#jobOffset = offset + size;
      budget -= size;
      if (keyLength & DEAD) continue;
      const address = this.#address(slot, offset);
      const previous = this.#findPrevious(address);
      if (this.#isExpired(address, now)) {
        this.#remove(address, previous);
        this.#counters.expiredBySweep++;
        continue;
      }
      // Read before copying: the copy may overlap this header.
      const hash = segment.words[words + HASH];
      if (this.#jobTargetOffset + size > this.#segmentBytes) {
        this.#used[job[this.#jobTarget]] = this.#jobTargetOffset;
        this.#jobTarget++;
        this.#jobTargetOffset = 0;
      }
      const to = job[this.#jobTarget];
      const toOffset = this.#jobTargetOffset;
      if (to === slot) {
        segment.bytes.copyWithin(toOffset, offset, offset + size);
      } else {
        this.#segments[to].bytes.set(
          segment.bytes.subarray(offset, offset + size),
          toOffset,
        );
      }
      this.#relink(previous, hash, this.#address(to, toOffset));
      this.#live[slot] -= size;
      this.#live[to] += size;
      this.#jobTargetOffset = toOffset + size;
    }
    return this.#jobSource >= job.length;
  }

  /** Frees what the finished job emptied and puts the sweep back on track. */
  #finishJob(): void {
    const job = this.#job;
    this.#job = [];
    if (this.#jobEvicts) {
      const slot = this.#order.shift()!;
      // A sweep pass on this segment continues on the next oldest.
      if (this.#sweepSegment === slot) this.#startSweepAt(this.#order[0]);
      this.#releaseSegment(slot);
      return;
    }
    const target = this.#jobTarget;
    this.#used[job[target]] = this.#jobTargetOffset;
    const kept = this.#jobTargetOffset === 0 ? target : target + 1;
    for (const slot of job) {
      this.#generation[slot]++;
      this.#rewriting[slot] = 0;
    }
    this.#order.splice(this.#jobStart + kept, job.length - kept);
    for (const slot of job.slice(kept)) this.#releaseSegment(slot);
    // A sweep pass inside the run goes over its rewritten records again.
    if (job.includes(this.#sweepSegment)) {
      this.#startSweepAt(this.#order[this.#jobStart]);
    }
    this.#counters.compactions++;
  }

  #releaseSegment(slot: number): void {
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#free.push(slot);
  }

  #startSweepAt(slot: number): void {
    this.#sweepSegment = slot;
    this.#sweepGeneration = slot >= 0 ? this.#generation[slot] : 0;
    this.#sweepOffset = 0;
  }
}
