import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { type CacheSettings, createCache } from "../lib/create_cache.ts";
import { codePointLength, MAX_TTL_SECONDS } from "../lib/entry_limits.ts";

const SMALL: Omit<CacheSettings, "cacheStore"> = {
  maxCacheBytes: 8_000_000,
  defaultTtlSeconds: 300,
  maxKeySize: 4,
  maxValueSize: 4,
};

for (const cacheStore of ["arena", "map"] as const) {
  const store = () => createCache({ ...SMALL, cacheStore }, new ManualClock());

  Deno.test(`${cacheStore}: a value over the limit is refused and nothing changes`, () => {
    const cache = store();
    cache.set("k", "old");
    assert.throws(
      () => cache.set("k", "x".repeat(300_000)),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message ===
          "Cannot store a value of 300000 code points; the maximum is 4",
    );
    assert.equal(cache.get("k"), "old");
    assert.equal(cache.stats().puts, 1);
  });

  Deno.test(`${cacheStore}: a key over the limit or empty is refused`, () => {
    const cache = store();
    assert.throws(() => cache.set("kkkkk", "v"), /key of 5 code points/);
    assert.throws(() => cache.set("", "v"), /empty key/);
    assert.equal(cache.stats().entries, 0);
  });

  Deno.test(`${cacheStore}: limits count code points, inclusive`, () => {
    const cache = store();
    cache.set("😀😀😀😀", "éééé");
    assert.equal(cache.get("😀😀😀😀"), "éééé");
    assert.throws(() => cache.set("😀😀😀😀😀", "v"), RangeError);
  });

  Deno.test(`${cacheStore}: a TTL out of range is refused`, () => {
    const cache = store();
    for (const ttl of [-1, 1.5, MAX_TTL_SECONDS + 1, NaN]) {
      assert.throws(() => cache.set("k", "v", ttl), /TTL/);
    }
    assert.equal(cache.get("k"), undefined);
    cache.set("k", "v", MAX_TTL_SECONDS);
    assert.equal(cache.get("k"), "v");
  });
}

Deno.test("code points: pairs count once, lone surrogates once each", () => {
  assert.equal(codePointLength("a😀b"), 3);
  assert.equal(codePointLength("\ud83d"), 1);
  assert.equal(codePointLength("\ude00\ud83d"), 2);
  assert.equal(codePointLength(""), 0);
});
