/**
 * Expiry arguments as Redis reads them: the options of SET and GETEX (a port
 * of `parseExtendedStringArgumentsOrReply`, which allows an option twice but
 * not two that conflict, and answers `ERR syntax error` for anything else),
 * the expire time they carry (`getExpireMillisecondsOrReply`), and the time
 * argument of the EXPIRE family with its NX/XX/GT/LT options
 * (`expireGenericCommand`). All time is the cache's clock (`cache.now()`).
 *
 * Redis keeps expiry times as int64 milliseconds; the stores keep safe
 * integers, so a time past 2^53 ms (about the year 287,000) is refused with
 * Redis's `invalid expire time` error rather than stored as another time
 * (a documented deviation: Redis accepts it). Times before the epoch are
 * kept as the earliest safe integer: they are in the past either way.
 *
 * @module
 */

import {
  addInt64,
  compareInt64,
  type Int64,
  INT64_MAX,
  INT64_MIN,
  int64Argument,
} from "./numbers.ts";
import { invalidExpireTime, ReplyError, syntaxError } from "./reply.ts";

/** SET's and GETEX's options, as bits. */
export const NX = 1;
/** See {@linkcode NX}. */
export const XX = 2;
/** See {@linkcode NX}. */
export const GET = 4;
/** See {@linkcode NX}. */
export const KEEPTTL = 8;
/** See {@linkcode NX}. */
export const PERSIST = 16;
/** See {@linkcode NX}. */
export const EX = 32;
/** See {@linkcode NX}. */
export const PX = 64;
/** See {@linkcode NX}. */
export const EXAT = 128;
/** See {@linkcode NX}. */
export const PXAT = 256;

const EXPIRES = EX | PX | EXAT | PXAT;

/** Parsed SET or GETEX options. */
export interface StringOptions {
  /** The option bits given. */
  flags: number;
  /** The argument of EX, PX, EXAT or PXAT, if one was given. */
  expire: string | undefined;
}

/**
 * Reads the options of SET (from `argv[3]`) or GETEX (from `argv[2]`).
 *
 * @throws {ReplyError} `ERR syntax error` for an unknown, conflicting or
 * incomplete option.
 */
export function parseStringOptions(
  argv: readonly string[],
  forSet: boolean,
): StringOptions {
  let flags = 0;
  let expire: string | undefined;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const option = argv[j].toLowerCase();
    const hasNext = j < argv.length - 1;
    if (option === "nx" && forSet && !(flags & XX)) {
      flags |= NX;
    } else if (option === "xx" && forSet && !(flags & NX)) {
      flags |= XX;
    } else if (option === "get" && forSet) {
      flags |= GET;
    } else if (
      option === "keepttl" && forSet && !(flags & (PERSIST | EXPIRES))
    ) {
      flags |= KEEPTTL;
    } else if (
      option === "persist" && !forSet && !(flags & (EXPIRES | KEEPTTL))
    ) {
      flags |= PERSIST;
    } else if (
      (option === "ex" || option === "px" || option === "exat" ||
        option === "pxat") && hasNext
    ) {
      const bit = option === "ex"
        ? EX
        : option === "px"
        ? PX
        : option === "exat"
        ? EXAT
        : PXAT;
      if (flags & (KEEPTTL | PERSIST | (EXPIRES & ~bit))) syntaxError();
      flags |= bit;
      expire = argv[++j];
    } else {
      syntaxError();
    }
  }
  return { flags, expire };
}

/** The latest expiry time the stores can hold exactly: 2^53 - 1 ms. */
const LATEST = Number.MAX_SAFE_INTEGER;

/**
 * The absolute expiry (ms) that `text` gives under `flags` (EX, PX: relative
 * to `now`; EXAT, PXAT: absolute), as `getExpireMillisecondsOrReply`.
 *
 * @throws {ReplyError} `ERR value is not an integer or out of range`, or
 * `ERR invalid expire time in '<command>' command` for a time that is not
 * positive or overflows.
 */
