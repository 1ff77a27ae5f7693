/**
 * The kv-cache API as a web-standard fetch handler for serverless and edge
 * runtimes, for embedding (`createEdgeHandler`) and for the bundles' default
 * export (`createEdgeWorker`).
 *
 * The store is the plain `Map` one (`lib/map_cache.ts`), whose garbage
 * collection pauses stay short at this size. The import graph uses no
 * Deno-only API and no timers: there is no sweeper, so expired entries are
 * removed when a read or delete comes across them or when eviction reaches
 * them, and memory stays bounded by `MAX_CACHE_BYTES` (64 MiB by default
 * here) because every write evicts the oldest entries past the budget.
 *
 * The Redis REST API (`POST /`, `/pipeline`, `/multi-exec`) is served as
 * the server serves it, with both tokens (`AUTH_TOKEN`,
 * `AUTH_READONLY_TOKEN`).
 *
 * @module
 */

import type { Clock } from "../lib/clock.ts";
import {
  type Config,
  ConfigError,
  type Env,
  parseConfig,
} from "../lib/config.ts";
import { createCache } from "../lib/create_cache.ts";
import { bindingsEnv, edgeEnv, processEnv } from "../lib/edge_env.ts";
import { createLogger } from "../lib/logger.ts";
import { appOptionsFrom, createApp } from "./app.ts";
import { errorResponse } from "./responses.ts";

/** Default `MAX_CACHE_BYTES` on edge runtimes: 64 MiB. */
export const EDGE_MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A module's default export as edge runtimes call it: `{ fetch }`. */
export interface EdgeWorker {
  /** Answers `request`; `bindings` are the platform's (Workers' `env`). */
  fetch(request: Request, bindings?: unknown): Response | Promise<Response>;
}

/**
 * Parses `env` as the edge does: `MAX_CACHE_BYTES` defaults to
 * {@linkcode EDGE_MAX_CACHE_BYTES} and the store is always the `Map` one.
 *
 * @throws {ConfigError} naming the first invalid variable.
 */
export function parseEdgeConfig(env: Env): Config {
  return parseConfig({
    MAX_CACHE_BYTES: String(EDGE_MAX_CACHE_BYTES),
    ...bindingsEnv(env),
    CACHE_STORE: "map",
  });
}

/**
 * Creates a kv-cache handler with its own empty cache, configured from `env`
 * (the same variables as the server; `MAX_CACHE_BYTES` defaults to
 * {@linkcode EDGE_MAX_CACHE_BYTES}; the store is always the `Map` one,
 * whatever `CACHE_STORE` says; `AUTH_TOKEN` and `AUTH_READONLY_TOKEN` are
 * honoured; the Redis REST API is on; `PORT`, `HOST`,
 * `SWEEP_INTERVAL_MS`, `SHUTDOWN_TIMEOUT_MS`, `BODY_TIMEOUT_MS` and `METRICS`
 * are validated but unused: they need a server or timers). Expiry is
 * decided on `clock` (the system clock by default).
 *
 * @throws {ConfigError} naming the first invalid variable.
 */
export function createEdgeHandler(
  env: Env = {},
  clock?: Clock,
): FetchHandler {
  const config = parseEdgeConfig(env);
  const cache = createCache(config, clock);
  const app = createApp({
    ...appOptionsFrom(config),
    bodyTimeoutMs: 0, // a timeout needs a timer
    redisApi: true,
    cache,
    logger: createLogger(config.logLevel),
  });
  return (request) => app.fetch(request);
}

/**
 * Creates the object a bundle exports as its default. The process
 * environment, where there is one, is checked at once, so that a bad variable
 * stops startup (the import throws a {@linkcode ConfigError} naming it). The
 * handler is built on the first request from the bindings passed with it over
 * the process environment, then reused for the life of the isolate; a bad
 * binding answers 500 with the reason (and is retried on the next request).
 *
 * @throws {ConfigError} when the process environment has an invalid variable.
 */
export function createEdgeWorker(): EdgeWorker {
  parseEdgeConfig(processEnv());
  let handler: FetchHandler | undefined;
  return {
    fetch(request, bindings) {
      if (handler === undefined) {
        try {
          handler = createEdgeHandler(edgeEnv(bindings));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          console.error(`kv-cache: ${error.message}`);
          return errorResponse(500, error.message);
        }
      }
      return handler(request);
    },
  };
}
