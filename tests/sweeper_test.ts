import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { MapCache } from "../lib/map_cache.ts";
import { Sweeper } from "../lib/sweeper.ts";

function expiredCache(expired: number, live: number) {
  const clock = new ManualClock();
  const cache = new MapCache({
    maxBytes: 1e12,
    defaultTtlSeconds: 60,
    clock,
  });
  for (let i = 0; i < expired; i++) cache.set(`old${i}`, "v", 1);
  for (let i = 0; i < live; i++) cache.set(`new${i}`, "v", 0);
  clock.advance(1000);
  return cache;
}

/** A work-time source that moves 1 ms every time it is read. */
function tickingTime() {
  let t = 0;
  return () => t++;
}

Deno.test("a pass yields to the event loop between time slices", async () => {
  const cache = expiredCache(5000, 5000);
  let yields = 0;
  let readsBetweenSlices = 0;
  const sweeper = new Sweeper(cache, {
    intervalMs: 0,
    batchSize: 100,
    sliceMs: 3,
    now: tickingTime(),
    yieldToEventLoop: () => {
      yields++;
      // Other work gets to run while the pass is paused.
      if (cache.get("new1") === "v") readsBetweenSlices++;
      return Promise.resolve();
    },
  });
  const report = await sweeper.runOnce();
  assert.equal(report.removed, 5000);
  assert.equal(cache.stats().entries, 5000);
  assert.equal(cache.stats().expiredBySweep, 5000);
  // 10,000 entries / 100 per batch = 100 full batches and one that finds the
  // end. The fake time moves 1 ms per read and is read once per batch, so a
  // 3 ms slice holds 3 batches: ceil(101 / 3) = 34 slices, 33 yields.
  assert.equal(report.slices, 34);
  assert.equal(yields, 33);
  assert.equal(readsBetweenSlices, 33);
});

Deno.test("runOnce joins the pass in progress", async () => {
  const cache = expiredCache(1000, 0);
  const sweeper = new Sweeper(cache, {
    intervalMs: 0,
    batchSize: 10,
    sliceMs: 1,
    now: tickingTime(),
    yieldToEventLoop: () => Promise.resolve(),
  });
  const [a, b] = await Promise.all([sweeper.runOnce(), sweeper.runOnce()]);
  assert.equal(a, b);
  assert.equal(cache.stats().sweepsRun, 1);
});

Deno.test("stop ends a pass in progress at its next yield", async () => {
  const cache = expiredCache(10_000, 0);
  let release = () => {};
  const sweeper = new Sweeper(cache, {
    intervalMs: 0,
    batchSize: 100,
    sliceMs: 1,
    now: tickingTime(),
    yieldToEventLoop: () => new Promise((resolve) => (release = resolve)),
  });
  const pass = sweeper.runOnce();
  const stopped = sweeper.stop();
  release();
  await stopped;
  const report = await pass;
  assert.equal(report.removed, 100);
  assert.equal(cache.stats().entries, 9900);
  assert.equal(cache.stats().sweepsRun, 0);
});

Deno.test("start schedules passes every intervalMs until stopped", async () => {
  const cache = expiredCache(10, 0);
  const passes: number[] = [];
  const sweeper = new Sweeper(cache, {
    intervalMs: 1,
    onPass: (report) => passes.push(report.removed),
  });
  sweeper.start();
  while (passes.length < 2) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await sweeper.stop();
  const count = passes.length;
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(passes.length, count);
  assert.equal(passes[0], 10);
  assert.equal(passes[1], 0);
  assert.ok(cache.stats().sweepsRun >= 2);
});

Deno.test("an interval of 0 disables the schedule", async () => {
  const cache = expiredCache(10, 0);
  const sweeper = new Sweeper(cache, { intervalMs: 0 });
  sweeper.start();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await sweeper.stop();
  assert.equal(cache.stats().sweepsRun, 0);
  assert.equal(cache.stats().entries, 10);
});
