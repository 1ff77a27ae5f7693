/**
 * The cache: a `Map` from key to entry with per-entry TTL, lazy expiry on
 * read, batched sweeping of expired entries and age-ordered eviction under a
 * byte budget.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { estimateEntryBytes } from "./size.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Counters and gauges describing a cache, as served by `GET /stats`. */
export interface CacheStats {
  /** Entries currently stored, including expired ones not yet removed. */
  entries: number;
  /** Running estimate of the memory the store holds, in bytes. */
  estimatedBytes: number;
  /** Byte budget above which the oldest entries are evicted. */
  maxBytes: number;
  /**
   * Bytes of the entries themselves; below `estimatedBytes` where the store
   * holds memory that is not yet reused (an index, overwritten records).
   */
  liveBytes: number;
  /** Reads that found a live entry. */
  hits: number;
  /** Reads that found nothing (including expired entries). */
  misses: number;
  /** Successful inserts and overwrites. */
  puts: number;
  /** Explicit deletes that removed a live entry. */
  deletes: number;
  /** Expired entries removed when a read or delete came across them. */
  expiredOnRead: number;
  /** Expired entries removed by the periodic sweep. */
  expiredBySweep: number;
  /** Entries removed to stay within the byte or entry budget. */
  evicted: number;
  /** Completed sweep passes over the whole store. */
  sweepsRun: number;
  /** Times the store rewrote part of its memory to reclaim space (0 if n/a). */
  compactions: number;
  /** Whole seconds since the cache was created. */
  uptimeSeconds: number;
}

/**
 * The event counters every store keeps, and the uptime clock; stores
 * increment the fields directly.
 */
export class CacheCounters {
  /** See {@linkcode CacheStats.hits}. */
  hits = 0;
  /** See {@linkcode CacheStats.misses}. */
  misses = 0;
  /** See {@linkcode CacheStats.puts}. */
  puts = 0;
  /** See {@linkcode CacheStats.deletes}. */
  deletes = 0;
  /** See {@linkcode CacheStats.expiredOnRead}. */
  expiredOnRead = 0;
  /** See {@linkcode CacheStats.expiredBySweep}. */
  expiredBySweep = 0;
  /** See {@linkcode CacheStats.evicted}. */
  evicted = 0;
  /** See {@linkcode CacheStats.sweepsRun}. */
  sweepsRun = 0;
  /** See {@linkcode CacheStats.compactions}. */
  compactions = 0;
  readonly #clock: Clock;
  readonly #createdAt: number;

