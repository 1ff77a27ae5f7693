/**
 * `deno task cluster`: starts `CLUSTER_NODES` kv-cache nodes (default 3) on
 * `PORT+1`…`PORT+N` of 127.0.0.1 and HAProxy on `HOST:PORT` (default
 * 0.0.0.0:7171) in front of them, hashing each key to one node. Prints one
 * line once everything answers, and stops everything on SIGINT/SIGTERM.
 * Every other variable (.env included) goes to the nodes as `deno task start`
 * reads it, and the nodes run with its flags, from the repository root; but
 * `WORKERS` defaults to 1 (the nodes are the spread over cores), and with
 * `SNAPSHOT_FILE` each node keeps its own file. `PORT=0` picks free ports.
 * See docs/cluster.md.
 *
 * The pieces (`startNode`, `startHaproxy`, `startCluster`) are exported for
 * the tests and the benchmark.
 *
 * @module
 */

import { type Config, ConfigError, parseConfig } from "../lib/config.ts";
import { readEnvFile } from "../lib/env_file.ts";
import { checkHealth } from "./healthcheck.ts";
import { ROOT, START_FLAGS } from "./start_flags.ts";
import {
  type ClusterNode,
  haproxyConfig,
  type HaproxyConfigOptions,
} from "./haproxy_config.ts";

/** Most nodes `CLUSTER_NODES` accepts. */
export const MAX_CLUSTER_NODES = 64;

const MAIN_TS = new URL("../main.ts", import.meta.url).pathname;
/** Path of the Lua converter the configuration loads. */
export const KV_KEY_LUA =
  new URL("../deploy/haproxy/kv_key.lua", import.meta.url).pathname;

/** Reads `CLUSTER_NODES` (default 3). @throws {ConfigError} naming it. */
export function parseClusterNodes(env: Record<string, string | undefined>) {
  const raw = env.CLUSTER_NODES?.trim() ?? "";
  if (raw === "") return 3;
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count >= 1 && count <= MAX_CLUSTER_NODES)) {
    throw new ConfigError(
      "CLUSTER_NODES",
      `Invalid CLUSTER_NODES "${env.CLUSTER_NODES}": expected a whole number from 1 to ${MAX_CLUSTER_NODES}.`,
    );
  }
  return count;
}

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

/** A child process that serves HTTP at `url`. */
export interface Served {
  /** Base URL, e.g. `http://127.0.0.1:7172`. */
  url: string;
  /** The child process. */
  process: Deno.ChildProcess;
  /** Sends `signal` (default SIGTERM) and resolves once it has exited. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Wraps `process` as a {@linkcode Served} at `url`. */
function served(url: string, process: Deno.ChildProcess): Served {
  return {
    url,
    process,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        process.kill(signal);
      } catch {
        // Already exited.
      }
      return await process.status;
    },
  };
}

/**
 * Polls `url/health` until it answers OK; rejects if `process` exits first
 * or `timeoutMs` passes.
 */
async function waitHealthy(
  url: string,
  process: Deno.ChildProcess,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  let exited: Deno.CommandStatus | undefined;
  process.status.then((status) => (exited = status));
  const deadline = Date.now() + timeoutMs;
  let reason: string | undefined = "not asked yet";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited with ${exited.code}.`);
    reason = await checkHealth(`${url}/health`, 1_000);
    if (reason === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} is not healthy after ${timeoutMs} ms: ${reason}`);
}

/**
 * Starts one node (`main.ts`) on 127.0.0.1:`port` as `deno task start` runs
 * it (its flags, from the repository root), with `LOG_LEVEL=warn`,
 * `WORKERS=1` and `env` added to this process's environment (`env` wins);
 * resolves once `/health` answers.
 */
export async function startNode(
  port: number,
  env: Record<string, string> = {},
): Promise<Served> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_FLAGS, MAIN_TS],
    cwd: ROOT,
    env: {
      LOG_LEVEL: "warn",
      WORKERS: "1",
      ...env,
      HOST: "127.0.0.1",
      PORT: String(port),
    },
    stdin: "null",
  }).spawn();
  const node = served(`http://127.0.0.1:${port}`, process);
  try {
    await waitHealthy(node.url, process, `Node on port ${port}`);
  } catch (error) {
    await node.stop("SIGKILL");
    throw error;
  }
  return node;
}

