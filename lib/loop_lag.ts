/**
 * Measures event-loop lag: how late a periodic timer fires. A long
 * synchronous task (a GC pause, a big batch of work) shows up as lag.
 *
 * @module
 */

/** Tracks the longest event-loop delay between reads. */
export class LoopLagMonitor {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #expected = 0;
  #maxLagMs = 0;

  /** Creates a monitor that samples every `intervalMs` once started. */
  constructor(intervalMs = 20, now: () => number = () => performance.now()) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Starts sampling. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#expected = this.#now() + this.#intervalMs;
    this.#timer = setInterval(() => this.tick(), this.#intervalMs);
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Records one timer firing; called by the interval, or by tests. */
  tick(): void {
    const now = this.#now();
    this.#maxLagMs = Math.max(this.#maxLagMs, now - this.#expected);
    this.#expected = now + this.#intervalMs;
  }

  /** Returns the longest lag since the previous call, in ms, and resets it. */
  takeMaxLagMs(): number {
    const max = this.#maxLagMs;
    this.#maxLagMs = 0;
    return max;
  }
}
