/**
 * One serving isolate: the HTTP app over a store, a body reader, the
 * event-loop lag monitor and the connection server, built the same way for
 * the single-isolate server (`main.ts`) and for each worker of a multi-core
 * one (`server/worker.ts`). Draining it follows the order Deno 2.9 needs:
 * bodies still arriving are read before `server.shutdown()`, which would make
 * them unreadable (denoland/deno#36809).
 *
 * @module
 */

import type { Cache } from "../lib/cache.ts";
import type { Config } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import { LoopLagMonitor } from "../lib/loop_lag.ts";
import { appOptionsFrom, createApp } from "../routes/app.ts";
import type { Metrics, RuntimeGauges } from "../routes/metrics.ts";
import { errorResponse } from "../routes/responses.ts";
import { BodyReader } from "./body_reader.ts";
import { serve, type Server } from "./serve.ts";

/** Options for {@linkcode startServingIsolate}. */
export interface ServingIsolateOptions {
  /** The service's configuration (limits, timeouts, host). */
  config: Config;
  /** The store the app reads and writes. */
  cache: Cache;
  /** Where request and error logs go. */
  logger: Logger;
  /** Request metrics, also served at `/metrics`; omit to turn off. */
  metrics?: Metrics;
  /** Port to serve on; 0 picks a free one. */
  port: number;
  /** Share the port with other isolates (Linux `SO_REUSEPORT`). */
  reusePort?: boolean;
  /** Fields `/stats` adds about the process (workers, their requests). */
  processStats: () => Record<string, unknown>;
  /** Called once the server listens. */
  onListen?: (address: { hostname: string; port: number }) => void;
  /** Called for every request, before the app sees it. */
  onRequest?: () => void;
}

/** A running serving isolate. */
export interface ServingIsolate {
  /** The connection server. */
  server: Server;
  /** The isolate's gauges now: event-loop lag, memory, connections. */
  runtimeGauges(): RuntimeGauges;
  /** Lets requests in progress finish, then closes every connection. */
  drain(): Promise<void>;
  /** Stops the lag monitor and the body reader's timer. */
  close(): void;
}

/** Builds the app over `options.cache` and starts serving it. */
export function startServingIsolate(
  options: ServingIsolateOptions,
): ServingIsolate {
  const { config, cache, logger, metrics, onRequest } = options;
  const loopLag = new LoopLagMonitor();
  const bodyReader = new BodyReader({
    maxBytes: config.maxBodyBytes,
    timeoutMs: config.bodyTimeoutMs,
  });
  // Pipelines and transactions have their own, larger body bound.
  const pipelineBodyReader = new BodyReader({
    maxBytes: config.maxPipelineBodyBytes,
    timeoutMs: config.bodyTimeoutMs,
  });
  // Read by the gauges at scrape time, once the server below exists.
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
    pipelineBodyReader,
    redisApi: true,
    metrics,
    runtimeGauges,
    logger,
    processStats: options.processStats,
  });
  const server = serve(
    {
      hostname: config.host,
      port: options.port,
      reusePort: options.reusePort,
      idleTimeoutMs: config.idleTimeoutMs,
      onError(error) {
        logger.error("request failed outside the app", {
          error: String(error),
        });
        return errorResponse(500, "Internal server error.");
      },
      onAcceptError(error) {
        logger.error("accepting a connection failed; retrying", {
          error: String(error),
        });
      },
      onListen: options.onListen,
    },
    onRequest === undefined ? app.fetch : (request, info) => {
      onRequest();
      return app.fetch(request, info);
    },
  );
  serving.server = server;
  if (metrics) loopLag.start();
  return {
    server,
    runtimeGauges,
    async drain() {
      await Promise.all([bodyReader.whenIdle(), pipelineBodyReader.whenIdle()]);
      await server.shutdown();
    },
    close() {
      loopLag.stop();
      bodyReader.close();
      pipelineBodyReader.close();
    },
  };
}
