/**
 * The string commands (redis.io's "string" group): each handler a port of
 * its function in Redis 7.0's `t_string.c`, over the Cache interface. Every
 * read-modify-write or conditional command runs inside one
 * `cache.atomically(...)`, so that no other isolate's write lands between its
 * read and its write. Arguments are checked in Redis's order, so that the
 * same bad command gets the same error; kv-cache's own limits (empty keys,
 * MAX_KEY_SIZE, MAX_VALUE_SIZE) are checked after Redis's own checks and
 * before anything changes.
 *
 * Writes without an expiry option never expire (`setEntry(k, v, 0)`), as in
 * Redis; commands that modify a value in place (INCR*, DECR*, APPEND,
 * SETRANGE) keep its expiry, as Redis does.
 *
 * @module
 */

import { byteRange, patchBytes, utf8Length } from "./bytes.ts";
import type { CommandContext } from "./context.ts";
import {
  EX,
  EXAT,
  expireAt,
  GET,
  KEEPTTL,
  NX,
  parseStringOptions,
  PERSIST,
  PX,
  PXAT,
  XX,
} from "./expiry.ts";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "./long_double.ts";
import {
  addInt64,
  type Int64,
  int64Argument,
  isInt64Min,
  negateInt64,
  parseInt64,
} from "./numbers.ts";
import {
  NOT_A_FLOAT,
  notAnInteger,
  OK,
  type Reply,
  ReplyError,
  wrongArity,
} from "./reply.ts";

/** Redis's `proto-max-bulk-len` default: no string may be longer. */
const MAX_BULK_BYTES = 512 * 1024 * 1024;

/** GET key */
export function get(ctx: CommandContext, argv: string[]): Reply {
  return ctx.valueReply(argv[1]);
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] */
export function set(ctx: CommandContext, argv: string[]): Reply {
  const { flags, expire } = parseStringOptions(argv, true);
  return setGeneric(ctx, argv[1], argv[2], flags, expire, "set");
}

/** SETEX key seconds value */
export function setex(ctx: CommandContext, argv: string[]): Reply {
  return setGeneric(ctx, argv[1], argv[3], EX, argv[2], "setex");
}

/** PSETEX key milliseconds value */
export function psetex(ctx: CommandContext, argv: string[]): Reply {
  return setGeneric(ctx, argv[1], argv[3], PX, argv[2], "psetex");
}

/** SETNX key value: 1 if set, 0 if the key existed. */
export function setnx(ctx: CommandContext, argv: string[]): Reply {
  const [, key, value] = argv;
  ctx.checkKey(key);
  ctx.checkValue(value);
  return ctx.cache.atomically(() => {
    if (ctx.cache.entry(key) !== undefined) return 0;
    ctx.store(key, value, 0);
    return 1;
  });
}

/** `setGenericCommand`: SET and its variants. */
function setGeneric(
  ctx: CommandContext,
  key: string,
  value: string,
  flags: number,
  expire: string | undefined,
  command: string,
): Reply {
  const cache = ctx.cache;
  const expiresAt = expire === undefined
    ? 0
    : expireAt(expire, flags, cache.now(), command);
  ctx.checkKey(key);
  ctx.checkValue(value);
  if ((flags & (NX | XX | GET | KEEPTTL)) === 0) {
    ctx.store(key, value, expiresAt);
    return OK;
  }
  return cache.atomically(() => {
    const old = cache.entry(key);
    if (
      (flags & NX && old !== undefined) || (flags & XX && old === undefined)
    ) {
      return flags & GET ? old?.value ?? null : null;
    }
    ctx.store(
      key,
      value,
      flags & KEEPTTL ? old?.expiresAt ?? 0 : expiresAt,
    );
    return flags & GET ? old?.value ?? null : OK;
  });
}

/** GETSET key value: the old value; the new one never expires. */
export function getset(ctx: CommandContext, argv: string[]): Reply {
  const [, key, value] = argv;
  ctx.checkKey(key);
  ctx.checkValue(value);
  return ctx.cache.atomically(() => {
    const old = ctx.cache.entry(key);
    ctx.store(key, value, 0);
    return old?.value ?? null;
  });
}

/** GETDEL key */
export function getdel(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  if (!ctx.couldExist(key)) return null;
  return ctx.cache.atomically(() => {
    const old = ctx.cache.entry(key);
    if (old === undefined) return null;
    ctx.cache.delete(key);
    return old.value;
  });
}

/** GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] */
export function getex(ctx: CommandContext, argv: string[]): Reply {
  const { flags, expire } = parseStringOptions(argv, false);
  const key = argv[1];
  if (!ctx.couldExist(key)) return null;
  const cache = ctx.cache;
  return cache.atomically(() => {
    const old = cache.entry(key);
    if (old === undefined) return null;
    // The time is checked only once the key is known to exist, as in Redis.
    if (expire !== undefined) {
      const now = cache.now();
      const at = expireAt(expire, flags, now, "getex");
      if (flags & (EXAT | PXAT) && at <= now) cache.delete(key);
      else cache.setExpiry(key, at);
    } else if (flags & PERSIST) {
      cache.setExpiry(key, 0);
    }
    return old.value;
  });
}

/** MGET key [key ...] */
export function mget(ctx: CommandContext, argv: string[]): Reply {
  const values: Reply[] = new Array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    values[i - 1] = ctx.valueReply(argv[i]);
  }
  return values;
}

/** MSET key value [key value ...]: all or nothing. */
export function mset(ctx: CommandContext, argv: string[]): Reply {
  checkPairs(ctx, argv, "mset");
  ctx.cache.atomically(() => {
    for (let i = 1; i < argv.length; i += 2) ctx.store(argv[i], argv[i + 1], 0);
  });
  return OK;
}

