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
 * The pieces are exported for the tests and the benchmark: `startCluster`
 * here, the nodes in `cluster_node.ts`, HAProxy in `cluster_haproxy.ts`.
 *
 * @module
 */

import { type Config, ConfigError, parseConfig } from "../lib/config.ts";
import { readEnvFile } from "../lib/env_file.ts";
import {
  clusterPortProblem,
  ephemeralWarning,
  freePortRange,
} from "./cluster_ports.ts";
import { Keeper, RESTART_POLICY } from "./keeper.ts";
import { parentGone } from "./parent_watch.ts";
import type { Served } from "./served.ts";
import {
  type ClusterNode,
  type HaproxyConfigOptions,
  redisRulesLua,
} from "./haproxy_config.ts";
import {
  findOnPath,
  haproxyCommand,
  type HaproxyOptions,
  KV_KEY_LUA,
  spawnHaproxy,
  startHaproxy,
  writeHaproxyConfig,
} from "./cluster_haproxy.ts";
import {
  nodeEnv,
  nodeName,
  nodeSnapshotFile,
  spawnNode,
} from "./cluster_node.ts";

import {
  clusterFront,
  type ClusterFrontOptions,
} from "../server/cluster_front.ts";

export { freePortRange } from "./cluster_ports.ts";
export type { Served } from "./served.ts";

/** Most nodes `CLUSTER_NODES` accepts. */
export const MAX_CLUSTER_NODES = 64;

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

/** The Redis REST front, served by this process. */
export interface RedisFront {
  /** `127.0.0.1:port` it listens on (a port the kernel picked). */
  address: string;
  /** The secret its sub-requests carry, for HAProxy's configuration. */
  secret: string;
  /** The generated command rules for HAProxy's fast path (a Lua file). */
  rulesLuaPath: string;
  /** Stops serving. */
  shutdown(): Promise<void>;
}

/**
 * Serves the Redis REST front (`server/cluster_front.ts`) in this process on
 * 127.0.0.1, on a port the kernel picks: HAProxy sends it the Redis REST
 * requests, and it sends their parts straight to the `nodes` (asking
 * HAProxy at `proxyUrl` where keys go until its ring is checked).
 */
export function serveRedisFront(
  proxyUrl: string,
  nodes: readonly PlannedNode[],
  config: ClusterFrontOptions["config"],
  dir: string,
): RedisFront {
  const secret = crypto.randomUUID();
  const rulesLuaPath = `${dir}/kv_redis_rules.lua`;
  Deno.writeTextFileSync(rulesLuaPath, redisRulesLua());
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    clusterFront({
      proxyUrl,
      nodes: nodes.map((node) => node.name),
      nodeUrls: nodes.map((node) => `http://127.0.0.1:${node.port}`),
      secret,
      config,
    }),
  );
  return {
    address: `127.0.0.1:${server.addr.port}`,
    secret,
    rulesLuaPath,
    shutdown: () => server.shutdown(),
  };
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
  /**
   * Serve the Redis REST API through the front (default true); false
   * leaves the proxy's 501, as in the deploy files.
   */
  redisFront?: boolean;
}

/** One node of a {@linkcode ClusterPlan}. */
export interface PlannedNode {
  /** `node1`, `node2`, … (ring order). */
  name: string;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Variables added to its environment. */
  env: Record<string, string>;
}

/** What a cluster is made of, before anything starts. */
export interface ClusterPlan {
  /** HAProxy's port. */
  port: number;
  /** The nodes, in ring order. */
  nodes: PlannedNode[];
  /** HAProxy's configuration. */
  config: HaproxyConfigOptions;
  /** Base URL to reach HAProxy from this machine. */
  url: string;
}

/**
 * Lays out the cluster `options` describe (with `options.port` not 0), its
 * runtime API socket in `dir`.
 * @throws {ConfigError} naming PORT when the nodes' ports would pass 65535.
 */
