/**
 * The HTTP API: a Hono app over any {@linkcode Cache}. This layer parses and
 * validates requests and shapes responses; it knows the cache only through its
 * public methods.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { type Cache, MAX_TTL_SECONDS } from "../lib/cache.ts";
import type { Config } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import {
  type Metrics,
  RequestRecorder,
  type RuntimeGauges,
} from "./metrics.ts";
import { bearerToken } from "./auth.ts";
import { openApi } from "./openapi.ts";
import { CommandContext } from "./redis/context.ts";
import {
  REDIS_PATHS,
  redisEndpoints,
  type RedisHandler,
} from "./redis/endpoints.ts";
import { type BodyFailure, BodyReader } from "../server/body_reader.ts";
import { readPutBody } from "./put_body.ts";
import {
  DELETE_OK_BODY,
  errorResponse,
  HEALTH_BODY,
  hitBody,
  jsonResponse,
  NOT_FOUND_BODY,
  PUT_OK_BODY,
} from "./responses.ts";
import {
  checkQueryKey,
  type InputLimits,
  parsePutRequest,
} from "./validation.ts";

/** Options for {@linkcode createApp}. */
export interface AppOptions extends InputLimits {
  /** The cache the API reads and writes. */
  cache: Cache;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Longest time a request body may take to arrive, in ms (0: no limit). */
  bodyTimeoutMs?: number;
  /**
   * Reads request bodies; pass one to wait for it at shutdown (Deno 2.9's
   * `server.shutdown()` makes bodies still arriving unreadable,
   * denoland/deno#36809). Created from the limits above when omitted.
   */
  bodyReader?: BodyReader;
  /** Status of "Key not found." answers: 404, or 200 for load harnesses. */
  notFoundStatus: 200 | 404;
  /** When set, every route but `/health` needs `Authorization: Bearer <token>`. */
  authToken?: string;
  /**
   * With `authToken`: a token that may only read (`AUTH_READONLY_TOKEN`):
   * the JSON API's write routes and the Redis API's write commands answer
   * 403 to it.
   */
  authReadonlyToken?: string;
  /**
   * Serve the Redis REST API (`POST /`, `/pipeline`, `/multi-exec`). Off by
   * default: the endpoints then answer 501, as on the edge bundle and the
   * Durable Object until they get the API; the server turns it on.
   */
  redisApi?: boolean;
  /**
   * Largest body of `POST /pipeline` and `/multi-exec`, in bytes
   * (`MAX_PIPELINE_BODY_BYTES`); `maxBodyBytes` or 1 MiB when omitted.
   */
  maxPipelineBodyBytes?: number;
  /** Most commands in one pipeline or transaction; 1000 when omitted. */
  maxPipelineCommands?: number;
  /**
   * Reads pipeline bodies (see `bodyReader`); created from the limits when
   * omitted.
   */
  pipelineBodyReader?: BodyReader;
  /** Request metrics, also served at `GET /metrics`; omit to turn off. */
  metrics?: Metrics;
  /** Process gauges for `/metrics` (event-loop lag, memory). */
  runtimeGauges?: () => RuntimeGauges;
  /** Where request and error logs go; requests are logged at debug level. */
  logger?: Logger;
  /** More fields for `/stats`, about the process (e.g. its serving isolates). */
  processStats?: () => Record<string, unknown>;
}

/**
 * The app options that come straight from the configuration: limits, the
 * not-found status and the token. Entry points add the cache and the rest.
 */
export function appOptionsFrom(
  config: Config,
): Omit<AppOptions, "cache"> {
  return {
    maxKeySize: config.maxKeySize,
    maxValueSize: config.maxValueSize,
    maxTtlSeconds: MAX_TTL_SECONDS,
    maxBodyBytes: config.maxBodyBytes,
    bodyTimeoutMs: config.bodyTimeoutMs,
    notFoundStatus: config.notFoundStatus,
    authToken: config.authToken || undefined,
    authReadonlyToken: config.authReadonlyToken || undefined,
    maxPipelineBodyBytes: config.maxPipelineBodyBytes,
    maxPipelineCommands: config.maxPipelineCommands,
  };
}

const decoder = new TextDecoder();

/** Route labels used in metrics; "other" is unknown paths and errors. */
export const ROUTE_LABELS = [
  "put",
  "get",
  "delete",
  "health",
  "stats",
  "metrics",
  "openapi",
  "redis",
  "redis_pipeline",
  "redis_multi_exec",
  "other",
] as const;

/** Label of a route in metrics. */
export type RouteLabel = typeof ROUTE_LABELS[number];

/** One route of the API: method, path, metrics label and handler. */
interface Route {
  method: "GET" | "POST" | "DELETE";
  path: string;
  label: RouteLabel;
  handler: (c: Context) => Response | Promise<Response>;
  /** A route that writes: refused to the read-only token. */
  write?: boolean;
  /**
   * A Redis endpoint's handler, which takes the request itself (`handler`
   * calls it for Hono): it checks the token itself, in the Redis error
   * shape, and a POST to its exact path reaches it before Hono (see
   * `createApp`).
   */
  redis?: RedisHandler;
}

