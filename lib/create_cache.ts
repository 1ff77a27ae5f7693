/**
 * Builds the store the configuration asks for. Every entry point (the
 * server, the edge handler, the test app, the benchmarks) builds its store
 * here, so that a store is always built with the same limits as the HTTP
 * layer that feeds it.
 *
 * @module
 */

import { ArenaCache } from "./arena_cache.ts";
import type { Cache } from "./cache.ts";
import type { Clock } from "./clock.ts";
import type { CacheStore } from "./config.ts";
import { MapCache } from "./map_cache.ts";

/** The settings a store is built from: a subset of `Config`. */
export interface CacheSettings {
  /** Which store: off-heap `arena` or `map`. */
  cacheStore: CacheStore;
  /** Memory budget in bytes. */
  maxCacheBytes: number;
  /** TTL of entries written without one; 0 = never. */
  defaultTtlSeconds: number;
  /** Longest key, in code points. */
  maxKeySize: number;
  /** Longest value, in code points. */
  maxValueSize: number;
}

/** Creates an empty store of the kind and size `settings` give. */
export function createCache(settings: CacheSettings, clock?: Clock): Cache {
  const limits = {
    defaultTtlSeconds: settings.defaultTtlSeconds,
    maxKeySize: settings.maxKeySize,
    maxValueSize: settings.maxValueSize,
    clock,
  };
  return settings.cacheStore === "arena"
    ? new ArenaCache({ ...limits, maxBytes: settings.maxCacheBytes })
    : new MapCache({ ...limits, maxBytes: settings.maxCacheBytes });
}