/** MSETNX key value [key value ...]: 1 if none existed and all were set. */
export function msetnx(ctx: CommandContext, argv: string[]): Reply {
  checkPairs(ctx, argv, "msetnx");
  return ctx.cache.atomically(() => {
    for (let i = 1; i < argv.length; i += 2) {
      if (ctx.cache.entry(argv[i]) !== undefined) return 0;
    }
    for (let i = 1; i < argv.length; i += 2) ctx.store(argv[i], argv[i + 1], 0);
    return 1;
  });
}

/** Checks MSET's pairs: an even count, then every key and value. */
function checkPairs(ctx: CommandContext, argv: string[], command: string) {
  if (argv.length % 2 === 0) throw wrongArity(command);
  for (let i = 1; i < argv.length; i += 2) {
    ctx.checkKey(argv[i]);
    ctx.checkValue(argv[i + 1]);
  }
}

/** INCR key */
export function incr(ctx: CommandContext, argv: string[]): Reply {
  return incrementBy(ctx, argv[1], 1);
}

/** DECR key */
export function decr(ctx: CommandContext, argv: string[]): Reply {
  return incrementBy(ctx, argv[1], -1);
}

/** INCRBY key increment */
export function incrby(ctx: CommandContext, argv: string[]): Reply {
  return incrementBy(ctx, argv[1], int64Argument(argv[2]));
}

/** DECRBY key decrement */
export function decrby(ctx: CommandContext, argv: string[]): Reply {
  const decrement = int64Argument(argv[2]);
  if (isInt64Min(decrement)) {
    throw new ReplyError("ERR decrement would overflow");
  }
  return incrementBy(ctx, argv[1], negateInt64(decrement));
}

/** `incrDecrCommand`: adds `by` to the integer at `key` (0 if absent). */
function incrementBy(ctx: CommandContext, key: string, by: Int64): Reply {
  ctx.checkKey(key);
  const cache = ctx.cache;
  return cache.atomically(() => {
    const old = cache.entry(key);
    const value = old === undefined ? 0 : parseInt64(old.value);
    if (value === undefined) notAnInteger();
    const sum = addInt64(value, by);
    if (sum === undefined) {
      throw new ReplyError("ERR increment or decrement would overflow");
    }
    const text = String(sum);
    ctx.checkValue(text);
    ctx.store(key, text, old?.expiresAt ?? 0);
    return sum;
  });
}

/** INCRBYFLOAT key increment: the new value, as Redis prints it. */
export function incrbyfloat(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  ctx.checkKey(key);
  const cache = ctx.cache;
  return cache.atomically(() => {
    const old = cache.entry(key);
    const value = parseLongDouble(old?.value ?? "0");
    const increment = parseLongDouble(argv[2]);
    if (value === undefined || increment === undefined) {
      throw new ReplyError(NOT_A_FLOAT);
    }
    const sum = addLongDouble(value, increment);
    if (sum === undefined) {
      throw new ReplyError("ERR increment would produce NaN or Infinity");
    }
    const text = formatLongDouble(sum);
    ctx.checkValue(text);
    ctx.store(key, text, old?.expiresAt ?? 0);
    return text;
  });
}

/** APPEND key value: the length of the result, in bytes. */
export function append(ctx: CommandContext, argv: string[]): Reply {
  const [, key, suffix] = argv;
  ctx.checkKey(key);
  const cache = ctx.cache;
  return cache.atomically(() => {
    const old = cache.entry(key);
    const text = old === undefined ? suffix : old.value + suffix;
    ctx.checkValue(text);
    ctx.store(key, text, old?.expiresAt ?? 0);
    return utf8Length(text);
  });
}

/** STRLEN key: the length of the value in bytes, 0 if absent. */
export function strlen(ctx: CommandContext, argv: string[]): Reply {
  const value = ctx.value(argv[1]);
  return value === undefined ? 0 : utf8Length(value);
}

/** GETRANGE key start end: bytes `start` to `end`, inclusive. */
export function getrange(ctx: CommandContext, argv: string[]): Reply {
  let start = Number(int64Argument(argv[2]));
  let end = Number(int64Argument(argv[3]));
  const value = ctx.value(argv[1]);
  if (value === undefined) return "";
  const length = utf8Length(value);
  if (start < 0 && end < 0 && start > end) return "";
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return "";
  return byteRange(value, start, end);
}

/** SETRANGE key offset value: the length of the result, in bytes. */
export function setrange(ctx: CommandContext, argv: string[]): Reply {
  const [, key, , patch] = argv;
  const offset = Number(int64Argument(argv[2]));
  if (offset < 0) throw new ReplyError("ERR offset is out of range");
  const cache = ctx.cache;
  return cache.atomically(() => {
    const old = ctx.entry(key);
    if (patch.length === 0) {
      return old === undefined ? 0 : utf8Length(old.value);
    }
    const patchLength = utf8Length(patch);
    if (offset + patchLength > MAX_BULK_BYTES) {
      throw new ReplyError(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
      );
    }
    ctx.checkKey(key);
    // A code point takes at most 4 bytes: past this the result is too long
    // for certain, and is refused before it is built.
    if (offset + patchLength > 4 * ctx.maxValueSize) ctx.valueTooLong();
    const text = patchBytes(old?.value ?? "", offset, patch);
    ctx.checkValue(text);
    ctx.store(key, text, old?.expiresAt ?? 0);
    return utf8Length(text);
  });
}
