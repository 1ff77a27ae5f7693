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
import {
  clusterPortProblem,
  ephemeralWarning,
  freePortRange,
} from "./cluster_ports.ts";
import { Keeper, RESTART_POLICY } from "./keeper.ts";
import { parentGone } from "./parent_watch.ts";
import { type Served, type Spawned, spawnServed } from "./served.ts";
import { ROOT, START_FLAGS } from "./start_flags.ts";
import {
  type ClusterNode,
  haproxyConfig,
  type HaproxyConfigOptions,
  redisRulesLua,
} from "./haproxy_config.ts";

import {
  clusterFront,
  type ClusterFrontOptions,
} from "../server/cluster_front.ts";

export { freePortRange } from "./cluster_ports.ts";
export type { Served } from "./served.ts";

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

/** Probes `url/health`: undefined once it answers 200 `{"status":"OK"}`. */
function healthy(url: string): Promise<string | undefined> {
  return checkHealth(`${url}/health`, 1_000);
}

/**
 * Probes `url/health`: undefined once anything answers over HTTP. HAProxy
 * restarted while every node is down answers 503, and is up all the same.
 */
async function answering(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(1_000),
    });
    await response.body?.cancel();
    return undefined;
  } catch (error) {
    return `${url} did not answer: ${(error as Error).message}`;
  }
}

/**
 * Spawns one node (`main.ts`) on 127.0.0.1:`port` as `deno task start` runs
 * it (its flags, from the repository root), with `LOG_LEVEL=warn`,
 * `WORKERS=1` and `env` added to this process's environment (`env` wins).
 * Its standard input is a pipe and it runs with `EXIT_ON_STDIN_EOF=1`, so
 * that it shuts down when this process ends, however it ends.
 */
export function spawnNode(
  port: number,
  env: Record<string, string> = {},
  name = `node on port ${port}`,
): Spawned {
  return spawnServed({
    what: name,
    command: Deno.execPath(),
    args: ["run", ...START_FLAGS, MAIN_TS],
    cwd: ROOT,
    env: {
      LOG_LEVEL: "warn",
      WORKERS: "1",
      ...env,
      HOST: "127.0.0.1",
      PORT: String(port),
      EXIT_ON_STDIN_EOF: "1",
    },
    stdinPipe: true,
    url: `http://127.0.0.1:${port}`,
    probe: healthy,
  });
}

/** {@linkcode spawnNode}, resolving once `/health` answers. */
export async function startNode(
  port: number,
  env: Record<string, string> = {},
): Promise<Served> {
  const node = spawnNode(port, env);
  try {
    await node.ready;
  } catch (error) {
    await node.stop("SIGKILL");
    throw new Error(
      `Node on port ${port} could not start: ${(error as Error).message}`,
    );
  }
  return node;
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
    probe: options.readyWhen === "answering" ? answering : healthy,
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
 * requests, and it sends their parts back through HAProxy at `proxyUrl`.
 */
export function serveRedisFront(
  proxyUrl: string,
  nodes: string[],
  config: ClusterFrontOptions["config"],
  dir: string,
): RedisFront {
  const secret = crypto.randomUUID();
  const rulesLuaPath = `${dir}/kv_redis_rules.lua`;
  Deno.writeTextFileSync(rulesLuaPath, redisRulesLua());
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    clusterFront({ proxyUrl, nodes, secret, config }),
  );
  return {
    address: `127.0.0.1:${server.addr.port}`,
    secret,
    rulesLuaPath,
    shutdown: () => server.shutdown(),
  };
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

/** Name of the node at `index` in ring order: `node1`, `node2`, … */
export function nodeName(index: number): string {
  return `node${index + 1}`;
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
        plan.nodes.map((node) => node.name),
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
    plan.nodes.map((node) => node.name),
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
