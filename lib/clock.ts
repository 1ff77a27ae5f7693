/**
 * Time sources for the cache. Expiry is decided against an injected clock so
 * that tests drive time instead of sleeping.
 *
 * @module
 */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  /** Returns the current time in milliseconds. */
  now(): number;
}

/** The wall clock (`Date.now()`), used in production. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;

  /** Creates a clock that reads `startMs` until advanced. */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  /** Returns the clock's current time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot advance a clock by ${ms} ms`);
    this.#now += ms;
  }
}
