// Snapshots through the store API: writeSnapshot of one cache, loadSnapshot
// into a fresh one, on both stores, with an injected clock.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ArenaCache } from "../lib/arena_cache.ts";
import type { Cache } from "../lib/cache.ts";
import { MapCache } from "../lib/map_cache.ts";
import { ManualClock } from "../lib/clock.ts";
import { loadSnapshot } from "../lib/snapshot_loader.ts";
import { temporaryPathFor, writeSnapshot } from "../lib/snapshot_writer.ts";
import { TRICKY_STRINGS } from "./support/tricky_strings.ts";

type Factory = (clock: ManualClock, maxBytes?: number) => Cache;

const STORES: [string, Factory][] = [
  [
    "MapCache",
    (clock, maxBytes = 100_000_000) =>
      new MapCache({ maxBytes, defaultTtlSeconds: 0, clock }),
  ],
  ["ArenaCache", (clock, maxBytes = 100_000_000) =>
    new ArenaCache({
      maxBytes,
      defaultTtlSeconds: 0,
      maxKeySize: 256,
      maxValueSize: 256,
      clock,
    })],
];

const LIMITS = { maxKeySize: 256, maxValueSize: 256 };

/** Every live entry of `cache` in age order, with its absolute expiry. */
function contents(cache: Cache): [string, string, number][] {
  const out: [string, string, number][] = [];
  const walk = cache.walk();
  const decoder = new TextDecoder();
  const visit = (
    l: {
      bytes: Uint8Array;
      keyStart: number;
      keyEnd: number;
      valueStart: number;
      valueEnd: number;
    },
    expiresAt: number,
  ) => {
    out.push([
      JSON.parse(decoder.decode(l.bytes.subarray(l.keyStart, l.keyEnd))),
      JSON.parse(decoder.decode(l.bytes.subarray(l.valueStart, l.valueEnd))),
      expiresAt,
    ]);
  };
  while (walk.step(visit));
  return out;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [store, make] of STORES) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test(`${store}: ${name}`, fn);

  test("every entry round-trips: key and value bytes, expiry, age order", () =>
    withDir(async (dir) => {
      const clock = new ManualClock();
      const cache = make(clock);
      const expected: [string, string, number][] = [];
      TRICKY_STRINGS.forEach((key, i) => {
        TRICKY_STRINGS.forEach((value, j) => {
          const ttl = (i * TRICKY_STRINGS.length + j) % 3 === 0 ? 0 : i + j + 1;
          const name = `${key.slice(0, 250)}#${j}`; // within MAX_KEY_SIZE
          cache.set(name, value, ttl);
          expected.push([
            name,
            value,
            ttl === 0 ? 0 : clock.now() + ttl * 1000,
          ]);
          clock.advance(1);
        });
      });
      // Overwrites move a key to the newest place; deletes remove it.
      cache.set(expected[0][0], "again", 0);
      expected.push([expected[0][0], "again", 0]);
      expected.shift();
      cache.delete(expected[5][0]);
      expected.splice(5, 1);
      assert.deepEqual(contents(cache), expected);

      const path = `${dir}/kv.snapshot`;
      const written = await writeSnapshot(cache, path, { clock });
      assert.equal(written.entries, expected.length);
      const restored = make(clock);
      const loaded = await loadSnapshot(restored, path, { ...LIMITS, clock });
      assert.equal(loaded.restored, expected.length);
      assert.equal(loaded.expired, 0);
      assert.deepEqual(contents(restored), expected);
      for (const [key, value] of expected) {
        assert.equal(restored.get(key), value);
      }
      await assert.rejects(
        Deno.stat(temporaryPathFor(path)),
        Deno.errors.NotFound,
      );
    }));

  test("round trip holds for arbitrary strings and TTLs", () =>
    withDir(async (dir) => {
      const path = `${dir}/kv.snapshot`;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(
              fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
              fc.string({ unit: "binary", maxLength: 60 }),
              fc.nat(1000),
            ),
            { maxLength: 60 },
          ),
          async (entries) => {
            const clock = new ManualClock();
            const cache = make(clock);
            for (const [key, value, ttl] of entries) cache.set(key, value, ttl);
            const before = contents(cache);
            await writeSnapshot(cache, path, { clock, blockBytes: 256 });
            const restored = make(clock);
            await loadSnapshot(restored, path, {
              maxKeySize: 10_000,
              maxValueSize: 10_000,
              clock,
            });
            assert.deepEqual(contents(restored), before);
          },
        ),
        { numRuns: 60 },
      );
    }));

  test("an entry that expired before the load is not resurrected", () =>
    withDir(async (dir) => {
      const clock = new ManualClock();
      const cache = make(clock);
      cache.set("short", "1", 10);
      cache.set("long", "2", 100);
      cache.set("forever", "3", 0);
      const path = `${dir}/kv.snapshot`;
      await writeSnapshot(cache, path, { clock });
      clock.advance(10_000); // "short" expires exactly now
      const restored = make(clock);
      const report = await loadSnapshot(restored, path, { ...LIMITS, clock });
      assert.equal(report.expired, 1);
      assert.equal(report.restored, 2);
      assert.equal(restored.get("short"), undefined);
      assert.equal(restored.stats().entries, 2);
      clock.advance(89_999);
      assert.equal(restored.get("long"), "2");
      clock.advance(1);
      assert.equal(restored.get("long"), undefined);
      assert.equal(restored.get("forever"), "3");
    }));

  test("expired entries are not written", () =>
    withDir(async (dir) => {
      const clock = new ManualClock();
      const cache = make(clock);
      cache.set("gone", "1", 1);
      cache.set("kept", "2", 0);
      clock.advance(1000);
      const path = `${dir}/kv.snapshot`;
      const report = await writeSnapshot(cache, path, { clock });
      assert.equal(report.entries, 1);
    }));

  test("entries over today's size limits are skipped", () =>
    withDir(async (dir) => {
      const clock = new ManualClock();
      const cache = make(clock);
      cache.set("k".repeat(20), "v");
      cache.set("k", "v".repeat(20));
      cache.set("é".repeat(10), "😀".repeat(10));
      const path = `${dir}/kv.snapshot`;
      await writeSnapshot(cache, path, { clock });
      const restored = make(clock);
      const report = await loadSnapshot(restored, path, {
        maxKeySize: 10,
        maxValueSize: 10,
        clock,
      });
      assert.equal(report.tooLarge, 2);
      assert.deepEqual(contents(restored).map(([k, v]) => [k, v]), [[
        "é".repeat(10),
        "😀".repeat(10),
      ]]);
    }));

  test("a snapshot larger than the cache loads the newest entries that fit", () =>
    withDir(async (dir) => {
      const clock = new ManualClock();
      const big = make(clock, 100_000_000);
      const count = 60_000;
      for (let i = 0; i < count; i++) {
        big.set(`key-${i}`, `value-${i}-${"x".repeat(100)}`);
      }
      const path = `${dir}/kv.snapshot`;
      await writeSnapshot(big, path, { clock });
      const maxBytes = 2_000_000; // about a fifth of the entries
      const small = make(clock, maxBytes);
      const report = await loadSnapshot(small, path, { ...LIMITS, clock });
      assert.equal(report.restored, count);
      const stats = small.stats();
      assert.ok(stats.estimatedBytes <= maxBytes, `${stats.estimatedBytes}`);
      assert.ok(stats.entries > count / 20, `${stats.entries} entries`);
      const kept = contents(small).map(([key]) => key);
      // The newest entries, in age order, up to the very last one.
      const newest = Array.from(
        { length: kept.length },
        (_, i) => `key-${count - kept.length + i}`,
      );
      assert.deepEqual(kept, newest);
    }));
}

