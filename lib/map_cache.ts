/**
 * The `Map` store: one `Map` from key to entry, whose insertion order is the
 * age order used for eviction, with entries sized by estimate.
 *
 * @module
 */

import {
  type Cache,
  CacheCounters,
  type CacheEntry,
  type CacheStats,
  type EntryWalk,
  type JsonLiterals,
  type ScanBatch,
  type SweepResult,
} from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  checkEntry,
  checkExpiresAt,
  type EntryLimits,
} from "./entry_limits.ts";
import { MapScans, MapWalk } from "./map_walk.ts";
import { estimateEntryBytes } from "./size.ts";

const encoder = new TextEncoder();

export { MAX_OPEN_SCANS } from "./map_walk.ts";

const decoder = new TextDecoder();

/** Options for {@linkcode MapCache}. */
export interface MapCacheOptions extends Partial<EntryLimits> {
  /** Evict the oldest entries once the estimated bytes exceed this. */
  maxBytes: number;
  /** TTL of entries written without one; 0 means they never expire. */
  defaultTtlSeconds: number;
  /** Time source for expiry; defaults to the system clock. */
  clock?: Clock;
  /**
   * Evict the oldest entries once there are more than this many. Defaults to
   * {@linkcode MAP_SAFE_ENTRIES}, below which a `Map` never throws.
   */
  maxEntries?: number;
  /**
   * Eviction continues until both bytes and entries are at or below this
   * fraction of their limits. Defaults to {@linkcode LOW_WATER_RATIO}.
   */
  lowWaterRatio?: number;
}

/** Key and value limits of a `MapCache` built without them: 256 each. */
export const DEFAULT_ENTRY_LIMITS: EntryLimits = {
  maxKeySize: 256,
  maxValueSize: 256,
};

/**
 * The most entries a V8 `Map` can hold under churn without a `RangeError`:
 * its table tops out at 2^24 slots, and a table that is full of deleted slots
 * is compacted in place rather than grown only while at most half are live.
 */
export const MAP_SAFE_ENTRIES = 2 ** 23 - 1;

/** Default fraction of the limits that an eviction episode brings usage down to. */
export const LOW_WATER_RATIO = 0.9;

/**
 * Entries evicted per write, beyond those needed to get back under the limit,
 * while an eviction episode works its way down to the low-water mark. Spreads
 * the work of an episode over many writes so none of them stalls.
 */
export const EVICTIONS_PER_WRITE = 64;

/**
 * Entries {@linkcode MapCache.randomKey} passes over at most per call: a
 * random number of live entries below half of it, then the first live one.
 */
export const RANDOM_KEY_EXAMINED = 64;

/**
 * An iterator the store keeps across calls (an open scan, the random-key
 * cursor) is released once this many inserts and removals per entry (and at
 * least {@linkcode IDLE_MUTATIONS_FLOOR}) went by without it taking a step:
 * an idle `Map` iterator keeps alive every table the `Map` was rehashed into
 * since, so releasing bounds that to a few tables.
 */
export const IDLE_MUTATIONS_PER_ENTRY = 2;

/** See {@linkcode IDLE_MUTATIONS_PER_ENTRY}. */
export const IDLE_MUTATIONS_FLOOR = 4096;

class Entry {
  constructor(public value: string, public expiresAt: number) {}
}

/**
 * A cache backed by one `Map`, whose insertion order is the age order used for
 * eviction: an overwrite deletes and re-inserts the key so that it becomes the
 * newest entry.
 *
 * Eviction keeps one iterator over the `Map` for the whole of an eviction
 * episode (from crossing a limit until back at the low-water mark). A fresh
 * iterator per eviction would rescan the deleted slots at the front of the
 * table every time; one iterator passes each slot once, so each eviction costs
 * O(1) amortised.
 *
 * Scans keep a live `Map` iterator per open scan (see `MapScans`), and
 * {@linkcode MapCache.randomKey} one rotating iterator; iterators idle for
 * {@linkcode IDLE_MUTATIONS_PER_ENTRY} mutations per entry are released.
 */
