// One arena store in shared memory, used by several Web Workers at once:
// every worker checks each answer against its own model while the others
// write, compact and evict, and the store's totals are checked afterwards.
import assert from "node:assert/strict";
import { ArenaCache, createArenaLayout } from "../lib/arena_cache.ts";
import type {
  StressReport,
  StressStart,
} from "./support/arena_stress_worker.ts";

const WORKER = new URL("./support/arena_stress_worker.ts", import.meta.url);
const HOT: [string, string] = ["a".repeat(60), "b".repeat(40)];

async function stress(options: {
  workers: number;
  operations: number;
  keys: number;
  maxBytes: number;
  mayEvict: boolean;
}) {
  const layoutOptions = {
    maxBytes: options.maxBytes,
    defaultTtlSeconds: 0,
    maxKeySize: 16,
    maxValueSize: 64,
    segmentBytes: 4096,
  };
  const layout = createArenaLayout(layoutOptions, true);
  const clock = new SharedArrayBuffer(8);
  new Int32Array(clock)[0] = 1_000_000;
  const time = new Int32Array(clock);
  const cache = new ArenaCache({
    ...layoutOptions,
    clock: { now: () => Atomics.load(time, 0) },
  }, layout);
  const reports = await Promise.all(
    Array.from(
      { length: options.workers },
      (_, index) =>
        new Promise<StressReport>((resolve, reject) => {
          const worker = new Worker(WORKER, { type: "module" });
          worker.onmessage = (event: MessageEvent<StressReport>) => {
            worker.terminate();
            resolve(event.data);
          };
          worker.onerror = (event) => {
            event.preventDefault();
            worker.terminate();
            reject(new Error(event.message));
          };
          const start: StressStart = {
            index,
            workers: options.workers,
            seed: 1234 + index,
            operations: options.operations,
            keys: options.keys,
            layout,
            clock,
            hot: HOT,
            mayEvict: options.mayEvict,
          };
          worker.postMessage(start);
        }),
    ),
  );
  return { cache, reports };
}

Deno.test("workers sharing one store each see exactly their own writes, while compacting", async () => {
  const { cache, reports } = await stress({
    workers: 4,
    operations: 20_000,
    keys: 40,
    maxBytes: 1 << 20,
    mayEvict: false,
  });
  for (const report of reports) {
    assert.deepEqual(report.errors, [], `worker ${report.index}`);
  }
  const stats = cache.stats();
  assert.ok(stats.compactions > 10, `${stats.compactions} compactions`);
  // The workers really ran at once: some found the lock held.
  assert.ok(cache.lockStats().contended > 0, "no contention: not concurrent");
  assert.equal(stats.evicted, 0);
  // Every operation of every worker was counted, none twice or lost.
  const sum = (field: "puts" | "deletes") =>
    reports.reduce((total, report) => total + report[field], 0);
  assert.equal(stats.puts, sum("puts"));
  assert.equal(stats.deletes, sum("deletes"));
  // After the workers stopped, each key holds its last write.
  for (const report of reports) {
    for (const [key, value] of Object.entries(report.final)) {
      assert.equal(cache.get(key), value, key);
    }
  }
  assert.ok(HOT.includes(cache.get("hot")!));
});

Deno.test("workers sharing a store too small for their keys never read a wrong value", async () => {
  const { cache, reports } = await stress({
    workers: 4,
    operations: 10_000,
    keys: 400,
    maxBytes: 64 << 10,
    mayEvict: true,
  });
  for (const report of reports) {
    assert.deepEqual(report.errors, [], `worker ${report.index}`);
  }
  const stats = cache.stats();
  assert.ok(stats.evicted > 0, "the store evicted");
  assert.ok(stats.estimatedBytes <= 64 << 10);
  for (const report of reports) {
    for (const [key, value] of Object.entries(report.final)) {
      const got = cache.get(key);
      assert.ok(got === undefined || got === value, `${key}: ${got}`);
    }
  }
});