Deno.test("ArenaCache: a walk during writes, overwrites and compactions reports every untouched entry", () => {
  // Tiny segments so that overwrites trigger compactions and evictions.
  let compacted = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.nat(400), fc.constantFrom("set", "delete"), fc.nat(3)),
        { minLength: 150, maxLength: 400 },
      ),
      (operations) => {
        const clock = new ManualClock();
        const cache = new ArenaCache({
          maxBytes: 30_000,
          defaultTtlSeconds: 0,
          maxKeySize: 8,
          maxValueSize: 16,
          segmentBytes: 1024,
          clock,
        });
        for (let i = 0; i < 400; i++) cache.set(`k${i}`, `v${i}`);
        // Dead records, so that the writes below set off compactions.
        for (let i = 0; i < 400; i += 2) cache.set(`k${i}`, `u${i}`);
        const compactionsBefore = cache.stats().compactions;
        const before = new Map(contents(cache).map(([k, v]) => [k, v]));
        const touched = new Set<string>();
        const reported = new Map<string, string>();
        const decoder = new TextDecoder();
        const walk = cache.walk();
        let more = true;
        let i = 0;
        while (more) {
          more = walk.step((l) => {
            reported.set(
              JSON.parse(
                decoder.decode(l.bytes.subarray(l.keyStart, l.keyEnd)),
              ),
              JSON.parse(
                decoder.decode(l.bytes.subarray(l.valueStart, l.valueEnd)),
              ),
            );
          });
          // Between steps: a few writes (the server serves requests here).
          for (const [n, op, repeat] of operations.slice(i, i + 12)) {
            const key = `k${n}`;
            touched.add(key);
            for (let r = 0; r <= repeat; r++) {
              if (op === "set") cache.set(key, `w${n}.${r}`);
              else cache.delete(key);
            }
          }
          i += 12;
        }
        compacted += cache.stats().compactions > compactionsBefore ? 1 : 0;
        // Keys evicted meanwhile are gone from the cache; all others that
        // nobody touched must have been reported with their value.
        for (const [key, value] of before) {
          if (touched.has(key) || cache.get(key) === undefined) continue;
          assert.equal(reported.get(key), value, key);
        }
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(compacted > 50, `only ${compacted} walks saw a compaction`);
});