/**
 * The `Allow` header of each path: its methods, with `HEAD` after `GET`
 * (Hono answers `HEAD` with the `GET` route).
 */
function allowedMethods(routes: readonly Route[]): Map<string, string> {
  const methods = new Map<string, string[]>();
  for (const { method, path } of routes) {
    const list = methods.get(path) ?? [];
    list.push(method, ...(method === "GET" ? ["HEAD"] : []));
    methods.set(path, list);
  }
  return new Map([...methods].map(([path, list]) => [path, list.join(", ")]));
}

/** Creates the kv-cache HTTP API as a Hono app. */
export function createApp(options: AppOptions): Hono {
  const { cache, maxBodyBytes, notFoundStatus, logger, metrics } = options;
  const bodyReader = options.bodyReader ?? new BodyReader({
    maxBytes: maxBodyBytes,
    timeoutMs: options.bodyTimeoutMs ?? 0,
  });
  const runtimeGauges = options.runtimeGauges ?? (() => ({
    eventLoopLagMaxMs: 0,
    residentBytes: 0,
    heapUsedBytes: 0,
    openConnections: 0,
    idleClosedConnections: 0,
  }));
  const recorder = new RequestRecorder(metrics);
  /** The 500 for an error nothing handled, logged with its stack. */
  const unhandled = (error: unknown, method: string, path: string) => {
    logger?.error("unhandled error", {
      method,
      path,
      error: String((error as Error)?.stack ?? error),
    });
    return recorder.finish(
      "other",
      errorResponse(500, "Internal server error."),
      0,
    );
  };
  const maxPipelineBodyBytes = options.maxPipelineBodyBytes ??
    Math.max(maxBodyBytes, 1_048_576);
  const redis = redisEndpoints({
    context: new CommandContext(
      cache,
      options.maxKeySize,
      options.maxValueSize,
    ),
    enabled: options.redisApi ?? false,
    tokens: options.authToken
      ? { token: options.authToken, readonlyToken: options.authReadonlyToken }
      : undefined,
    bodyReader,
    pipelineBodyReader: options.pipelineBodyReader ?? new BodyReader({
      maxBytes: maxPipelineBodyBytes,
      timeoutMs: options.bodyTimeoutMs ?? 0,
    }),
    maxBodyBytes,
    maxPipelineBodyBytes,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 0,
    maxPipelineCommands: options.maxPipelineCommands ?? 1000,
    metrics,
  });

  /** The answer to a PUT, once its body has been read. */
  const putResponse = (bytes: Uint8Array | BodyFailure): Response => {
    if (bytes === "too-large") {
      return errorResponse(
        413,
        `Request body is larger than ${maxBodyBytes} bytes.`,
      );
    }
    if (bytes === "timed-out") {
      return errorResponse(
        408,
        `Request body did not arrive within ${options.bodyTimeoutMs} ms.`,
        { connection: "close" },
      );
    }
    if (bytes === "unreadable") {
      return errorResponse(400, "Request body could not be read.");
    }
    const literals = readPutBody(bytes, options);
    if (literals !== undefined) {
      cache.setJson(literals, literals.ttl);
      return jsonResponse(PUT_OK_BODY);
    }
    let body: unknown;
    try {
      body = JSON.parse(decoder.decode(bytes));
    } catch {
      return errorResponse(
        400,
        'Request body is not valid JSON; expected {"key":"k","value":"v"}.',
      );
    }
    const put = parsePutRequest(body, options);
    if (typeof put === "string") return errorResponse(400, put);
    cache.set(put.key, put.value, put.ttl);
    return jsonResponse(PUT_OK_BODY);
  };

  const getResponse = (key: string | undefined): Response => {
    const invalid = checkQueryKey(key, options.maxKeySize);
    if (invalid !== undefined) return errorResponse(400, invalid);
    const value = cache.getJson(key!);
    if (value === undefined) {
      return jsonResponse(NOT_FOUND_BODY, notFoundStatus);
    }
    return jsonResponse(hitBody(key!, value));
  };

  const deleteResponse = (key: string | undefined): Response => {
    const invalid = checkQueryKey(key, options.maxKeySize);
    if (invalid !== undefined) return errorResponse(400, invalid);
    return cache.delete(key!)
      ? jsonResponse(DELETE_OK_BODY)
      : jsonResponse(NOT_FOUND_BODY, notFoundStatus);
  };

  const app = new Hono();

  if (logger?.enabled("debug")) {
    app.use(async function logRequest(c, next) {
      const started = performance.now();
      await next();
      logger.debug("request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
    });
  }

  const routes: Route[] = [
    {
      method: "POST",
      path: "/put",
      label: "put",
      write: true,
      handler: async function putRoute(c) {
        return putResponse(await bodyReader.read(c.req.raw));
      },
    },
    {
      method: "GET",
      path: "/get",
      label: "get",
      handler: function getRoute(c) {
        return getResponse(c.req.query("key"));
      },
    },
    {
      method: "DELETE",
      path: "/delete",
      label: "delete",
      write: true,
      handler: function deleteRoute(c) {
        return deleteResponse(c.req.query("key"));
      },
    },
    {
      method: "GET",
      path: "/health",
      label: "health",
      handler: function healthRoute() {
        return jsonResponse(HEALTH_BODY);
      },
    },
    {
      method: "GET",
      path: "/stats",
      label: "stats",
      handler: function statsRoute() {
        return jsonResponse(JSON.stringify({
          status: "OK",
          ...cache.stats(),
          ...options.processStats?.(),
        }));
      },
    },
    {
      method: "GET",
      path: "/openapi.json",
      label: "openapi",
      handler: openApi(options),
    },
    {
      method: "POST",
      path: "/",
      label: "redis",
      redis: redis.command,
      handler: (c) => redis.command(c.req.raw),
    },
    {
      method: "POST",
      path: "/pipeline",
      label: "redis_pipeline",
      redis: redis.pipeline,
      handler: (c) => redis.pipeline(c.req.raw),
    },
    {
      method: "POST",
      path: "/multi-exec",
      label: "redis_multi_exec",
      redis: redis.multiExec,
      handler: (c) => redis.multiExec(c.req.raw),
    },
  ];
  if (metrics) {
    routes.push({
      method: "GET",
      path: "/metrics",
      label: "metrics",
      handler: function metricsRoute() {
        const text = metrics.render(cache.stats(), runtimeGauges());
        return new Response(text, {
          headers: {
            "content-type": "text/plain; version=0.0.4; charset=utf-8",
          },
        });
      },
    });
  }
  if (options.authToken) {
    app.use(bearerToken({
      token: options.authToken,
      readonlyToken: options.authReadonlyToken,
      exempt: ["/health", ...REDIS_PATHS],
      writeRoutes: routes.filter((route) => route.write).map((route) =>
        `${route.method} ${route.path}`
      ),
    }));
  }
  // One handler per route, wrapped here once for metrics: Hono finds a
  // single handler and skips its middleware composition on the hot paths.
  /** The Redis endpoints by path, with the 500 of each for a handler's bug. */
  const redisRoutes = new Map<
    string,
    { handler: RedisHandler; failed: (error: unknown) => Response }
  >();
  for (const { method, path, label, handler, redis } of routes) {
    app.on(method, path, recorder.wrap(label, handler));
    if (redis === undefined) continue;
    redisRoutes.set(path, {
      handler: recorder.wrap(label, redis),
      failed: (error) => unhandled(error, method, path),
    });
  }
  // The Redis endpoints are answered before Hono's dispatch (its context and
  // router cost ~0.8 us of a ~20 us command): a POST to exactly one of
  // their paths goes straight to its handler; anything else (other methods,
  // a percent-encoded path, and every request while debug logging is on)
  // goes through Hono, which routes those paths to the same handlers.
  if (!logger?.enabled("debug")) {
    const dispatch = app.fetch;
    app.fetch = function fetchRedisFirst(request, env, executionCtx) {
      if (request.method === "POST") {
        const route = redisRoutes.get(pathOf(request.url));
        if (route !== undefined) {
          // A handler's bug answers the same 500 as through Hono's onError.
          try {
            const answer = route.handler(request);
            return answer instanceof Response
              ? answer
              : answer.catch(route.failed);
          } catch (error) {
            return route.failed(error);
          }
        }
      }
      return dispatch(request, env, executionCtx);
    };
  }
  const allowed = allowedMethods(routes);
  const labelOf = new Map(routes.map((route) => [route.path, route.label]));
  // The 404 lists the JSON API's routes, and the Redis API's where served.
  const listed = [
    ...allowedMethods(
      routes.filter((route) => route.redis === undefined || options.redisApi),
    ).keys(),
  ].join(", ");

  // A known path with another method is a 405; anything else a 404. Both are
  // answered here, so that each route has one handler.
  app.notFound(function noMatchingRoute(c) {
    const started = recorder.start();
    const path = c.req.path;
    const allow = allowed.get(path);
    if (allow !== undefined) {
      const response = errorResponse(
        405,
        `Method ${c.req.method} is not allowed on ${path}; use ${allow}.`,
        { allow },
      );
      return recorder.finish(labelOf.get(path)!, response, started);
    }
    const response = errorResponse(
      404,
      `No route for ${c.req.method} ${path}; routes are ${listed}.`,
    );
    return recorder.finish("other", response, started);
  });

  app.onError(function internalError(error, c) {
    // Hono's own errors, and any a middleware throws, keep their status.
    if (error instanceof HTTPException) {
      const message = error.message ||
        `Request failed with status ${error.status}.`;
      return recorder.finish(
        "other",
        errorResponse(error.status, message),
        0,
      );
    }
    return unhandled(error, c.req.method, c.req.path);
  });

  return app;
}

/** The path of an absolute request URL, without its query: no decoding. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
