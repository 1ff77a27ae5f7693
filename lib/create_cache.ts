/**
 * Builds the store the configuration asks for. Every entry point (the
 * server, its workers, the edge handler, the test app, the benchmarks) builds
 * or opens its store here, so that a store is always built with the same limits as the HTTP
 * layer that feeds it.
 *
 * @module
 */

import {
  ArenaCache,
  type ArenaLayout,
  createArenaLayout,
} from "./arena_cache.ts";
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
  const options = storeOptions(settings, clock);
  return settings.cacheStore === "arena"
    ? new ArenaCache(options)
    : new MapCache(options);
}

/**
 * Creates an empty arena store in shared memory, for several isolates: this
 * isolate's handle on it, and the layout to send to the others (see
 * {@linkcode attachSharedCache}).
 */
export function createSharedCache(
  settings: Omit<CacheSettings, "cacheStore">,
): { cache: ArenaCache; layout: ArenaLayout } {
  const layout = createArenaLayout(storeOptions(settings), true);
  return { cache: attachSharedCache(settings, layout), layout };
}

/**
 * Opens, in this isolate, the shared store whose `layout` another isolate
 * created with the same `settings`.
 */
export function attachSharedCache(
  settings: Omit<CacheSettings, "cacheStore">,
  layout: ArenaLayout,
): ArenaCache {
  return new ArenaCache(storeOptions(settings), layout);
}

function storeOptions(
  settings: Omit<CacheSettings, "cacheStore">,
  clock?: Clock,
) {
  return {
    maxBytes: settings.maxCacheBytes,
    defaultTtlSeconds: settings.defaultTtlSeconds,
    maxKeySize: settings.maxKeySize,
    maxValueSize: settings.maxValueSize,
    clock,
  };
}
