/**
 * The HTTP API: a Hono app over any {@linkcode Cache}. This layer parses and
 * validates requests and shapes responses; it knows the cache only through its
 * public methods.
 *
 * @module
 */

import { Hono } from "hono";
import type { Cache } from "../lib/cache.ts";
import type { InFlight } from "../lib/in_flight.ts";
import type { Logger } from "../lib/logger.ts";
import { BODY_TOO_LARGE, readBodyText } from "./body.ts";
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
  /** Status of "Key not found." answers: 404, or 200 for load harnesses. */
  notFoundStatus: 200 | 404;
  /** Where request and error logs go; requests are logged at debug level. */
  logger?: Logger;
  /**
   * Counts request bodies being read. Shutdown waits for it to be idle: Deno
   * 2.9's `server.shutdown()` makes in-flight request bodies unreadable
   * (denoland/deno#36809).
   */
  bodyReads?: InFlight;
}

/** Methods each route answers, for the `Allow` header of a 405. */
const ROUTES: Record<string, string> = {
  "/put": "POST",
  "/get": "GET, HEAD",
  "/delete": "DELETE",
  "/health": "GET, HEAD",
  "/stats": "GET, HEAD",
};

/** Creates the kv-cache HTTP API as a Hono app. */
export function createApp(options: AppOptions): Hono {
  const { cache, maxBodyBytes, notFoundStatus, logger, bodyReads } = options;
  const readBody = bodyReads
    ? (request: Request) =>
      bodyReads.track(() => readBodyText(request, maxBodyBytes))
    : (request: Request) => readBodyText(request, maxBodyBytes);
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

  app.post("/put", async function putHandler(c) {
    const text = await readBody(c.req.raw);
    if (text === BODY_TOO_LARGE) {
      return errorResponse(
        413,
        `Request body is larger than ${maxBodyBytes} bytes.`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
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
  });

  app.get("/get", function getHandler(c) {
    const key = c.req.query("key");
    const invalid = checkQueryKey(key, options.maxKeySize);
    if (invalid !== undefined) return errorResponse(400, invalid);
    const value = cache.getJson(key!);
    if (value === undefined) {
      return jsonResponse(NOT_FOUND_BODY, notFoundStatus);
    }
    return jsonResponse(hitBody(key!, value));
  });

  app.delete("/delete", function deleteHandler(c) {
    const key = c.req.query("key");
    const invalid = checkQueryKey(key, options.maxKeySize);
    if (invalid !== undefined) return errorResponse(400, invalid);
    return cache.delete(key!)
      ? jsonResponse(DELETE_OK_BODY)
      : jsonResponse(NOT_FOUND_BODY, notFoundStatus);
  });

  app.get("/health", function healthHandler() {
    return jsonResponse(HEALTH_BODY);
  });

  app.get("/stats", function statsHandler() {
    return jsonResponse(JSON.stringify({ status: "OK", ...cache.stats() }));
  });

  for (const [path, allow] of Object.entries(ROUTES)) {
    app.all(path, function methodNotAllowed(c) {
      return errorResponse(
        405,
        `Method ${c.req.method} is not allowed on ${path}; use ${allow}.`,
        { allow },
      );
    });
  }

  app.notFound(function unknownPath(c) {
    return errorResponse(
      404,
      `No route for ${c.req.method} ${c.req.path}; routes are ${
        Object.keys(ROUTES).join(", ")
      }.`,
    );
  });

  app.onError(function internalError(error, c) {
    logger?.error("unhandled error", {
      method: c.req.method,
      path: c.req.path,
      error: String(error?.stack ?? error),
    });
    return errorResponse(500, "Internal server error.");
  });

  return app;
}
