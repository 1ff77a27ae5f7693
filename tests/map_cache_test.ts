import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { EVICTIONS_PER_WRITE, MapCache } from "../lib/map_cache.ts";
import { estimateEntryBytes } from "../lib/size.ts";

function newCache(
  options: Partial<ConstructorParameters<typeof MapCache>[0]> = {},
) {
  const clock = new ManualClock();
  const cache = new MapCache({
    maxBytes: 1_000_000,
    defaultTtlSeconds: 300,
    clock,
    ...options,
  });
  return { clock, cache };
}

Deno.test("byte accounting follows inserts, overwrites and deletes", () => {
  const { cache } = newCache();
  cache.set("key", "short");
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("key", "short"),
  );
  cache.set("key", "a much longer value than before");
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("key", "a much longer value than before"),
  );
  cache.set("other", "€uro");
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("key", "a much longer value than before") +
      estimateEntryBytes("other", "€uro"),
  );
  cache.delete("key");
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("other", "€uro"),
  );
  cache.delete("other");
  assert.equal(cache.stats().estimatedBytes, 0);
});

Deno.test("eviction removes the oldest writes first, down to the low-water mark", () => {
  const entryBytes = estimateEntryBytes("key-000", "v".repeat(100));
  const maxBytes = entryBytes * 100;
  const { cache } = newCache({ maxBytes, lowWaterRatio: 0.9 });
  for (let i = 0; i < 100; i++) {
    cache.set(`key-${String(i).padStart(3, "0")}`, "v".repeat(100));
  }
  assert.equal(cache.stats().evicted, 0);
  // Rewriting key-000 makes it the newest entry.
  cache.set("key-000", "v".repeat(100));
  cache.set("key-100", "v".repeat(100));
  const stats = cache.stats();
  assert.equal(stats.entries, 90);
  assert.equal(stats.evicted, 11);
  assert.ok(stats.estimatedBytes <= maxBytes * 0.9);
  assert.equal(stats.estimatedBytes, 90 * entryBytes);
  // key-001..key-011 were the oldest; key-000 was refreshed and survives.
  for (let i = 1; i <= 11; i++) {
    assert.equal(cache.get(`key-${String(i).padStart(3, "0")}`), undefined);
  }
  assert.equal(cache.get("key-000"), "v".repeat(100));
  assert.equal(cache.get("key-012"), "v".repeat(100));
  assert.equal(cache.get("key-100"), "v".repeat(100));
});

Deno.test("eviction is spread over writes and never lets a write exceed the limit", () => {
  const entryBytes = estimateEntryBytes("k0000", "v");
  const count = 10 * EVICTIONS_PER_WRITE;
  const maxBytes = entryBytes * count;
  const { cache } = newCache({ maxBytes, lowWaterRatio: 0.5 });
  for (let i = 0; i < count; i++) {
    cache.set(`k${String(i).padStart(4, "0")}`, "v");
  }
  // Crossing the limit evicts what is needed plus EVICTIONS_PER_WRITE more.
  cache.set("x0000", "v");
  assert.equal(cache.stats().evicted, 1 + EVICTIONS_PER_WRITE);
  // Further writes continue the episode, always within the limit.
  let writes = 1;
  while (cache.stats().estimatedBytes > maxBytes * 0.5) {
    cache.set(`x${String(writes++).padStart(4, "0")}`, "v");
    assert.ok(cache.stats().estimatedBytes <= maxBytes);
  }
  const evicted = cache.stats().evicted;
  assert.equal(cache.stats().entries, count / 2);
  assert.equal(evicted, count + writes - count / 2);
  // Once at the low-water mark the episode is over: writes evict nothing.
  cache.set(`x${String(writes++).padStart(4, "0")}`, "v");
  assert.equal(cache.stats().evicted, evicted);
  // The survivors are exactly the newest writes.
  assert.equal(cache.get("k0000"), undefined);
  assert.equal(cache.get(`x${String(writes - 1).padStart(4, "0")}`), "v");
});

Deno.test("the entry limit evicts like the byte limit", () => {
  const { cache } = newCache({ maxEntries: 1000, lowWaterRatio: 0.9 });
  for (let i = 0; i < 1001; i++) cache.set(`k${i}`, "v");
  assert.equal(cache.stats().entries, 1000 - EVICTIONS_PER_WRITE);
  let writes = 1001;
  while (cache.stats().entries > 900) {
    cache.set(`k${writes++}`, "v");
    assert.ok(cache.stats().entries <= 1000);
  }
  const stats = cache.stats();
  assert.equal(stats.entries, 900);
  assert.equal(stats.evicted, writes - 900);
  assert.equal(cache.get(`k${writes - 901}`), undefined);
  assert.equal(cache.get(`k${writes - 900}`), "v");
});

