/**
 * The fast path for `POST /put`: a body written the way `JSON.stringify`
 * writes `{key, value}` (ASCII, no spaces, key first) is recognised as bytes
 * and its two literals go to the cache as they are, with no `JSON.parse`, no
 * `JSON.stringify` and no strings. Any other body, including every invalid
 * one, takes the general path, which gives the same result or the error.
 *
 * @module
 */

import type { JsonLiterals } from "../lib/cache.ts";
import { scanJsonString } from "../lib/json_bytes.ts";
import type { InputLimits } from "./validation.ts";

const encoder = new TextEncoder();
const KEY_FIELD = encoder.encode('{"key":');
const VALUE_FIELD = encoder.encode(',"value":');
const CLOSING_BRACE = 0x7d;

/** Whether `bytes` holds `expected` at `offset`. */
function hasAt(bytes: Uint8Array, offset: number, expected: Uint8Array) {
  if (offset + expected.length > bytes.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (bytes[offset + i] !== expected[i]) return false;
  }
  return true;
}

/**
 * Returns the literals of a body that is exactly `{"key":K,"value":V}`, with
 * K and V as `JSON.stringify` writes them in ASCII, K not empty and both
 * within `limits`; otherwise `undefined`, and the body must go through
 * `JSON.parse` and `parsePutRequest`. A body with a `ttl` takes that path too.
 */
export function canonicalPutLiterals(
  bytes: Uint8Array,
  limits: InputLimits,
): JsonLiterals | undefined {
  if (!hasAt(bytes, 0, KEY_FIELD)) return undefined;
  const keyStart = KEY_FIELD.length;
  const keyEnd = scanJsonString(bytes, keyStart, limits.maxKeySize);
  // An empty key ("") is an error, which the general path words.
  if (keyEnd < 0 || keyEnd === keyStart + 2) return undefined;
  if (!hasAt(bytes, keyEnd, VALUE_FIELD)) return undefined;
  const valueStart = keyEnd + VALUE_FIELD.length;
  const valueEnd = scanJsonString(bytes, valueStart, limits.maxValueSize);
  if (
    valueEnd < 0 || valueEnd !== bytes.length - 1 ||
    bytes[valueEnd] !== CLOSING_BRACE
  ) return undefined;
  return { bytes, keyStart, keyEnd, valueStart, valueEnd };
}