export class MapCache implements Cache {
  readonly #map = new Map<string, Entry>();
  /** Scratch for {@linkcode MapCache.readUtf8}: the UTF-8 of one value. */
  #utf8 = new Uint8Array(1024);
  readonly #scans = new MapScans(() => this.#map.entries());
  readonly #clock: Clock;
  readonly #counters: CacheCounters;
  readonly #defaultTtlMs: number;
  readonly #limits: EntryLimits;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #lowWaterBytes: number;
  readonly #lowWaterEntries: number;
  #bytes = 0;
  #evictionCursor: Iterator<[string, Entry]> | null = null;
  #sweepCursor: Iterator<[string, Entry]> | null = null;
  #randomCursor: Iterator<[string, Entry]> | null = null;
  /** Mutation count when `#randomCursor` last moved. */
  #randomUsedAt = 0;
  /** Inserts and removals so far: the clock idle iterators are judged by. */
  #mutations = 0;
  /** Mutation count at which idle iterators are next looked for. */
  #idleCheckAt = IDLE_MUTATIONS_FLOOR;

  /** Creates an empty cache. */
  constructor(options: MapCacheOptions) {
    const ratio = options.lowWaterRatio ?? LOW_WATER_RATIO;
    if (!(ratio > 0 && ratio <= 1)) {
      throw new RangeError(`Low-water ratio ${ratio} is not in (0, 1]`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#counters = new CacheCounters(this.#clock);
    this.#defaultTtlMs = options.defaultTtlSeconds * 1000;
    this.#limits = {
      maxKeySize: options.maxKeySize ?? DEFAULT_ENTRY_LIMITS.maxKeySize,
      maxValueSize: options.maxValueSize ?? DEFAULT_ENTRY_LIMITS.maxValueSize,
    };
    this.#maxBytes = options.maxBytes;
    this.#maxEntries = Math.min(
      options.maxEntries ?? MAP_SAFE_ENTRIES,
      MAP_SAFE_ENTRIES,
    );
    this.#lowWaterBytes = Math.floor(this.#maxBytes * ratio);
    this.#lowWaterEntries = Math.floor(this.#maxEntries * ratio);
  }

  /** {@inheritDoc Cache.get} */
  get(key: string): string | undefined {
    return this.#read(key)?.value;
  }

  /** {@inheritDoc Cache.entry} */
  entry(key: string): CacheEntry | undefined {
    const entry = this.#read(key);
    return entry === undefined
      ? undefined
      : { value: entry.value, expiresAt: entry.expiresAt };
  }