Deno.test("an entry larger than the whole budget is evicted at once", () => {
  const { cache } = newCache({ maxBytes: 1024, maxValueSize: 5000 });
  cache.set("small", "v");
  cache.set("huge", "x".repeat(5000));
  const stats = cache.stats();
  assert.equal(stats.entries, 0);
  assert.equal(stats.estimatedBytes, 0);
  assert.equal(cache.get("huge"), undefined);
  // The cache keeps working after emptying itself.
  cache.set("again", "v");
  assert.equal(cache.get("again"), "v");
});

Deno.test("churn far past the budget keeps bytes bounded and accounting exact", () => {
  const maxBytes = 200_000;
  const { cache, clock } = newCache({ maxBytes });
  let expected = 0;
  for (let i = 0; i < 50_000; i++) {
    cache.set(`key${i % 7000}`, "x".repeat(i % 50), i % 3);
    if (i % 1000 === 0) clock.advance(500);
    if (i % 5 === 0) cache.delete(`key${(i * 7) % 7000}`);
    const stats = cache.stats();
    assert.ok(stats.estimatedBytes <= maxBytes);
    expected = stats.estimatedBytes;
  }
  // Remove everything left through the public API and check we reach zero.
  let result;
  clock.advance(10_000);
  do result = cache.sweep(100); while (!result.done);
  for (let i = 0; i < 7000; i++) cache.delete(`key${i}`);
  assert.ok(expected > 0);
  assert.equal(cache.stats().entries, 0);
  assert.equal(cache.stats().estimatedBytes, 0);
});

Deno.test("byte accounting follows setEntry, setExpiry, randomKey and clear", () => {
  const { cache, clock } = newCache();
  cache.setEntry("a", "one", 0);
  cache.setEntry("b", "two", clock.now() + 1000);
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("a", "one") + estimateEntryBytes("b", "two"),
  );
  cache.setEntry("a", "longer", 0);
  assert.equal(
    cache.stats().estimatedBytes,
    estimateEntryBytes("a", "longer") + estimateEntryBytes("b", "two"),
  );
  // A past expiry removes the entry and its bytes.
  assert.equal(cache.setExpiry("a", clock.now() - 1), true);
  assert.equal(cache.stats().estimatedBytes, estimateEntryBytes("b", "two"));
  // randomKey removes the expired entries it passes.
  clock.advance(1000);
  assert.equal(cache.randomKey(), undefined);
  const stats = cache.stats();
  assert.equal(stats.entries, 0);
  assert.equal(stats.estimatedBytes, 0);
  assert.equal(stats.expiredOnRead, 1);
  for (let i = 0; i < 100; i++) cache.set(`k${i}`, "v");
  cache.clear();
  assert.equal(cache.stats().estimatedBytes, 0);
  cache.set("k", "v");
  assert.equal(cache.stats().estimatedBytes, estimateEntryBytes("k", "v"));
});

Deno.test("setExpiry does not make an entry younger: eviction still follows the writes", () => {
  const entryBytes = estimateEntryBytes("key-0", "v");
  const { cache, clock } = newCache({
    maxBytes: entryBytes * 10,
    lowWaterRatio: 1,
  });
  for (let i = 0; i < 10; i++) cache.set(`key-${i}`, "v");
  cache.setExpiry("key-0", 0);
  cache.setExpiry("key-1", clock.now() + 60_000);
  cache.setEntry("key-2", "v", 0); // a write: now the newest
  cache.set("key-a", "v");
  cache.set("key-b", "v");
  assert.equal(cache.stats().evicted, 2);
  assert.equal(cache.get("key-0"), undefined);
  assert.equal(cache.get("key-1"), undefined);
  assert.equal(cache.get("key-2"), "v");
  cache.set("key-c", "v");
  assert.equal(cache.get("key-3"), undefined);
  assert.equal(cache.get("key-2"), "v");
});

Deno.test("setEntry and setExpiry reject an expiry that is not 0 or whole ms", () => {
  const { cache } = newCache();
  cache.set("k", "v");
  for (const expiresAt of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => cache.setEntry("k", "w", expiresAt), RangeError);
    assert.throws(() => cache.setExpiry("k", expiresAt), RangeError);
  }
  assert.deepEqual(cache.entry("k")?.value, "v");
  assert.equal(cache.stats().puts, 1);
});

Deno.test("clear ends a walk's view of the old entries and resets eviction", () => {
  const entryBytes = estimateEntryBytes("k00", "v");
  const { cache } = newCache({ maxBytes: entryBytes * 50 });
  for (let i = 0; i < 60; i++) {
    cache.set(`k${String(i).padStart(2, "0")}`, "v");
  }
  assert.ok(cache.stats().evicted > 0, "an eviction episode is open");
  const walk = cache.walk();
  cache.clear();
  cache.set("new", "v");
  const seen: number[] = [];
  while (walk.step((literals) => seen.push(literals.keyEnd))) {
    // Only the entry written after the clear is reported.
  }
  assert.equal(seen.length, 1);
  const evicted = cache.stats().evicted;
  for (let i = 0; i < 49; i++) cache.set(`n${String(i).padStart(2, "0")}`, "v");
  assert.equal(cache.stats().evicted, evicted, "no eviction under the budget");
  assert.equal(cache.stats().entries, 50);
});
