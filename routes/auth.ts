/**
 * Bearer-token access control: when a token is configured, every request but
 * the exempt paths must carry `Authorization: Bearer <token>`.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { errorResponse } from "./responses.ts";

/** Options for {@linkcode bearerToken}. */
export interface BearerTokenOptions {
  /** The token clients must present. */
  token: string;
  /** Paths served without a token (e.g. `/health` for load balancers). */
  exempt?: readonly string[];
}

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths, so that
 * response times do not reveal how much of a guessed token was right.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let difference = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i % y.length];
  return difference === 0 && y.length > 0;
}

/** Creates a middleware that answers 401 unless the bearer token matches. */
export function bearerToken(options: BearerTokenOptions): MiddlewareHandler {
  const exempt = new Set(options.exempt ?? []);
  const expected = options.token;
  return async function checkBearerToken(c, next) {
    if (exempt.has(c.req.path)) return await next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ \t]+(.+)$/i.exec(header);
    if (match === null || !constantTimeEqual(match[1].trim(), expected)) {
      return errorResponse(
        401,
        match === null
          ? "Missing bearer token: send the header Authorization: Bearer <token>."
          : "Invalid bearer token.",
        { "www-authenticate": 'Bearer realm="kv-cache"' },
      );
    }
    return await next();
  };
}