  /** Starts counting, with uptime measured on `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
    this.#createdAt = clock.now();
  }

  /** Combines the counters with a store's own gauges into its stats. */
  stats(
    gauges: Pick<
      CacheStats,
      "entries" | "estimatedBytes" | "maxBytes" | "liveBytes"
    >,
  ): CacheStats {
    return {
      ...gauges,
      hits: this.hits,
      misses: this.misses,
      puts: this.puts,
      deletes: this.deletes,
      expiredOnRead: this.expiredOnRead,
      expiredBySweep: this.expiredBySweep,
      evicted: this.evicted,
      sweepsRun: this.sweepsRun,
      compactions: this.compactions,
      uptimeSeconds: Math.floor((this.#clock.now() - this.#createdAt) / 1000),
    };
  }
}

/** Outcome of one call to {@linkcode Cache.sweep}. */
export interface SweepResult {
  /** Expired entries removed by this call. */
  removed: number;
  /** True when this call finished a pass over the whole store. */
  done: boolean;
}

/**
 * A key and a value given as the UTF-8 bytes of their JSON string literals,
 * exactly as `JSON.stringify` writes them, at two ranges of one buffer (e.g.
 * a request body). Lets a store that keeps literals copy them as they are.
 */
export interface JsonLiterals {
  /** The buffer holding both literals. */
  bytes: Uint8Array;
  /** Where the key's literal starts (its opening quote) and ends (exclusive). */
  keyStart: number;
  /** See `keyStart`. */
  keyEnd: number;
  /** Where the value's literal starts (its opening quote) and ends (exclusive). */
  valueStart: number;
  /** See `valueStart`. */
  valueEnd: number;
}

/**
 * Receives one live entry of an {@linkcode EntryWalk}: its key and value as
 * JSON string literals (valid only during the call) and its absolute expiry
 * in ms since the epoch (0: never).
 */
export type EntryVisitor = (literals: JsonLiterals, expiresAt: number) => void;

/**
 * A walk over a cache's live entries, oldest first, in bounded steps so that
 * the caller can give the event loop back between them (snapshots).
 */
export interface EntryWalk {
  /**
   * Reports the next batch of live entries to `visit`, oldest first; returns
   * false once every entry has been reported. Entries written between steps
   * may or may not be reported; one moved by the store between steps may be
   * reported twice (the later report is the current one).
   */
  step(visit: EntryVisitor): boolean;
}

/**
 * What the HTTP layer and the sweeper need from a cache. Any store that keeps
 * these semantics can replace {@linkcode MapCache} without touching routes.
 */
export interface Cache {
  /** Returns the live value for `key`, or `undefined` if absent or expired. */
  get(key: string): string | undefined;
  /**
   * Like {@linkcode Cache.get}, but returns the value as its JSON string
   * literal (quotes and escapes included), ready to put in a response.
   */
  getJson(key: string): string | undefined;
  /**
   * Inserts or overwrites `key`. The entry becomes the newest one and expires
   * after `ttlSeconds` (the cache's default when omitted; 0 never expires).
   */
  set(key: string, value: string, ttlSeconds?: number): void;
  /**
   * Like {@linkcode Cache.set}, with the key and value given as their JSON
   * string literals. The caller guarantees they are what `JSON.stringify`
   * writes (`scanJsonString` checks that) and within the size limits.
   */
  setJson(literals: JsonLiterals, ttlSeconds?: number): void;
  /** Removes `key`; returns whether a live entry was removed. */
  delete(key: string): boolean;
  /**
   * Examines at most `maxEntries` entries, continuing the current pass over
   * the store, and removes the expired ones.
   */
  sweep(maxEntries: number): SweepResult;
  /** Returns a snapshot of the cache's counters. */
  stats(): CacheStats;
  /** Starts a walk over the live entries, oldest first (for snapshots). */
  walk(): EntryWalk;
  /**
   * Stores an entry as the newest one with an absolute expiry (ms since the
   * epoch; 0: never), as a snapshot recorded it. The literals are as for
   * {@linkcode Cache.setJson}.
   */
  restore(literals: JsonLiterals, expiresAt: number): void;
}

/** Options for {@linkcode MapCache}. */
export interface MapCacheOptions {
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

/** Largest TTL accepted, in seconds (about 68 years). */
export const MAX_TTL_SECONDS = 2_147_483_647;

class Entry {
  constructor(public value: string, public expiresAt: number) {}
}

function parseLiterals(literals: JsonLiterals): [string, string] {
  const { bytes } = literals;
  return [
    JSON.parse(decoder.decode(
      bytes.subarray(literals.keyStart, literals.keyEnd),
    )),
    JSON.parse(decoder.decode(
      bytes.subarray(literals.valueStart, literals.valueEnd),
    )),
  ];
}

/** Entries a {@linkcode MapWalk} step reports at most. */
const MAP_WALK_BATCH = 1024;

/**
 * A walk over a `Map` in insertion (age) order. A `Map` iterator survives
 * changes: deleted entries are skipped, new and overwritten ones (moved to
 * the end) are reached later.
 */
class MapWalk implements EntryWalk {
  #scratch = new Uint8Array(4096);
  readonly #literals: JsonLiterals = {
    bytes: this.#scratch,
    keyStart: 0,
    keyEnd: 0,
    valueStart: 0,
    valueEnd: 0,
  };

  constructor(
    readonly entries: Iterator<[string, Entry]>,
    readonly clock: Clock,
  ) {}

  step(visit: EntryVisitor): boolean {
    const now = this.clock.now();
    for (let i = 0; i < MAP_WALK_BATCH; i++) {
      const next = this.entries.next();
      if (next.done) return false;
      const [key, entry] = next.value;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) continue;
      const keyJson = JSON.stringify(key);
      const valueJson = JSON.stringify(entry.value);
      const room = 3 * (keyJson.length + valueJson.length);
      if (this.#scratch.length < room) this.#scratch = new Uint8Array(room);
      const literals = this.#literals;
      literals.bytes = this.#scratch;
      literals.keyEnd = encoder.encodeInto(keyJson, this.#scratch).written;
      literals.valueStart = literals.keyEnd;
      literals.valueEnd = literals.keyEnd + encoder.encodeInto(
        valueJson,
        this.#scratch.subarray(literals.keyEnd),
      ).written;
      visit(literals, entry.expiresAt);
    }
    return true;
  }
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
    const ttlMs = ttlSeconds === undefined
      ? this.#defaultTtlMs
      : ttlSeconds * 1000;
    this.#put(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs);
  }

  /** {@inheritDoc Cache.restore} */
  restore(literals: JsonLiterals, expiresAt: number): void {
    const [key, value] = parseLiterals(literals);
    this.#put(key, value, expiresAt);
  }

  /** {@inheritDoc Cache.walk} */
  walk(): EntryWalk {
    return new MapWalk(this.#map.entries(), this.#clock);
  }

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
    const [key, value] = parseLiterals(literals);
    this.set(key, value, ttlSeconds);
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
