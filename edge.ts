/**
 * Edge entry: the kv-cache API as a web-standard fetch handler
 * (`export default { fetch }`) for serverless and edge runtimes, bundled to
 * `dist/edge.js` by `deno task bundle`.
 *
 * The store is the plain `Map` one ({@linkcode MapCache}), whose garbage
 * collection pauses stay short at this size. Its import graph uses no
 * Deno-only API and no timers: there is no sweeper,
 * so expired entries are removed when a read or delete comes across them or
 * when eviction reaches them, and memory stays bounded by `MAX_CACHE_BYTES`
 * (64 MiB by default here) because every write evicts the oldest entries past
 * the budget. Configuration comes from the platform's environment bindings,
 * the second argument of `fetch` (as on Cloudflare Workers), or from
 * {@linkcode createEdgeHandler}; there is no `.env` file. The cache lives as
 * long as the isolate that runs the handler, and each isolate has its own.
 *
 * @module
 */

import {
  CONFIG_VARIABLES,
  ConfigError,
  type Env,
  parseConfig,
} from "./lib/config.ts";
import { createCache } from "./lib/create_cache.ts";
import { createLogger } from "./lib/logger.ts";
import { errorResponse } from "./routes/responses.ts";
import { appOptionsFrom, createApp } from "./routes/app.ts";

/** Default `MAX_CACHE_BYTES` on edge runtimes: 64 MiB. */
export const EDGE_MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * Keeps the configuration variables of `bindings` that are non-blank strings.
 * Platforms pass other things in the same argument (secrets, KV bindings,
 * `deno serve`'s connection info), which are ignored.
 */
function configFrom(bindings: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (typeof bindings !== "object" || bindings === null) return env;
  for (const name of CONFIG_VARIABLES) {
    const value = (bindings as Record<string, unknown>)[name];
    if (typeof value === "string" && value.trim() !== "") env[name] = value;
  }
  return env;
}

/**
 * Creates a kv-cache handler with its own empty cache, configured from `env`
 * (the same variables as the server; `MAX_CACHE_BYTES` defaults to
 * {@linkcode EDGE_MAX_CACHE_BYTES}; the store is always {@linkcode MapCache},
 * whatever `CACHE_STORE` says; `AUTH_TOKEN` is honoured; `PORT`, `HOST`,
 * `SWEEP_INTERVAL_MS`, `SHUTDOWN_TIMEOUT_MS`, `BODY_TIMEOUT_MS` and `METRICS`
 * are validated but unused: they need a server or timers).
 *
 * @throws {ConfigError} naming the first invalid variable.
 */
export function createEdgeHandler(env: Env = {}): FetchHandler {
  const config = parseConfig({
    MAX_CACHE_BYTES: String(EDGE_MAX_CACHE_BYTES),
    ...configFrom(env),
    CACHE_STORE: "map",
  });
  const cache = createCache(config);
  const app = createApp({
    ...appOptionsFrom(config),
    bodyTimeoutMs: 0, // a timeout needs a timer
    cache,
    logger: createLogger(config.logLevel),
  });
  return (request) => app.fetch(request);
}

let handler: FetchHandler | undefined;

/**
 * The handler for `export default`: built on the first request from the
 * bindings passed with it, then reused for the life of the isolate. An invalid
 * configuration answers 500 with the reason (and is retried on the next
 * request).
 */
function fetchHandler(
  request: Request,
  bindings?: unknown,
): Response | Promise<Response> {
  if (handler === undefined) {
    try {
      handler = createEdgeHandler(configFrom(bindings));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`kv-cache: ${error.message}`);
      return errorResponse(500, error.message);
    }
  }
  return handler(request);
}

/** The module's web-standard handler: `export default { fetch }`. */
export default { fetch: fetchHandler };
