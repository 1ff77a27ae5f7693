/**
 * The `Map` store: one `Map` from key to entry, whose insertion order is the
 * age order used for eviction, with entries sized by estimate.
 *
 * @module
 */

import {
  type Cache,
  CacheCounters,
  type CacheStats,
  type EntryWalk,
  type JsonLiterals,
  type SweepResult,
} from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import { checkEntry, type EntryLimits } from "./entry_limits.ts";
import { MapWalk } from "./map_walk.ts";
import { estimateEntryBytes } from "./size.ts";

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
 */
export class MapCache implements Cache {
  readonly #map = new Map<string, Entry>();
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
    return entry.value;
  }

  /** {@inheritDoc Cache.getJson} */
  getJson(key: string): string | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : JSON.stringify(value);
  }

  /** {@inheritDoc Cache.set} */
  set(key: string, value: string, ttlSeconds?: number): void {
    checkEntry(key, value, ttlSeconds, this.#limits);
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    this.#put(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs);
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
