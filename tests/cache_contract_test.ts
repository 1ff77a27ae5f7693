// The semantics every store must have, run against each implementation.
import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import type { Cache } from "../lib/cache.ts";
import { MapCache } from "../lib/map_cache.ts";
import { ArenaCache, createArenaLayout } from "../lib/arena_cache.ts";
import { TRICKY_STRINGS } from "./support/tricky_strings.ts";

const MINUTE = 60_000;

type Factory = (clock: ManualClock, defaultTtlSeconds: number) => Cache;

const STORES: [string, Factory][] = [
  [
    "MapCache",
    (clock, defaultTtlSeconds) =>
      new MapCache({ maxBytes: 100_000_000, defaultTtlSeconds, clock }),
  ],
  ["ArenaCache", (clock, defaultTtlSeconds) =>
    new ArenaCache({
      maxBytes: 100_000_000,
      defaultTtlSeconds,
      maxKeySize: 256,
      maxValueSize: 256,
      clock,
    })],
  // The same store in shared memory: every call takes the lock, reads copy out.
  ["ArenaCache (shared)", (clock, defaultTtlSeconds) => {
    const options = {
      maxBytes: 100_000_000,
      defaultTtlSeconds,
      maxKeySize: 256,
      maxValueSize: 256,
      clock,
    };
    return new ArenaCache(options, createArenaLayout(options, true));
  }],
];