export function planCluster(options: ClusterOptions, dir: string): ClusterPlan {
  const port = options.port;
  if (port + options.nodes > 65_535) {
    throw new ConfigError(
      "PORT",
      `PORT ${port} leaves no room for ${options.nodes} nodes on PORT+1…PORT+${options.nodes}.`,
    );
  }
  const snapshotFile = options.env?.SNAPSHOT_FILE?.trim();
  const nodes = Array.from({ length: options.nodes }, (_, i): PlannedNode => ({
    name: nodeName(i),
    port: port + 1 + i,
    env: {
      ...options.env,
      ...(snapshotFile
        ? { SNAPSHOT_FILE: nodeSnapshotFile(snapshotFile, nodeName(i)) }
        : {}),
    },
  }));
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const local = ["0.0.0.0", "::", ""].includes(options.host)
    ? "127.0.0.1"
    : host;
  return {
    port,
    nodes,
    url: `http://${local}:${port}`,
    config: {
      nodes: nodes.map((node): ClusterNode => ({
        name: node.name,
        address: `127.0.0.1:${node.port}`,
      })),
      bind: `${host}:${port}`,
      luaPath: KV_KEY_LUA,
      maxBodyBytes: options.nodeConfig.maxBodyBytes,
      bodyTimeoutMs: options.nodeConfig.bodyTimeoutMs,
      idleTimeoutMs: options.nodeConfig.idleTimeoutMs,
      statsSocket: `${dir}/haproxy.sock`,
      ...options.haproxyOptions,
    },
  };
}

/**
 * Starts `options.nodes` nodes, then HAProxy in front of them, and leaves
 * them to the caller: nothing is restarted (the launcher's {@linkcode main}
 * keeps its children running). They all stop when this process ends.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const port = options.port === 0 ? freePortRange(options.nodes) : options.port;
  const dir = await Deno.makeTempDir({ prefix: "kv-cluster-" });
  const nodes: Served[] = [];
  let proxy: Served | undefined;
  let front: RedisFront | undefined;
  const stop = async () => {
    const statuses = await Promise.all(
      [proxy, ...nodes].filter((p) => p !== undefined).map((p) => p!.stop()),
    );
    await front?.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const failed = statuses.find((s) => !s.success && s.signal !== "SIGTERM");
    return failed ? `a process exited with ${failed.code}` : undefined;
  };
  try {
    const plan = planCluster({ ...options, port }, dir);
    const spawned = plan.nodes.map((node) =>
      spawnNode(node.port, node.env, node.name)
    );
    nodes.push(...spawned);
    const results = await Promise.allSettled(spawned.map((n) => n.ready));
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason;
      throw new Error(
        `${plan.nodes[failed].name} could not start: ${
          (reason as Error).message
        }`,
      );
    }
    if (options.redisFront !== false) {
      front = serveRedisFront(
        plan.url,
        plan.nodes,
        {
          ...parseConfig(options.env ?? {}),
          maxBodyBytes: options.nodeConfig.maxBodyBytes,
        },
        dir,
      );
      plan.config.redisFront = front;
    }
    proxy = await startHaproxy({
      haproxy: options.haproxy,
      dir,
      config: plan.config,
      url: plan.url,
    });
    return { url: proxy.url, proxy, nodes, config: plan.config, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Says a line of the launcher: on standard output if `good`, else error. */
function say(line: string, good = false): void {
  if (good) console.log(`kv-cache cluster: ${line}`);
  else console.error(`kv-cache cluster: ${line}`);
}

/** Longest wait for HAProxy's soft stop (requests in flight) at shutdown. */
const PROXY_STOP_MS = 5_000;