  /**
   * The live entry for `key`, counting a hit or a miss and removing it if
   * expired.
   */
  #read(key: string): Entry | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.#counters.misses++;
      return undefined;
    }
    if (this.#isExpired(entry, this.#clock.now())) {
      this.#remove(key, entry);
      this.#counters.expiredOnRead++;
      this.#counters.misses++;
      return undefined;
    }
    this.#counters.hits++;
    return entry;
  }

  /** {@inheritDoc Cache.getJson} */
  getJson(key: string): string | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : JSON.stringify(value);
  }

  /** {@inheritDoc Cache.readUtf8} */
  readUtf8<T>(key: string, use: (bytes: Uint8Array) => T): T | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    // At most 3 bytes per UTF-16 unit.
    if (this.#utf8.length < 3 * value.length) {
      this.#utf8 = new Uint8Array(2 * 3 * value.length);
    }
    const { written } = encoder.encodeInto(value, this.#utf8);
    return use(this.#utf8.subarray(0, written));
  }

  /** {@inheritDoc Cache.set} */
  set(key: string, value: string, ttlSeconds?: number): void {
    checkEntry(key, value, ttlSeconds, this.#limits);
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    this.#put(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs);
  }

  /**
   * {@inheritDoc Cache.setEntry} An `expiresAt` already past is stored as
   * given and reads as absent.
   *
   * @throws {RangeError} also if `expiresAt` is not 0 or a whole number of ms.
   */
  setEntry(key: string, value: string, expiresAt: number): void {
    checkEntry(key, value, undefined, this.#limits);
    checkExpiresAt(expiresAt);
    this.#put(key, value, expiresAt);
  }

  /**
   * {@inheritDoc Cache.setExpiry} A removal by a past `expiresAt` counts as
   * a delete, as Redis treats `EXPIRE` with a past time as `DEL`.
   *
   * @throws {RangeError} if `expiresAt` is not 0 or a whole number of ms.
   */
  setExpiry(key: string, expiresAt: number): boolean {
    checkExpiresAt(expiresAt);
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    const now = this.#clock.now();
    if (this.#isExpired(entry, now)) {
      this.#remove(key, entry);
      this.#counters.expiredOnRead++;
      return false;
    }
    if (expiresAt !== 0 && expiresAt <= now) {
      this.#remove(key, entry);
      this.#counters.deletes++;
      return true;
    }
    entry.expiresAt = expiresAt;
    return true;
  }

  /** {@inheritDoc Cache.now} */
  now(): number {
    return this.#clock.now();
  }

  /**
   * {@inheritDoc Cache.atomically} A `MapCache` lives in one isolate, so this
   * just calls `fn`.
   */
  atomically<T>(fn: () => T): T {
    return fn();
  }

  /**
   * {@inheritDoc Cache.scan} Cursors are random ids of live `Map` iterators
   * (see `MapScans`); at most {@linkcode MAX_OPEN_SCANS} scans stay open,
   * and starting one more forgets the least recently continued one, whose
   * cursor then reads as complete.
   */
  scan(cursor: number, count: number): ScanBatch {
    return this.#scans.step(
      cursor,
      count,
      this.#clock.now(),
      this.#mutations,
    );
  }

  /**
   * {@inheritDoc Cache.randomKey} Not uniform: a cursor goes round the store
   * in age order, each call skipping a random 0 to 31 live entries and
   * answering the next live one, so over a round every key is about equally
   * likely but successive answers are close in age. Examines at most
   * {@linkcode RANDOM_KEY_EXAMINED} entries, removing the expired ones it
   * passes (counted in `expiredOnRead`), so it can miss live keys behind
   * many expired ones.
   */
  randomKey(): string | undefined {
    const map = this.#map;
    const now = this.#clock.now();
    let skip = Math.floor(Math.random() * (RANDOM_KEY_EXAMINED / 2));
    if (skip >= map.size) skip %= Math.max(1, map.size);
    let cursor = this.#randomCursor ??= map.entries();
    for (let examined = 0; examined < RANDOM_KEY_EXAMINED; examined++) {
      if (map.size === 0) break;
      let next = cursor.next();
      if (next.done) {
        cursor = this.#randomCursor = map.entries();
        next = cursor.next();
        if (next.done) break;
      }
      const [key, entry] = next.value;
      if (this.#isExpired(entry, now)) {
        this.#remove(key, entry);
        this.#counters.expiredOnRead++;
      } else if (skip-- === 0) {
        this.#randomUsedAt = this.#mutations;
        return key;
      }
    }
    this.#randomUsedAt = this.#mutations;
    return undefined;
  }

  /**
   * {@inheritDoc Cache.clear} Counters (hits, puts...) are kept; open scans
   * are forgotten (their cursors read as complete).
   */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
    this.#evictionCursor = null;
    this.#sweepCursor = null;
    this.#randomCursor = null;
    this.#scans.clear();
  }

  /** {@inheritDoc Cache.restore} */
  restore(literals: JsonLiterals, expiresAt: number): void {
    const { bytes } = literals;
    this.#put(
      JSON.parse(decoder.decode(
        bytes.subarray(literals.keyStart, literals.keyEnd),
      )),
      JSON.parse(decoder.decode(
        bytes.subarray(literals.valueStart, literals.valueEnd),
      )),
      expiresAt,
    );
  }

  /** {@inheritDoc Cache.walk} */
  walk(): EntryWalk {
    return new MapWalk(this.#map.entries(), this.#clock);
  }

  /** Inserts or overwrites `key` as the newest entry, expiring at `expiresAt`. */
  #put(key: string, value: string, expiresAt: number): void {
    const map = this.#map;
    let entry = map.get(key);
    if (entry === undefined) {
      entry = new Entry(value, expiresAt);
    } else {
      this.#bytes -= estimateEntryBytes(key, entry.value);
      map.delete(key);
      entry.value = value;
      entry.expiresAt = expiresAt;
    }
    map.set(key, entry);
    this.#bytes += estimateEntryBytes(key, value);
    this.#counters.puts++;
    if (++this.#mutations >= this.#idleCheckAt) this.#releaseIdle();
    if (this.#evictionCursor !== null || this.#isOverLimit()) this.#evict();
  }

  /** {@inheritDoc Cache.setJson} */
  setJson(literals: JsonLiterals, ttlSeconds?: number): void {
    const { bytes } = literals;
    this.set(
      JSON.parse(decoder.decode(
        bytes.subarray(literals.keyStart, literals.keyEnd),
      )),
      JSON.parse(decoder.decode(
        bytes.subarray(literals.valueStart, literals.valueEnd),
      )),
      ttlSeconds,
    );
  }

  /** {@inheritDoc Cache.delete} */
  delete(key: string): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    if (this.#isExpired(entry, this.#clock.now())) {
      this.#counters.expiredOnRead++;
      return false;
    }
    this.#counters.deletes++;
    return true;
  }

  /** {@inheritDoc Cache.sweep} */
  sweep(maxEntries: number): SweepResult {
    const cursor = this.#sweepCursor ??= this.#map.entries();
    const now = this.#clock.now();
    let removed = 0;
    for (let examined = 0; examined < maxEntries; examined++) {
      const next = cursor.next();
      if (next.done) {
        this.#sweepCursor = null;
        this.#counters.sweepsRun++;
        this.#counters.expiredBySweep += removed;
        return { removed, done: true };
      }
      const [key, entry] = next.value;
      if (this.#isExpired(entry, now)) {
        this.#remove(key, entry);
        removed++;
      }
    }
    this.#counters.expiredBySweep += removed;
    return { removed, done: false };
  }

  /** {@inheritDoc Cache.stats} */
  stats(): CacheStats {
    return this.#counters.stats({
      entries: this.#map.size,
      estimatedBytes: this.#bytes,
      maxBytes: this.#maxBytes,
      liveBytes: this.#bytes,
    });
  }

  #isExpired(entry: Entry, now: number): boolean {
    return entry.expiresAt !== 0 && entry.expiresAt <= now;
  }

  #isOverLimit(): boolean {
    return this.#bytes > this.#maxBytes || this.#map.size > this.#maxEntries;
  }

  #isAboveLowWater(): boolean {
    return this.#bytes > this.#lowWaterBytes ||
      this.#map.size > this.#lowWaterEntries;
  }

  #remove(key: string, entry: Entry): void {
    this.#map.delete(key);
    this.#bytes -= estimateEntryBytes(key, entry.value);
    this.#mutations++;
  }

  /**
   * Releases the iterators kept across calls that have been idle for long
   * enough to pin old tables (see {@linkcode IDLE_MUTATIONS_PER_ENTRY}); runs
   * every quarter of that many mutations, so each costs O(1) amortised.
   */
  #releaseIdle(): void {
    const idle = Math.max(
      IDLE_MUTATIONS_FLOOR,
      IDLE_MUTATIONS_PER_ENTRY * this.#map.size,
    );
    const mutations = this.#mutations;
    this.#scans.release(mutations, idle);
    if (mutations - this.#randomUsedAt >= idle) this.#randomCursor = null;
    this.#idleCheckAt = mutations + idle / 4;
  }

  /**
   * One step of an eviction episode: gets back under the limits at once, then
   * evicts up to {@linkcode EVICTIONS_PER_WRITE} more oldest entries towards
   * the low-water mark, where the episode ends.
   */
  #evict(): void {
    const cursor = this.#evictionCursor ??= this.#map.entries();
    let extra = EVICTIONS_PER_WRITE;
    while (this.#isAboveLowWater()) {
      if (!this.#isOverLimit() && extra-- === 0) return;
      const next = cursor.next();
      if (next.done) break;
      const [key, entry] = next.value;
      this.#remove(key, entry);
      this.#counters.evicted++;
    }
    this.#evictionCursor = null;
  }
}