for (const [store, make] of STORES) {
  const setup = (defaultTtlSeconds = 300) => {
    const clock = new ManualClock();
    return { clock, cache: make(clock, defaultTtlSeconds) };
  };
  const test = (name: string, fn: () => void) =>
    Deno.test(`${store}: ${name}`, fn);

  test("get returns what set stored, and undefined for unknown keys", () => {
    const { cache } = setup();
    cache.set("a", "1");
    assert.equal(cache.get("a"), "1");
    assert.equal(cache.get("b"), undefined);
    const stats = cache.stats();
    assert.equal(stats.hits, 1);
    assert.equal(stats.misses, 1);
    assert.equal(stats.puts, 1);
    assert.equal(stats.entries, 1);
  });

  test("strings of every kind round-trip exactly", () => {
    const { cache } = setup();
    const values = TRICKY_STRINGS;
    for (const [i, value] of values.entries()) {
      cache.set(value || "empty", value);
      cache.set(`k${i}`, value);
    }
    for (const [i, value] of values.entries()) {
      assert.equal(cache.get(value || "empty"), value);
      assert.equal(cache.get(`k${i}`), value);
      assert.equal(cache.getJson(`k${i}`), JSON.stringify(value));
    }
    assert.equal(cache.getJson("absent"), undefined);
  });

  test("setJson stores what set would, given the literals", () => {
    const { cache, clock } = setup();
    const encoder = new TextEncoder();
    const put = (key: string, value: string, ttl?: number) => {
      const keyJson = JSON.stringify(key);
      const body = encoder.encode(
        `{"key":${keyJson},"value":${JSON.stringify(value)}}`,
      );
      const keyStart = 7;
      const keyEnd = keyStart + encoder.encode(keyJson).length;
      cache.setJson(
        {
          bytes: body,
          keyStart,
          keyEnd,
          valueStart: keyEnd + 9,
          valueEnd: body.length - 1,
        },
        ttl,
      );
    };
    put("a", 'quote " tab \t \x0b');
    put("b", "two");
    put("b", "three"); // an overwrite
    put("t", "short", 5);
    assert.equal(cache.get("a"), 'quote " tab \t \x0b');
    assert.equal(cache.getJson("a"), JSON.stringify('quote " tab \t \x0b'));
    assert.equal(cache.get("b"), "three");
    assert.equal(cache.stats().entries, 3);
    assert.equal(cache.stats().puts, 4);
    clock.advance(5_000);
    assert.equal(cache.get("t"), undefined);
    assert.equal(cache.get("a"), 'quote " tab \t \x0b');
    // And set and setJson address the same entries.
    cache.set("b", "four");
    assert.equal(cache.stats().entries, 2);
    put("a", "five");
    assert.equal(cache.get("a"), "five");
  });

  test("entries expire after the default TTL", () => {
    const { cache, clock } = setup();
    cache.set("k", "v");
    clock.advance(5 * MINUTE - 1);
    assert.equal(cache.get("k"), "v");
    clock.advance(1);
    assert.equal(cache.get("k"), undefined);
  });

  test("a per-entry TTL overrides the default; 0 never expires", () => {
    const { cache, clock } = setup();
    cache.set("short", "v", 10);
    cache.set("long", "v", 3600);
    cache.set("forever", "v", 0);
    clock.advance(10_000);
    assert.equal(cache.get("short"), undefined);
    clock.advance(30 * MINUTE);
    assert.equal(cache.get("long"), "v");
    clock.advance(100 * 365 * 24 * 60 * MINUTE);
    assert.equal(cache.get("forever"), "v");
  });

  test("a default TTL of 0 makes entries without a TTL permanent", () => {
    const { cache, clock } = setup(0);
    cache.set("k", "v");
    clock.advance(10 * 365 * 24 * 60 * MINUTE);
    assert.equal(cache.get("k"), "v");
  });

  test("reading an expired entry removes it (lazy expiry)", () => {
    const { cache, clock } = setup();
    cache.set("k", "v", 1);
    assert.ok(cache.stats().liveBytes > 0);
    clock.advance(1000);
    assert.equal(cache.getJson("k"), undefined);
    assert.equal(cache.get("k"), undefined);
    const stats = cache.stats();
    assert.equal(stats.entries, 0);
    assert.equal(stats.liveBytes, 0);
    assert.equal(stats.expiredOnRead, 1);
    assert.equal(stats.misses, 2);
    assert.equal(stats.hits, 0);
  });

  test("an overwrite replaces the value and restarts the TTL", () => {
    const { cache, clock } = setup();
    cache.set("k", "old", 60);
    const small = cache.stats().liveBytes;
    clock.advance(50_000);
    cache.set("k", "new and longer than before", 60);
    clock.advance(50_000);
    assert.equal(cache.get("k"), "new and longer than before");
    const stats = cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(stats.puts, 2);
    assert.ok(stats.liveBytes > small);
  });

  test("delete removes live entries and reports expired ones as absent", () => {
    const { cache, clock } = setup();
    cache.set("live", "v");
    cache.set("stale", "v", 1);
    clock.advance(1000);
    assert.equal(cache.delete("live"), true);
    assert.equal(cache.delete("live"), false);
    assert.equal(cache.delete("stale"), false);
    assert.equal(cache.delete("never"), false);
    const stats = cache.stats();
    assert.equal(stats.deletes, 1);
    assert.equal(stats.expiredOnRead, 1);
    assert.equal(stats.entries, 0);
    assert.equal(stats.liveBytes, 0);
  });

  test("sweep removes only expired entries", () => {
    const { cache, clock } = setup();
    for (let i = 0; i < 100; i++) cache.set(`short${i}`, "v", 10);
    for (let i = 0; i < 100; i++) cache.set(`long${i}`, "v", 1000);
    for (let i = 0; i < 100; i++) cache.set(`forever${i}`, "v", 0);
    const before = cache.stats().liveBytes;
    clock.advance(10_000);
    assert.deepEqual(cache.sweep(1_000), { removed: 100, done: true });
    const stats = cache.stats();
    assert.equal(stats.entries, 200);
    assert.equal(stats.expiredBySweep, 100);
    assert.equal(stats.sweepsRun, 1);
    assert.ok(stats.liveBytes < before && stats.liveBytes > 0);
    assert.equal(cache.get("short5"), undefined);
    assert.equal(cache.get("long5"), "v");
    assert.equal(cache.get("forever5"), "v");
  });

  test("sweep works in batches that resume where the last one stopped", () => {
    const { cache, clock } = setup();
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, "v", i % 2 === 0 ? 1 : 0);
    }
    clock.advance(1000);
    let calls = 0;
    let removed = 0;
    let result;
    do {
      result = cache.sweep(64);
      removed += result.removed;
      calls++;
    } while (!result.done);
    assert.equal(removed, 500);
    assert.equal(calls, Math.ceil(1000 / 64));
    assert.equal(cache.stats().entries, 500);
    assert.equal(cache.stats().sweepsRun, 1);
    // The next call starts a new pass.
    assert.deepEqual(cache.sweep(10_000), { removed: 0, done: true });
    assert.equal(cache.stats().sweepsRun, 2);
  });

  test("everything removed brings live bytes back to zero", () => {
    const { cache, clock } = setup();
    for (let i = 0; i < 5000; i++) {
      cache.set(`key${i % 700}`, "x".repeat(i % 50), i % 3);
      if (i % 5 === 0) cache.delete(`key${(i * 7) % 700}`);
      if (i % 1000 === 0) clock.advance(500);
    }
    assert.ok(cache.stats().liveBytes > 0);
    for (let i = 0; i < 700; i++) cache.delete(`key${i}`);
    assert.equal(cache.stats().entries, 0);
    assert.equal(cache.stats().liveBytes, 0);
  });

  test("stats reports uptime from the injected clock", () => {
    const { cache, clock } = setup();
    clock.advance(90_500);
    assert.equal(cache.stats().uptimeSeconds, 90);
    assert.equal(cache.stats().maxBytes, 100_000_000);
  });
}