/**
 * Writes `config` into `dir` and runs `haproxy` on it in the foreground;
 * resolves once `url/health` answers through it.
 */
export async function startHaproxy(options: {
  haproxy: string;
  dir: string;
  config: HaproxyConfigOptions;
  url: string;
}): Promise<Served> {
  const path = `${options.dir}/haproxy.cfg`;
  await Deno.writeTextFile(path, haproxyConfig(options.config));
  const process = new Deno.Command(options.haproxy, {
    args: ["-db", "-q", "-f", path],
    stdin: "null",
  }).spawn();
  const proxy = served(options.url, process);
  try {
    await waitHealthy(proxy.url, process, "HAProxy");
  } catch (error) {
    await proxy.stop("SIGKILL");
    throw error;
  }
  return proxy;
}

/**
 * The snapshot file of node `name` for the cluster's `SNAPSHOT_FILE`: its own
 * file beside it, so that no node overwrites or loads another's keys
 * (`snapshots/kv.snapshot` → `snapshots/kv.node1.snapshot`).
 */
export function nodeSnapshotFile(file: string, name: string): string {
  const slash = file.lastIndexOf("/");
  const dot = file.lastIndexOf(".");
  return dot > slash + 1
    ? `${file.slice(0, dot)}.${name}${file.slice(dot)}`
    : `${file}.${name}`;
}

/**
 * The variables `deno task cluster` gives every node, from its merged
 * environment `env` (.env and the process's): `LOG_LEVEL` warn and `WORKERS`
 * 1 unless set, and `SNAPSHOT_FILE` (made per node by
 * {@linkcode startCluster}).
 */
export function nodeEnv(
  env: Record<string, string | undefined>,
): Record<string, string> {
  return {
    LOG_LEVEL: env.LOG_LEVEL ?? "warn",
    WORKERS: env.WORKERS ?? "1",
    ...(env.SNAPSHOT_FILE ? { SNAPSHOT_FILE: env.SNAPSHOT_FILE } : {}),
  };
}

/** Finds a port P such that P..P+count are all free on 127.0.0.1. */
export function freePortRange(count: number): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const base = (first.addr as Deno.NetAddr).port;
    const held = [first];
    try {
      for (let i = 1; i <= count; i++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return base;
    } catch {
      // Taken: try another base.
    } finally {
      for (const listener of held) listener.close();
    }
  }
  throw new Error(`No ${count + 1} consecutive free ports found.`);
}

/** A running cluster: the proxy and its nodes. */
export interface Cluster {
  /** Base URL of the proxy. */
  url: string;
  /** The proxy process. */
  proxy: Served;
  /** The nodes, in ring order. */
  nodes: Served[];
  /** The HAProxy configuration in use. */
  config: HaproxyConfigOptions;
  /** Directory holding haproxy.cfg (and the stats socket). */
  dir: string;
  /** Stops the proxy, then the nodes; resolves with the first failure, if any. */
  stop(): Promise<string | undefined>;
}

/** Options for {@linkcode startCluster}. */
export interface ClusterOptions {
  /** Number of nodes. */
  nodes: number;
  /** Proxy port; nodes take the next ones. 0 picks free ports. */
  port: number;
  /** Address the proxy binds (the nodes bind 127.0.0.1). */
  host: string;
  /** Path of the haproxy executable. */
  haproxy: string;
  /** The nodes' configuration: its body limit and timeouts shape the proxy's. */
  nodeConfig: Pick<Config, "maxBodyBytes" | "bodyTimeoutMs" | "idleTimeoutMs">;
  /**
   * Variables added to the nodes' environment. A non-blank `SNAPSHOT_FILE`
   * is made one file per node ({@linkcode nodeSnapshotFile}).
   */
  env?: Record<string, string>;
  /** Configuration overrides (check interval, threads, ...). */
  haproxyOptions?: Partial<HaproxyConfigOptions>;
}

