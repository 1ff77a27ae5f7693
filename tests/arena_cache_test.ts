import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import {
  ArenaCache,
  type ArenaCacheOptions,
  SEGMENT_CHUNK_BYTES,
} from "../lib/arena_cache.ts";

const SEGMENT = 4096;

/** A small store: 4 KiB segments, keys up to 16 and values up to 64 chars. */
function small(options: Partial<ArenaCacheOptions> = {}) {
  const clock = new ManualClock();
  const cache = new ArenaCache({
    maxBytes: 64 * 1024,
    defaultTtlSeconds: 0,
    maxKeySize: 16,
    maxValueSize: 64,
    segmentBytes: SEGMENT,
    clock,
    ...options,
  });
  return { clock, cache };
}

function key(i: number): string {
  return `k${String(i).padStart(6, "0")}`;
}

Deno.test("memory held never passes maxBytes, however much is written", () => {
  const { cache } = small();
  for (let i = 0; i < 20_000; i++) {
    cache.set(key(i), "v".repeat(i % 65));
    assert.ok(cache.stats().estimatedBytes <= 64 * 1024);
  }
  const stats = cache.stats();
  assert.ok(stats.liveBytes <= stats.estimatedBytes);
  assert.equal(stats.evicted, stats.puts - stats.entries);
});

Deno.test("eviction takes the oldest writes first", () => {
  const { cache } = small();
  const written = 5000;
  for (let i = 0; i < written; i++) cache.set(key(i), "v".repeat(40));
  const { entries, evicted } = cache.stats();
  assert.equal(entries + evicted, written);
  // Exactly the newest `entries` writes survive.
  for (let i = 0; i < written; i++) {
    const expected = i >= written - entries ? "v".repeat(40) : undefined;
    assert.equal(cache.get(key(i)), expected, key(i));
  }
});

Deno.test("overwrites are reclaimed by compaction instead of evicting cold keys", () => {
  const { cache } = small();
  for (let i = 0; i < 20; i++) cache.set(`cold${i}`, `value ${i}`);
  // Far more bytes of overwrites than the store holds.
  for (let i = 0; i < 20_000; i++) {
    cache.set(`hot${i % 50}`, `${i}`.padEnd(60, "."));
  }
  const stats = cache.stats();
  assert.ok(stats.compactions > 0);
  assert.equal(stats.evicted, 0);
  assert.equal(stats.entries, 70);
  for (let i = 0; i < 20; i++) {
    assert.equal(cache.get(`cold${i}`), `value ${i}`);
  }
  for (let i = 0; i < 50; i++) {
    assert.equal(cache.get(`hot${i}`), `${19_950 + i}`.padEnd(60, "."));
  }
});

Deno.test("compaction keeps age order: later eviction still takes the oldest", () => {
  const { cache } = small();
  for (let i = 0; i < 100; i++) cache.set(`cold${i}`, "c".repeat(30));
  for (let i = 0; i < 10_000; i++) cache.set(`hot${i % 20}`, "h".repeat(30));
  assert.ok(cache.stats().compactions > 0);
  // Now fill with new keys until some cold keys must go.
  for (let i = 0; cache.stats().evicted < 50; i++) {
    cache.set(`new${i}`, "n".repeat(30));
  }
  const survivors = [];
  for (let i = 0; i < 100; i++) {
    if (cache.get(`cold${i}`) !== undefined) survivors.push(i);
  }
  // The survivors are a suffix: cold0, cold1, ... went first.
  assert.ok(survivors.length < 100);
  assert.deepEqual(
    survivors,
    Array.from(
      { length: survivors.length },
      (_, j) => 100 - survivors.length + j,
    ),
  );
});

Deno.test("random operations agree with a model, evictions only of the oldest writes", () => {
  const { cache, clock } = small({ maxBytes: 48 * 1024 });
  // key -> [value, write sequence, expiresAt (0 = never)]
  const model = new Map<string, [string, number, number]>();
  let seed = 42;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let step = 0; step < 30_000; step++) {
    const k = `key${random(400)}`;
    const op = random(10);
    if (op < 5) {
      const value = "é€😀x".repeat(random(16));
      const ttl = random(3) === 0 ? 1 + random(5) : 0;
      cache.set(k, value, ttl);
      model.set(k, [value, step, ttl === 0 ? 0 : clock.now() + ttl * 1000]);
    } else if (op < 8) {
      const got = cache.get(k);
      const want = model.get(k);
      if (want && (want[2] === 0 || want[2] > clock.now())) {
        if (got !== undefined) assert.equal(got, want[0]);
      } else assert.equal(got, undefined);
    } else if (op < 9) {
      cache.delete(k);
      model.delete(k);
    } else {
      clock.advance(random(700));
      if (random(20) === 0) cache.sweep(random(200));
    }
  }
  // Every live model key is either present with the right value or was
  // evicted; every evicted key was written before every surviving one.
  let newestEvicted = -1;
  let oldestSurviving = Infinity;
  for (const [k, [value, seq, expiresAt]] of model) {
    if (expiresAt !== 0 && expiresAt <= clock.now()) continue;
    const got = cache.get(k);
    if (got === undefined) newestEvicted = Math.max(newestEvicted, seq);
    else {
      assert.equal(got, value);
      oldestSurviving = Math.min(oldestSurviving, seq);
    }
  }
  assert.ok(cache.stats().evicted > 0);
  assert.ok(cache.stats().compactions > 0);
  assert.ok(
    newestEvicted < oldestSurviving,
    `${newestEvicted} < ${oldestSurviving}`,
  );
});

