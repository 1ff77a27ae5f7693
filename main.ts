/**
 * Entry point: configuration → cache → HTTP app → `Deno.serve`, plus the
 * periodic sweep and graceful shutdown on SIGINT/SIGTERM. Calls `Deno.serve`
 * itself so that it also works as a `deno compile` binary.
 *
 * @module
 */

import { ArenaCache } from "./lib/arena_cache.ts";
import { type Cache, MapCache, MAX_TTL_SECONDS } from "./lib/cache.ts";
import { ConfigError, parseConfig } from "./lib/config.ts";
import { readEnvFile } from "./lib/env_file.ts";
import { InFlight } from "./lib/in_flight.ts";
import { createLogger } from "./lib/logger.ts";
import { Sweeper } from "./lib/sweeper.ts";
import { createApp } from "./routes/app.ts";

/** Starts the service; resolves with the exit code once it has shut down. */
export async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig({ ...readEnvFile(".env"), ...Deno.env.toObject() });
  } catch (error) {
    const reason = error instanceof ConfigError
      ? error.message
      : `Cannot read configuration: ${(error as Error).message}`;
    console.error(`kv-cache: ${reason}`);
    return 1;
  }

  const logger = createLogger(config.logLevel);
  const cache: Cache = config.cacheStore === "arena"
    ? new ArenaCache({
      maxBytes: config.maxCacheBytes,
      defaultTtlSeconds: config.defaultTtlSeconds,
      maxKeySize: config.maxKeySize,
      maxValueSize: config.maxValueSize,
    })
    : new MapCache({
      maxBytes: config.maxCacheBytes,
      defaultTtlSeconds: config.defaultTtlSeconds,
    });
  const sweeper = new Sweeper(cache, {
    intervalMs: config.sweepIntervalMs,
    onPass: (pass) => logger.debug("sweep pass", { ...pass }),
  });
  const bodyReads = new InFlight();
  const app = createApp({
    cache,
    maxKeySize: config.maxKeySize,
    maxValueSize: config.maxValueSize,
    maxTtlSeconds: MAX_TTL_SECONDS,
    maxBodyBytes: config.maxBodyBytes,
    notFoundStatus: config.notFoundStatus,
    logger,
    bodyReads,
  });

  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen({ hostname, port }) {
      const address = `http://${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${port}`;
      logger.info(`kv-cache listening on ${address}`, {
        address,
        port,
        maxKeySize: config.maxKeySize,
        maxValueSize: config.maxValueSize,
        maxBodyBytes: config.maxBodyBytes,
        maxCacheBytes: config.maxCacheBytes,
        cacheStore: config.cacheStore,
        defaultTtlSeconds: config.defaultTtlSeconds,
        sweepIntervalMs: config.sweepIntervalMs,
        notFoundStatus: config.notFoundStatus,
      });
    },
  }, app.fetch);
  sweeper.start();

  const signal = await new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(name, () => resolve(name));
    }
  });
  logger.info("shutting down", {
    signal,
    timeoutMs: config.shutdownTimeoutMs,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), config.shutdownTimeoutMs);
  });
  // Bodies still arriving must be read before shutdown() (denoland/deno#36809).
  const drained = await Promise.race([
    bodyReads.whenIdle().then(() => server.shutdown()).then(() => true),
    timedOut,
  ]);
  clearTimeout(timer);
  await sweeper.stop();
  if (!drained) {
    logger.warn("in-flight requests did not finish in time; exiting anyway", {
      timeoutMs: config.shutdownTimeoutMs,
    });
  }
  logger.info("stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
