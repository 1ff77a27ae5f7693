// The semantics every store must have, run against each implementation.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ManualClock } from "../lib/clock.ts";
import type { Cache } from "../lib/cache.ts";
import { MapCache } from "../lib/map_cache.ts";
import { ArenaCache, createArenaLayout } from "../lib/arena_cache.ts";
import { TRICKY_STRINGS } from "./support/tricky_strings.ts";

const MINUTE = 60_000;

/**
 * Builds a store, and `peer`: a second handle on the same entries (another
 * `ArenaCache` on the shared layout, else the store itself).
 */
type Factory = (
  clock: ManualClock,
  defaultTtlSeconds: number,
) => { cache: Cache; peer: Cache };

const STORES: [string, Factory][] = [
  [
    "MapCache",
    (clock, defaultTtlSeconds) => {
      const cache = new MapCache({
        maxBytes: 100_000_000,
        defaultTtlSeconds,
        clock,
      });
      return { cache, peer: cache };
    },
  ],
  ["ArenaCache", (clock, defaultTtlSeconds) => {
    const cache = new ArenaCache({
      maxBytes: 100_000_000,
      defaultTtlSeconds,
      maxKeySize: 256,
      maxValueSize: 256,
      clock,
    });
    return { cache, peer: cache };
  }],
  // The same store in shared memory: every call takes the lock, reads copy
  // out; the peer is a second instance on the layout, as another isolate's.
  ["ArenaCache (shared)", (clock, defaultTtlSeconds) => {
    const options = {
      maxBytes: 100_000_000,
      defaultTtlSeconds,
      maxKeySize: 256,
      maxValueSize: 256,
      clock,
    };
    const layout = createArenaLayout(options, true);
    return {
      cache: new ArenaCache(options, layout),
      peer: new ArenaCache(options, layout),
    };
  }],
];

/** The keys of `cache`'s walk, oldest first. */
function ageOrder(cache: Cache): string[] {
  const decoder = new TextDecoder();
  const keys: string[] = [];
  const walk = cache.walk();
  while (
    walk.step((literals) =>
      keys.push(JSON.parse(decoder.decode(
        literals.bytes.subarray(literals.keyStart, literals.keyEnd),
      )))
    )
  );
  return keys;
}

/**
 * Runs a scan with `count` from `cursor` (0: a whole one) to its end, and
 * returns the keys reported (with repeats) and the batches taken.
 */