Deno.test("expired records met while reclaiming space count as expired, not evicted", () => {
  const { cache, clock } = small();
  for (let i = 0; i < 200; i++) cache.set(key(i), "v".repeat(60), 1);
  clock.advance(1000);
  for (let i = 200; i < 5000; i++) cache.set(key(i), "v".repeat(60));
  const stats = cache.stats();
  assert.equal(stats.expiredBySweep, 200);
  assert.equal(stats.evicted, 4800 - stats.entries);
});

Deno.test("a sweep resumes correctly when compaction moves records under it", () => {
  const { cache, clock } = small();
  for (let i = 0; i < 2000; i++) cache.set(`hot${i % 30}`, "h".repeat(50));
  for (let i = 0; i < 60; i++) cache.set(`short${i}`, "s".repeat(50), 1);
  clock.advance(1000);
  let removed = cache.sweep(5).removed;
  // More overwrites: compactions run while the pass is under way.
  const before = cache.stats().compactions;
  for (let i = 0; i < 3000; i++) cache.set(`hot${i % 30}`, "h".repeat(50));
  assert.ok(cache.stats().compactions > before);
  let result;
  do {
    result = cache.sweep(7);
    removed += result.removed;
  } while (!result.done);
  if (cache.stats().entries > 30) {
    // A second pass picks up anything skipped by the restart.
    do result = cache.sweep(100); while (!result.done);
  }
  assert.equal(cache.stats().entries, 30);
  for (let i = 0; i < 60; i++) assert.equal(cache.get(`short${i}`), undefined);
  assert.equal(
    cache.stats().expiredBySweep + cache.stats().expiredOnRead,
    60,
  );
});

Deno.test("a cache too small for its index and 4 segments is refused", () => {
  assert.throws(
    () => small({ maxBytes: 16 * 1024 }),
    /A cache of 16384 bytes is too small: it needs at least 20480 bytes/,
  );
});

Deno.test("millions of distinct tiny keys churn through without error", () => {
  const { cache } = small({
    maxBytes: 8 * 1024 * 1024,
    segmentBytes: 64 * 1024,
    maxKeySize: 8,
    maxValueSize: 8,
  });
  for (let i = 0; i < 2_000_000; i++) cache.set(i.toString(36), "v");
  const stats = cache.stats();
  assert.ok(stats.entries > 100_000, `${stats.entries} entries`);
  assert.equal(stats.entries + stats.evicted, 2_000_000);
  assert.equal(cache.get((1_999_999).toString(36)), "v");
  assert.equal(cache.get("0"), undefined);
});

Deno.test("the index grows bucket by bucket and every key stays findable", () => {
  const { cache } = small({
    maxBytes: 64 * 1024 * 1024,
    segmentBytes: 1 << 20,
  });
  const before = cache.stats().estimatedBytes;
  for (let i = 0; i < 100_000; i++) {
    cache.set(key(i), `v${i}`);
    if (i % 9973 === 0) {
      // Spot checks while buckets are being split.
      for (let j = 0; j <= i; j += 997) {
        assert.equal(cache.get(key(j)), `v${j}`);
      }
    }
  }
  for (let i = 0; i < 100_000; i++) assert.equal(cache.get(key(i)), `v${i}`);
  for (let i = 0; i < 100_000; i += 2) assert.equal(cache.delete(key(i)), true);
  for (let i = 0; i < 100_000; i++) {
    assert.equal(cache.get(key(i)), i % 2 === 0 ? undefined : `v${i}`);
  }
  // One 4-byte bucket per entry at most, beyond the starting 1024.
  const segments = Math.floor(cache.stats().estimatedBytes / (1 << 20));
  const indexBytes = cache.stats().estimatedBytes - segments * (1 << 20);
  assert.ok(before === 4 * 1024, `${before}`);
  assert.ok(
    indexBytes >= 4 * 100_000 && indexBytes < 4 * 200_000,
    `${indexBytes}`,
  );
});

