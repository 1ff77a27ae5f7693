/**
 * Test support: a Web Worker that runs a seeded random sequence of
 * operations on a shared arena store and checks every answer against its own
 * model as it goes. Each worker owns its keys (`w<index>-…`), so its model
 * is exact for them; all of them also write one of two values to a hot key.
 * The clock is a shared `Int32Array` slot that every read advances.
 *
 * @module
 */

import { ArenaCache, type ArenaLayout } from "../../lib/arena_cache.ts";
import { seededRandom } from "../../bench/data.ts";

/** What the test sends a stress worker. */
export interface StressStart {
  index: number;
  /** Workers in the test: each waits for all before its first operation. */
  workers: number;
  seed: number;
  operations: number;
  keys: number;
  layout: ArenaLayout;
  /** Int32 slot 0: the clock; slot 1: workers ready to start. */
  clock: SharedArrayBuffer;
  /** Two values every worker writes to the hot key. */
  hot: [string, string];
  /** Whether an entry may be missing (evicted): a small store's test. */
  mayEvict: boolean;
}

/** What a stress worker reports when done. */
export interface StressReport {
  index: number;
  /** Answers that contradicted the model, described. */
  errors: string[];
  puts: number;
  deletes: number;
  hits: number;
  /** The model's final value of each key still set with no TTL. */
  final: Record<string, string>;
}

interface Expected {
  value: string;
  /** Clock just before and after the write; Infinity for no expiry. */
  setBefore: number;
  setAfter: number;
  ttlMs: number;
}

function run(start: StressStart): StressReport {
  const time = new Int32Array(start.clock);
  // Every read of the clock moves it on by a millisecond, atomically, so
  // that time never goes back for any isolate.
  const clock = { now: () => Atomics.add(time, 0, 1) + 1 };
  const peek = () => Atomics.load(time, 0);
  const cache = new ArenaCache({
    maxBytes: start.layout.maxBytes,
    defaultTtlSeconds: 0,
    maxKeySize: 1,
    maxValueSize: 1,
    clock,
  }, start.layout);
  // Start together, so that the operations really interleave.
  Atomics.add(time, 1, 1);
  for (let ready; (ready = Atomics.load(time, 1)) < start.workers;) {
    Atomics.wait(time, 1, ready, 10);
  }
  const next = seededRandom(start.seed);
  const model = new Map<string, Expected>();
  const report: StressReport = {
    index: start.index,
    errors: [],
    puts: 0,
    deletes: 0,
    hits: 0,
    final: {},
  };
  const fail = (message: string) => {
    if (report.errors.length < 20) report.errors.push(message);
  };
  for (let op = 0; op < start.operations; op++) {
    const key = `w${start.index}-${Math.floor(next() * start.keys)}`;
    const roll = next();
    if (roll < 0.45) {
      const value = `${key}:${op}:`.padEnd(8 + Math.floor(next() * 56), "x");
      const ttl = next() < 0.2 ? 1 + Math.floor(next() * 3) : 0;
      const setBefore = peek();
      cache.set(key, value, ttl);
      report.puts++;
      model.set(key, {
        value,
        setBefore,
        setAfter: peek(),
        ttlMs: ttl === 0 ? Infinity : ttl * 1000,
      });
    } else if (roll < 0.85) {
      const before = peek();
      const got = cache.get(key);
      const after = peek();
      const expected = model.get(key);
      if (got !== undefined) report.hits++;
      if (expected === undefined) {
        if (got !== undefined) fail(`${key}: got ${got}, expected nothing`);
      } else if (after < expected.setBefore + expected.ttlMs) {
        if (got === undefined && start.mayEvict) model.delete(key);
        else if (got !== expected.value) {
          fail(`${key}: got ${got}, expected ${expected.value}`);
        }
      } else if (before >= expected.setAfter + expected.ttlMs) {
        if (got !== undefined) fail(`${key}: got ${got} after its expiry`);
        model.delete(key);
      } else if (got !== undefined && got !== expected.value) {
        fail(`${key}: got ${got} near expiry, expected ${expected.value}`);
      }
    } else if (roll < 0.95) {
      const removed = cache.delete(key);
      if (removed) report.deletes++;
      const expected = model.get(key);
      if (removed && expected === undefined) fail(`${key}: deleted nothing`);
      if (!removed && expected?.ttlMs === Infinity && !start.mayEvict) {
        fail(`${key}: delete found nothing, expected ${expected.value}`);
      }
      model.delete(key);
    } else {
      const which = next() < 0.5 ? 0 : 1;
      cache.set("hot", start.hot[which], 0);
      report.puts++;
      const got = cache.get("hot");
      if (got !== start.hot[0] && got !== start.hot[1]) {
        fail(`hot: got ${got}`);
      }
    }
  }
  for (const [key, expected] of model) {
    if (expected.ttlMs === Infinity) report.final[key] = expected.value;
  }
  return report;
}

const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<StressStart>) => void;
  postMessage(report: StressReport): void;
};
scope.onmessage = (event) => scope.postMessage(run(event.data));
