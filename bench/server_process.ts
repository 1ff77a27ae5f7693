/**
 * Starts and stops a server under test as a child process: picks a free
 * port, waits until it answers /health, and finds the pid actually serving.
 *
 * @module
 */

import { findListeningPid } from "./procfs.ts";
import { attachServer } from "./target.ts";

/** How to launch one server. */
export interface ServerSpec {
  /** Short name shown in results ("server", "floor"). */
  name: string;
  /** Command and arguments, e.g. `["deno", "run", "--allow-net", "main.ts"]`. */
  argv: string[];
  /** Working directory. */
  cwd: string;
  /** Extra environment variables (PORT and HOST are added). */
  env?: Record<string, string>;
  /** A running server to load instead of starting `argv` (`--target`). */
  url?: string;
}

/** A running server. */
export interface RunningServer {
  /** Name from the spec. */
  name: string;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Port it listens on. */
  port: number;
  /** Pid of the process holding the listening socket (the one to measure). */
  pid: number;
  /** Pid of the process we spawned (may be a wrapper such as taskset). */
  spawnedPid: number;
  /** The first line the server printed on stdout ("" if none yet). */
  startupLine: string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** Settles when the spawned process exits. */
  status: Promise<Deno.CommandStatus>;
}

/** The flags `deno task start` runs main.ts with. */
export const SERVER_RUN_FLAGS = [
  "--unstable-net",
  "--allow-net",
  "--allow-env",
  "--allow-read=.env,lib,routes,server",
];

/**
 * Command line of the kv-cache server as `deno task start` runs it, pinned to
 * core 0, with `denoFlags` (e.g. `--cpu-prof`) before the entry point.
 */
export function pinnedServerArgv(
  denoFlags: string[] = [],
  entry = "main.ts",
): string[] {
  return [
    "taskset",
    "-c",
    "0",
    Deno.execPath(),
    "run",
    ...SERVER_RUN_FLAGS,
    ...denoFlags,
    entry,
  ];
}

/**
 * Starts the kv-cache server from the repository root, pinned to core 0, with
 * `LOG_LEVEL=warn` and `env`, and `denoFlags` before the entry point.
 */
export function startPinnedServer(
  env: Record<string, string>,
  denoFlags: string[] = [],
  entry = "main.ts",
): Promise<RunningServer> {
  return startServer({
    name: "server",
    argv: pinnedServerArgv(denoFlags, entry),
    cwd: new URL("..", import.meta.url).pathname,
    env: { LOG_LEVEL: "warn", ...env },
  });
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return buf.split("\n")[0];
}

/** Resolves once `url`/health answers 200; rejects after `timeoutMs`. */
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

/** Starts the server of `spec` on a free port; rejects if it is not healthy within 20 s. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  if (spec.url) return await attachServer(spec.name, spec.url);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(spec.argv[0], {
    args: spec.argv.slice(1),
    cwd: spec.cwd,
    env: { ...spec.env, PORT: String(port), HOST: "127.0.0.1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const stop = async () => {
    if (exited) return;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 3000);
    await child.status;
    clearTimeout(timer);
  };
  try {
    // Readiness is /health answering; the startup line is kept if printed
    // (main.ts logs it at info level, so LOG_LEVEL=warn silences it).
    const line = firstLine(child.stdout);
    await Promise.race([
      waitHealthy(url, 20_000),
      child.status.then((st) => {
        throw new Error(`exited with code ${st.code} before answering`);
      }),
    ]);
    const startupLine = await Promise.race([line, delay(300).then(() => "")]);
    const pid = await findListeningPid(child.pid, port);
    if (pid === undefined) {
      throw new Error(`no process under pid ${child.pid} listens on ${port}`);
    }
    return {
      name: spec.name,
      url,
      port,
      pid,
      spawnedPid: child.pid,
      startupLine,
      stop,
      status: child.status,
    };
  } catch (e) {
    await stop();
    throw new Error(`${spec.name} failed to start: ${(e as Error).message}`);
  }
}
