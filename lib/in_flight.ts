/**
 * Counts operations in progress and tells when none are, so that shutdown can
 * wait for them.
 *
 * @module
 */

/** A counter of operations in progress with a promise for "none left". */
export class InFlight {
  #active = 0;
  #idle: (() => void)[] = [];

  /** Operations currently in progress. */
  get active(): number {
    return this.#active;
  }

  /** Runs `operation`, counting it as in progress until it settles. */
  async track<T>(operation: () => Promise<T>): Promise<T> {
    this.#active++;
    try {
      return await operation();
    } finally {
      if (--this.#active === 0) {
        for (const resolve of this.#idle.splice(0)) resolve();
      }
    }
  }

  /** Resolves as soon as no operation is in progress (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
