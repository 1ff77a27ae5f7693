/**
 * Keeps one served child running, as the cluster launcher does for each node
 * and for HAProxy: when it exits on its own (a crash, an OOM kill, `kill -9`)
 * it is started again, after a pause that grows while it keeps failing, with
 * a line saying so each time; after a few failed starts in a row the keeper
 * gives up and says why. Only {@linkcode Keeper.stop} stops it for good.
 *
 * @module
 */

import { describeStatus, type Served, type Spawned } from "./served.ts";

/** How a kept child is restarted. */
export interface RestartPolicy {
  /**
   * Pause before each start after an exit, in ms: the first entry after a
   * child that ran for `stableMs`, the next ones while starts keep failing or
   * the child keeps exiting early (the last entry repeats).
   */
  delaysMs: readonly number[];
  /** Failed starts in a row after which the keeper gives up. */
  maxFailedStarts: number;
  /** A child that ran this long counts as stable: its pause starts over. */
  stableMs: number;
}

/**
 * The launcher's policy: 0.1 s, 0.3 s, 1 s, then 3 s between tries; giving
 * up after 4 failed starts in a row (about 4.5 s plus the starts).
 */
export const RESTART_POLICY: RestartPolicy = {
  delaysMs: [100, 300, 1_000, 3_000],
  maxFailedStarts: 4,
  stableMs: 30_000,
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Keeps the child `spawn` starts running; see the module docs. */
export class Keeper {
  #current: Spawned | undefined;
  #stopped = new AbortController();
  #giveUp!: (reason: string) => void;
  /** Resolves with the reason, once the keeper has given up on its child. */
  readonly gaveUp: Promise<string> = new Promise((resolve) => {
    this.#giveUp = resolve;
  });

  /**
   * `name` names the child in messages (`node2 (127.0.0.1:7173)`); `spawn`
   * starts it; `log` receives each line about its exits and restarts;
   * `precheck`, asked before each restart, gives a reason it cannot start
   * (its port is taken), which counts as a failed start without spawning.
   */
  constructor(
    readonly name: string,
    private readonly spawn: () => Spawned,
    private readonly log: (line: string, good: boolean) => void,
    private readonly policy: RestartPolicy = RESTART_POLICY,
    private readonly precheck: () => string | undefined = () => undefined,
  ) {}

  /** The child now (undefined before the first start). */
  get current(): Served | undefined {
    return this.#current;
  }

  /**
   * Starts the child once and, if it gets ready, keeps it running; if it
   * does not, stops it and rejects with `<name> could not start: <reason>`
   * (no retry: a first start that fails is a mistake to report, not a crash
   * to ride out).
   */
  async begin(): Promise<Served> {
    const child = this.spawn();
    this.#current = child;
    try {
      await child.ready;
    } catch (error) {
      await child.stop("SIGKILL");
      throw new Error(
        `${this.name} could not start: ${(error as Error).message}`,
      );
    }
    this.#watch(child, 0);
    return child;
  }

  /**
   * Stops keeping the child and stops it: `signal`, then SIGKILL after
   * `killAfterMs`. Resolves with its exit status (undefined if none ran).
   */
  async stop(
    signal: Deno.Signal = "SIGTERM",
    killAfterMs?: number,
  ): Promise<Deno.CommandStatus | undefined> {
    this.#stopped.abort();
    return await this.#current?.stop(signal, killAfterMs);
  }

  /** Waits for `child` to exit, then restarts it (`early` exits so far). */
  async #watch(child: Spawned, early: number): Promise<void> {
    const startedAt = Date.now();
    const status = await child.process.status;
    if (this.#stopped.signal.aborted) return;
    const stoppedAt = Date.now();
    // A child that ran long enough starts over from the shortest pause.
    let tries = Date.now() - startedAt >= this.policy.stableMs ? 0 : early;
    let failed = 0;
    let why = describeStatus(status);
    while (true) {
      const pause = this.policy.delaysMs[
        Math.min(tries, this.policy.delaysMs.length - 1)
      ];
      this.log(
        failed === 0
          ? `${this.name} stopped (${why}); restarting it in ${
            seconds(pause)
          } s.`
          : `${this.name} did not start: ${
            why.replace(/\.$/, "")
          }; trying again in ${seconds(pause)} s (try ${
            failed + 1
          } of ${this.policy.maxFailedStarts}).`,
        false,
      );
      await sleep(pause, this.#stopped.signal);
      if (this.#stopped.signal.aborted) return;
      tries++;
      const unable = this.precheck();
      const next = unable === undefined ? this.spawn() : undefined;
      if (next) this.#current = next;
      try {
        if (unable !== undefined) throw new Error(unable);
        await next!.ready;
      } catch (error) {
        if (this.#stopped.signal.aborted) return;
        await next?.stop("SIGKILL");
        failed++;
        why = (error as Error).message;
        if (failed >= this.policy.maxFailedStarts) {
          this.#giveUp(
            `${this.name} could not be restarted after ${failed} tries: ${
              why.replace(/\.$/, "")
            }`,
          );
          return;
        }
        continue;
      }
      if (this.#stopped.signal.aborted) return;
      this.log(
        `${this.name} serves again, ${
          seconds(Date.now() - stoppedAt)
        } s after it stopped.`,
        true,
      );
      this.#watch(next!, tries);
      return;
    }
  }
}

/** `ms` in seconds with one decimal: `0.1`, `3`. */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
