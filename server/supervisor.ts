/**
 * Runs several serving isolates over one store: the main isolate allocates
 * the store in shared memory, starts `WORKERS` Web Workers (`worker.ts`) that
 * each serve the HTTP app on the same port with `reusePort`, and itself only
 * sweeps, handles signals and watches the workers.
 *
 * - Startup: the port must be free: `reusePort` would otherwise let the
 *   workers join another process's listeners (say, a second kv-cache on the
 *   same port) and split the traffic between two caches, so it is first
 *   bound once without it. Then worker 0 binds the configured port (0 picks
 *   one), the others the port it got; "listening" is logged once all serve.
 * - The sweep runs here, once for the process; eviction and compaction run
 *   inside writes, paced, whichever worker writes.
 * - SIGINT/SIGTERM: every worker drains (requests in progress finish, then
 *   connections close) within `SHUTDOWN_TIMEOUT_MS`; exit code 0.
 * - A worker that dies (an uncaught error) stops the process with exit code 1
 *   and a message: it may have died inside a store operation, leaving the
 *   shared store half-changed or its lock held, so restarting only that
 *   worker could serve wrong answers. A process supervisor (Docker's restart
 *   policy, systemd, Kubernetes) restarts the whole process.
 *
 * @module
 */

import { createSharedCache } from "../lib/create_cache.ts";
import { openSnapshots } from "../lib/snapshot_service.ts";
import { shutDown } from "./shutdown.ts";
import { listenProblem } from "./listen_error.ts";
import { stopRequested } from "./stop_request.ts";
import type { Config, Env } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import { Metrics, metricsRegionSlots } from "../routes/metrics.ts";
import { Sweeper } from "../lib/sweeper.ts";
import { ROUTE_LABELS } from "../routes/app.ts";
import type { WorkerReport, WorkerStart } from "./worker.ts";

/** The module each serving worker runs. */
export const WORKER_MODULE = new URL("./worker.ts", import.meta.url);

/**
 * CPUs this process may use: `navigator.hardwareConcurrency`, which Deno
 * takes from Rust's `available_parallelism`, so it honours the scheduler
 * affinity (`taskset`, cpusets) and a cgroup CPU quota (`docker --cpus`).
 */
export function availableCpus(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * Serving isolates for the `WORKERS` setting: `auto` is the available CPUs
 * with the arena store (the map store cannot be shared) and 1 otherwise.
 */
export function resolveWorkerCount(config: Config): number {
  if (config.workers !== "auto") return config.workers;
  return config.cacheStore === "arena" ? availableCpus() : 1;
}

/**
 * Why this process cannot start serving workers, or undefined if it can:
 * they need `--unstable-net` (for `reusePort`) and read access to the
 * modules they load.
 */
export function workersUnavailable(): string | undefined {
  const modules = new URL("..", WORKER_MODULE);
  for (const dir of ["lib", "routes", "server"]) {
    const path = new URL(dir, modules);
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      return `serving workers need read access to their modules: run with --allow-read=.env,lib,routes,server from ${modules.pathname}`;
    }
  }
  // Using reusePort without the flag ends the process, so look for another
  // API the flag brings instead.
  if (!("listenDatagram" in Deno)) {
    return "serving workers need --unstable-net (for reusePort)";
  }
  return undefined;
}

/** Options for {@linkcode superviseWorkers}. */
export interface SupervisorOptions {
  /** The configuration. */
  config: Config;
  /** The environment it was parsed from, for the workers to parse again. */
  env: Env;
  /** Serving workers to start, at least 1. */
  workers: number;
  /** Where the supervisor logs. */
  logger: Logger;
  /** Called once every worker is serving, with the port. */
  onListen?: (port: number) => void;
  /** Resolves when the process should shut down (default: SIGINT/SIGTERM). */
  shutdownSignal?: Promise<string>;
  /**
   * With the default `shutdownSignal`, also shut down when standard input
   * closes (`EXIT_ON_STDIN_EOF=1`, server/stop_request.ts).
   */
  watchStdin?: boolean;
  /** Module each worker runs (default {@linkcode WORKER_MODULE}). */
  workerModule?: URL;
}

