/**
 * Starts Debian's `redis-server` for the tests that compare kv-cache with
 * Redis itself: on a free port of 127.0.0.1, with persistence off
 * (`--save '' --appendonly no`), and stops it afterwards.
 *
 * Tests that need it are declared with {@linkcode REDIS_IGNORED} as their
 * `ignore` and {@linkcode NO_REDIS} appended to their name, so that where
 * `redis-server` is not installed they show up as ignored, with the reason.
 *
 * @module
 */

import { freePort } from "./server_process.ts";
import { RespClient } from "./redis_resp.ts";

/** Path of the program `name` in a directory of PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && existsFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/** Path of `redis-server` on PATH (or /usr/bin), or undefined. */
export const REDIS_SERVER: string | undefined = findOnPath("redis-server") ??
  (existsFile("/usr/bin/redis-server") ? "/usr/bin/redis-server" : undefined);

/** True when `redis-server` is missing: use as a test's `ignore`. */
export const REDIS_IGNORED: boolean = REDIS_SERVER === undefined;

/** Suffix for the names of tests that need `redis-server`: the reason they are ignored, or "". */
export const NO_REDIS: string = REDIS_IGNORED
  ? " (ignored: redis-server is not installed; apt-get install redis-server)"
  : "";

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A running `redis-server`. */
export interface RedisServer {
  /** Port it listens on (127.0.0.1). */
  port: number;
  /** Its version, from `INFO server` (e.g. "7.0.15"). */
  version: string;
  /** Opens a new connection to it. */
  connect(): Promise<RespClient>;
  /** Stops it (SIGTERM, SIGKILL after 5 s) and resolves once it has exited. */
  stop(): Promise<void>;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `redis-server` on a free port without persistence and resolves
 * once it answers PING.
 *
 * @throws {Error} if `redis-server` is not installed, exits early or does
 * not answer within 10 s (with its output).
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!REDIS_SERVER) {
    throw new Error(
      "redis-server is not installed (apt-get install redis-server)",
    );
  }
  const port = freePort();
  const dir = Deno.makeTempDirSync({ prefix: "kv-redis-" });
  const child = new Deno.Command(REDIS_SERVER, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]).then(([out, err]) => out + err);
  child.status.then(() => exited = true);
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }, 5_000);
    await child.status;
    clearTimeout(timer);
    await output;
    Deno.removeSync(dir, { recursive: true });
  };
  const deadline = Date.now() + 10_000;
  while (true) {
    if (exited) {
      throw new Error(
        `redis-server exited before answering: ${await output}`,
      );
    }
    try {
      const client = await RespClient.connect(port);
      try {
        const pong = await client.command(["PING"]);
        if ("result" in pong && pong.result === "PONG") {
          const info = await client.command(["INFO", "server"]);
          const version = "result" in info
            ? /redis_version:(\S+)/.exec(String(info.result))?.[1]
            : undefined;
          return {
            port,
            version: version ?? "unknown",
            connect: () => RespClient.connect(port),
            stop,
          };
        }
      } finally {
        client.close();
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `redis-server did not answer PING within 10 s: ${await output}`,
      );
    }
    await delay(50);
  }
}
