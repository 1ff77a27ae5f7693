/**
 * `deno bench` suite for the cache alone, without HTTP: reads, writes,
 * eviction and sweeping of `MapCache` on the load test's keys and values.
 *
 * Run: `deno bench bench/cache_bench.ts`. Rows marked "(xN)" time N
 * operations per iteration; divide by N for the cost of one.
 *
 * @module
 */

import { MapCache } from "../lib/cache.ts";
import { ManualClock } from "../lib/clock.ts";
import { makeEntries } from "./data.ts";

const entries = makeEntries();
const keys = entries.map((e) => e.key);
const values = entries.map((e) => e.value);
const missKeys = keys.map((k) => `miss-${k.slice(5)}`);
const BIG = 1 << 30;
const BATCH = 1_000;

/** A cache holding every benchmark entry, without expiry. */
function filledCache(
  maxBytes = BIG,
  ttlSeconds = 0,
  clock = new ManualClock(),
) {
  const cache = new MapCache({ maxBytes, defaultTtlSeconds: 0, clock });
  for (let i = 0; i < keys.length; i++) {
    cache.set(keys[i], values[i], ttlSeconds);
  }
  return cache;
}

let sink = 0;
let i = 0;
const next = () => (i = (i + 1) % keys.length);

const hits = filledCache();
Deno.bench("get hit", { group: "get", baseline: true }, () => {
  sink += hits.get(keys[next()])?.length ?? 0;
});

Deno.bench("get miss", { group: "get" }, () => {
  sink += hits.get(missKeys[next()])?.length ?? 0;
});

const overwrites = filledCache();
Deno.bench("set overwrite", { group: "set", baseline: true }, () => {
  const k = next();
  overwrites.set(keys[k], values[k]);
});

let fresh = 0;
Deno.bench(`set new key (x${BATCH})`, { group: "set new" }, (b) => {
  const cache = new MapCache({ maxBytes: BIG, defaultTtlSeconds: 0 });
  const prefix = `${fresh++}-`;
  b.start();
  for (let n = 0; n < BATCH; n++) cache.set(prefix + n, values[n]);
  b.end();
});

// About 1 MiB holds a few thousand entries: every new key evicts old ones.
const full = filledCache(1 << 20);
let evictKey = 0;
Deno.bench("set new key into a full cache (evicts)", { group: "set" }, () => {
  full.set(`e${evictKey++}`, values[evictKey % values.length]);
});

Deno.bench(
  `sweep, all expired (x${entries.length} entries)`,
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
  `sweep, none expired (x${entries.length} entries)`,
  { group: "sweep" },
  () => {
    live.sweep(entries.length + 1);
  },
);

addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
