/**
 * Bearer-token access control. When a token is configured, every request but
 * the exempt paths must carry `Authorization: Bearer <token>`. A second,
 * read-only token (`AUTH_READONLY_TOKEN`, as Upstash has one) may run only
 * what changes nothing: on the JSON API every route but the write routes
 * (`POST /put`, `DELETE /delete` answer 403), on the Redis endpoints the
 * commands the command table marks read-only (checked there).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { errorResponse } from "./responses.ts";

/** The configured tokens. */
export interface Tokens {
  /** The token that may do everything. */
  token: string;
  /** The token that may only read; must differ from `token`. */
  readonlyToken?: string;
}

/** What a request may do, or why it may do nothing. */
export type Access = "full" | "readonly" | "missing" | "invalid";

/** Options for {@linkcode bearerToken}. */
export interface BearerTokenOptions extends Tokens {
  /**
   * Paths served without a check here: `/health` (for load balancers) and
   * routes that check the token themselves.
   */
  exempt?: readonly string[];
  /** Routes the read-only token may not use, as `METHOD /path`. */
  writeRoutes?: readonly string[];
}

/** The message of a 401 without a bearer token. */
export const MISSING_TOKEN_MESSAGE =
  "Missing bearer token: send the header Authorization: Bearer <token>.";
/** The message of a 401 with a wrong token. */
export const INVALID_TOKEN_MESSAGE = "Invalid bearer token.";
/** The `WWW-Authenticate` header of a 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="kv-cache"';

const BEARER = /^Bearer[ \t]+(.+)$/i;

/**
 * Compares two strings in time that depends only on their lengths, so that
 * response times do not reveal how much of a guessed token was right.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  // Over UTF-16 code units: equal units are equal strings, and no bytes
  // are made (a typed array costs Deno 1-3 us, on every request).
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) {
    difference |= a.charCodeAt(i) ^ b.charCodeAt(i % b.length);
  }
  return difference === 0 && b.length > 0;
}

/**
 * What the `Authorization` header `header` allows. Both tokens are always
 * compared, so that timing does not tell which one a guess was near.
 */
export function accessOf(
  header: string | null | undefined,
  tokens: Tokens,
): Access {
  const match = BEARER.exec(header ?? "");
  if (match === null) return "missing";
  const given = match[1].trim();
  const full = constantTimeEqual(given, tokens.token);
  const readonly = tokens.readonlyToken !== undefined &&
    constantTimeEqual(given, tokens.readonlyToken);
  return full ? "full" : readonly ? "readonly" : "invalid";
}

/**
 * Creates a middleware that answers 401 unless the bearer token matches,
 * and 403 when the read-only token asks for a write route.
 */
export function bearerToken(options: BearerTokenOptions): MiddlewareHandler {
  const exempt = new Set(options.exempt ?? []);
  const writeRoutes = new Set(options.writeRoutes ?? []);
  const tokens: Tokens = {
    token: options.token,
    readonlyToken: options.readonlyToken,
  };
  return async function checkBearerToken(c, next) {
    if (exempt.has(c.req.path)) return await next();
    const access = accessOf(c.req.header("authorization"), tokens);
    if (access === "missing" || access === "invalid") {
      return errorResponse(
        401,
        access === "missing" ? MISSING_TOKEN_MESSAGE : INVALID_TOKEN_MESSAGE,
        { "www-authenticate": WWW_AUTHENTICATE },
      );
    }
    if (
      access === "readonly" && writeRoutes.has(`${c.req.method} ${c.req.path}`)
    ) {
      return errorResponse(
        403,
        `The read-only token cannot use ${c.req.method} ${c.req.path}; writes need AUTH_TOKEN.`,
      );
    }
    return await next();
  };
}
