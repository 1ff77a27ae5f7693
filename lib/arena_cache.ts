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
 * The class keeps the public operations, the lock and the record writes;
 * the rest lives in `lib/arena/`: the record format (`records.ts`), the
 * linear-hashing index (`hash_index.ts`: find, link, split, the order SCAN
 * follows), the segments as a log (`segment_log.ts`: appending, age order,
 * the reclaim job, the sweep) and the memory they all live in
 * (`layout.ts`).
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
  C_LOCK,
  controlViews,
  createArenaLayout,
  F_ALLOCATED_BYTES,
  F_COMPACTIONS,
  F_CREATED_AT,
  F_DELETES,
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
  RECORD_HEADER_BYTES,
} from "./arena/layout.ts";
import { SharedLock } from "./arena/lock.ts";
import { HashIndex } from "./arena/hash_index.ts";
import {
  EXPIRES_AT,
  HASH,
  KEY_LENGTH,
  NIL,
  recordSize,
  VALUE_LENGTH,
} from "./arena/records.ts";
import { SegmentLog } from "./arena/segment_log.ts";

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

/** Buckets {@linkcode ArenaCache.randomKey} looks at before giving up. */
export const RANDOM_KEY_BUCKETS = 4096;

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
  /** Every segment, as bytes, 32-bit words and doubles. */
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #doubles: Float64Array;
  /** The linear-hashing index (`lib/arena/hash_index.ts`). */
  readonly #index: HashIndex;
  /** The segments, as a log (`lib/arena/segment_log.ts`). */
  readonly #log: SegmentLog;
  #scratch = new Uint8Array(1024);
  /** Key literals of a scan batch as a JSON array; starts with "[". */
  #listing = new Uint8Array(4096).fill(OPEN_BRACKET, 0, 1);
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
    this.#bytes = new Uint8Array(layout.segments);
    this.#words = new Uint32Array(layout.segments);
    this.#doubles = new Float64Array(layout.segments);
    this.#index = new HashIndex({
      state: this.#state,
      buckets: new Uint32Array(layout.buckets),
      words: this.#words,
      bytes: this.#bytes,
    });
    this.#log = new SegmentLog(
      layout,
      {
        state: this.#state,
        numbers: this.#numbers,
        bytes: this.#bytes,
        words: this.#words,
        doubles: this.#doubles,
      },
      this.#index,
      this.#clock,
    );
    this.#lock = layout.shared
      ? new SharedLock(this.#state, C_LOCK)
      : undefined;
    this.#lock?.acquire();
    if (this.#index.initialize()) {
      this.#log.initialize();
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
      const slot = this.#log.headWithRoom(room);
      const start = this.#log.endOf(slot);
      const end = (slot + 1) * this.#segmentBytes;
      const keyStart = start + RECORD_HEADER_BYTES;
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
        start,
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

  /** One step of a walk, under the lock (`SegmentLog.walkStep`). */
  #walkStep(
    reported: Int32Array,
    literals: JsonLiterals,
    visit: EntryVisitor,
  ): boolean {
    this.#enterBatch();
    try {
      return this.#log.walkStep(reported, literals, visit);
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
      const slot = this.#log.headWithRoom(recordSize(keyLength, valueLength));
      const start = this.#log.endOf(slot);
      const keyStart = start + RECORD_HEADER_BYTES;
      // A native copy through a view: five times a loop for 300 bytes.
      this.#bytes.set(bytes.subarray(from, literals.keyEnd), keyStart);
      this.#bytes.set(
        bytes.subarray(valueStart, literals.valueEnd),
        keyStart + keyLength,
      );
      this.#link(
        slot,
        start,
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
      const expired = this.#log.isExpired(address, this.#clock.now());
      this.#log.remove(address, this.#index.foundPrevious);
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
      if (this.#log.isExpired(address, now)) {
        this.#log.remove(address, this.#index.foundPrevious);
        this.#numbers[F_EXPIRED_ON_READ]++;
        return false;
      }
      if (expiresAt !== 0 && expiresAt <= now) {
        // An expiry in the past deletes the key, as in Redis.
        this.#log.remove(address, this.#index.foundPrevious);
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
      const index = this.#index;
      const inUse = index.bucketsInUse();
      if (!(Number.isInteger(cursor) && cursor >= 0 && cursor < inUse)) {
        return { cursor: 0, keys: [] };
      }
      const now = this.#clock.now();
      let examined = 0;
      let bucket = cursor;
      while (bucket < inUse && examined < count) {
        let address = index.head(bucket++);
        while (address !== NIL) {
          examined++;
          if (!this.#log.isExpired(address, now)) {
            listed = this.#listKey(address, listed);
          }
          address = index.next(address);
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
      if (this.#state[C_ENTRIES] === 0) return undefined;
      const index = this.#index;
      const inUse = index.bucketsInUse();
      const start = Math.floor(Math.random() * inUse);
      const now = this.#clock.now();
      const tries = Math.min(inUse, RANDOM_KEY_BUCKETS);
      for (let i = 0; i < tries; i++) {
        let address = index.head((start + i) % inUse);
        while (address !== NIL) {
          if (!this.#log.isExpired(address, now)) return this.#keyAt(address);
          address = index.next(address);
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
      this.#log.clear();
      this.#index.reset();
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
      return this.#log.sweep(maxEntries);
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
        estimatedBytes: 4 * this.#index.bucketsInUse() +
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
   * scan, a sweep, a walk for a snapshot): if the last release woke a
   * waiter, that waiter gets the lock first.
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

  /** The absolute expiry of an entry written now with `ttlSeconds`. */
  #expiry(ttlSeconds: number | undefined): number {
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    return ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
  }

  /**
   * Completes a record just written at byte `start` of segment `slot`:
   * links it into the index in place of the key's previous record, sets its
   * header and expiry, and counts it in the log (which may reclaim space).
   */
  #link(
    slot: number,
    start: number,
    keyLength: number,
    valueLength: number,
    expiresAt: number,
  ): void {
    const index = this.#index;
    const keyStart = start + RECORD_HEADER_BYTES;
    const hash = hashBytes(this.#bytes, keyStart, keyLength);
    const old = index.find(hash, this.#bytes, keyStart, keyLength);
    if (old !== NIL) this.#log.remove(old, index.foundPrevious);
    const words = start / 4;
    this.#words[words + HASH] = hash;
    this.#words[words + KEY_LENGTH] = keyLength;
    this.#words[words + VALUE_LENGTH] = valueLength;
    this.#doubles[start / 8 + EXPIRES_AT] = expiresAt;
    index.insert(start / 8 + 1, hash);
    this.#numbers[F_PUTS]++;
    this.#log.appended(slot, recordSize(keyLength, valueLength));
  }

  /** Encodes `key` into the scratch buffer; returns the index entry for it. */
  #findKey(key: string): number {
    const room = jsonStringRoom(key.length);
    if (this.#scratch.length < room) this.#scratch = new Uint8Array(room);
    const length = writeJsonString(key, this.#scratch, 0);
    return this.#index.find(
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
    if (this.#log.isExpired(address, this.#clock.now())) {
      this.#log.remove(address, this.#index.foundPrevious);
      this.#numbers[F_EXPIRED_ON_READ]++;
      this.#numbers[F_MISSES]++;
      return NIL;
    }
    this.#numbers[F_HITS]++;
    return address;
  }
}
