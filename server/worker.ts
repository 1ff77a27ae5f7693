/**
 * A serving isolate: a Web Worker that opens the process's shared store,
 * builds the HTTP app over it and serves on the process's port with
 * `reusePort`, so that the kernel spreads connections over the workers.
 * Started and stopped by `server/supervisor.ts`, which it talks to with the
 * messages below; it never handles signals itself.
 *
 * @module
 */

import type { ArenaLayout } from "../lib/arena_cache.ts";
import { attachSharedCache } from "../lib/create_cache.ts";
import { type Env, parseConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import { Metrics } from "../routes/metrics.ts";
import { ROUTE_LABELS } from "../routes/app.ts";
import { type ServingIsolate, startServingIsolate } from "./serving_isolate.ts";
import { describeListenError } from "./listen_error.ts";

/** What the supervisor sends a worker to start it. */
export interface WorkerStart {
  type: "start";
  /** This worker's number, from 0. */
  index: number;
  /** Serving workers in the process. */
  workers: number;
  /** The configuration's environment, as the main isolate read it. */
  env: Env;
  /** Port to serve on (0 for the first worker when any port will do). */
  port: number;
  /** The shared store. */
  layout: ArenaLayout;
  /** Requests served, one Float64 per worker. */
  requests: SharedArrayBuffer;
  /** Metrics regions: 0 is the main isolate's, `index + 1` this worker's. */
  metrics?: SharedArrayBuffer;
}

/** What the supervisor sends a worker to drain it. */
export interface WorkerStop {
  type: "stop";
}

/** What a worker reports to the supervisor. */
export type WorkerReport =
  | { type: "listening"; port: number }
  | { type: "failed"; message: string }
  | { type: "stopped"; drained: true };

/** How often a worker publishes its gauges for other isolates' scrapes. */
export const GAUGE_PUBLISH_MS = 1000;

/**
 * Starts serving as told by `start`; returns a function that drains
 * the worker (requests in progress finish, connections close). A port that
 * cannot be had is reported as `failed`, with the sentence saying why.
 */
export function startWorker(
  start: WorkerStart,
  report: (message: WorkerReport) => void,
): () => Promise<void> {
  const config = parseConfig(start.env);
  const logger = createLogger(config.logLevel);
  const cache = attachSharedCache(config, start.layout);
  const metrics = start.metrics
    ? new Metrics(ROUTE_LABELS, {
      buffer: start.metrics,
      region: start.index + 1,
      regions: start.workers + 1,
    })
    : undefined;
  const requests = new Float64Array(start.requests);
  const index = start.index;
  let isolate: ServingIsolate;
  try {
    isolate = startServingIsolate({
      config,
      cache,
      logger,
      metrics,
      port: start.port,
      reusePort: true,
      processStats: () => ({
        workers: start.workers,
        workerRequests: Array.from(requests),
        lock: cache.lockStats(),
      }),
      onRequest: () => requests[index]++,
    });
  } catch (error) {
    report({
      type: "failed",
      message: describeListenError(error, config.host, start.port),
    });
    return () => Promise.resolve();
  }
  const publish = setInterval(() => {
    metrics?.publishGauges(isolate.runtimeGauges());
  }, GAUGE_PUBLISH_MS);
  report({ type: "listening", port: isolate.server.addr.port });
  return async () => {
    clearInterval(publish);
    await isolate.drain();
    isolate.close();
  };
}

/** The parts of a worker's global scope used here. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerStart | WorkerStop>) => void) | null;
  postMessage(message: WorkerReport): void;
}

if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as WorkerScope;
  let stop: (() => Promise<void>) | undefined;
  scope.onmessage = async (event) => {
    const message = event.data;
    if (message.type === "start") {
      stop = startWorker(message, (report) => scope.postMessage(report));
    } else if (message.type === "stop" && stop) {
      await stop();
      scope.postMessage({ type: "stopped", drained: true });
    }
  };
}
