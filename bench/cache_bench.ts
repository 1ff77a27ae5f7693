/**
 * `deno bench` suite for the stores alone, without HTTP: reads, writes,
 * eviction and sweeping of `ArenaCache` (the default) and `MapCache` on the
 * load test's keys and values, so regressions in `lib/` show without HTTP
 * noise.
 *
 * Run: `deno task bench:cache`. Rows marked "(xN)" time N operations per
 * iteration; divide by N for the cost of one.
 *
 * @module
 */

import type { Cache } from "../lib/cache.ts";
import { createCache } from "../lib/create_cache.ts";
import { type Clock, ManualClock } from "../lib/clock.ts";
import { makeEntries } from "./data.ts";

const entries = makeEntries();
const keys = entries.map((e) => e.key);
const values = entries.map((e) => e.value);
const missKeys = keys.map((k) => `miss-${k.slice(5)}`);
const BIG = 1 << 30;
const BATCH = 1_000;

/** The stores measured, by the name their rows carry. */
const STORES: Record<string, (maxBytes: number, clock: Clock) => Cache> = {
  arena: (maxBytes, clock) =>
    createCache(storeSettings("arena", maxBytes), clock),
  map: (maxBytes, clock) => createCache(storeSettings("map", maxBytes), clock),
};

function storeSettings(cacheStore: "arena" | "map", maxCacheBytes: number) {
  return {
    cacheStore,
    maxCacheBytes,
    defaultTtlSeconds: 0,
    maxKeySize: 256,
    maxValueSize: 256,
  };
}

let sink = 0;
let i = 0;
const next = () => (i = (i + 1) % keys.length);

for (const [store, create] of Object.entries(STORES)) {
  /** A cache holding every benchmark entry, without expiry by default. */
  const filledCache = (
    maxBytes = BIG,
    ttlSeconds = 0,
    clock = new ManualClock(),
  ) => {
    const cache = create(maxBytes, clock);
    for (let i = 0; i < keys.length; i++) {
      cache.set(keys[i], values[i], ttlSeconds);
    }
    return cache;
  };

  const hits = filledCache();
  Deno.bench(`${store}: get hit`, { group: "get" }, () => {
    sink += hits.get(keys[next()])?.length ?? 0;
  });

  Deno.bench(`${store}: get miss`, { group: "get" }, () => {
    sink += hits.get(missKeys[next()])?.length ?? 0;
  });

  const overwrites = filledCache();
  Deno.bench(`${store}: set overwrite`, { group: "set" }, () => {
    const k = next();
    overwrites.set(keys[k], values[k]);
  });

  let fresh = 0;
  Deno.bench(
    `${store}: set new key (x${BATCH})`,
    { group: "set new" },
    (b) => {
      const cache = create(BIG, new ManualClock());
      const prefix = `${fresh++}-`;
      b.start();
      for (let n = 0; n < BATCH; n++) cache.set(prefix + n, values[n]);
      b.end();
    },
  );

  // 2 MiB holds a few thousand entries: every new key evicts old ones.
  const full = filledCache(2 << 20);
  let evictKey = 0;
  Deno.bench(
    `${store}: set new key into a full cache (evicts)`,
    { group: "set" },
    () => {
      full.set(`e${evictKey++}`, values[evictKey % values.length]);
    },
  );

  Deno.bench(
    `${store}: sweep, all expired (x${entries.length} entries)`,
    { group: "sweep" },
    (b) => {
      const clock = new ManualClock();
      const cache = filledCache(BIG, 1, clock);
      clock.advance(2_000);
      b.start();
      cache.sweep(entries.length + 1);
      b.end();
    },
  );

  const live = filledCache();
  Deno.bench(
    `${store}: sweep, none expired (x${entries.length} entries)`,
    { group: "sweep" },
    () => {
      live.sweep(entries.length + 1);
    },
  );
}

addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