/** Starts `options.nodes` nodes, then HAProxy in front of them. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const port = options.port === 0 ? freePortRange(options.nodes) : options.port;
  if (port + options.nodes > 65_535) {
    throw new ConfigError(
      "PORT",
      `PORT ${port} leaves no room for ${options.nodes} nodes on PORT+1…PORT+${options.nodes}.`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "kv-cluster-" });
  const nodes: Served[] = [];
  let proxy: Served | undefined;
  const stop = async () => {
    const statuses = await Promise.all(
      [proxy, ...nodes].filter((p) => p !== undefined).map((p) => p!.stop()),
    );
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const failed = statuses.find((s) => !s.success && s.signal !== "SIGTERM");
    return failed ? `a process exited with ${failed.code}` : undefined;
  };
  try {
    const snapshotFile = options.env?.SNAPSHOT_FILE?.trim();
    const started = await Promise.all(
      Array.from(
        { length: options.nodes },
        (_, i) =>
          startNode(port + 1 + i, {
            ...options.env,
            ...(snapshotFile
              ? { SNAPSHOT_FILE: nodeSnapshotFile(snapshotFile, nodeName(i)) }
              : {}),
          }),
      ),
    );
    nodes.push(...started);
    const host = options.host.includes(":")
      ? `[${options.host}]`
      : options.host;
    const config: HaproxyConfigOptions = {
      nodes: nodes.map((node, i): ClusterNode => ({
        name: nodeName(i),
        address: node.url.slice("http://".length),
      })),
      bind: `${host}:${port}`,
      luaPath: KV_KEY_LUA,
      maxBodyBytes: options.nodeConfig.maxBodyBytes,
      bodyTimeoutMs: options.nodeConfig.bodyTimeoutMs,
      idleTimeoutMs: options.nodeConfig.idleTimeoutMs,
      statsSocket: `${dir}/haproxy.sock`,
      ...options.haproxyOptions,
    };
    const local = ["0.0.0.0", "::", ""].includes(options.host)
      ? "127.0.0.1"
      : host;
    proxy = await startHaproxy({
      haproxy: options.haproxy,
      dir,
      config,
      url: `http://${local}:${port}`,
    });
    return { url: proxy.url, proxy, nodes, config, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Name of the node at `index` in ring order: `node1`, `node2`, … */
function nodeName(index: number): string {
  return `node${index + 1}`;
}

/** Runs the launcher; resolves with the exit code. */
export async function main(): Promise<number> {
  const env = { ...readEnvFile(".env"), ...Deno.env.toObject() };
  let nodes: number;
  let config: Config;
  try {
    nodes = parseClusterNodes(env);
    config = parseConfig(env);
  } catch (error) {
    console.error(`kv-cache cluster: ${(error as Error).message}`);
    return 1;
  }
  const haproxy = findOnPath("haproxy");
  if (!haproxy) {
    console.error(
      "kv-cache cluster: haproxy is not on PATH. Install HAProxy 2.6 or later (Debian/Ubuntu: apt-get install haproxy), then run again.",
    );
    return 1;
  }
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      nodes,
      port: config.port,
      host: config.host,
      haproxy,
      nodeConfig: config,
      env: nodeEnv(env),
    });
  } catch (error) {
    console.error(`kv-cache cluster: ${(error as Error).message}`);
    return 1;
  }
  if (!config.authToken && !/^(127\.|localhost$|::1$)/.test(config.host)) {
    // The nodes are on 127.0.0.1 and would not say it; the proxy is exposed.
    console.error(
      `kv-cache cluster: HAProxy listens on ${config.host} without AUTH_TOKEN: anyone who can reach it can read and write the cache. Keep it on a private network or set AUTH_TOKEN.`,
    );
  }
  const first = cluster.nodes[0].url.split(":").at(-1);
  const last = cluster.nodes.at(-1)!.url.split(":").at(-1);
  console.log(
    `kv-cache cluster ready: haproxy on ${cluster.config.bind} (${cluster.url}), ${nodes} node(s) on 127.0.0.1:${first}-${last}; Ctrl-C stops it.`,
  );
  const ended = await new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(name, () => resolve(name));
    }
    for (const child of [cluster.proxy, ...cluster.nodes]) {
      child.process.status.then(() =>
        resolve(`${child.url} stopped unexpectedly`)
      );
    }
  });
  const failure = await cluster.stop();
  if (ended.startsWith("SIG")) {
    console.log(`kv-cache cluster stopped (${ended}).`);
    return failure ? 1 : 0;
  }
  console.error(`kv-cache cluster: ${ended}; stopped the rest.`);
  return 1;
}

if (import.meta.main) Deno.exit(await main());
