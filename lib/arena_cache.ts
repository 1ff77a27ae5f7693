/**
 * A cache that keeps its keys, values and index out of the V8 heap: records
 * are appended to a log of fixed-size segments and found through a chained
 * hash index in a `Uint32Array`. The garbage collector sees a handful of
 * objects instead of millions, so a full cache causes no GC pauses, and the
 * memory held is exactly the segments written plus the index.
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
 * ## One store, several isolates
 *
 * Every piece of state (segments, index, per-segment numbers, age order,
 * free list, reclaim job, sweep cursor, counters) lives in the buffers of an
 * {@linkcode ArenaLayout} (`lib/arena/layout.ts`); an `ArenaCache` object
 * holds only views of them and per-isolate scratch space. Opened on a layout
 * of `SharedArrayBuffer`s, the same store serves every isolate it is sent to,
 * and each public method runs as one critical section under a
 * {@linkcode SharedLock}:
 *
 * - Invariant: outside the lock the store is consistent (every live record
 *   linked once in the index, counters matching it), because every mutation
 *   happens inside one method call holding the lock, and that call never
 *   awaits, so it cannot interleave with another isolate's.
 * - No tearing: a read copies the value's bytes to private memory before it
 *   releases the lock, so a compaction or overwrite that follows cannot change
 *   what it returns; bytes are decoded and handed to `Response` only from
 *   that copy (Deno rejects shared views there).
 * - No deadlock: there is one lock, no method takes it twice, and the code
 *   holding it calls nothing that waits for another isolate. The work under it
 *   is bounded: one lookup or write plus a paced reclaim step, or one sweep
 *   batch.
 *
 * Opened privately (the default), the lock is skipped and reads decode in
 * place, as before.
 *
 * @module
 */

import type {
  Cache,
  CacheEntry,
  CacheStats,
  EntryVisitor,
  EntryWalk,
  JsonLiterals,
  ScanBatch,
  SweepResult,
} from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  checkEntry,
  checkExpiresAt,
  checkTtl,
  type EntryLimits,
} from "./entry_limits.ts";
import { hashBytes } from "./hash.ts";
import {
  jsonStringRoom,
  unescapeJsonLiteral,
  writeJsonString,
} from "./json_bytes.ts";
import {
  type ArenaLayout,
  type ArenaLayoutOptions,
  C_ENTRIES,
  C_FREE_LENGTH,
  C_HEAD,
  C_JOB_EVICTS,
  C_JOB_LENGTH,
  C_JOB_OFFSET,
  C_JOB_SOURCE,
  C_JOB_START,
  C_JOB_TARGET,
  C_JOB_TARGET_OFFSET,
  C_LEVEL_BUCKETS,
  C_LOCK,
  C_ORDER_LENGTH,
  C_SEGMENTS,
  C_SPLIT,
  C_SWEEP_GENERATION,
  C_SWEEP_OFFSET,
  C_SWEEP_SEGMENT,
  controlViews,
  createArenaLayout,
  F_ALLOCATED_BYTES,
  F_COMPACTIONS,
  F_CREATED_AT,
  F_DELETES,
  F_EARLY_COMPACTION_AT,
  F_EVICTED,
  F_EXPIRED_BY_SWEEP,
  F_EXPIRED_ON_READ,
  F_HITS,
  F_LIVE_BYTES,
  F_LOCK_CONTENDED,
  F_LOCK_SLEPT,
  F_MISSES,
  F_PUTS,
  F_SWEEPS_RUN,
  F_WRITTEN_BYTES,
  INITIAL_BUCKETS,
  MAX_COMPACTION_WINDOW,
  RECORD_HEADER_BYTES,
  SEGMENT_CHUNK_BYTES,
  tableViews,
} from "./arena/layout.ts";
import { SharedLock } from "./arena/lock.ts";

export {
  type ArenaLayout,
  BYTES_PER_BUCKET,
  createArenaLayout,
  MAX_COMPACTION_WINDOW,
  maxRecordBytes,
  MIN_SEGMENT_BYTES,
  minimumArenaBytes,
  RECORD_HEADER_BYTES,
  SEGMENT_CHUNK_BYTES,
  segmentBytesFor,
} from "./arena/layout.ts";

/** Options for {@linkcode ArenaCache}. */
export interface ArenaCacheOptions extends ArenaLayoutOptions {
  /** Time source for expiry; defaults to the system clock. */
  clock?: Clock;
}

/**
 * Bytes of old records a write lets the reclaim job in progress examine, per
 * byte it writes. A job examines at most about three segments for each one it
 * frees, so at this pace it finishes well before the free segments kept in
 * reserve run out.
 */
export const RECLAIM_PACE = 4;

/** Buckets {@linkcode ArenaCache.randomKey} looks at before giving up. */
export const RANDOM_KEY_BUCKETS = 4096;

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
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * The string a stored JSON literal holds. The literal is what
 * `JSON.stringify` writes: without a backslash it is the string between two
 * quotes, and slicing is cheaper than parsing.
 */
function parseLiteral(json: string): string {
  return json.indexOf("\\") === -1 ? json.slice(1, -1) : JSON.parse(json);
}

