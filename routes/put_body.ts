/**
 * The fast path for `POST /put`: a byte-level reader of the object
 * `{key, value, ttl?}` in any spelling JSON allows (whitespace, member order,
 * unknown members whatever their value, duplicates as `JSON.parse` reads
 * them: the last wins, every escape, raw UTF-8). The key's and value's
 * literals are rewritten in place to `JSON.stringify`'s spelling and go to
 * the cache as they are: no `JSON.parse`, no `JSON.stringify`, no strings.
 *
 * It accepts only bodies that `JSON.parse` + `parsePutRequest` accept, with
 * the same key, value and ttl. Anything else, every invalid body included,
 * and anything unusual (a `ttl` that is not plain digits, nesting deeper
 * than 64) is left to that general path, which gives
 * the same result or words the error.
 *
 * @module
 */

import type { JsonLiterals } from "../lib/cache.ts";
import { readJsonString } from "../lib/json_bytes.ts";
import {
  skipJsonString,
  skipJsonValue,
  skipWhitespace,
} from "../lib/json_skip.ts";
import type { InputLimits } from "./validation.ts";

/** A `POST /put` body read by {@linkcode readPutBody}. */
export interface PutLiterals extends JsonLiterals {
  /** The `ttl` member, or undefined when there is none. */
  ttl: number | undefined;
}

const decoder = new TextDecoder();
/** Where the literal just read ended, before it was rewritten. */
const literal = { index: 0 };
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSING_BRACE = 0x7d;

/** Which member a name is: one of the three known, or another. */
const OTHER = 0;
const KEY = 1;
const VALUE = 2;
const TTL = 3;

/**
 * Which member the name literal from `start` (its opening quote) to `end`
 * (past its closing quote, already checked by `skipJsonString`) names. A
 * name with an escape could spell a known one (`"k\u0065y"`), so it is
 * decoded (rare, and slower).
 */
function memberOf(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start - 2;
  const a = bytes[start + 1];
  if (length === 3) {
    const b = bytes[start + 2];
    const c = bytes[start + 3];
    if (a === 0x6b && b === 0x65 && c === 0x79) return KEY;
    if (a === 0x74 && b === 0x74 && c === 0x6c) return TTL;
  } else if (
    length === 5 && a === 0x76 && bytes[start + 2] === 0x61 &&
    bytes[start + 3] === 0x6c && bytes[start + 4] === 0x75 &&
    bytes[start + 5] === 0x65
  ) {
    return VALUE;
  }
  for (let i = start + 1; i < end - 1; i++) {
    if (bytes[i] === 0x5c) return escapedMemberOf(bytes, start, end);
  }
  return OTHER;
}

/** {@linkcode memberOf} for a name with an escape: decodes it. */
function escapedMemberOf(bytes: Uint8Array, start: number, end: number) {
  const name = JSON.parse(decoder.decode(bytes.subarray(start, end)));
  return name === "key"
    ? KEY
    : name === "value"
    ? VALUE
    : name === "ttl"
    ? TTL
    : OTHER;
}

/** Most digits of a `ttl` read here; longer ones go to the general path. */
const MAX_TTL_DIGITS = 15;

/**
 * The end of a number at `at` written as plain digits (`0`, or no leading
 * zero, at most {@linkcode MAX_TTL_DIGITS}), or -1 for any other spelling
 * (a sign, a fraction, an exponent, not a number), left to the general path.
 */
function plainDigitsEnd(bytes: Uint8Array, at: number): number {
  let i = at;
  while (bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
  const digits = i - at;
  if (digits === 0 || digits > MAX_TTL_DIGITS) return -1;
  if (digits > 1 && bytes[at] === 0x30) return -1;
  const next = bytes[i];
  return next === 0x2e || (next | 0x20) === 0x65 ? -1 : i;
}

/** The value of the ASCII digits from `start` to `end`. */
function digitsValue(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + bytes[i] - 0x30;
  return value;
}

/**
 * Reads a `POST /put` body that `JSON.parse` + `parsePutRequest` would
 * accept, in any JSON spelling; returns its key's and value's literals,
 * rewritten in place in `bytes` to `JSON.stringify`'s spelling, and its
 * `ttl`. Returns `undefined` for any body it does not accept, which must go
 * through `JSON.parse` and `parsePutRequest` (whatever it rewrote still
 * parses to the same JSON).
 */
export function readPutBody(
  bytes: Uint8Array,
  limits: InputLimits,
): PutLiterals | undefined {
  let i = skipWhitespace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  let ttl: number | undefined;
  i = skipWhitespace(bytes, i + 1);
  for (;;) {
    const nameEnd = skipJsonString(bytes, i);
    if (nameEnd < 0) return undefined;
    const member = memberOf(bytes, i, nameEnd);
    i = skipWhitespace(bytes, nameEnd);
    if (bytes[i] !== COLON) return undefined;
    i = skipWhitespace(bytes, i + 1);
    if (member === KEY) {
      const end = readJsonString(bytes, i, limits.maxKeySize, literal);
      if (end < 0) return undefined;
      keyStart = i;
      keyEnd = end;
      i = literal.index;
    } else if (member === VALUE) {
      const end = readJsonString(bytes, i, limits.maxValueSize, literal);
      if (end < 0) return undefined;
      valueStart = i;
      valueEnd = end;
      i = literal.index;
    } else if (member === TTL) {
      const end = plainDigitsEnd(bytes, i);
      if (end < 0) return undefined;
      ttl = digitsValue(bytes, i, end);
      if (ttl > limits.maxTtlSeconds) return undefined;
      i = end;
    } else {
      i = skipJsonValue(bytes, i);
      if (i < 0) return undefined;
    }
    i = skipWhitespace(bytes, i);
    if (bytes[i] === CLOSING_BRACE) break;
    if (bytes[i] !== COMMA) return undefined;
    i = skipWhitespace(bytes, i + 1);
  }
  if (skipWhitespace(bytes, i + 1) !== bytes.length) return undefined;
  // A missing or empty key, or a missing value, is an error the general
  // path words.
  if (keyEnd - keyStart <= 2 || valueStart < 0) return undefined;
  return { bytes, keyStart, keyEnd, valueStart, valueEnd, ttl };
}
