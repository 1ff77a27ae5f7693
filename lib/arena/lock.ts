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
 * not fair.
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

  /** Releases the lock; call only after `acquire`, from the same isolate. */
  release(): void {
    if (Atomics.sub(this.#words, this.#index, 1) !== HELD) {
      Atomics.store(this.#words, this.#index, FREE);
      Atomics.notify(this.#words, this.#index, 1);
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
