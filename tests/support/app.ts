/**
 * Test support: an app over a small arena cache with a manual clock.
 *
 * @module
 */

import { MAX_TTL_SECONDS } from "../../lib/cache.ts";
import { ManualClock } from "../../lib/clock.ts";
import { createCache } from "../../lib/create_cache.ts";
import { type AppOptions, createApp } from "../../routes/app.ts";

/** Creates an app as production wires it, with `overrides` applied. */
export function testApp(overrides: Partial<AppOptions> = {}) {
  const clock = new ManualClock();
  const cache = createCache({
    cacheStore: "arena",
    maxCacheBytes: 10_000_000,
    defaultTtlSeconds: 300,
    maxKeySize: 256,
    maxValueSize: 256,
  }, clock);
  const app = createApp({
    cache,
    maxKeySize: 256,
    maxValueSize: 256,
    maxTtlSeconds: MAX_TTL_SECONDS,
    maxBodyBytes: 16_384,
    notFoundStatus: 404,
    ...overrides,
  });
  return { app, cache, clock };
}
