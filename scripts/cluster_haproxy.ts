/**
 * HAProxy as `deno task cluster` runs it: in the foreground on a written
 * configuration (`haproxy_config.ts`), tied to the launcher's life with
 * `setpriv --pdeathsig` where util-linux has it, ready once `/health`
 * answers through it.
 *
 * @module
 */

import type { HaproxyConfigOptions } from "./haproxy_config.ts";
import { haproxyConfig } from "./haproxy_config.ts";
import { probeAnswering, probeHealthy } from "./healthcheck.ts";
import { type Served, type Spawned, spawnServed } from "./served.ts";

/** Path of the Lua converter the configuration loads. */
export const KV_KEY_LUA =
  new URL("../deploy/haproxy/kv_key.lua", import.meta.url).pathname;

/** Returns the path of `name` in a directory of `PATH`, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const path = `${dir}/${name}`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * The command that runs `haproxy` on the configuration at `path` in the
 * foreground. Under `setpriv --pdeathsig TERM` when util-linux's setpriv is
 * on PATH: HAProxy cannot watch a pipe, so the kernel sends it SIGTERM when
 * this process ends, however it ends (`pdeathsig` is undefined: nothing does).
 */
export function haproxyCommand(
  haproxy: string,
  path: string,
  setpriv = findOnPath("setpriv"),
): { command: string; args: string[]; pdeathsig: boolean } {
  const args = ["-db", "-q", "-f", path];
  return setpriv
    ? {
      command: setpriv,
      args: ["--pdeathsig", "TERM", "--", haproxy, ...args],
      pdeathsig: true,
    }
    : { command: haproxy, args, pdeathsig: false };
}

/** Options for {@linkcode spawnHaproxy} and {@linkcode startHaproxy}. */
export interface HaproxyOptions {
  /** Path of the haproxy executable. */
  haproxy: string;
  /** Directory the configuration is written to, as haproxy.cfg. */
  dir: string;
  /** The configuration. */
  config: HaproxyConfigOptions;
  /** Base URL HAProxy answers on. */
  url: string;
  /**
   * Ready when `/health` answers 200 through it (`healthy`, default: a node
   * answered) or when it answers at all (`answering`, for a restart).
   */
  readyWhen?: "healthy" | "answering";
}

/** Writes `options.config` into `options.dir/haproxy.cfg`; returns its path. */
export function writeHaproxyConfig(options: HaproxyOptions): string {
  const path = `${options.dir}/haproxy.cfg`;
  Deno.writeTextFileSync(path, haproxyConfig(options.config));
  return path;
}

/** Spawns HAProxy on `dir/haproxy.cfg`, already written. */
export function spawnHaproxy(options: HaproxyOptions): Spawned {
  const { command, args } = haproxyCommand(
    options.haproxy,
    `${options.dir}/haproxy.cfg`,
  );
  return spawnServed({
    what: "HAProxy",
    command,
    args,
    url: options.url,
    probe: options.readyWhen === "answering" ? probeAnswering : probeHealthy,
  });
}

/**
 * Writes `config` into `dir` and runs `haproxy` on it in the foreground;
 * resolves once `url/health` answers through it.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Served> {
  writeHaproxyConfig(options);
  const proxy = spawnHaproxy(options);
  try {
    await proxy.ready;
  } catch (error) {
    await proxy.stop("SIGKILL");
    throw new Error(`HAProxy could not start: ${(error as Error).message}`);
  }
  return proxy;
}
