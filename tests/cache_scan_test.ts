// Scans beyond the contract (tests/cache_contract_test.ts): an arena scan
// while another isolate really writes the shared store at the same time, and
// how the `Map` store keeps its open scans (bounded, released when idle).
import assert from "node:assert/strict";
import { ArenaCache, createArenaLayout } from "../lib/arena_cache.ts";
import type { Cache } from "../lib/cache.ts";
import { ManualClock } from "../lib/clock.ts";
import {
  IDLE_MUTATIONS_FLOOR,
  MapCache,
  MAX_OPEN_SCANS,
} from "../lib/map_cache.ts";

/** Runs a whole scan with `count`; returns every key reported, with repeats. */
function scanAll(cache: Cache, count: number, cursor = 0): string[] {
  const keys: string[] = [];
  let calls = 0;
  do {
    const batch = cache.scan(cursor, count);
    keys.push(...batch.keys);
    cursor = batch.cursor;
    assert.ok(++calls < 1_000_000, "the scan never ended");
  } while (cursor !== 0);
  return keys;
}

// --- a shared arena, written by a real Web Worker during the scans ---------

const STABLE = 1500;
const CHURN = 500;
const GROWTH = 30_000;

/**
 * The writer: overwrites the stable keys (never deleting them), sets and
 * deletes churn keys, and adds growth keys (so the index splits under the
 * scans), until the control word 0 is set; word 1 counts its rounds.
 */
const WRITER = `
import { ArenaCache } from ${
  JSON.stringify(new URL("../lib/arena_cache.ts", import.meta.url).href)
};
self.onmessage = (event) => {
  const { layout, control } = event.data;
  const ctl = new Int32Array(control);
  const cache = new ArenaCache({
    maxBytes: layout.maxBytes,
    defaultTtlSeconds: 0,
    maxKeySize: 16,
    maxValueSize: 64,
  }, layout);
  let seed = 12345;
  const random = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let rounds = 0;
  let grown = 0;
  while (Atomics.load(ctl, 0) === 0) {
    cache.set("s" + random(${STABLE}), "v".repeat(random(64)));
    const churn = "c" + random(${CHURN});
    if (random(2) === 0) cache.set(churn, "x".repeat(random(64)));
    else cache.delete(churn);
    if (grown < ${GROWTH} && random(4) === 0) cache.set("g" + grown++, "g");
    Atomics.store(ctl, 1, ++rounds);
  }
  self.postMessage({ rounds, grown });
};
`;

