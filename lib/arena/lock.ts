/**
 * A mutual-exclusion lock in one 32-bit word of shared memory, for isolates
 * (the main one and Web Workers) that share an arena through a
 * `SharedArrayBuffer`.
 *
 * It is the three-state futex mutex of Drepper's "Futexes Are Tricky": 0 is
 * free, 1 held, 2 held with possible waiters. Taking a free lock is one
 * `Atomics.compareExchange`; releasing an uncontended one is one
 * `Atomics.sub`. A contended `acquire` spins a little (critical sections are
 * a microsecond or two), then sleeps in `Atomics.wait` with a short timeout,
 * which blocks that isolate's event loop only while another isolate holds the
 * lock: the holder never awaits, so that is at most one bounded critical
 * section (one get, set or sweep batch).
 *
 * Invariants: only the holder writes 0 (in `release`); a waiter only sleeps
 * on the value 2, so a release that finds 2 always wakes one sleeper (and the
 * timeout bounds a lost wake-up in any case). The lock is not reentrant and
 * not fair; work that takes it over and over calls `yieldToWaiter` between
 * turns, so that isolates waiting for it are not starved.
 *
 * @module
 */

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;

/** Spins on a contended lock before sleeping. */
export const SPINS_BEFORE_WAIT = 1024;

/** Longest sleep of a waiter between looks at the lock, in milliseconds. */
export const WAIT_TIMEOUT_MS = 1;

/** Longest wait of {@linkcode SharedLock.yieldToWaiter}, in milliseconds. */
export const HANDOFF_MAX_MS = 0.25;

/** One sleep of {@linkcode SharedLock.yieldToWaiter}, in milliseconds. */
const HANDOFF_STEP_MS = 0.05;

/** A lock in word `index` of a shared `Int32Array`; see the module docs. */
export class SharedLock {
  readonly #words: Int32Array;
  readonly #index: number;
  /** Times `acquire` found the lock held, for the contention figures. */
  contended = 0;
  /** Times a contended `acquire` slept in `Atomics.wait`. */
  slept = 0;

  /** Uses word `index` of `words`, which must start at 0 (free). */
  constructor(words: Int32Array, index: number) {
    this.#words = words;
    this.#index = index;
  }

  /** Takes the lock, waiting for it if another isolate holds it. */
  acquire(): void {
    if (
      Atomics.compareExchange(this.#words, this.#index, FREE, HELD) !== FREE
    ) {
      this.#acquireContended();
    }
  }

  /**
   * Releases the lock; call only after `acquire`, from the same isolate.
   * Answers whether another isolate was waiting for it (one is woken).
   */
  release(): boolean {
    if (Atomics.sub(this.#words, this.#index, 1) === HELD) return false;
    Atomics.store(this.#words, this.#index, FREE);
    Atomics.notify(this.#words, this.#index, 1);
    return true;
  }

  /**
   * Lets a woken waiter take the lock before this isolate takes it again:
   * sleeps in short steps, at most `maxMs` in all, while the lock stays
   * free. For work that takes the lock batch after batch (a scan), which
   * would otherwise win nearly every race against a waiter that is still
   * waking up, and so hold the store for its whole run.
   */
  yieldToWaiter(maxMs: number = HANDOFF_MAX_MS): void {
    const words = this.#words;
    const index = this.#index;
    const deadline = performance.now() + maxMs;
    while (
      Atomics.load(words, index) === FREE && performance.now() < deadline
    ) {
      Atomics.wait(words, index, FREE, HANDOFF_STEP_MS);
    }
  }

  #acquireContended(): void {
    this.contended++;
    const words = this.#words;
    const index = this.#index;
    for (let spin = 0; spin < SPINS_BEFORE_WAIT; spin++) {
      if (Atomics.load(words, index) === FREE) {
        if (Atomics.compareExchange(words, index, FREE, HELD) === FREE) return;
      }
    }
    // Mark it contended; whoever releases it then wakes a sleeper.
    while (Atomics.exchange(words, index, CONTENDED) !== FREE) {
      this.slept++;
      Atomics.wait(words, index, CONTENDED, WAIT_TIMEOUT_MS);
    }
  }
}
