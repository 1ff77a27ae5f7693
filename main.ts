/**
 * Entry point: configuration → cache → HTTP app → server (one serving
 * isolate, `server/serving_isolate.ts`, or one per CPU over a shared store,
 * `server/supervisor.ts`), plus the periodic sweep, snapshots and graceful
 * shutdown on SIGINT/SIGTERM (or the end of standard input, with
 * `EXIT_ON_STDIN_EOF=1`: `server/stop_request.ts`). Starts serving itself, so
 * that it also works as a `deno compile` binary.
 *
 * Whatever stops startup (bad configuration, a port that cannot be had, a
 * broken snapshot) is one line on standard error naming the variable, and
 * exit code 1: never a stack trace.
 *
 * @module
 */

import { ConfigError, describeConfig, parseConfig } from "./lib/config.ts";
import { createCache } from "./lib/create_cache.ts";
import { readEnvFile } from "./lib/env_file.ts";
import { createLogger } from "./lib/logger.ts";
import { Metrics } from "./routes/metrics.ts";
import { openSnapshots } from "./lib/snapshot_service.ts";
import { Sweeper } from "./lib/sweeper.ts";
import { ROUTE_LABELS } from "./routes/app.ts";
import {
  type ServingIsolate,
  startServingIsolate,
} from "./server/serving_isolate.ts";
import { shutDown } from "./server/shutdown.ts";
import { describeListenError, listenProblem } from "./server/listen_error.ts";
import { parseExitOnStdinEof, stopRequested } from "./server/stop_request.ts";
import {
  resolveWorkerCount,
  superviseWorkers,
  workersUnavailable,
} from "./server/supervisor.ts";

/** Starts the service; resolves with the exit code once it has shut down. */
export async function main(): Promise<number> {
  let config, env, watchStdin;
  try {
    env = { ...readEnvFile(".env"), ...Deno.env.toObject() };
    config = parseConfig(env);
    watchStdin = parseExitOnStdinEof(env);
  } catch (error) {
    const reason = error instanceof ConfigError
      ? error.message
      : `Cannot read configuration: ${(error as Error).message}`;
    console.error(`kv-cache: ${reason}`);
    return 1;
  }

  const logger = createLogger(config.logLevel);
  const logListening = (hostname: string, port: number, workers: number) => {
    const address = `http://${
      hostname.includes(":") ? `[${hostname}]` : hostname
    }:${port}`;
    logger.info(`kv-cache listening on ${address}`, {
      ...describeConfig(config),
      address,
      port,
      workers,
    });
    if (!config.authToken && !isLoopback(hostname)) {
      logger.warn(
        `kv-cache is listening on ${hostname} without AUTH_TOKEN: anyone who can reach this address can read and write the cache. Keep it on a private network or set AUTH_TOKEN.`,
      );
    }
  };

  // The port and the host, before anything is loaded or started.
  const unusable = listenProblem(config.host, config.port);
  if (unusable !== undefined) {
    console.error(`kv-cache: ${unusable}`);
    return 1;
  }

  // More than one serving isolate: server/supervisor.ts takes over.
  const workers = resolveWorkerCount(config);
  if (workers > 1) {
    const unavailable = workersUnavailable();
    if (unavailable === undefined) {
      return await superviseWorkers({
        config,
        env,
        workers,
        logger,
        watchStdin,
        onListen: (port) => logListening(config.host, port, workers),
      });
    }
    if (config.workers !== "auto") {
      console.error(
        `kv-cache: Cannot start WORKERS=${workers}: ${unavailable}.`,
      );
      return 1;
    }
    logger.warn(`WORKERS=auto: serving from one isolate, as ${unavailable}.`);
  }
  const cache = createCache(config);
  const snapshots = await openSnapshots(cache, config, logger);
  if (snapshots === 1) return 1;
  const metrics = config.metrics ? new Metrics(ROUTE_LABELS) : undefined;
  const sweeper = new Sweeper(cache, {
    intervalMs: config.sweepIntervalMs,
    onPass: (pass) => {
      metrics?.observeSweep(pass);
      logger.debug("sweep pass", { ...pass });
    },
  });
  let isolate: ServingIsolate;
  try {
    isolate = startServingIsolate({
      config,
      cache,
      logger,
      metrics,
      port: config.port,
      processStats: () => ({ workers: 1 }),
      onListen: ({ hostname, port }) => logListening(hostname, port, 1),
    });
  } catch (error) {
    // Taken between the check above and now.
    console.error(
      `kv-cache: ${describeListenError(error, config.host, config.port)}`,
    );
    return 1;
  }
  if (config.idleTimeoutMs > 0 && !isolate.server.idleTimeouts) {
    logger.warn(
      `This Deno (${Deno.version.deno}) lacks the per-connection server kv-cache uses for IDLE_TIMEOUT_MS: idle and silent connections stay open. Put a proxy with timeouts in front, or run Deno 2.9.6.`,
    );
  }
  sweeper.start();
  snapshots?.start();

  const signal = await stopRequested(watchStdin);
  return await shutDown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    fields: { signal },
    drain: () => isolate.drain(),
    sweeper,
    close: () => isolate.close(),
    snapshots,
  });
}

/** Reports whether `hostname` is a loopback address. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" ||
    hostname.startsWith("127.");
}

if (import.meta.main) Deno.exit(await main());
