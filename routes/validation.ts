/**
 * Validation of client input: the `POST /put` body and the `key` query
 * parameter. Each check returns the message a client sees with a 400, so the
 * message says exactly what is wrong and what is allowed.
 *
 * @module
 */

import { lengthOver } from "../lib/entry_limits.ts";

/** Length limits applied to keys and values, in Unicode code points. */
export interface InputLimits {
  /** Longest key accepted. */
  maxKeySize: number;
  /** Longest value accepted. */
  maxValueSize: number;
  /** Largest `ttl` accepted, in seconds. */
  maxTtlSeconds: number;
}

/** A validated `POST /put` body. */
export interface PutRequest {
  /** The key, 1 to `maxKeySize` code points. */
  key: string;
  /** The value, up to `maxValueSize` code points. */
  value: string;
  /** Seconds until expiry (0 = never), or undefined for the default. */
  ttl: number | undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Checks a key given in the query string; returns an error message, or
 * `undefined` when the key is acceptable.
 */
export function checkQueryKey(
  key: string | undefined,
  maxKeySize: number,
): string | undefined {
  if (key === undefined) {
    return 'Query parameter "key" is required, e.g. ?key=user%3A42.';
  }
  if (key === "") return 'Query parameter "key" must not be empty.';
  const length = lengthOver(key, maxKeySize);
  if (length !== 0) {
    return `Query parameter "key" is ${length} characters long; the maximum is ${maxKeySize}.`;
  }
  return undefined;
}

/**
 * Validates a parsed `POST /put` body; returns the request, or the error
 * message for a 400 answer.
 */
export function parsePutRequest(
  body: unknown,
  limits: InputLimits,
): PutRequest | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return `Request body must be a JSON object like {"key":"k","value":"v"}, not ${
      describe(body)
    }.`;
  }
  const { key, value, ttl } = body as Record<string, unknown>;
  if (typeof key !== "string") {
    return key === undefined
      ? 'Field "key" is required.'
      : `Field "key" must be a string, not ${describe(key)}.`;
  }
  if (key === "") return 'Field "key" must not be empty.';
  const keyLength = lengthOver(key, limits.maxKeySize);
  if (keyLength !== 0) {
    return `Field "key" is ${keyLength} characters long; the maximum is ${limits.maxKeySize}.`;
  }
  if (typeof value !== "string") {
    return value === undefined
      ? 'Field "value" is required.'
      : `Field "value" must be a string, not ${describe(value)}.`;
  }
  const valueLength = lengthOver(value, limits.maxValueSize);
  if (valueLength !== 0) {
    return `Field "value" is ${valueLength} characters long; the maximum is ${limits.maxValueSize}.`;
  }
  if (
    ttl !== undefined &&
    !(Number.isInteger(ttl) && (ttl as number) >= 0 &&
      (ttl as number) <= limits.maxTtlSeconds)
  ) {
    return `Field "ttl" must be a whole number of seconds from 0 to ${limits.maxTtlSeconds} (0 = never expires), not ${
      JSON.stringify(ttl)?.slice(0, 40)
    }.`;
  }
  return { key, value, ttl: ttl as number | undefined };
}
