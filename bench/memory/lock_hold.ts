/**
 * How long the store calls behind KEYS, SCAN, RANDOMKEY, DBSIZE and FLUSHDB
 * hold the shared arena's lock, in process, without HTTP or other load: a
 * shared arena (`createSharedCache`, the store `WORKERS` > 1 serves from) is
 * filled with `uuid256` entries as `bench:memory` fills it (past its budget,
 * then 10% more), and each call is timed on its own: `scan(cursor, 1000)`
 * over two full iterations (one batch of KEYS and of SCAN COUNT 1000 each),
 * `randomKey()` and `stats()` 10,000 times, `clear()` once. Every call is one
 * critical section, so its time is the lock's hold time (plus the timer's
 * resolution).
 *
 * Run from the repository root:
 * `deno run -A bench/memory/lock_hold.ts [MAX_CACHE_BYTES]` (1500000000).
 *
 * @module
 */

import { createSharedCache } from "../../lib/create_cache.ts";
import { keyFor, makeShape } from "./shapes.ts";
import { summarize } from "./windows.ts";

/** Times `call` `times` times; durations in ms. */
function timeEach(times: number, call: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    call(i);
    out.push(performance.now() - t0);
  }
  return out;
}

function line(name: string, ms: number[]): string {
  const s = summarize(ms);
  const total = ms.reduce((a, b) => a + b, 0);
  return `${name}: ${s.n} calls, p50 ${s.p50Ms.toFixed(3)} p99 ${
    s.p99Ms.toFixed(3)
  } max ${s.maxMs.toFixed(3)} ms, total ${total.toFixed(0)} ms`;
}

function main(maxBytes: number): void {
  const { cache } = createSharedCache({
    maxCacheBytes: maxBytes,
    defaultTtlSeconds: 0,
    maxKeySize: 1024,
    maxValueSize: 4096,
  });
  const shape = makeShape("uuid256");
  const started = performance.now();
  let n = 0, target = Infinity;
  while (n < target) {
    cache.set(keyFor("uuid", n), shape.values[n % shape.values.length]);
    n++;
    if (target === Infinity && n % 1024 === 0 && cache.stats().evicted > 0) {
      target = Math.ceil(n * 1.1);
    }
  }
  const stats = cache.stats();
  console.log(
    `filled: ${n} PUTs in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s, ${stats.entries} entries, est ${
      (stats.estimatedBytes / 1e6).toFixed(0)
    } MB (MAX_CACHE_BYTES ${maxBytes})`,
  );
  for (const round of [1, 2]) {
    const ms: number[] = [];
    let cursor = 0, keys = 0;
    do {
      const t0 = performance.now();
      const batch = cache.scan(cursor, 1000);
      ms.push(performance.now() - t0);
      cursor = batch.cursor;
      keys += batch.keys.length;
    } while (cursor !== 0);
    console.log(
      line(`scan(cursor, 1000), iteration ${round}, ${keys} keys`, ms),
    );
  }
  console.log(line("randomKey()", timeEach(10_000, () => cache.randomKey())));
  console.log(line("stats() (DBSIZE)", timeEach(10_000, () => cache.stats())));
  console.log(line("clear() (FLUSHDB)", timeEach(1, () => cache.clear())));
}

if (import.meta.main) {
  const maxBytes = Number(Deno.args[0] ?? 1_500_000_000);
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) {
    console.error(
      `lock_hold: MAX_CACHE_BYTES must be a whole number of bytes, got "${
        Deno.args[0]
      }"`,
    );
    Deno.exit(2);
  }
  main(maxBytes);
}