Deno.test("ArenaCache (shared): a scan reports every key present throughout while another isolate writes", async () => {
  const options = {
    maxBytes: 8 << 20,
    defaultTtlSeconds: 0,
    maxKeySize: 16,
    maxValueSize: 64,
    segmentBytes: 4096,
  };
  const layout = createArenaLayout(options, true);
  const scanner = new ArenaCache(options, layout);
  for (let i = 0; i < STABLE; i++) scanner.set(`s${i}`, "first");
  const control = new SharedArrayBuffer(8);
  const ctl = new Int32Array(control);
  const url = URL.createObjectURL(
    new Blob([WRITER], { type: "text/javascript" }),
  );
  const worker = new Worker(url, { type: "module" });
  const done = new Promise<{ rounds: number; grown: number }>(
    (resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
    },
  );
  try {
    worker.postMessage({ layout, control });
    const started = Date.now();
    while (Atomics.load(ctl, 1) === 0) {
      assert.ok(Date.now() - started < 10_000, "the writer never started");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const wellFormed = /^(s\d+|c\d+|g\d+)$/;
    let scans = 0;
    let concurrent = 0;
    let split = 0;
    while (scans < 20 || (concurrent < 5 && Date.now() - started < 20_000)) {
      const roundsBefore = Atomics.load(ctl, 1);
      const entriesBefore = scanner.stats().entries;
      const reported = new Set<string>();
      for (const key of scanAll(scanner, 5)) {
        assert.match(key, wellFormed);
        reported.add(key);
      }
      for (let i = 0; i < STABLE; i++) {
        assert.ok(reported.has(`s${i}`), `scan ${scans} missed s${i}`);
      }
      if (Atomics.load(ctl, 1) > roundsBefore) concurrent++;
      if (scanner.stats().entries > entriesBefore) split++;
      scans++;
      // Let the writer run alone for a moment between scans, too.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    Atomics.store(ctl, 0, 1);
    const { rounds, grown } = await done;
    assert.ok(concurrent >= 5, `${concurrent} of ${scans} scans overlapped`);
    assert.ok(split > 0, "the store never grew during a scan");
    const stats = scanner.stats();
    assert.equal(stats.evicted, 0, "stable keys must not be evicted");
    assert.ok(stats.puts >= STABLE + rounds, `${stats.puts} puts`);
    // Afterwards, a quiet scan reports exactly the keys the store holds.
    const all = scanAll(scanner, 100);
    assert.equal(all.length, stats.entries);
    assert.equal(new Set(all).size, all.length);
    for (let i = 0; i < grown; i++) assert.ok(scanner.get(`g${i}`) === "g");
  } finally {
    Atomics.store(ctl, 0, 1);
    await done.catch(() => {});
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

// --- the Map store's open scans --------------------------------------------

function mapCache(maxBytes = 1_000_000_000) {
  return new MapCache({
    maxBytes,
    defaultTtlSeconds: 0,
    clock: new ManualClock(),
  });
}

Deno.test("MapCache: scan cursors are distinct positive safe integers", () => {
  const cache = mapCache();
  for (let i = 0; i < 100; i++) cache.set(`k${i}`, "v");
  const cursors = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const { cursor, keys } = cache.scan(0, 1);
    assert.equal(keys.length, 1);
    assert.ok(Number.isSafeInteger(cursor) && cursor > 0, `${cursor}`);
    cursors.add(cursor);
  }
  assert.equal(cursors.size, 200);
  // Each continues its own iteration.
  for (const cursor of [...cursors].slice(0, 3)) {
    assert.equal(scanAll(cache, 7, cursor).length, 99);
  }
});

Deno.test("MapCache: at most MAX_OPEN_SCANS scans stay open; the least recently continued is forgotten", () => {
  const cache = mapCache();
  for (let i = 0; i < 100; i++) cache.set(`k${i}`, "v");
  const first = cache.scan(0, 1).cursor;
  const second = cache.scan(0, 1).cursor;
  // Continuing `first` makes `second` the least recently used.
  const { cursor: firstAgain } = cache.scan(first, 1);
  assert.equal(firstAgain, first);
  for (let i = 0; i < MAX_OPEN_SCANS - 1; i++) cache.scan(0, 1);
  assert.deepEqual(cache.scan(second, 10), { cursor: 0, keys: [] });
  // `first` was not dropped: it goes on from its third key.
  const rest = scanAll(cache, 10, first);
  assert.deepEqual(
    rest,
    Array.from({ length: 98 }, (_, i) => `k${i + 2}`),
  );
});

Deno.test("MapCache: a scan idle through heavy churn starts over, reporting keys again but missing none", () => {
  const cache = mapCache();
  for (let i = 0; i < 100; i++) cache.set(`stable${i}`, "v");
  const { cursor, keys: firstBatch } = cache.scan(0, 10);
  assert.equal(firstBatch.length, 10);
  // Far more mutations than the idle limit, on other keys.
  for (let i = 0; i < 4 * IDLE_MUTATIONS_FLOOR; i++) {
    cache.set(`churn${i}`, "v");
    cache.delete(`churn${i}`);
  }
  const rest = scanAll(cache, 10, cursor);
  const counts = new Map<string, number>();
  for (const key of [...firstBatch, ...rest]) {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (let i = 0; i < 100; i++) {
    assert.equal(counts.get(`stable${i}`), i < 10 ? 2 : 1, `stable${i}`);
  }
  // A scan kept busy through the same churn is not restarted.
  const busy = new Set<string>();
  let next = cache.scan(0, 1);
  let n = 0;
  while (next.cursor !== 0) {
    for (const key of next.keys) {
      assert.ok(!busy.has(key), `${key} twice`);
      busy.add(key);
    }
    for (let i = 0; i < 100; i++, n++) {
      cache.set(`more${n}`, "v");
      cache.delete(`more${n}`);
    }
    next = cache.scan(next.cursor, 1);
  }
  assert.equal(busy.size, 100);
});

/**
 * Heap in use (MB, after a full GC) of a child process that fills a
 * MapCache, opens `scans` scans that then sit idle, and churns the store.
 */
async function heapAfterChurn(scans: number): Promise<number> {
  const code = `
    import { MapCache } from ${
    JSON.stringify(new URL("../lib/map_cache.ts", import.meta.url).href)
  };
    const cache = new MapCache({ maxBytes: 1e10, defaultTtlSeconds: 0 });
    const size = 50_000;
    for (let i = 0; i < size; i++) cache.set("k" + i, "v");
    for (let i = 0; i < ${scans}; i++) cache.scan(0, 10);
    for (let i = size; i < 21 * size; i++) {
      cache.delete("k" + (i - size));
      cache.set("k" + i, "v");
    }
    globalThis.gc();
    // Read after the GC: the cache must still be reachable when it runs.
    console.log(Deno.memoryUsage().heapUsed, cache.stats().entries);
  `;
  const { code: status, stdout, stderr } = await new Deno.Command(
    Deno.execPath(),
    {
      args: ["eval", "--v8-flags=--expose-gc", "--ext=ts", code],
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  assert.equal(status, 0, new TextDecoder().decode(stderr));
  const [heapUsed, entries] = new TextDecoder().decode(stdout).split(" ");
  assert.equal(Number(entries), 50_000);
  return Number(heapUsed) / 1e6;
}

Deno.test("MapCache: idle scans do not keep the Map's old tables alive", async () => {
  // An idle Map iterator pins every table the Map rehashed into since (two
  // million mutations: about 90 MB here); the store releases idle iterators.
  const [without, withScans] = await Promise.all([
    heapAfterChurn(0),
    heapAfterChurn(20),
  ]);
  assert.ok(
    withScans < without * 1.5 + 10,
    `${withScans.toFixed(0)} MB with idle scans, ${
      without.toFixed(0)
    } MB without`,
  );
});