export function expireAt(
  text: string,
  flags: number,
  now: number,
  command: string,
): number {
  const value = int64Argument(text);
  if (compareInt64(value, 0) <= 0) invalidExpireTime(command);
  let ms: Int64 = value;
  if (flags & (EX | EXAT)) {
    if (compareInt64(value, INT64_MAX / 1000n) > 0) {
      invalidExpireTime(command);
    }
    ms = typeof value === "number" && value < 2 ** 43
      ? value * 1000
      : BigInt(value) * 1000n;
  }
  if (flags & (EX | PX)) {
    const sum = addInt64(ms, now);
    if (sum === undefined) invalidExpireTime(command);
    ms = sum;
  }
  return checked(ms, command);
}

/** The EXPIRE family's conditions, as bits. */
export const EXPIRE_NX = 1;
/** See {@linkcode EXPIRE_NX}. */
export const EXPIRE_XX = 2;
/** See {@linkcode EXPIRE_NX}. */
export const EXPIRE_GT = 4;
/** See {@linkcode EXPIRE_NX}. */
export const EXPIRE_LT = 8;

/**
 * Reads the NX/XX/GT/LT options of the EXPIRE family (from `argv[3]`), as
 * `parseExtendedExpireArgumentsOrReply`.
 *
 * @throws {ReplyError} `ERR Unsupported option <word>` or the errors for
 * incompatible options.
 */
export function parseExpireOptions(argv: readonly string[]): number {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j].toLowerCase();
    if (option === "nx") flags |= EXPIRE_NX;
    else if (option === "xx") flags |= EXPIRE_XX;
    else if (option === "gt") flags |= EXPIRE_GT;
    else if (option === "lt") flags |= EXPIRE_LT;
    else throw new ReplyError(`ERR Unsupported option ${argv[j]}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    throw new ReplyError(
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    throw new ReplyError(
      "ERR GT and LT options at the same time are not compatible",
    );
  }
  return flags;
}

/**
 * The absolute expiry (ms) of an EXPIRE-family time argument: `text` in
 * seconds or ms, plus `base` (now for EXPIRE/PEXPIRE, 0 for the AT forms).
 * May be in the past (the key is then deleted).
 *
 * @throws {ReplyError} `ERR value is not an integer or out of range`, or
 * `ERR invalid expire time in '<command>' command` on overflow.
 */
export function expireTime(
  text: string,
  seconds: boolean,
  base: number,
  command: string,
): number {
  const value = int64Argument(text);
  let when: Int64 = value;
  if (seconds) {
    if (
      compareInt64(value, INT64_MAX / 1000n) > 0 ||
      compareInt64(value, INT64_MIN / 1000n) < 0
    ) {
      invalidExpireTime(command);
    }
    when = typeof value === "number" && Math.abs(value) < 2 ** 43
      ? value * 1000
      : BigInt(value) * 1000n;
  }
  // Redis refuses only an overflow upwards (`when > LLONG_MAX - basetime`).
  const sum = addInt64(when, base);
  if (sum === undefined) invalidExpireTime(command);
  return checked(sum, command);
}

/**
 * Whether the EXPIRE-family conditions `flags` allow changing an expiry of
 * `current` (ms; 0: none, which GT and LT treat as infinite) to `when`.
 */
export function expireAllowed(
  flags: number,
  current: number,
  when: number,
): boolean {
  if (flags & EXPIRE_NX && current !== 0) return false;
  if (flags & EXPIRE_XX && current === 0) return false;
  if (flags & EXPIRE_GT && (current === 0 || when <= current)) return false;
  if (flags & EXPIRE_LT && current !== 0 && when >= current) return false;
  return true;
}

/**
 * An int64 time as a safe integer: past 2^53 - 1 it is refused (see the
 * module docs); before -(2^53 - 1) it is that (in the past either way).
 *
 * @throws {ReplyError} `ERR invalid expire time in '<command>' command`.
 */
function checked(ms: Int64, command: string): number {
  if (typeof ms === "number") {
    if (ms > LATEST) invalidExpireTime(command);
    return Math.max(ms, -LATEST);
  }
  if (ms > BigInt(LATEST)) invalidExpireTime(command);
  return ms < -BigInt(LATEST) ? -LATEST : Number(ms);
}