/** Runs the launcher; resolves with the exit code. */
export async function main(): Promise<number> {
  const env = { ...readEnvFile(".env"), ...Deno.env.toObject() };
  let nodes: number;
  let config: Config;
  try {
    nodes = parseClusterNodes(env);
    config = parseConfig(env);
  } catch (error) {
    say((error as Error).message);
    return 1;
  }
  const haproxy = findOnPath("haproxy");
  if (!haproxy) {
    say(
      "haproxy is not on PATH. Install HAProxy 2.6 or later (Debian/Ubuntu: apt-get install haproxy), then run again.",
    );
    return 1;
  }
  const port = config.port === 0 ? freePortRange(nodes) : config.port;
  const dir = await Deno.makeTempDir({ prefix: "kv-cluster-" });
  let plan: ClusterPlan;
  try {
    plan = planCluster({
      nodes,
      port,
      host: config.host,
      haproxy,
      nodeConfig: config,
      env: nodeEnv(env),
    }, dir);
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    say((error as Error).message);
    return 1;
  }
  try {
    return await supervise(plan, haproxy, config, dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Checks the ports, starts the nodes and HAProxy, keeps them running until
 * SIGINT/SIGTERM (exit 0 after a drain) or a child that cannot be restarted
 * (exit 1, saying which and why).
 */
async function supervise(
  plan: ClusterPlan,
  haproxy: string,
  config: Config,
  dir: string,
): Promise<number> {
  const nodes = plan.nodes.length;
  const problem = clusterPortProblem([
    { name: "HAProxy", host: config.host, port: plan.port },
    ...plan.nodes.map((node) => ({
      name: node.name,
      host: "127.0.0.1",
      port: node.port,
    })),
  ], nodes);
  if (problem !== undefined) {
    say(problem);
    return 1;
  }
  const ephemeral = ephemeralWarning([
    plan.port,
    ...plan.nodes.map((node) => node.port),
  ]);
  if (ephemeral) say(ephemeral);
  if (!haproxyCommand(haproxy, "").pdeathsig) {
    say(
      "setpriv (util-linux) is not on PATH: if this launcher is killed with SIGKILL, HAProxy keeps running (the nodes stop). Install util-linux to have HAProxy stop with it.",
    );
  }

  const keepers = plan.nodes.map((node) =>
    new Keeper(
      `${node.name} (127.0.0.1:${node.port})`,
      () => spawnNode(node.port, node.env, node.name),
      say,
      RESTART_POLICY,
      () =>
        clusterPortProblem([
          { name: node.name, host: "127.0.0.1", port: node.port },
        ], nodes),
    )
  );
  // The Redis REST front runs in this process: it lives as long as the
  // launcher, and HAProxy, restarted, finds it at the same address.
  const front = serveRedisFront(
    plan.url,
    plan.nodes,
    config,
    dir,
  );
  plan.config.redisFront = front;
  let started = false;
  const proxyOptions: HaproxyOptions = {
    haproxy,
    dir,
    config: plan.config,
    url: plan.url,
  };
  const proxy = new Keeper(
    `HAProxy (${plan.config.bind})`,
    () =>
      spawnHaproxy({
        ...proxyOptions,
        readyWhen: started ? "answering" : "healthy",
      }),
    say,
    RESTART_POLICY,
    () =>
      clusterPortProblem([
        { name: "HAProxy", host: config.host, port: plan.port },
      ], nodes),
  );
  const stopAll = async (): Promise<boolean> => {
    // HAProxy first (soft stop: it finishes what is in flight), then the
    // nodes drain and write their snapshots.
    const proxyStatus = await proxy.stop("SIGUSR1", PROXY_STOP_MS);
    const statuses = await Promise.all(
      keepers.map((keeper) =>
        keeper.stop("SIGTERM", config.shutdownTimeoutMs + 10_000)
      ),
    );
    await front.shutdown();
    return [proxyStatus, ...statuses].every((status) =>
      status === undefined || status.success
    );
  };

  const stopSignal = new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(name, () => resolve(name));
    }
  });
  const watch = new AbortController();
  const orphaned = parentGone(250, watch.signal);
  const startup = (async () => {
    const results = await Promise.allSettled(keepers.map((k) => k.begin()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    writeHaproxyConfig(proxyOptions);
    await proxy.begin();
    started = true;
  })();
  startup.catch(() => {});
  const early = await Promise.race([
    startup.then(
      () => undefined,
      (error: Error) => ({ failure: error.message }),
    ),
    stopSignal.then((signal) => ({ signal })),
    orphaned.then((failure) => ({ failure })),
  ]);
  if (early !== undefined) {
    await stopAll();
    watch.abort();
    if ("signal" in early) {
      console.log(`kv-cache cluster stopped (${early.signal}).`);
      return 0;
    }
    say(`${early.failure}; stopped the cluster.`);
    return 1;
  }

  if (!config.authToken && !/^(127\.|localhost$|::1$)/.test(config.host)) {
    // The nodes are on 127.0.0.1 and would not say it; the proxy is exposed.
    say(
      `HAProxy listens on ${config.host} without AUTH_TOKEN: anyone who can reach it can read and write the cache. Keep it on a private network or set AUTH_TOKEN.`,
    );
  }
  const first = plan.nodes[0].port;
  const last = plan.nodes.at(-1)!.port;
  console.log(
    `kv-cache cluster ready: haproxy on ${plan.config.bind} (${plan.url}), ${nodes} node(s) on 127.0.0.1:${first}-${last}; Ctrl-C stops it.`,
  );
  const ended = await Promise.race([
    stopSignal.then((signal) => ({ signal })),
    orphaned.then((failure) => ({ failure })),
    ...[proxy, ...keepers].map((keeper) =>
      keeper.gaveUp.then((failure) => ({ failure }))
    ),
  ]);
  const clean = await stopAll();
  watch.abort();
  if ("signal" in ended) {
    console.log(`kv-cache cluster stopped (${ended.signal}).`);
    return clean ? 0 : 1;
  }
  say(`${ended.failure}; stopped the cluster.`);
  return 1;
}

if (import.meta.main) Deno.exit(await main());