Deno.test("a sweep pass survives the eviction of the segment it is on", () => {
  const { cache, clock } = small({
    maxBytes: 4096 + 8 * 1024, // the smallest index plus 8 segments of 1 KiB
    segmentBytes: 1024,
    maxKeySize: 16,
    maxValueSize: 16,
  });
  let n = 0;
  const put = (ttl: number) => cache.set(`k${n++}`, "v".repeat(16), ttl);
  // The oldest segments hold entries that never expire, the rest expire;
  // fill until the store is full (the first eviction).
  while (cache.stats().liveBytes < 3 * 1024) put(0);
  while (cache.stats().evicted === 0) put(1);
  const expiring = cache.stats().entries;
  clock.advance(2000);
  cache.sweep(5); // the pass starts on the oldest segment...
  const evicted = cache.stats().evicted;
  while (cache.stats().evicted === evicted) put(0); // ...which is evicted
  let result;
  do result = cache.sweep(1024); while (!result.done);
  // The same pass went on over every other segment.
  assert.equal(cache.stats().sweepsRun, 1);
  let removedNextPass = 0;
  do {
    result = cache.sweep(1024);
    removedNextPass += result.removed;
  } while (!result.done);
  assert.equal(removedNextPass, 0);
  assert.ok(cache.stats().expiredBySweep > 0);
  assert.ok(expiring > 0);
});

Deno.test("eviction is spread over writes: no write evicts a whole segment", () => {
  // 64 KiB segments hold about 1,800 of these records.
  const { cache } = small({
    maxBytes: 2 * 1024 * 1024,
    segmentBytes: 64 * 1024,
    maxKeySize: 8,
    maxValueSize: 8,
  });
  let i = 0;
  while (cache.stats().evicted === 0) cache.set((i++).toString(36), "v");
  let mostAtOnce = 0;
  for (const end = i + 200_000; i < end; i++) {
    const before = cache.stats().evicted;
    cache.set(i.toString(36), "v");
    mostAtOnce = Math.max(mostAtOnce, cache.stats().evicted - before);
  }
  // A write of one record pays for unlinking a few old ones, never for a
  // segment's worth (which it would if reclaiming waited for the last segment).
  assert.ok(mostAtOnce <= 8, `${mostAtOnce} evicted by one write`);
  assert.ok(cache.stats().evicted > 150_000);
  assert.equal(cache.stats().entries + cache.stats().evicted, i);
  assert.ok(cache.stats().estimatedBytes <= 2 * 1024 * 1024);
});

Deno.test("every key reads back its latest value while compaction is under way", () => {
  const { cache } = small();
  const latest = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    cache.set(`cold${i}`, `cold value ${i}`);
    latest.set(`cold${i}`, `cold value ${i}`);
  }
  let compactionsSeen = 0;
  for (let i = 0; i < 6000; i++) {
    const key = `hot${i % 40}`;
    const value = `${i}:`.padEnd(20 + (i % 45), "x");
    if (i % 97 === 0) {
      cache.delete(key);
      latest.delete(key);
    } else {
      cache.set(key, value);
      latest.set(key, value);
    }
    for (const [k, v] of latest) assert.equal(cache.get(k), v, `${k} at ${i}`);
    compactionsSeen = cache.stats().compactions;
  }
  assert.ok(compactionsSeen > 10, `${compactionsSeen} compactions`);
  assert.equal(cache.stats().evicted, 0);
  assert.equal(cache.stats().entries, latest.size);
});

Deno.test("below its budget, a store of few keys written over and over stays small", () => {
  // 64 MiB allowed; 200 keys of ~100-byte records, 20 MB written in all.
  const { cache } = small({ maxBytes: 64 << 20 });
  cache.set(key(0), "first");
  const first = cache.stats().estimatedBytes; // one chunk of segments
  for (let i = 0; i < 200_000; i++) {
    cache.set(key(i % 200), `${i}:`.padEnd(64, "v"));
    // It reuses a few dozen warm segments instead of growing to the budget.
    assert.equal(cache.stats().estimatedBytes, first);
  }
  assert.equal(first, SEGMENT_CHUNK_BYTES + 4 * 1024);
  const stats = cache.stats();
  assert.ok(stats.compactions > 0);
  assert.equal(stats.evicted, 0);
  assert.equal(stats.entries, 200);
  for (let k = 0; k < 200; k++) {
    const last = 200_000 - 200 + k;
    assert.equal(cache.get(key(k)), `${last}:`.padEnd(64, "v"));
  }
});

Deno.test("below its budget, a store of live records grows instead of compacting", () => {
  const { cache } = small({ maxBytes: 4 << 20 });
  for (let i = 0; i < 20_000; i++) cache.set(key(i), "v".repeat(64));
  const stats = cache.stats();
  assert.equal(stats.compactions, 0);
  assert.equal(stats.evicted, 0);
  assert.equal(stats.entries, 20_000);
});
