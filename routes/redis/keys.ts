/**
 * The key commands (redis.io's "generic" group) but SCAN and KEYS, which
 * live in `scan.ts`: deletion, existence, type, and expiry (the EXPIRE
 * family, PERSIST, TTL and friends) as Redis 7.0's `db.c` and `expire.c` do
 * them. Changes of expiry read the entry and change it in one
 * `cache.atomically(...)`; time is the cache's clock.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import { expireAllowed, expireTime, parseExpireOptions } from "./expiry.ts";
import type { Reply } from "./reply.ts";

/** DEL key [key ...] (also UNLINK): how many keys were removed. */
export function del(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length === 2) return deleteKey(ctx, argv[1]);
  return ctx.cache.atomically(() => {
    let removed = 0;
    for (let i = 1; i < argv.length; i++) removed += deleteKey(ctx, argv[i]);
    return removed;
  });
}

function deleteKey(ctx: CommandContext, key: string): number {
  return ctx.couldExist(key) && ctx.cache.delete(key) ? 1 : 0;
}

/**
 * EXISTS key [key ...] (also TOUCH, which has no access time to update
 * here): how many of the keys exist, a key named twice counting twice.
 */
export function exists(ctx: CommandContext, argv: string[]): Reply {
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.entry(argv[i]) !== undefined) found++;
  }
  return found;
}

/** TYPE key: `string`, or `none` if absent. */
export function type(ctx: CommandContext, argv: string[]): Reply {
  return ctx.entry(argv[1]) === undefined ? "none" : "string";
}

/** EXPIRE key seconds [NX | XX | GT | LT] */
export function expire(ctx: CommandContext, argv: string[]): Reply {
  return expireGeneric(ctx, argv, true, true, "expire");
}

/** PEXPIRE key milliseconds [NX | XX | GT | LT] */
export function pexpire(ctx: CommandContext, argv: string[]): Reply {
  return expireGeneric(ctx, argv, false, true, "pexpire");
}

/** EXPIREAT key unix-time-seconds [NX | XX | GT | LT] */
export function expireat(ctx: CommandContext, argv: string[]): Reply {
  return expireGeneric(ctx, argv, true, false, "expireat");
}

/** PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] */
export function pexpireat(ctx: CommandContext, argv: string[]): Reply {
  return expireGeneric(ctx, argv, false, false, "pexpireat");
}

/**
 * `expireGenericCommand`: options first, then the time, then the key. A time
 * at or before now deletes the key (and answers 1).
 */
function expireGeneric(
  ctx: CommandContext,
  argv: string[],
  seconds: boolean,
  relative: boolean,
  command: string,
): Reply {
  const flags = parseExpireOptions(argv);
  const cache = ctx.cache;
  const key = argv[1];
  return cache.atomically(() => {
    const now = cache.now();
    const when = expireTime(argv[2], seconds, relative ? now : 0, command);
    const entry = ctx.entry(key);
    if (entry === undefined) return 0;
    if (flags !== 0 && !expireAllowed(flags, entry.expiresAt, when)) return 0;
    if (when <= now) cache.delete(key);
    else cache.setExpiry(key, when);
    return 1;
  });
}

/** PERSIST key: 1 if an expiry was removed. */
export function persist(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  return ctx.cache.atomically(() => {
    const entry = ctx.entry(key);
    if (entry === undefined || entry.expiresAt === 0) return 0;
    ctx.cache.setExpiry(key, 0);
    return 1;
  });
}

/** TTL key: seconds left (rounded), -1 without expiry, -2 if absent. */
export function ttl(ctx: CommandContext, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], false, false);
}

/** PTTL key: milliseconds left, -1 without expiry, -2 if absent. */
export function pttl(ctx: CommandContext, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], true, false);
}

/** EXPIRETIME key: the expiry in Unix seconds, -1 or -2 as TTL. */
export function expiretime(ctx: CommandContext, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], false, true);
}

/** PEXPIRETIME key: the expiry in Unix milliseconds, -1 or -2 as TTL. */
export function pexpiretime(ctx: CommandContext, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], true, true);
}

/** `ttlGenericCommand`: seconds are rounded half up, as `(ms + 500) / 1000`. */
function ttlGeneric(
  ctx: CommandContext,
  key: string,
  ms: boolean,
  absolute: boolean,
): Reply {
  const entry = ctx.entry(key);
  if (entry === undefined) return -2;
  if (entry.expiresAt === 0) return -1;
  const left = Math.max(
    0,
    absolute ? entry.expiresAt : entry.expiresAt - ctx.cache.now(),
  );
  return ms ? left : Math.floor((left + 500) / 1000);
}

/** RANDOMKEY: a live key, or nil when there is none. */
export function randomkey(ctx: CommandContext): Reply {
  return ctx.cache.randomKey() ?? null;
}
