/**
 * 64-bit signed integers as Redis reads and writes them (`string2ll`,
 * `INCRBY`'s overflow check). Values whose text has at most 15 digits are
 * plain `number`s (exact, and the common case); longer ones go through
 * `bigint`, so that every int64 is exact, including those past 2^53 that a
 * `number` would round. A result is a `number` while it is a safe integer and
 * a `bigint` beyond, which the reply encoder writes as exact digits.
 *
 * @module
 */

import { notAnInteger } from "./reply.ts";

/** A 64-bit signed integer: a safe `number`, or a `bigint` beyond 2^53. */
export type Int64 = number | bigint;

/** Largest int64, 2^63 - 1. */
export const INT64_MAX = 9223372036854775807n;
/** Smallest int64, -2^63. */
export const INT64_MIN = -9223372036854775808n;

/** Digits below which a decimal is always a safe integer (10^15 < 2^53). */
const FAST_DIGITS = 15;

/**
 * Parses `text` as Redis's `string2ll` does: an optional `-`, then `0` alone
 * or digits without a leading zero, nothing else (no `+`, no spaces, no
 * `-0`), within int64. Returns undefined when it is not one.
 */
export function parseInt64(text: string): Int64 | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  let at = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const digits = length - at;
  if (digits === 0) return undefined;
  const first = text.charCodeAt(at);
  if (first === 48 /* 0 */) return length === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  let value = 0;
  for (; at < length; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  if (digits <= FAST_DIGITS) return text.charCodeAt(0) === 45 ? -value : value;
  const big = BigInt(text);
  return big > INT64_MAX || big < INT64_MIN ? undefined : narrow(big);
}

/**
 * Parses `text` as an int64 argument.
 *
 * @throws {ReplyError} `ERR value is not an integer or out of range`.
 */
export function int64Argument(text: string): Int64 {
  const value = parseInt64(text);
  return value === undefined ? notAnInteger() : value;
}

/** A safe integer as a `number`, anything larger as a `bigint`. */
export function narrow(value: bigint): Int64 {
  return value >= -9007199254740991n && value <= 9007199254740991n
    ? Number(value)
    : value;
}

/**
 * Adds two int64s, or returns undefined when the sum leaves int64 (INCRBY's
 * `increment or decrement would overflow`).
 */
export function addInt64(a: Int64, b: Int64): Int64 | undefined {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    // Exact whenever the rounded sum is still safe (rounding is monotonic
    // and 2^53 is representable).
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  return sum > INT64_MAX || sum < INT64_MIN ? undefined : narrow(sum);
}

/** Negates an int64; the caller excludes {@linkcode INT64_MIN}. */
export function negateInt64(value: Int64): Int64 {
  return typeof value === "number" ? -value || 0 : narrow(-value);
}

/** Whether `value` is {@linkcode INT64_MIN} (which has no int64 negation). */
export function isInt64Min(value: Int64): boolean {
  return value === INT64_MIN;
}

/** Compares two int64s: negative, zero or positive like a sort comparator. */
export function compareInt64(a: Int64, b: Int64): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