/** A started worker and its next report. */
class ServingWorker {
  readonly worker: Worker;
  #waiting: ((report: WorkerReport) => void) | undefined;

  constructor(module: URL, name: string, onError: (message: string) => void) {
    this.worker = new Worker(module, { type: "module", name });
    this.worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      this.#waiting?.(event.data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      onError(event.message);
    };
    this.worker.onmessageerror = () => onError("a message could not be read");
  }

  /** Sends `message` and resolves with the worker's answer. */
  ask(message: WorkerStart | { type: "stop" }): Promise<WorkerReport> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.worker.postMessage(message);
    });
  }
}

/**
 * Serves with `workers` isolates over one shared store until a shutdown
 * signal (resolving with 0) or a worker failure (resolving with 1); see the
 * module docs.
 */
export async function superviseWorkers(
  options: SupervisorOptions,
): Promise<number> {
  const { config, logger, workers } = options;
  const taken = listenProblem(config.host, config.port);
  if (taken !== undefined) {
    logger.error(taken, { workers });
    return 1;
  }
  // Opened here first, so that the store is initialised before any worker.
  const { cache, layout } = createSharedCache(config);
  const snapshots = await openSnapshots(cache, config, logger);
  if (snapshots === 1) return 1;
  const metricsMemory = config.metrics
    ? new SharedArrayBuffer(
      8 * (workers + 1) * metricsRegionSlots(ROUTE_LABELS.length),
    )
    : undefined;
  const metrics = metricsMemory
    ? new Metrics(ROUTE_LABELS, {
      buffer: metricsMemory,
      region: 0,
      regions: workers + 1,
    })
    : undefined;
  const requests = new SharedArrayBuffer(8 * workers);
  const sweeper = new Sweeper(cache, {
    intervalMs: config.sweepIntervalMs,
    onPass: (pass) => {
      metrics?.observeSweep(pass);
      logger.debug("sweep pass", { ...pass });
    },
  });

  let fail!: (message: string) => void;
  const failed = new Promise<string>((resolve) => fail = resolve);
  const started: ServingWorker[] = [];
  const start = (index: number, port: number) => {
    const worker = new ServingWorker(
      options.workerModule ?? WORKER_MODULE,
      `kv-cache worker ${index}`,
      (message) => fail(`worker ${index} failed: ${message}`),
    );
    started.push(worker);
    return worker.ask({
      type: "start",
      index,
      workers,
      env: options.env,
      port,
      layout,
      requests,
      metrics: metricsMemory,
    });
  };
  const stopAll = () => {
    for (const { worker } of started) worker.terminate();
  };

  const listening = (async () => {
    const first = await start(0, config.port);
    if (first.type === "failed") return first;
    const port = first.type === "listening" ? first.port : config.port;
    const others = await Promise.all(
      Array.from({ length: workers - 1 }, (_, i) => start(i + 1, port)),
    );
    return others.find((report) => report.type === "failed") ?? port;
  })();
  const port = await Promise.race([listening, failed]);
  if (typeof port === "string") {
    logger.error(`${port}; exiting`, { workers });
    stopAll();
    return 1;
  }
  if (typeof port === "object") {
    // A worker could not listen: one sentence, as main.ts says it.
    console.error(`kv-cache: ${port.message}`);
    stopAll();
    return 1;
  }
  options.onListen?.(port);
  sweeper.start();
  snapshots?.start();

  const signal = options.shutdownSignal ??
    stopRequested(options.watchStdin ?? false);
  const outcome = await Promise.race([
    signal.then((name) => ({ signal: name })),
    failed.then((message) => ({ failure: message })),
  ]);
  if ("failure" in outcome) {
    logger.error(
      `${outcome.failure}; exiting, as the shared store may be half-changed (restart the process)`,
      { workers },
    );
    await sweeper.stop();
    await snapshots?.stop();
    stopAll();
    return 1;
  }
  return await shutDown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    fields: { signal: outcome.signal, workers },
    drain: () =>
      Promise.all(started.map((worker) => worker.ask({ type: "stop" }))),
    sweeper,
    close: stopAll,
    snapshots,
  });
}