function scanAll(
  cache: Cache,
  count: number,
  cursor = 0,
): { keys: string[]; batches: string[][] } {
  const keys: string[] = [];
  const batches: string[][] = [];
  do {
    const batch = cache.scan(cursor, count);
    assert.ok(Number.isSafeInteger(batch.cursor) && batch.cursor >= 0);
    keys.push(...batch.keys);
    batches.push(batch.keys);
    cursor = batch.cursor;
    assert.ok(batches.length < 1_000_000, "the scan never ended");
  } while (cursor !== 0);
  return { keys, batches };
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

for (const [store, make] of STORES) {
  const setup = (defaultTtlSeconds = 300) => {
    const clock = new ManualClock();
    return { clock, ...make(clock, defaultTtlSeconds) };
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

  test("readUtf8 hands over the value's UTF-8 bytes, lone surrogates as U+FFFD", () => {
    const { cache, clock } = setup();
    const encoder = new TextEncoder();
    for (const [i, value] of TRICKY_STRINGS.entries()) {
      cache.set(`k${i}`, value);
    }
    // A long value too, past any scratch buffer's first size.
    const long = 'é"x'.repeat(80);
    cache.set("long", long);
    const before = cache.stats();
    for (const [i, value] of TRICKY_STRINGS.entries()) {
      const bytes = cache.readUtf8(`k${i}`, (view) => view.slice());
      assert.deepEqual(bytes, encoder.encode(value), JSON.stringify(value));
      // What `use` returns is what readUtf8 returns; a view it changes
      // changes nothing stored.
      assert.equal(
        cache.readUtf8(`k${i}`, (view) => view.fill(0x41).length),
        bytes!.length,
      );
      assert.equal(cache.get(`k${i}`), value);
    }
    assert.deepEqual(
      cache.readUtf8("long", (view) => view.slice()),
      encoder.encode(long),
    );
    let called = false;
    assert.equal(cache.readUtf8("absent", () => (called = true)), undefined);
    assert.equal(called, false);
    const after = cache.stats();
    assert.equal(after.hits - before.hits, 3 * TRICKY_STRINGS.length + 1);
    assert.equal(after.misses - before.misses, 1);
    // Lazy expiry applies as to get.
    cache.set("t", "short", 5);
    clock.advance(5_000);
    assert.equal(cache.readUtf8("t", (view) => view.length), undefined);
    assert.equal(cache.stats().expiredOnRead, 1);
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

  // --- the operations the Redis commands need -----------------------------

  test("now reads the cache's clock", () => {
    const { cache, clock } = setup();
    const start = clock.now();
    assert.equal(cache.now(), start);
    clock.advance(1234);
    assert.equal(cache.now(), start + 1234);
  });

  test("entry returns the value and absolute expiry, counted like get", () => {
    const { cache, clock } = setup();
    const start = clock.now();
    cache.set("ttl", "one");
    cache.set("forever", "two", 0);
    cache.set("short", "three", 10);
    assert.deepEqual(cache.entry("ttl"), {
      value: "one",
      expiresAt: start + 5 * MINUTE,
    });
    assert.deepEqual(cache.entry("forever"), { value: "two", expiresAt: 0 });
    assert.equal(cache.entry("absent"), undefined);
    assert.deepEqual(
      [cache.stats().hits, cache.stats().misses],
      [2, 1],
    );
    clock.advance(10_000);
    // Expired: absent, removed on the way, a miss.
    assert.equal(cache.entry("short"), undefined);
    const stats = cache.stats();
    assert.equal(stats.misses, 2);
    assert.equal(stats.expiredOnRead, 1);
    assert.equal(stats.entries, 2);
    for (const value of TRICKY_STRINGS) {
      cache.set("tricky", value);
      assert.equal(cache.entry("tricky")?.value, value);
    }
  });

  test("setEntry stores an absolute expiry: 0 never expires, a time expires then", () => {
    const { cache, clock } = setup();
    const start = clock.now();
    cache.setEntry("forever", "a", 0);
    cache.setEntry("soon", "b", start + 1000);
    assert.deepEqual(cache.entry("forever"), { value: "a", expiresAt: 0 });
    assert.deepEqual(cache.entry("soon"), {
      value: "b",
      expiresAt: start + 1000,
    });
    clock.advance(999);
    assert.equal(cache.get("soon"), "b");
    clock.advance(1);
    assert.equal(cache.get("soon"), undefined);
    clock.advance(100 * 365 * 24 * 60 * MINUTE);
    assert.equal(cache.get("forever"), "a");
    // An overwrite replaces both value and expiry, and counts as a put.
    cache.setEntry("forever", "c", clock.now() + 5);
    assert.deepEqual(cache.entry("forever"), {
      value: "c",
      expiresAt: clock.now() + 5,
    });
    assert.equal(cache.stats().puts, 3);
    // A time already past reads as absent.
    cache.setEntry("past", "d", clock.now() - 1);
    assert.equal(cache.get("past"), undefined);
    assert.equal(cache.entry("past"), undefined);
  });

  test("setEntry makes the entry the newest, and rejects what set rejects", () => {
    const { cache } = setup();
    for (const key of ["a", "b", "c"]) cache.set(key, key);
    cache.setEntry("a", "again", 0);
    assert.deepEqual(ageOrder(cache), ["b", "c", "a"]);
    const before = cache.stats();
    assert.throws(() => cache.setEntry("", "v", 0), RangeError);
    assert.throws(() => cache.setEntry("k".repeat(257), "v", 0), RangeError);
    assert.throws(() => cache.setEntry("b", "v".repeat(257), 0), RangeError);
    assert.equal(cache.get("b"), "b");
    const after = cache.stats();
    assert.equal(after.entries, before.entries);
    assert.equal(after.puts, before.puts);
  });

  test("setExpiry changes a live entry's expiry in place", () => {
    const { cache, clock } = setup();
    const start = clock.now();
    cache.set("k", "v");
    const { puts, liveBytes } = cache.stats();
    assert.equal(cache.setExpiry("k", start + 10 * MINUTE), true);
    assert.deepEqual(cache.entry("k"), {
      value: "v",
      expiresAt: start + 10 * MINUTE,
    });
    clock.advance(5 * MINUTE); // past the default TTL it was written with
    assert.equal(cache.get("k"), "v");
    // 0 removes the expiry (PERSIST).
    assert.equal(cache.setExpiry("k", 0), true);
    clock.advance(60 * MINUTE);
    assert.deepEqual(cache.entry("k"), { value: "v", expiresAt: 0 });
    // And an expiry can be set again.
    assert.equal(cache.setExpiry("k", clock.now() + 1000), true);
    clock.advance(1000);
    assert.equal(cache.get("k"), undefined);
    const stats = cache.stats();
    assert.equal(stats.puts, puts, "not a write");
    assert.equal(stats.expiredOnRead, 1);
    assert.ok(liveBytes > 0 && stats.liveBytes === 0);
  });

  test("setExpiry answers false for absent and expired keys, changing nothing", () => {
    const { cache, clock } = setup();
    assert.equal(cache.setExpiry("never", clock.now() + 1000), false);
    assert.equal(cache.get("never"), undefined);
    cache.set("stale", "v", 1);
    cache.set("live", "v", 0);
    clock.advance(1000);
    assert.equal(cache.setExpiry("stale", clock.now() + MINUTE), false);
    assert.equal(cache.setExpiry("stale", 0), false);
    assert.equal(cache.get("stale"), undefined);
    assert.equal(cache.delete("live"), true);
    assert.equal(cache.setExpiry("live", 0), false);
    const stats = cache.stats();
    assert.equal(stats.entries, 0);
    assert.equal(stats.puts, 2);
    assert.equal(stats.deletes, 1);
  });

  test("setExpiry with a time now or past removes the key, counted as a delete", () => {
    const { cache, clock } = setup();
    cache.set("a", "v");
    cache.set("b", "v");
    cache.set("c", "v");
    assert.equal(cache.setExpiry("a", clock.now() - 60_000), true);
    assert.equal(cache.setExpiry("b", clock.now()), true);
    assert.equal(cache.get("a"), undefined);
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.setExpiry("a", 0), false, "gone for good");
    const stats = cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(stats.deletes, 2);
    assert.equal(stats.expiredOnRead, 0);
    assert.equal(cache.get("c"), "v");
  });

  test("setExpiry keeps the entry's age: the age order stays the write order", () => {
    const { cache, clock } = setup();
    for (const key of ["a", "b", "c", "d"]) cache.set(key, key);
    cache.setExpiry("a", clock.now() + 60 * MINUTE);
    cache.setExpiry("b", 0);
    cache.setExpiry("c", clock.now() + 1000);
    assert.deepEqual(ageOrder(cache), ["a", "b", "c", "d"]);
    cache.set("b", "again");
    assert.deepEqual(ageOrder(cache), ["a", "c", "d", "b"]);
    clock.advance(1000);
    assert.deepEqual(ageOrder(cache), ["a", "d", "b"]);
  });

  test("atomically returns what fn returns, nests, and keeps what fn did before throwing", () => {
    const { cache } = setup();
    const result = cache.atomically(() => {
      cache.set("a", "1");
      const inner = cache.atomically(() => {
        cache.set("b", "2");
        return cache.get("a");
      });
      return { inner, b: cache.get("b") };
    });
    assert.deepEqual(result, { inner: "1", b: "2" });
    assert.throws(
      () =>
        cache.atomically(() => {
          cache.set("c", "3");
          throw new Error("Stop");
        }),
      { message: "Stop" },
    );
    assert.equal(cache.get("c"), "3");
    // The section was left: the store still works, also from a peer.
    assert.equal(cache.atomically(() => cache.delete("a")), true);
    assert.equal(cache.stats().entries, 2);
  });

  test("scan of an empty store ends at once with no keys", () => {
    const { cache } = setup();
    const { keys, batches } = scanAll(cache, 10);
    assert.deepEqual(keys, []);
    assert.ok(batches.length <= 2, `${batches.length} batches`);
  });

  test("scan reports every key exactly once, with any count", () => {
    const { cache } = setup();
    const written = new Set<string>();
    for (const [i, text] of TRICKY_STRINGS.entries()) {
      if (text !== "") written.add(text);
      written.add(`tricky-${i}`);
    }
    for (let i = 0; i < 3000; i++) written.add(`key:${i}`);
    for (const key of written) cache.set(key, "v", 0);
    for (const count of [1, 7, 100, 1_000_000]) {
      const { keys, batches } = scanAll(cache, count);
      assert.deepEqual(sorted(keys), sorted(written), `count ${count}`);
      if (count === 1_000_000) continue;
      // Bounded work per call: about count keys per batch.
      assert.ok(
        batches.every((batch) => batch.length <= count + 32),
        `count ${count}: a batch of ${
          Math.max(...batches.map((b) => b.length))
        }`,
      );
    }
  });

  test("scan skips expired keys", () => {
    const { cache, clock } = setup();
    for (let i = 0; i < 200; i++) cache.set(`k${i}`, "v", i % 2 === 0 ? 1 : 0);
    clock.advance(1000);
    const { keys } = scanAll(cache, 16);
    assert.deepEqual(
      sorted(keys),
      sorted(Array.from({ length: 100 }, (_, i) => `k${2 * i + 1}`)),
    );
  });

  test("scan with an unknown cursor answers an ended, empty batch", () => {
    const { cache } = setup();
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, "v");
    for (const cursor of [2 ** 53 - 1, 4_000_000_000, -1, 1.5]) {
      assert.deepEqual(cache.scan(cursor, 10), { cursor: 0, keys: [] });
    }
  });

  test("scan reports every key present throughout, whatever happens meanwhile (property)", () => {
    const keyIndex = fc.nat({ max: 2999 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("scan" as const) }),
      fc.record({ kind: fc.constant("set" as const), key: keyIndex }),
      fc.record({ kind: fc.constant("delete" as const), key: keyIndex }),
      fc.record({ kind: fc.constant("expiry" as const), key: keyIndex }),
      fc.record({
        kind: fc.constant("bulk" as const),
        key: keyIndex,
        n: fc.integer({ min: 1, max: 600 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(op, { maxLength: 120 }),
        (initial, count, ops) => {
          const { cache, peer, clock } = setup(0);
          const present = new Set<string>();
          const set = (key: string, i: number) => {
            peer.set(key, "v".repeat(i % 40));
            present.add(key);
          };
          for (let i = 0; i < initial; i++) set(`k${i}`, i);
          const ever = new Set(present);
          const throughout = new Set(present);
          const reported = new Set<string>();
          let cursor = 0;
          let started = false;
          const step = () => {
            if (started && cursor === 0) return;
            started = true;
            const batch = cache.scan(cursor, count);
            for (const key of batch.keys) reported.add(key);
            cursor = batch.cursor;
          };
          step();
          for (const [i, o] of ops.entries()) {
            if (o.kind === "scan") {
              step();
              continue;
            }
            const key = `k${o.key}`;
            if (o.kind === "set") {
              if (i % 3 === 0) {
                peer.setEntry(key, "w".repeat(i % 50), 0);
                present.add(key);
              } else set(key, i);
            } else if (o.kind === "delete") {
              assert.equal(peer.delete(key), present.delete(key));
              throughout.delete(key);
            } else if (o.kind === "expiry") {
              const expiresAt = i % 2 === 0 ? 0 : clock.now() + MINUTE;
              assert.equal(peer.setExpiry(key, expiresAt), present.has(key));
            } else {
              for (let j = o.key; j < o.key + o.n; j++) set(`k${j}`, j);
            }
            for (const key of present) ever.add(key);
          }
          let calls = 0;
          while (!(started && cursor === 0)) {
            step();
            assert.ok(++calls < 100_000, "the scan never ended");
          }
          for (const key of throughout) {
            assert.ok(reported.has(key), `${key} was present throughout`);
          }
          for (const key of reported) {
            assert.ok(ever.has(key), `${key} was never written`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test("randomKey answers undefined for an empty store and one of only expired keys", () => {
    const { cache, clock } = setup();
    assert.equal(cache.randomKey(), undefined);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, "v", 1);
    assert.ok(cache.randomKey()?.startsWith("k"));
    clock.advance(1000);
    for (let i = 0; i < 10; i++) assert.equal(cache.randomKey(), undefined);
    cache.set("a", "v");
    cache.delete("a");
    assert.equal(cache.randomKey(), undefined);
  });

  test("randomKey answers live keys, not always the same one", () => {
    const { cache, clock } = setup();
    const live = new Set<string>();
    for (let i = 0; i < 20; i++) {
      cache.set(`live${i}`, "v", 0);
      live.add(`live${i}`);
      cache.set(`stale${i}`, "v", 1);
    }
    clock.advance(1000);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = cache.randomKey();
      assert.ok(key !== undefined && live.has(key), `${key}`);
      seen.add(key);
    }
    assert.ok(seen.size >= 5, `only ${[...seen]}`);
    assert.equal(cache.stats().hits + cache.stats().misses, 0, "not a read");
  });

  test("clear removes every entry and keeps the counters", () => {
    const { cache, clock } = setup();
    for (let i = 0; i < 3000; i++) cache.set(`k${i}`, "v".repeat(i % 100));
    cache.get("k1");
    cache.get("absent");
    const { cursor } = cache.scan(0, 10);
    const before = cache.stats();
    cache.clear();
    const after = cache.stats();
    assert.equal(after.entries, 0);
    assert.equal(after.liveBytes, 0);
    assert.deepEqual(
      [after.hits, after.misses, after.puts, after.deletes],
      [before.hits, before.misses, before.puts, before.deletes],
    );
    assert.equal(cache.get("k1"), undefined);
    assert.equal(cache.entry("k2"), undefined);
    assert.equal(cache.randomKey(), undefined);
    assert.deepEqual(scanAll(cache, 100).keys, []);
    assert.deepEqual(cache.sweep(10_000), { removed: 0, done: true });
    // A scan started before never reports a key that clear removed.
    assert.notEqual(cursor, 0);
    assert.deepEqual(scanAll(cache, 100, cursor).keys, []);
    // The store works as before.
    cache.set("after", "v");
    cache.setEntry("later", "w", clock.now() + 1000);
    assert.equal(cache.get("after"), "v");
    assert.deepEqual(sorted(scanAll(cache, 1).keys), ["after", "later"]);
    assert.equal(cache.stats().entries, 2);
    for (let i = 0; i < 3000; i++) cache.set(`k${i}`, "v");
    assert.equal(cache.stats().entries, 3002);
    assert.equal(cache.randomKey() !== undefined, true);
    cache.clear();
    assert.equal(cache.stats().liveBytes, 0);
  });
}
