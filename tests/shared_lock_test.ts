// The shared store's lock (lib/arena/lock.ts) through its own interface: a
// release says whether it woke a waiter, and a batch of long work steps aside
// for a waiter, against another isolate that really takes the lock.
import assert from "node:assert/strict";
import { HANDOFF_MAX_MS, SharedLock } from "../lib/arena/lock.ts";

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;

function newLock(): { lock: SharedLock; words: Int32Array } {
  const words = new Int32Array(new SharedArrayBuffer(8));
  return { lock: new SharedLock(words, 1), words };
}

Deno.test("a release says whether another isolate was waiting for the lock", () => {
  const { lock, words } = newLock();
  lock.acquire();
  assert.equal(words[1], HELD);
  assert.equal(lock.release(), false);
  assert.equal(words[1], FREE);

  lock.acquire();
  // What a waiter in another isolate writes before it sleeps.
  Atomics.store(words, 1, CONTENDED);
  assert.equal(lock.release(), true);
  assert.equal(words[1], FREE);
  assert.equal(words[0], 0, "the neighbouring word is untouched");
});

Deno.test("yieldToWaiter gives up after its bound when nobody takes the lock", () => {
  const { lock, words } = newLock();
  const started = performance.now();
  lock.yieldToWaiter(5);
  const waited = performance.now() - started;
  assert.ok(waited >= 4.5, `waited ${waited} ms, bound 5 ms`);
  assert.ok(waited < 1000, `waited ${waited} ms`);
  assert.equal(words[1], FREE);
  assert.ok(HANDOFF_MAX_MS > 0 && HANDOFF_MAX_MS <= 1);
});

Deno.test("yieldToWaiter returns at once when the lock is held, and as soon as another isolate takes it", async () => {
  const { lock, words } = newLock();
  Atomics.store(words, 1, HELD);
  const started = performance.now();
  lock.yieldToWaiter(10_000);
  assert.ok(performance.now() - started < 1000);
  Atomics.store(words, 1, FREE);

  const worker = new Worker(
    new URL("./support/lock_taker_worker.ts", import.meta.url),
    { type: "module" },
  );
  const answers: string[] = [];
  let answered: (() => void) | undefined;
  worker.onmessage = (event) => {
    answers.push(event.data);
    answered?.();
  };
  const next = () => new Promise<void>((resolve) => (answered = resolve));
  try {
    let reply = next();
    worker.postMessage({ words, index: 1 });
    await reply;
    // The worker takes the lock while this isolate sleeps in yieldToWaiter
    // (which blocks this isolate's event loop, not the worker's).
    reply = next();
    worker.postMessage("take");
    const before = performance.now();
    lock.yieldToWaiter(10_000);
    const waited = performance.now() - before;
    assert.notEqual(Atomics.load(words, 1), FREE, "the worker holds it");
    assert.ok(waited < 10_000, `returned before its bound (${waited} ms)`);
    await reply;
    reply = next();
    worker.postMessage("release");
    await reply;
    assert.deepEqual(answers, ["ready", "took", "released"]);
    assert.equal(Atomics.load(words, 1), FREE);
  } finally {
    worker.terminate();
  }
});
