/**
 * A child process that serves HTTP, as the cluster launcher runs them (the
 * nodes and HAProxy): spawned at once, ready once its URL answers, its
 * standard error relayed line by line to this process's (the last line kept,
 * to say why it stopped), stopped with a signal and, if need be, SIGKILL.
 *
 * @module
 */

import { readLines } from "../tests/support/lines.ts";

/** A child process that serves HTTP at `url`. */
export interface Served {
  /** Base URL, e.g. `http://127.0.0.1:7172`. */
  url: string;
  /** The child process. */
  process: Deno.ChildProcess;
  /** Its last non-blank line on standard error so far, if any. */
  lastWords(): string | undefined;
  /**
   * Sends `signal` (default SIGTERM), then SIGKILL after `killAfterMs` if
   * given and it still runs; resolves once it has exited.
   */
  stop(signal?: Deno.Signal, killAfterMs?: number): Promise<Deno.CommandStatus>;
}

/** A just-spawned {@linkcode Served} and whether it got ready. */
export interface Spawned extends Served {
  /**
   * Resolves once it is ready; rejects with the reason (it exited first, or
   * is not ready in time), leaving it running. The reason does not name the
   * child: `it exited (exit code 1): <its last line>`.
   */
  ready: Promise<void>;
}

/** How to run one served child. */
export interface SpawnOptions {
  /** What it is, for {@linkcode startServed}'s error: `node2 (127.0.0.1:7173)`. */
  what: string;
  /** The program and its arguments. */
  command: string;
  args: string[];
  /** Base URL it serves. */
  url: string;
  /** Environment (added to this process's) and working directory. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Give it a pipe as standard input, closed by the kernel when this process
   * ends, for a child that stops when its standard input closes.
   */
  stdinPipe?: boolean;
  /**
   * Resolves with undefined when the child at `url` is ready, or with the
   * reason it is not yet.
   */
  probe: (url: string) => Promise<string | undefined>;
  /** Longest wait for readiness, in ms (default 15000). */
  readyTimeoutMs?: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Describes how a process ended: `exit code 1`, `killed by SIGKILL`. */
export function describeStatus(status: Deno.CommandStatus): string {
  return status.signal
    ? `killed by ${status.signal}`
    : `exit code ${status.code}`;
}

/** Spawns the child `options` describe; see {@linkcode Spawned}. */
export function spawnServed(options: SpawnOptions): Spawned {
  const process = new Deno.Command(options.command, {
    args: options.args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdinPipe ? "piped" : "null",
    stdout: "inherit",
    stderr: "piped",
    // Its own process group: Ctrl-C in a terminal (or `timeout`) signals
    // the whole foreground group; the launcher alone should get it, and stop
    // its children in order, not see them all exit and restart them.
    detached: true,
  }).spawn();
  let last: string | undefined;
  const relayed = (async () => {
    try {
      for await (const line of readLines(process.stderr)) {
        console.error(line);
        if (line.trim() !== "") last = line.trim();
      }
    } catch {
      // Its standard error closed abruptly: nothing more to relay.
    }
  })();
  let exited: Deno.CommandStatus | undefined;
  const status = process.status.then(async (result) => {
    exited = result;
    // Its last lines; not longer, should a process it started hold the pipe.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      relayed,
      new Promise((resolve) => timer = setTimeout(resolve, 1_000)),
    ]);
    clearTimeout(timer);
    return result;
  });
  const lastWords = () => last;
  const ready = (async () => {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
    let reason: string | undefined = "not asked yet";
    while (Date.now() < deadline) {
      if (exited) {
        await status;
        throw new Error(
          `it exited (${describeStatus(exited)})${last ? `: ${last}` : ""}`,
        );
      }
      reason = await options.probe(options.url);
      if (reason === undefined) return;
      await delay(50);
    }
    throw new Error(
      `it is not ready after ${options.readyTimeoutMs ?? 15_000} ms: ${reason}`,
    );
  })();
  // Whoever starts it decides what a failed start means.
  ready.catch(() => {});
  return {
    url: options.url,
    process,
    lastWords,
    ready,
    async stop(signal: Deno.Signal = "SIGTERM", killAfterMs?: number) {
      if (!exited) {
        try {
          process.kill(signal);
        } catch {
          // Already exited.
        }
      }
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }, killAfterMs);
      const result = await status;
      clearTimeout(timer);
      return result;
    },
  };
}

/**
 * Spawns the child and resolves once it is ready; if it is not, SIGKILLs it
 * and rejects with `<what> could not start: <reason>`.
 */
export async function startServed(options: SpawnOptions): Promise<Served> {
  const child = spawnServed(options);
  try {
    await child.ready;
  } catch (error) {
    await child.stop("SIGKILL");
    throw new Error(
      `${options.what} could not start: ${(error as Error).message}`,
    );
  }
  return child;
}
