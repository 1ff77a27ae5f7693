/**
 * The server and connection commands kv-cache answers: DBSIZE, FLUSHDB,
 * FLUSHALL, TIME (redis.io's "server" group) and PING, ECHO ("connection").
 * There is one database, so FLUSHDB and FLUSHALL are the same `cache.clear()`;
 * its ASYNC and SYNC options are accepted and make no difference (the clear
 * takes time bounded by the store's segments, not its keys).
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import { OK, type Reply, syntaxError, wrongArity } from "./reply.ts";

/** PING [message]: `PONG`, or the message. */
export function ping(_ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 2) throw wrongArity("ping");
  return argv.length === 2 ? argv[1] : "PONG";
}

/** ECHO message */
export function echo(_ctx: CommandContext, argv: string[]): Reply {
  return argv[1];
}

/**
 * TIME: the cache's clock as [Unix seconds, microseconds], both strings. The
 * clock counts milliseconds, so the microseconds are a multiple of 1000.
 */
export function time(ctx: CommandContext): Reply {
  const now = ctx.cache.now();
  const seconds = Math.floor(now / 1000);
  return [String(seconds), String((now - seconds * 1000) * 1000)];
}

/**
 * DBSIZE: the entries the store holds. Like Redis's, the count includes
 * keys that have expired but were not removed yet.
 */
export function dbsize(ctx: CommandContext): Reply {
  return ctx.cache.stats().entries;
}

/** FLUSHDB [ASYNC | SYNC] (also FLUSHALL): removes every key. */
export function flushdb(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length === 2) {
    const mode = argv[1].toLowerCase();
    if (mode !== "async" && mode !== "sync") syntaxError();
  } else if (argv.length !== 1) {
    syntaxError();
  }
  ctx.cache.clear();
  return OK;
}
