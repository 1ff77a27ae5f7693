/**
 * Runs a server as a child process, for the end-to-end tests and the
 * benchmarks alike: starts it (optionally pinned to a core), waits until it
 * is ready, keeps its log lines, and stops it with a signal, resolving with
 * its exit status.
 *
 * Two ways to know it is ready:
 * - `"log"` (default): the `kv-cache listening` line, whose `port` field is
 *   the port taken; `PORT` defaults to 0, so the kernel picks a free one.
 * - `"health"`: `GET /health` answers 200. For servers that print nothing
 *   (the benchmarks run with `LOG_LEVEL=warn`) or another line (the floor
 *   server); the port is one found free just before the start.
 *
 * @module
 */

import { START_FLAGS } from "../../scripts/start_flags.ts";
import { readLines } from "./lines.ts";

/** Absolute path of the project's entry point. */
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;

/** Absolute path of the repository root. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * The flags `deno task start` runs main.ts with, without the snapshot
 * directory (the benchmarks run without snapshots; the snapshot scenario
 * runs with all of {@linkcode START_FLAGS}).
 */
export const SERVER_RUN_FLAGS: readonly string[] = START_FLAGS
  .filter((flag) => !flag.startsWith("--allow-write="))
  .map((flag) =>
    flag.startsWith("--allow-read=")
      ? flag.replace(/,snapshots(?=,|$)/, "")
      : flag
  );

/**
 * Arguments of `deno task start` after `deno`, without the snapshot
 * directory, with `denoFlags` (e.g. `--cpu-prof`) before the entry point
 * (main.ts by default).
 */
export function startArgs(
  denoFlags: string[] = [],
  entry: string = MAIN_TS,
): string[] {
  return ["run", ...SERVER_RUN_FLAGS, ...denoFlags, entry];
}

/** Arguments of `deno task start`, for running main.ts as the task does. */
export const START_ARGS: string[] = ["run", ...START_FLAGS, MAIN_TS];

/** How to start one server. */
export interface ServerOptions {
  /** Short name for messages and results ("server", "floor"). */
  name?: string;
  /** Program to run; the running deno by default. */
  command?: string;
  /** Its arguments; {@linkcode START_ARGS} by default. */
  args?: string[];
  /** Working directory; the current one by default. */
  cwd?: string;
  /** Environment added to the inherited one (HOST, PORT and NO_COLOR are set first). */
  env?: Record<string, string>;
  /** Its standard error: kept for the error message (default) or shown as it comes. */
  stderr?: "piped" | "inherit";
  /** Runs it pinned to this CPU core (`taskset -c core`); unpinned when absent. */
  core?: number;
  /** How to know it is ready: its listening log line (default) or /health. */
  ready?: "log" | "health";
  /** Longest wait for readiness with `ready: "health"`, ms (20000). */
  readyTimeoutMs?: number;
  /** After `stop()`'s signal, SIGKILL if it has not exited within this many ms; never when absent. */
  killAfterMs?: number;
  /**
   * Finds the pid that serves, given the spawned pid and the port (e.g. a
   * child of a wrapper; bench/procfs.ts `findListeningPid`). The spawned pid
   * when absent.
   */
  servingPid?: (
    spawnedPid: number,
    port: number,
  ) => Promise<number | undefined>;
}

/** A server process started by {@linkcode startServer}. */
export interface ServerProcess {
  /** Name from the options ("server" by default). */
  name: string;
  /** The child process. */
  process: Deno.ChildProcess;
  /** Base URL of the server, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Port it listens on. */
  port: number;
  /** Pid of the process serving (see `servingPid`). */
  pid: number;
  /** Log lines written to standard output so far, parsed as JSON (`{ msg: line }` if not JSON). */
  logs: Record<string, unknown>[];
  /** Resolves once a log line whose `msg` starts with `msg` has been written. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  /** Settles when the process exits. */
  status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (SIGTERM), then SIGKILL after `killAfterMs` if set; resolves with the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `url`/health until it answers 200; throws after `timeoutMs`. */
export async function waitHealthy(
  url: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`${url}/health did not answer within ${timeoutMs} ms`);
}

/**
 * Starts a server as `options` say and resolves once it is ready; rejects
 * (after stopping it) if it exits first or does not get ready in time.
 */
export async function startServer(
  options: ServerOptions = {},
): Promise<ServerProcess> {
  const name = options.name ?? "server";
  const ready = options.ready ?? "log";
  const port = ready === "health" ? freePort() : 0;
  const argv = [
    ...(options.core === undefined
      ? []
      : ["taskset", "-c", String(options.core)]),
    options.command ?? Deno.execPath(),
    ...(options.args ?? START_ARGS),
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: {
      HOST: "127.0.0.1",
      PORT: String(port),
      NO_COLOR: "1",
      ...options.env,
    },
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: options.stderr ?? "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    msg: string;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  const stderr = options.stderr === "inherit"
    ? Promise.resolve("(on the terminal)")
    : new Response(child.stderr).text();
  const reading = (async () => {
    for await (const line of readLines(child.stdout)) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = { msg: line };
      }
      logs.push(parsed);
      for (const w of waiters) {
        if (String(parsed.msg).startsWith(w.msg)) w.resolve(parsed);
      }
    }
  })();
  const exitedEarly = async (what: string): Promise<never> => {
    const status = await child.status;
    await reading;
    throw new Error(
      `${name} exited with ${status.code} before ${what}: ${await stderr}`,
    );
  };
  const waitForLog = (msg: string) => {
    const found = logs.find((line) => String(line.msg).startsWith(msg));
    if (found) return Promise.resolve(found);
    return Promise.race([
      new Promise<Record<string, unknown>>((resolve) =>
        waiters.push({ msg, resolve })
      ),
      exitedEarly(`logging "${msg}"`),
    ]);
  };
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    }
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(
      () => {
        try {
          child.kill("SIGKILL");
        } catch { /* already exited */ }
      },
      options.killAfterMs,
    );
    const status = await child.status;
    clearTimeout(timer);
    await reading;
    await stderr;
    return status;
  };
  try {
    let listeningPort = port;
    if (ready === "health") {
      await Promise.race([
        waitHealthy(
          `http://127.0.0.1:${port}`,
          options.readyTimeoutMs ?? 20_000,
        ),
        exitedEarly("answering /health"),
      ]);
    } else {
      listeningPort = Number(
        (await waitForLog("kv-cache listening")).port,
      );
    }
    const pid = options.servingPid
      ? await options.servingPid(child.pid, listeningPort)
      : child.pid;
    if (pid === undefined) {
      throw new Error(
        `no process under pid ${child.pid} listens on ${listeningPort}`,
      );
    }
    return {
      name,
      process: child,
      url: `http://127.0.0.1:${listeningPort}`,
      port: listeningPort,
      pid,
      logs,
      waitForLog,
      status: child.status,
      stop,
    };
  } catch (e) {
    await stop("SIGKILL");
    throw new Error(`${name} failed to start: ${(e as Error).message}`);
  }
}
