/**
 * The periodic sweep: walks the whole cache in small batches, removing expired
 * entries, and gives the event loop back between time slices so that requests
 * keep being served while millions of entries are examined.
 *
 * @module
 */

import type { Cache } from "./cache.ts";

/** Options for {@linkcode Sweeper}. */
export interface SweeperOptions {
  /** Pause between the end of one pass and the start of the next; 0 disables. */
  intervalMs: number;
  /** Entries examined per call to `cache.sweep` (default 1024). */
  batchSize?: number;
  /** Work time per slice before yielding to the event loop (default 2 ms). */
  sliceMs?: number;
  /** Monotonic time source for slices (default `performance.now`). */
  now?: () => number;
  /** Lets other work run between slices (default: a zero-delay timer). */
  yieldToEventLoop?: () => Promise<void>;
  /** Called after every pass, e.g. to log or export its duration. */
  onPass?: (report: SweepReport) => void;
}

/** What one full pass of the sweep did. */
export interface SweepReport {
  /** Expired entries removed during the pass. */
  removed: number;
  /** Time slices the pass was split into (1 = it never yielded). */
  slices: number;
  /** Wall time from start to end of the pass, including yields. */
  durationMs: number;
}

const DEFAULT_BATCH_SIZE = 1024;
const DEFAULT_SLICE_MS = 2;

function yieldWithTimer(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs sweep passes over a cache, now or every `intervalMs`. */
export class Sweeper {
  readonly #cache: Cache;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #sliceMs: number;
  readonly #now: () => number;
  readonly #yield: () => Promise<void>;
  readonly #onPass: (report: SweepReport) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<SweepReport> | null = null;
  #stopped = true;
  #generation = 0;

  /** Creates a sweeper for `cache`; call {@linkcode Sweeper.start} to schedule it. */
  constructor(cache: Cache, options: SweeperOptions) {
    this.#cache = cache;
    this.#intervalMs = options.intervalMs;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#yield = options.yieldToEventLoop ?? yieldWithTimer;
    this.#onPass = options.onPass ?? (() => {});
  }

  /** Schedules a pass every `intervalMs` (after the previous one ends). */
  start(): void {
    if (this.#intervalMs === 0 || !this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  /** Cancels future passes and ends a pass in progress at its next yield. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  /**
   * Runs one full pass now (or joins the one in progress) and reports it. A
   * pass cut short by {@linkcode Sweeper.stop} reports what it did so far.
   */
  runOnce(): Promise<SweepReport> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  #schedule(): void {
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      const report = await this.runOnce();
      this.#onPass(report);
      if (!this.#stopped) this.#schedule();
    }, this.#intervalMs);
  }

  async #pass(): Promise<SweepReport> {
    const generation = this.#generation;
    const started = this.#now();
    let removed = 0;
    let slices = 0;
    for (;;) {
      slices++;
      const sliceEnd = this.#now() + this.#sliceMs;
      do {
        const result = this.#cache.sweep(this.#batchSize);
        removed += result.removed;
        if (result.done) {
          return { removed, slices, durationMs: this.#now() - started };
        }
      } while (this.#now() < sliceEnd);
      await this.#yield();
      if (generation !== this.#generation) {
        return { removed, slices, durationMs: this.#now() - started };
      }
    }
  }
}
