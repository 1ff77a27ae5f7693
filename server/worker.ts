/**
 * A serving isolate: a Web Worker that opens the process's shared store,
 * builds the HTTP app over it and serves on the process's port with
 * `reusePort`, so that the kernel spreads connections over the workers.
 * Started and stopped by `server/supervisor.ts`, which it talks to with the
 * messages below; it never handles signals itself.
 *
 * @module
 */

import { ArenaCache, type ArenaLayout } from "../lib/arena_cache.ts";
import { type Env, parseConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import { LoopLagMonitor } from "../lib/loop_lag.ts";
import { Metrics, type RuntimeGauges } from "../routes/metrics.ts";
import { appOptionsFrom, createApp, ROUTE_LABELS } from "../routes/app.ts";
import { BodyReader } from "./body_reader.ts";
import { errorResponse } from "../routes/responses.ts";
import { serve, type Server } from "./serve.ts";

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
  | { type: "stopped"; drained: true };

/** How often a worker publishes its gauges for other isolates' scrapes. */
export const GAUGE_PUBLISH_MS = 1000;

/**
 * Starts serving as told by `start`; returns a function that drains
 * the worker (requests in progress finish, connections close).
 */
export function startWorker(
  start: WorkerStart,
  report: (message: WorkerReport) => void,
): () => Promise<void> {
  const config = parseConfig(start.env);
  const logger = createLogger(config.logLevel);
  const cache = new ArenaCache({
    maxBytes: config.maxCacheBytes,
    defaultTtlSeconds: config.defaultTtlSeconds,
    maxKeySize: config.maxKeySize,
    maxValueSize: config.maxValueSize,
  }, start.layout);
  const metrics = start.metrics
    ? new Metrics(ROUTE_LABELS, {
      buffer: start.metrics,
      region: start.index + 1,
      regions: start.workers + 1,
    })
    : undefined;
  const requests = new Float64Array(start.requests);
  const loopLag = new LoopLagMonitor();
  const bodyReader = new BodyReader({
    maxBytes: config.maxBodyBytes,
    timeoutMs: config.bodyTimeoutMs,
  });
  // Read by the gauges once the server below exists.
  const serving: { server?: Server } = {};
  const runtimeGauges = (): RuntimeGauges => {
    const memory = Deno.memoryUsage();
    return {
      eventLoopLagMaxMs: loopLag.takeMaxLagMs(),
      residentBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      openConnections: serving.server?.connections ?? 0,
      idleClosedConnections: serving.server?.idleClosed ?? 0,
    };
  };
  const app = createApp({
    ...appOptionsFrom(config),
    cache,
    bodyReader,
    metrics,
    runtimeGauges,
    logger,
    processStats: () => ({
      workers: start.workers,
      workerRequests: Array.from(requests),
      lock: cache.lockStats(),
    }),
  });
  const index = start.index;
  const server = serve({
    hostname: config.host,
    port: start.port,
    reusePort: true,
    idleTimeoutMs: config.idleTimeoutMs,
    onError(error) {
      logger.error("request failed outside the app", { error: String(error) });
      return errorResponse(500, "Internal server error.");
    },
    onAcceptError(error) {
      logger.error("accepting a connection failed; retrying", {
        error: String(error),
      });
    },
  }, (request, info) => {
    requests[index]++;
    return app.fetch(request, info);
  });
  serving.server = server;
  const publish = setInterval(() => {
    metrics?.publishGauges(runtimeGauges());
  }, GAUGE_PUBLISH_MS);
  if (metrics) loopLag.start();
  report({ type: "listening", port: server.addr.port });
  return async () => {
    clearInterval(publish);
    // Bodies still arriving must be read before shutdown() (denoland/deno#36809).
    await bodyReader.whenIdle();
    await server.shutdown();
    loopLag.stop();
    bodyReader.close();
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