function recordSize(keyLength: number, valueLength: number): number {
  return (RECORD_HEADER_BYTES + keyLength + valueLength + 7) & ~7;
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

/**
 * A log-structured cache in segments of one buffer; see the module docs. Has
 * the same semantics as `MapCache`: per-entry TTL, lazy expiry, batched sweep
 * and eviction of the oldest writes first.
 */
export class ArenaCache implements Cache {
  readonly #clock: Clock;
  readonly #layout: ArenaLayout;
  /** The lock every method takes, when the store is shared. */
  readonly #lock: SharedLock | undefined;
  readonly #defaultTtlMs: number;
  readonly #limits: EntryLimits;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #maxRecordBytes: number;
  readonly #maxSegments: number;
  /** Scalar state (`C_*` slots) and byte counts and counters (`F_*`). */
  readonly #state: Int32Array;
  readonly #numbers: Float64Array;
  /** Bucket heads; only the first `C_LEVEL_BUCKETS + C_SPLIT` are in use. */
  readonly #buckets: Uint32Array;
  /** Every segment, as bytes, 32-bit words and doubles. */
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #doubles: Float64Array;
  /** Per segment: bytes used, bytes live, generation, being rewritten. */
  readonly #used: Int32Array;
  readonly #live: Int32Array;
  readonly #generation: Int32Array;
  readonly #rewriting: Int32Array;
  /** Segments in use, oldest first (the last is the head), and free ones. */
  readonly #order: Int32Array;
  readonly #free: Int32Array;
  /** Segments of the reclaim job in progress, oldest first. */
  readonly #job: Int32Array;
  /** Free segments a full store keeps ahead of need. */
  readonly #reserve: number;
  #scratch = new Uint8Array(1024);
  /** Key literals of a scan batch as a JSON array; starts with "[". */
  #listing = new Uint8Array(4096).fill(OPEN_BRACKET, 0, 1);
  #foundPrevious = NIL;
  /** How many critical sections of this isolate are open (they nest). */
  #depth = 0;
  /** Whether this isolate's last release of the lock woke a waiter. */
  #wokeWaiter = false;

  /**
   * Opens a store: a new private one from `options`, or the one in `layout`
   * (see {@linkcode createArenaLayout}), which may be shared with other
   * isolates; its sizes and limits then come from the layout. The first to
   * open a layout initialises it.
   */
  constructor(options: ArenaCacheOptions, layout?: ArenaLayout) {
    this.#clock = options.clock ?? systemClock;
    layout ??= createArenaLayout(options, false);
    this.#layout = layout;
    this.#defaultTtlMs = layout.defaultTtlSeconds * 1000;
    this.#limits = {
      maxKeySize: layout.maxKeySize,
      maxValueSize: layout.maxValueSize,
    };
    this.#maxBytes = layout.maxBytes;
    this.#maxRecordBytes = layout.maxRecordBytes;
    this.#segmentBytes = layout.segmentBytes;
    this.#maxSegments = layout.maxSegments;
    const control = controlViews(layout);
    this.#state = control.ints;
    this.#numbers = control.doubles;
    this.#buckets = new Uint32Array(layout.buckets);
    this.#bytes = new Uint8Array(layout.segments);
    this.#words = new Uint32Array(layout.segments);
    this.#doubles = new Float64Array(layout.segments);
    const table = tableViews(layout);
    this.#used = table.used;
    this.#live = table.live;
    this.#generation = table.generation;
    this.#rewriting = table.rewriting;
    this.#order = table.order;
    this.#free = table.free;
    this.#job = table.job;
    this.#reserve = Math.min(
      MAX_RESERVED_SEGMENTS,
      Math.max(1, this.#maxSegments >> 4),
    );
    this.#lock = layout.shared
      ? new SharedLock(this.#state, C_LOCK)
      : undefined;
    this.#lock?.acquire();
    if (this.#state[C_LEVEL_BUCKETS] === 0) {
      this.#state[C_HEAD] = -1;
      this.#state[C_LEVEL_BUCKETS] = INITIAL_BUCKETS;
      this.#state[C_SWEEP_SEGMENT] = -1;
      this.#numbers[F_CREATED_AT] = this.#clock.now();
    }
    this.#lock?.release();
  }

  /** The memory this store lives in, to open it in another isolate. */
  get layout(): ArenaLayout {
    return this.#layout;
  }

  /** {@inheritDoc Cache.get} */
  get(key: string): string | undefined {
    const json = this.getJson(key);
    return json === undefined ? undefined : parseLiteral(json);
  }

  /** {@inheritDoc Cache.getJson} */
  getJson(key: string): string | undefined {
    const lock = this.#lock;
    if (lock === undefined) {
      const address = this.#lookup(key);
      if (address === NIL) return undefined;
      const start = this.#valueStart(address);
      return decoder.decode(
        this.#bytes.subarray(start, start + this.#valueLength(address)),
      );
    }
    let length: number;
    this.#enter();
    try {
      const address = this.#lookup(key);
      if (address === NIL) return undefined;
      length = this.#valueLength(address);
      // Copy out under the lock: the record may move once it is released.
      this.#copyOut(this.#valueStart(address), length);
    } finally {
      this.#exit();
    }
    return decoder.decode(this.#scratch.subarray(0, length));
  }

  /** {@inheritDoc Cache.readUtf8} */
  readUtf8<T>(key: string, use: (bytes: Uint8Array) => T): T | undefined {
    let written: number;
    this.#enter();
    try {
      const address = this.#lookup(key);
      if (address === NIL) return undefined;
      const length = this.#valueLength(address);
      if (this.#scratch.length < length) {
        this.#scratch = new Uint8Array(2 * length);
      }
      // Unescaped into this isolate's scratch under the lock: the record
      // may move once it is released.
      written = unescapeJsonLiteral(
        this.#bytes,
        this.#valueStart(address),
        length,
        this.#scratch,
      );
    } finally {
      this.#exit();
    }
    return use(this.#scratch.subarray(0, written));
  }

  /** Where the value (a JSON literal) of the record at `address` starts. */
  #valueStart(address: number): number {
    const p = (address - 1) * 8;
    return p + RECORD_HEADER_BYTES + this.#words[p / 4 + KEY_LENGTH];
  }

  /** The length in bytes of the value of the record at `address`. */
  #valueLength(address: number): number {
    return this.#words[(address - 1) * 2 + VALUE_LENGTH];
  }

  /** {@inheritDoc Cache.set} */
  set(key: string, value: string, ttlSeconds?: number): void {
    checkEntry(key, value, ttlSeconds, this.#limits);
    this.#storeString(key, value, ttlSeconds, undefined);
  }

  /** {@inheritDoc Cache.setEntry} */
  setEntry(key: string, value: string, expiresAt: number): void {
    checkEntry(key, value, undefined, this.#limits);
    checkExpiresAt(expiresAt);
    this.#storeString(key, value, undefined, expiresAt);
  }

  /**
   * Stores a checked key and value, expiring `ttlSeconds` from now or, when
   * that is undefined, at `expiresAt`.
   */
  #storeString(
    key: string,
    value: string,
    ttlSeconds: number | undefined,
    expiresAt: number | undefined,
  ): void {
    const valueJson = JSON.stringify(value);
    const room = RECORD_HEADER_BYTES + jsonStringRoom(key.length) +
      3 * valueJson.length;
    if (room > this.#segmentBytes) this.#tooLarge(room);
    this.#enter();
    try {
      const slot = this.#headWithRoom(room);
      const end = (slot + 1) * this.#segmentBytes;
      const keyStart = slot * this.#segmentBytes + this.#used[slot] +
        RECORD_HEADER_BYTES;
      const keyLength = writeJsonString(
        key,
        this.#bytes.subarray(0, end),
        keyStart,
      );
      const { read, written } = encoder.encodeInto(
        valueJson,
        this.#bytes.subarray(keyStart + keyLength, end),
      );
      const size = RECORD_HEADER_BYTES + keyLength + written;
      // Nothing is linked yet, so a refusal here leaves the store unchanged.
      if (read < valueJson.length || size > this.#maxRecordBytes) {
        this.#tooLarge(size);
      }
      this.#link(
        slot,
        keyLength,
        written,
        expiresAt ?? this.#expiry(ttlSeconds),
      );
    } finally {
      this.#exit();
    }
  }

  /** {@inheritDoc Cache.setJson} */
  setJson(literals: JsonLiterals, ttlSeconds?: number): void {
    checkTtl(ttlSeconds);
    this.#storeLiterals(literals, ttlSeconds, undefined);
  }

  /** {@inheritDoc Cache.restore} */
  restore(literals: JsonLiterals, expiresAt: number): void {
    this.#storeLiterals(literals, undefined, expiresAt);
  }

  /** {@inheritDoc Cache.walk} */
  walk(): EntryWalk {
    // Per segment, its generation + 1 when the walk reported it (0: never).
    const reported = new Int32Array(this.#maxSegments);
    const literals: JsonLiterals = {
      bytes: this.#bytes,
      keyStart: 0,
      keyEnd: 0,
      valueStart: 0,
      valueEnd: 0,
    };
    return { step: (visit) => this.#walkStep(reported, literals, visit) };
  }

  /**
   * One step of a walk, under the lock: reports the live records of the
   * oldest segment not reported in its current generation. A compaction that
   * moves records into a reported segment gives it a new generation, so they
   * are reported again rather than missed. A segment being compacted is not
   * read: the step advances the compaction instead (by one segment's worth).
   */
  #walkStep(
    reported: Int32Array,
    literals: JsonLiterals,
    visit: EntryVisitor,
  ): boolean {
    this.#enter();
    try {
      const length = this.#state[C_ORDER_LENGTH];
      let slot = -1;
      for (let i = 0; i < length; i++) {
        const candidate = this.#order[i];
        if (reported[candidate] !== ((this.#generation[candidate] + 1) | 0)) {
          slot = candidate;
          break;
        }
      }
      if (slot < 0) return false;
      if (this.#rewriting[slot] === 1) {
        if (this.#state[C_JOB_LENGTH] > 0) {
          this.#reclaimStep(this.#segmentBytes);
        }
        return true;
      }
      const base = slot * this.#segmentBytes;
      const end = this.#used[slot];
      const now = this.#clock.now();
      for (let offset = 0; offset < end;) {
        const p = base + offset;
        const keyLength = this.#words[p / 4 + KEY_LENGTH];
        const valueLength = this.#words[p / 4 + VALUE_LENGTH];
        const expiresAt = this.#doubles[p / 8 + EXPIRES_AT];
        if (!(keyLength & DEAD) && (expiresAt === 0 || expiresAt > now)) {
          literals.keyStart = p + RECORD_HEADER_BYTES;
          literals.keyEnd = literals.valueStart = literals.keyStart +
            keyLength;
          literals.valueEnd = literals.valueStart + valueLength;
          visit(literals, expiresAt);
        }
        offset += recordSize(keyLength & ~DEAD, valueLength);
      }
      reported[slot] = this.#generation[slot] + 1;
      return true;
    } finally {
      this.#exit();
    }
  }

  /**
   * Stores a key and value given as literals, expiring `ttlSeconds` from now
   * or, when that is undefined, at `expiresAt`.
   */
  #storeLiterals(
    literals: JsonLiterals,
    ttlSeconds: number | undefined,
    expiresAt: number | undefined,
  ): void {
    const { bytes, keyStart: from, valueStart } = literals;
    const keyLength = literals.keyEnd - from;
    const valueLength = literals.valueEnd - valueStart;
    const size = RECORD_HEADER_BYTES + keyLength + valueLength;
    if (size > this.#maxRecordBytes) this.#tooLarge(size);
    this.#enter();
    try {
      const slot = this.#headWithRoom(recordSize(keyLength, valueLength));
      const keyStart = slot * this.#segmentBytes + this.#used[slot] +
        RECORD_HEADER_BYTES;
      // A native copy through a view: five times a loop for 300 bytes.
      this.#bytes.set(bytes.subarray(from, literals.keyEnd), keyStart);
      this.#bytes.set(
        bytes.subarray(valueStart, literals.valueEnd),
        keyStart + keyLength,
      );
      this.#link(
        slot,
        keyLength,
        valueLength,
        expiresAt ?? this.#expiry(ttlSeconds),
      );
    } finally {
      this.#exit();
    }
  }

  #tooLarge(size: number): never {
    throw new RangeError(
      `Cannot store a record of ${size} bytes; the largest is ${this.#maxRecordBytes}`,
    );
  }

  /** {@inheritDoc Cache.delete} */
  delete(key: string): boolean {
    this.#enter();
    try {
      const address = this.#findKey(key);
      if (address === NIL) return false;
      const expired = this.#isExpired(address, this.#clock.now());
      this.#remove(address, this.#foundPrevious);
      if (expired) {
        this.#numbers[F_EXPIRED_ON_READ]++;
        return false;
      }
      this.#numbers[F_DELETES]++;
      return true;
    } finally {
      this.#exit();
    }
  }

  /** {@inheritDoc Cache.now} */
  now(): number {
    return this.#clock.now();
  }

  /** {@inheritDoc Cache.entry} */
  entry(key: string): CacheEntry | undefined {
    let length: number;
    let expiresAt: number;
    this.#enter();
    try {
      const address = this.#lookup(key);
      if (address === NIL) return undefined;
      const p = (address - 1) * 8;
      const start = p + RECORD_HEADER_BYTES + this.#words[p / 4 + KEY_LENGTH];
      length = this.#words[p / 4 + VALUE_LENGTH];
      expiresAt = this.#doubles[p / 8 + EXPIRES_AT];
      this.#copyOut(start, length);
    } finally {
      this.#exit();
    }
    return {
      value: parseLiteral(decoder.decode(this.#scratch.subarray(0, length))),
      expiresAt,
    };
  }

  /** {@inheritDoc Cache.setExpiry} */
  setExpiry(key: string, expiresAt: number): boolean {
    checkExpiresAt(expiresAt);
    this.#enter();
    try {
      const address = this.#findKey(key);
      if (address === NIL) return false;
      const now = this.#clock.now();
      if (this.#isExpired(address, now)) {
        this.#remove(address, this.#foundPrevious);
        this.#numbers[F_EXPIRED_ON_READ]++;
        return false;
      }
      if (expiresAt !== 0 && expiresAt <= now) {
        // An expiry in the past deletes the key, as in Redis.
        this.#remove(address, this.#foundPrevious);
        this.#numbers[F_DELETES]++;
        return true;
      }
      this.#doubles[address - 1 + EXPIRES_AT] = expiresAt;
      return true;
    } finally {
      this.#exit();
    }
  }

  /** {@inheritDoc Cache.atomically} */
  atomically<T>(fn: () => T): T {
    this.#enter();
    try {
      return fn();
    } finally {
      this.#exit();
    }
  }

  /**
   * {@inheritDoc Cache.scan}
   *
   * The cursor is a bucket of the linear-hashing index; a batch reports
   * whole buckets, in increasing order, from the cursor on. Nothing present
   * for a whole iteration is missed: a key only ever moves between buckets
   * when its bucket `b` splits, and then to `b + L` (`L` the buckets of the
   * level), which is the newest bucket, so at or past any cursor; a key that
   * stays in `b` was reported with it or will be. Overwrites and compactions
   * keep a key in its bucket. Only `clear` shrinks the index, and no key is
   * present across it; a cursor past the buckets in use ends the iteration.
   */
  scan(cursor: number, count: number): ScanBatch {
    let next = 0;
    let listed = 1; // bytes of the listing: "[" and each key's literal + ","
    this.#enterBatch();
    try {
      const state = this.#state;
      const inUse = state[C_LEVEL_BUCKETS] + state[C_SPLIT];
      if (!(Number.isInteger(cursor) && cursor >= 0 && cursor < inUse)) {
        return { cursor: 0, keys: [] };
      }
      const now = this.#clock.now();
      const words = this.#words;
      let examined = 0;
      let bucket = cursor;
      while (bucket < inUse && examined < count) {
        let address = this.#buckets[bucket++];
        while (address !== NIL) {
          examined++;
          if (!this.#isExpired(address, now)) {
            listed = this.#listKey(address, listed);
          }
          address = words[(address - 1) * 2 + NEXT];
        }
      }
      next = bucket < inUse ? bucket : 0;
    } finally {
      this.#exit();
    }
    return { cursor: next, keys: this.#parseListing(listed) };
  }

  /**
   * Appends the key literal of the record at `address` and a comma to the
   * listing at byte `at`; answers where the listing now ends. Only bytes are
   * copied under the lock: the keys are decoded after it is released.
   */
  #listKey(address: number, at: number): number {
    const p = (address - 1) * 8;
    const length = this.#words[p / 4 + KEY_LENGTH];
    if (this.#listing.length < at + length + 1) {
      const grown = new Uint8Array(2 * (at + length + 1));
      grown.set(this.#listing.subarray(0, at));
      this.#listing = grown;
    }
    const start = p + RECORD_HEADER_BYTES;
    this.#listing.set(this.#bytes.subarray(start, start + length), at);
    this.#listing[at + length] = COMMA;
    return at + length + 1;
  }

  /**
   * The keys of a listing `length` bytes long: its literals are those
   * `JSON.stringify` wrote, so closed with "]" it is a JSON array of them,
   * decoded and parsed once for the whole batch.
   */
  #parseListing(length: number): string[] {
    if (length === 1) return [];
    this.#listing[length - 1] = CLOSE_BRACKET;
    return JSON.parse(decoder.decode(this.#listing.subarray(0, length)));
  }

  /**
   * {@inheritDoc Cache.randomKey}
   *
   * Looks at the chains of up to {@linkcode RANDOM_KEY_BUCKETS} buckets from
   * a random one on; the first live key found wins, so keys that share a
   * bucket with others are picked less often (uniform enough for RANDOMKEY).
   */
  randomKey(): string | undefined {
    this.#enter();
    try {
      const state = this.#state;
      if (state[C_ENTRIES] === 0) return undefined;
      const inUse = state[C_LEVEL_BUCKETS] + state[C_SPLIT];
      const start = Math.floor(Math.random() * inUse);
      const now = this.#clock.now();
      const tries = Math.min(inUse, RANDOM_KEY_BUCKETS);
      for (let i = 0; i < tries; i++) {
        let address = this.#buckets[(start + i) % inUse];
        while (address !== NIL) {
          if (!this.#isExpired(address, now)) return this.#keyAt(address);
          address = this.#words[(address - 1) * 2 + NEXT];
        }
      }
      return undefined;
    } finally {
      this.#exit();
    }
  }

  /**
   * {@inheritDoc Cache.clear}
   *
   * Every segment in use goes back to the free list and the index back to
   * its first level: a few thousand writes at most, whatever the cache
   * holds. The buckets past the first level keep stale chains, but a bucket
   * is only read once a split has rewritten it.
   */
  clear(): void {
    this.#enter();
    try {
      const state = this.#state;
      const jobLength = state[C_JOB_LENGTH];
      for (let i = 0; i < jobLength; i++) this.#rewriting[this.#job[i]] = 0;
      state[C_JOB_LENGTH] = 0;
      const length = state[C_ORDER_LENGTH];
      for (let i = 0; i < length; i++) this.#releaseSegment(this.#order[i]);
      state[C_ORDER_LENGTH] = 0;
      state[C_HEAD] = -1;
      this.#buckets.fill(NIL, 0, INITIAL_BUCKETS);
      state[C_LEVEL_BUCKETS] = INITIAL_BUCKETS;
      state[C_SPLIT] = 0;
      state[C_ENTRIES] = 0;
      this.#numbers[F_LIVE_BYTES] = 0;
      this.#startSweepAt(-1);
    } finally {
      this.#exit();
    }
  }

  /** The key of the record at `address`, decoded (under the lock). */
  #keyAt(address: number): string {
    const p = (address - 1) * 8;
    const length = this.#words[p / 4 + KEY_LENGTH];
    this.#copyOut(p + RECORD_HEADER_BYTES, length);
    return parseLiteral(decoder.decode(this.#scratch.subarray(0, length)));
  }

  /** Copies `length` bytes of the store from `start` to the scratch buffer. */
  #copyOut(start: number, length: number): void {
    if (this.#scratch.length < length) {
      this.#scratch = new Uint8Array(2 * length);
    }
    this.#scratch.set(this.#bytes.subarray(start, start + length));
  }

  /** {@inheritDoc Cache.sweep} */
  sweep(maxEntries: number): SweepResult {
    this.#enterBatch();
    try {
      return this.#sweep(maxEntries);
    } finally {
      this.#exit();
    }
  }

  /** {@inheritDoc Cache.stats} */
  stats(): CacheStats {
    this.#enter();
    try {
      const state = this.#state;
      const numbers = this.#numbers;
      return {
        entries: state[C_ENTRIES],
        estimatedBytes: 4 * (state[C_LEVEL_BUCKETS] + state[C_SPLIT]) +
          numbers[F_ALLOCATED_BYTES],
        maxBytes: this.#maxBytes,
        liveBytes: numbers[F_LIVE_BYTES],
        hits: numbers[F_HITS],
        misses: numbers[F_MISSES],
        puts: numbers[F_PUTS],
        deletes: numbers[F_DELETES],
        expiredOnRead: numbers[F_EXPIRED_ON_READ],
        expiredBySweep: numbers[F_EXPIRED_BY_SWEEP],
        evicted: numbers[F_EVICTED],
        sweepsRun: numbers[F_SWEEPS_RUN],
        compactions: numbers[F_COMPACTIONS],
        uptimeSeconds: Math.floor(
          (this.#clock.now() - numbers[F_CREATED_AT]) / 1000,
        ),
      };
    } finally {
      this.#exit();
    }
  }

  /**
   * How often operations of every isolate found the lock held, and how often
   * they then slept rather than spun (both 0 when the store is private).
   */
  lockStats(): { contended: number; slept: number } {
    return {
      contended: this.#numbers[F_LOCK_CONTENDED] +
        (this.#lock?.contended ?? 0),
      slept: this.#numbers[F_LOCK_SLEPT] + (this.#lock?.slept ?? 0),
    };
  }

  /** Opens a critical section: takes the lock unless one is already open. */
  #enter(): void {
    if (this.#depth++ === 0) this.#lock?.acquire();
  }

  /**
   * Opens a critical section for one batch of a longer piece of work (a
   * scan, a sweep): if the last release woke a waiter, that waiter gets the
   * lock first.
   */
  #enterBatch(): void {
    if (this.#depth === 0 && this.#wokeWaiter) this.#lock?.yieldToWaiter();
    this.#enter();
  }

  /** Closes a critical section: releases the lock when it was the outermost. */
  #exit(): void {
    if (--this.#depth === 0) this.#release(this.#lock);
  }

  /** Releases the lock, first publishing this isolate's contention count. */
  #release(lock: SharedLock | undefined): void {
    if (lock === undefined) return;
    if (lock.contended !== 0) {
      this.#numbers[F_LOCK_CONTENDED] += lock.contended;
      this.#numbers[F_LOCK_SLEPT] += lock.slept;
      lock.contended = 0;
      lock.slept = 0;
    }
    this.#wokeWaiter = lock.release();
  }

  /** The head segment if it has `room` bytes free, else a new head. */
  #headWithRoom(room: number): number {
    const slot = this.#state[C_HEAD];
    return slot < 0 || this.#used[slot] + room > this.#segmentBytes
      ? this.#openSegment()
      : slot;
  }

  /** The absolute expiry of an entry written now with `ttlSeconds`. */
  #expiry(ttlSeconds: number | undefined): number {
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    return ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
  }

  /**
   * Completes a record just written at the end of segment `slot`: links it
   * into the index in place of the key's previous record, sets its header
   * and expiry, and advances the reclaim job.
   */
  #link(
    slot: number,
    keyLength: number,
    valueLength: number,
    expiresAt: number,
  ): void {
    const state = this.#state;
    const numbers = this.#numbers;
    const offset = this.#used[slot];
    const p = slot * this.#segmentBytes + offset;
    const keyStart = p + RECORD_HEADER_BYTES;
    const hash = hashBytes(this.#bytes, keyStart, keyLength);
    const old = this.#find(hash, this.#bytes, keyStart, keyLength);
    if (old !== NIL) this.#remove(old, this.#foundPrevious);

    const size = recordSize(keyLength, valueLength);
    const words = p / 4;
    const bucket = this.#bucketOf(hash);
    this.#words[words + NEXT] = this.#buckets[bucket];
    this.#words[words + HASH] = hash;
    this.#words[words + KEY_LENGTH] = keyLength;
    this.#words[words + VALUE_LENGTH] = valueLength;
    this.#doubles[p / 8 + EXPIRES_AT] = expiresAt;
    this.#buckets[bucket] = p / 8 + 1;
    this.#used[slot] = offset + size;
    this.#live[slot] += size;
    numbers[F_LIVE_BYTES] += size;
    numbers[F_WRITTEN_BYTES] += size;
    numbers[F_PUTS]++;
    const entries = ++state[C_ENTRIES];
    if (entries > state[C_LEVEL_BUCKETS] + state[C_SPLIT]) this.#splitBucket();
    if (
      state[C_JOB_LENGTH] > 0 ||
      (state[C_FREE_LENGTH] < this.#reserve && this.#startJobIfDue())
    ) {
      this.#reclaimStep(RECLAIM_PACE * size);
    }
  }

  #sweep(maxEntries: number): SweepResult {
    const state = this.#state;
    const now = this.#clock.now();
    let removed = 0;
    if (state[C_SWEEP_SEGMENT] < 0) {
      this.#startSweepAt(this.#oldest()); // a new pass
    } else if (
      this.#generation[state[C_SWEEP_SEGMENT]] !== state[C_SWEEP_GENERATION]
    ) {
      // Reclaiming moves the cursor off segments it frees or rewrites, so
      // this is only a safety net: start the pass over.
      this.#startSweepAt(this.#oldest());
    }
    for (let examined = 0; examined < maxEntries; examined++) {
      let slot = state[C_SWEEP_SEGMENT];
      while (
        slot >= 0 &&
        (state[C_SWEEP_OFFSET] >= this.#used[slot] ||
          this.#rewriting[slot] === 1)
      ) {
        const index = this.#orderIndexOf(slot);
        slot = index >= 0 && index + 1 < state[C_ORDER_LENGTH]
          ? this.#order[index + 1]
          : -1;
        this.#startSweepAt(slot);
      }
      if (slot < 0) {
        this.#numbers[F_SWEEPS_RUN]++;
        this.#numbers[F_EXPIRED_BY_SWEEP] += removed;
        return { removed, done: true };
      }
      const offset = state[C_SWEEP_OFFSET];
      const words = (slot * this.#segmentBytes + offset) / 4;
      const keyLength = this.#words[words + KEY_LENGTH];
      state[C_SWEEP_OFFSET] = offset + recordSize(
        keyLength & ~DEAD,
        this.#words[words + VALUE_LENGTH],
      );
      if (keyLength & DEAD) continue;
      const address = this.#address(slot, offset);
      if (this.#isExpired(address, now)) {
        this.#remove(address, this.#findPrevious(address));
        removed++;
      }
    }
    this.#numbers[F_EXPIRED_BY_SWEEP] += removed;
    return { removed, done: false };
  }

  // --- addresses and records ---------------------------------------------
  //
  // A record's address is its byte position in the segments buffer, in 8-byte
  // words, plus one (0 is NIL): `(address - 1) * 8` is where it starts.

  /** The address of the record at `offset` of segment `slot`. */
  #address(slot: number, offset: number): number {
    return (slot * this.#segmentBytes + offset) / 8 + 1;
  }

  /** The segment holding the record at `address`. */
  #slotOf(address: number): number {
    return Math.floor((address - 1) * 8 / this.#segmentBytes);
  }

  #isExpired(address: number, now: number): boolean {
    const expiresAt = this.#doubles[(address - 1) + EXPIRES_AT];
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
      this.#numbers[F_MISSES]++;
      return NIL;
    }
    if (this.#isExpired(address, this.#clock.now())) {
      this.#remove(address, this.#foundPrevious);
      this.#numbers[F_EXPIRED_ON_READ]++;
      this.#numbers[F_MISSES]++;
      return NIL;
    }
    this.#numbers[F_HITS]++;
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
    const words = this.#words;
    let previous = NIL;
    let address = this.#buckets[this.#bucketOf(hash)];
    while (address !== NIL) {
      const w = (address - 1) * 2;
      if (
        words[w + HASH] === hash &&
        words[w + KEY_LENGTH] === keyLength &&
        equalBytes(
          this.#bytes,
          w * 4 + RECORD_HEADER_BYTES,
          key,
          keyStart,
          keyLength,
        )
      ) {
        this.#foundPrevious = previous;
        return address;
      }
      previous = address;
      address = words[w + NEXT];
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
    const levelBuckets = this.#state[C_LEVEL_BUCKETS];
    const bucket = hash & (levelBuckets - 1);
    return bucket < this.#state[C_SPLIT]
      ? hash & (2 * levelBuckets - 1)
      : bucket;
  }

  /** Splits the next bucket in order, moving half its chain to a new bucket. */
  #splitBucket(): void {
    const state = this.#state;
    const levelBuckets = state[C_LEVEL_BUCKETS];
    const from = state[C_SPLIT];
    const target = levelBuckets + from;
    if (target >= this.#buckets.length) return; // at the largest size
    const mask = 2 * levelBuckets - 1;
    const words = this.#words;
    let address = this.#buckets[from];
    let stay = NIL;
    let move = NIL;
    // Rebuild both chains; order within a chain does not matter.
    while (address !== NIL) {
      const w = (address - 1) * 2;
      const next = words[w + NEXT];
      if ((words[w + HASH] & mask) === from) {
        words[w + NEXT] = stay;
        stay = address;
      } else {
        words[w + NEXT] = move;
        move = address;
      }
      address = next;
    }
    this.#buckets[from] = stay;
    this.#buckets[target] = move;
    if (from + 1 === levelBuckets) {
      state[C_LEVEL_BUCKETS] = 2 * levelBuckets;
      state[C_SPLIT] = 0;
    } else {
      state[C_SPLIT] = from + 1;
    }
  }

  /** Returns the address that links to `address` in its chain (NIL: bucket). */
  #findPrevious(address: number): number {
    const words = this.#words;
    const hash = words[(address - 1) * 2 + HASH];
    let previous = NIL;
    let current = this.#buckets[this.#bucketOf(hash)];
    while (current !== address) {
      previous = current;
      current = words[(current - 1) * 2 + NEXT];
    }
    return previous;
  }

  /** Points whatever links to `from` (its predecessor or bucket) at `to`. */
  #relink(previous: number, hash: number, to: number): void {
    if (previous === NIL) this.#buckets[this.#bucketOf(hash)] = to;
    else this.#words[(previous - 1) * 2 + NEXT] = to;
  }

  /** Unlinks a live record from the index and marks it dead. */
  #remove(address: number, previous: number): void {
    const words = this.#words;
    const w = (address - 1) * 2;
    const keyLength = words[w + KEY_LENGTH];
    this.#relink(previous, words[w + HASH], words[w + NEXT]);
    words[w + KEY_LENGTH] = keyLength | DEAD;
    const size = recordSize(keyLength, words[w + VALUE_LENGTH]);
    this.#live[this.#slotOf(address)] -= size;
    this.#numbers[F_LIVE_BYTES] -= size;
    this.#state[C_ENTRIES]--;
  }

  // --- segments -------------------------------------------------------------

  /** The oldest segment in use, or -1. */
  #oldest(): number {
    return this.#state[C_ORDER_LENGTH] > 0 ? this.#order[0] : -1;
  }

  /** Where `slot` is in the age order, or -1. */
  #orderIndexOf(slot: number): number {
    const length = this.#state[C_ORDER_LENGTH];
    for (let i = 0; i < length; i++) if (this.#order[i] === slot) return i;
    return -1;
  }

  /** Removes `count` segments from the age order at position `start`. */
  #orderRemove(start: number, count: number): void {
    const length = this.#state[C_ORDER_LENGTH];
    this.#order.copyWithin(start, start + count, length);
    this.#state[C_ORDER_LENGTH] = length - count;
  }

  /** Makes a fresh segment the head, reclaiming space first if at the limit. */
  #openSegment(): number {
    const state = this.#state;
    let slot: number;
    if (state[C_FREE_LENGTH] > 0) slot = this.#free[--state[C_FREE_LENGTH]];
    else if (state[C_SEGMENTS] < this.#maxSegments) slot = this.#newSegment();
    else {
      // Only when writes outran the paced reclaim: finish it now.
      while (state[C_FREE_LENGTH] === 0) this.#reclaimStep(Infinity);
      slot = this.#free[--state[C_FREE_LENGTH]];
    }
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#order[state[C_ORDER_LENGTH]++] = slot;
    state[C_HEAD] = slot;
    return slot;
  }

  /** Hands out a segment never used, counting memory in chunk steps. */
  #newSegment(): number {
    const slot = this.#state[C_SEGMENTS]++;
    const perChunk = Math.max(
      1,
      Math.floor(SEGMENT_CHUNK_BYTES / this.#segmentBytes),
    );
    if (slot % perChunk === 0) {
      this.#numbers[F_ALLOCATED_BYTES] +=
        Math.min(perChunk, this.#maxSegments - slot) * this.#segmentBytes;
    }
    return slot;
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
    const segments = this.#state[C_SEGMENTS];
    const numbers = this.#numbers;
    if (segments === this.#maxSegments) return this.#startJob(true);
    if (
      segments < EARLY_COMPACTION_MIN_SEGMENTS ||
      numbers[F_LIVE_BYTES] >=
        EARLY_COMPACTION_LIVE_SHARE * segments * this.#segmentBytes ||
      numbers[F_WRITTEN_BYTES] < numbers[F_EARLY_COMPACTION_AT]
    ) return false;
    if (this.#startJob(false)) return true;
    // Nothing cheap to compact: grow, and look again a segment later.
    numbers[F_EARLY_COMPACTION_AT] = numbers[F_WRITTEN_BYTES] +
      this.#segmentBytes;
    return false;
  }

  /** Advances the reclaim job by `budget` bytes of records, starting one if none. */
  #reclaimStep(budget: number): void {
    if (this.#state[C_JOB_LENGTH] === 0) this.#startJob(true);
    const done = this.#state[C_JOB_EVICTS] === 1
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
    const state = this.#state;
    const order = this.#order;
    const candidates = state[C_ORDER_LENGTH] - 1; // never the head
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
    const evicts = bestStart < 0;
    const start = evicts ? 0 : bestStart;
    const length = evicts ? 1 : bestLength;
    state[C_JOB_EVICTS] = evicts ? 1 : 0;
    state[C_JOB_START] = start;
    state[C_JOB_LENGTH] = length;
    this.#job.set(order.subarray(start, start + length));
    state[C_JOB_SOURCE] = 0;
    state[C_JOB_OFFSET] = 0;
    state[C_JOB_TARGET] = 0;
    state[C_JOB_TARGET_OFFSET] = 0;
    if (!evicts) {
      for (let i = 0; i < length; i++) this.#rewriting[this.#job[i]] = 1;
    }
    return true;
  }

  /** Unlinks the live records of the oldest segment; true when all are gone. */
  #evictRecords(budget: number): boolean {
    const slot = this.#job[0];
    const base = slot * this.#segmentBytes;
    const words = this.#words;
    const end = this.#used[slot];
    const now = this.#clock.now();
    let offset = this.#state[C_JOB_OFFSET];
    while (offset < end && budget > 0) {
      const w = (base + offset) / 4;
      const keyLength = words[w + KEY_LENGTH];
      const size = recordSize(keyLength & ~DEAD, words[w + VALUE_LENGTH]);
      if (!(keyLength & DEAD)) {
        const address = this.#address(slot, offset);
        if (this.#isExpired(address, now)) this.#numbers[F_EXPIRED_BY_SWEEP]++;
        else this.#numbers[F_EVICTED]++;
        this.#remove(address, this.#findPrevious(address));
      }
      offset += size;
      budget -= size;
    }
    this.#state[C_JOB_OFFSET] = offset;
    return offset >= end;
  }

  /**
   * Copies the live records of the job's segments, in order, to the front of
   * those same segments, dropping expired ones; true when all are examined.
   * The copy never overtakes the reading, so it only overwrites records that
   * were already moved or dead.
   */
  #compactRecords(budget: number): boolean {
    const state = this.#state;
    const job = this.#job;
    const jobLength = state[C_JOB_LENGTH];
    const segmentBytes = this.#segmentBytes;
    const bytes = this.#bytes;
    const words = this.#words;
    const now = this.#clock.now();
    while (budget > 0 && state[C_JOB_SOURCE] < jobLength) {
      const slot = job[state[C_JOB_SOURCE]];
      const offset = state[C_JOB_OFFSET];
      if (offset >= this.#used[slot]) {
        state[C_JOB_SOURCE]++;
        state[C_JOB_OFFSET] = 0;
        continue;
      }
      const p = slot * segmentBytes + offset;
      const keyLength = words[p / 4 + KEY_LENGTH];
      const size = recordSize(keyLength & ~DEAD, words[p / 4 + VALUE_LENGTH]);
      state[C_JOB_OFFSET] = offset + size;
      budget -= size;
      if (keyLength & DEAD) continue;
      const address = p / 8 + 1;
      const previous = this.#findPrevious(address);
      if (this.#isExpired(address, now)) {
        this.#remove(address, previous);
        this.#numbers[F_EXPIRED_BY_SWEEP]++;
        continue;
      }
      // Read before copying: the copy may overlap this header.
      const hash = words[p / 4 + HASH];
      if (state[C_JOB_TARGET_OFFSET] + size > segmentBytes) {
        this.#used[job[state[C_JOB_TARGET]]] = state[C_JOB_TARGET_OFFSET];
        state[C_JOB_TARGET]++;
        state[C_JOB_TARGET_OFFSET] = 0;
      }
      const to = job[state[C_JOB_TARGET]];
      const toOffset = state[C_JOB_TARGET_OFFSET];
      const q = to * segmentBytes + toOffset;
      // copyWithin handles the overlap when the target is this segment.
      bytes.copyWithin(q, p, p + size);
      this.#relink(previous, hash, q / 8 + 1);
      this.#live[slot] -= size;
      this.#live[to] += size;
      state[C_JOB_TARGET_OFFSET] = toOffset + size;
    }
    return state[C_JOB_SOURCE] >= jobLength;
  }

  /** Frees what the finished job emptied and puts the sweep back on track. */
  #finishJob(): void {
    const state = this.#state;
    const job = this.#job;
    const jobLength = state[C_JOB_LENGTH];
    state[C_JOB_LENGTH] = 0;
    if (state[C_JOB_EVICTS] === 1) {
      const slot = this.#order[0];
      this.#orderRemove(0, 1);
      // A sweep pass on this segment continues on the next oldest.
      if (state[C_SWEEP_SEGMENT] === slot) this.#startSweepAt(this.#oldest());
      this.#releaseSegment(slot);
      return;
    }
    const target = state[C_JOB_TARGET];
    this.#used[job[target]] = state[C_JOB_TARGET_OFFSET];
    const kept = state[C_JOB_TARGET_OFFSET] === 0 ? target : target + 1;
    let sweepInJob = false;
    for (let i = 0; i < jobLength; i++) {
      const slot = job[i];
      this.#generation[slot]++;
      this.#rewriting[slot] = 0;
      if (slot === state[C_SWEEP_SEGMENT]) sweepInJob = true;
    }
    const start = state[C_JOB_START];
    this.#orderRemove(start + kept, jobLength - kept);
    for (let i = kept; i < jobLength; i++) this.#releaseSegment(job[i]);
    // A sweep pass inside the run goes over its rewritten records again.
    if (sweepInJob) this.#startSweepAt(this.#order[start]);
    this.#numbers[F_COMPACTIONS]++;
  }

  #releaseSegment(slot: number): void {
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#free[this.#state[C_FREE_LENGTH]++] = slot;
  }

  #startSweepAt(slot: number): void {
    this.#state[C_SWEEP_SEGMENT] = slot;
    this.#state[C_SWEEP_GENERATION] = slot >= 0 ? this.#generation[slot] : 0;
    this.#state[C_SWEEP_OFFSET] = 0;
  }
}
