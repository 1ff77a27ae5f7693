/**
 * What every store is: the {@linkcode Cache} interface (per-entry TTL, lazy
 * expiry on read, batched sweeping of expired entries, age-ordered eviction
 * under a byte budget), its statistics and the counters behind them. The
 * stores are `MapCache` (`map_cache.ts`) and `ArenaCache` (`arena_cache.ts`);
 * `createCache` (`create_cache.ts`) builds the configured one.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

export { MAX_TTL_SECONDS } from "./entry_limits.ts";

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

/** A live entry as {@linkcode Cache.entry} reads it. */
export interface CacheEntry {
  /** The value. */
  value: string;
  /** Absolute expiry in ms since the epoch on the cache's clock; 0: never. */
  expiresAt: number;
}

/** One batch of a {@linkcode Cache.scan}. */
export interface ScanBatch {
  /** Where the next batch starts; 0 once the iteration is complete. */
  cursor: number;
  /** Live keys of this batch (possibly none, even if `cursor` is not 0). */
  keys: string[];
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
   * Like {@linkcode Cache.get}, but hands the value's UTF-8 bytes (a lone
   * surrogate as U+FFFD, as `TextEncoder` writes it) to `use` and returns
   * what it returns, or undefined when the key is absent: for answers that
   * carry bytes (the Redis API's base64) without building the string. The
   * bytes are a view of the store's scratch buffer, valid only during the
   * call; `use` must not call the store. (No fresh array: Deno takes 1-3 us
   * to make one.)
   */
  readUtf8<T>(key: string, use: (bytes: Uint8Array) => T): T | undefined;
  /**
   * Inserts or overwrites `key`. The entry becomes the newest one and expires
   * after `ttlSeconds` (the cache's default when omitted; 0 never expires).
   */
  set(key: string, value: string, ttlSeconds?: number): void;
  /**
   * Like {@linkcode Cache.set}, with the key and value given as their JSON
   * string literals. The caller guarantees they are what `JSON.stringify`
   * writes (`readJsonString` rewrites them so) and within the size limits.
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
   * {@linkcode Cache.setJson}, and within the store's limits.
   */
  restore(literals: JsonLiterals, expiresAt: number): void;

  // --- what the Redis commands need -----------------------------------------

  /** The time on the cache's clock, in ms since the epoch. */
  now(): number;
  /**
   * Returns the live entry for `key` (value and absolute expiry), or
   * `undefined` if absent or expired; counts a hit or a miss as `get` does.
   */
  entry(key: string): CacheEntry | undefined;
  /**
   * Inserts or overwrites `key` as the newest entry, expiring at `expiresAt`
   * (ms since the epoch on the cache's clock; 0: never).
   *
   * @throws {RangeError} if the key or value is outside the store's limits;
   * the store is then unchanged.
   */
  setEntry(key: string, value: string, expiresAt: number): void;
  /**
   * Changes the expiry of the live entry `key` to `expiresAt` (0: never)
   * without rewriting it or changing its age; returns false (and changes
   * nothing) if there is no live entry. An `expiresAt` in the past removes it.
   */
  setExpiry(key: string, expiresAt: number): boolean;
  /**
   * Runs `fn` as one critical section of the store: no other isolate's
   * operation on a shared store interleaves with the calls `fn` makes on this
   * cache. `fn` must not await and must be bounded (it holds the lock); calls
   * may nest. Returns what `fn` returns; an exception leaves whatever `fn`
   * already changed.
   */
  atomically<T>(fn: () => T): T;
  /**
   * One bounded batch of an iteration over the live keys: pass 0 to start and
   * then each returned cursor until it is 0 again. Reports at least the keys
   * present for the whole iteration (a key may be reported twice), and looks
   * at about `count` keys per call. An unknown cursor is treated as complete.
   */
  scan(cursor: number, count: number): ScanBatch;
  /** A live key picked at random, or `undefined` if none is found. */
  randomKey(): string | undefined;
  /** Removes every entry, in time bounded by the store's size in segments. */
  clear(): void;
}