Deno.test("ArenaCache: a walk reports exactly the live entries in age order, also in the middle of a compaction", () => {
  const clock = new ManualClock();
  const cache = new ArenaCache({
    maxBytes: 200_000,
    defaultTtlSeconds: 0,
    maxKeySize: 8,
    maxValueSize: 16,
    segmentBytes: 1024,
    clock,
  });
  const model = new Map<string, string>();
  let random = 12345;
  const next = () => (random = (Math.imul(random, 1103515245) + 12345) >>> 0);
  let walks = 0;
  for (let i = 0; i < 6000; i++) {
    const key = `k${next() % 200}`;
    const value = `v${i}`;
    cache.set(key, value);
    model.delete(key);
    model.set(key, value);
    if (i % 13 === 0) {
      walks++;
      assert.deepEqual(
        contents(cache).map(([k, v]) => [k, v]),
        [...model],
        `walk after write ${i}`,
      );
    }
  }
  assert.ok(cache.stats().compactions > 20, "compactions happened");
  assert.equal(cache.stats().evicted, 0);
  assert.ok(walks > 400);
});

Deno.test("a snapshot written by one store loads into the other", () =>
  withDir(async (dir) => {
    const [[, makeMap], [, makeArena]] = STORES;
    const path = `${dir}/kv.snapshot`;
    const clock = new ManualClock();
    const arena = makeArena(clock);
    TRICKY_STRINGS.forEach((value, i) => arena.set(`k${i}`, value, i));
    await writeSnapshot(arena, path, { clock });
    const map = makeMap(clock);
    await loadSnapshot(map, path, { ...LIMITS, clock });
    assert.deepEqual(contents(map), contents(arena));
    await writeSnapshot(map, path, { clock });
    const back = makeArena(clock);
    await loadSnapshot(back, path, { ...LIMITS, clock });
    assert.deepEqual(contents(back), contents(arena));
  }));
