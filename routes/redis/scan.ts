/**
 * SCAN and KEYS over the store's cursor (`cache.scan`), which never holds
 * the store for long: each batch is one call, and so one critical section of
 * its own, of at most {@linkcode BATCH} keys. What a full iteration reports
 * is the store's guarantee (`Cache.scan`: every key present for the whole
 * iteration, possibly twice); SCAN passes it on, KEYS removes duplicates.
 *
 * SCAN's cursor is the store's, written in decimal; it is read as Redis
 * reads a cursor (`strtoul`: an optional sign, digits, nothing else; "" is
 * 0), and a cursor the store does not know ends the iteration. COUNT is how
 * many keys to look at, as in Redis, but one SCAN looks at no more than
 * {@linkcode MAX_SCAN_KEYS} (a batch in a `multi-exec`, which holds the lock
 * throughout). TYPE filters by type: every key is a `string`.
 *
 * KEYS collects the whole keyspace in one answer, so it is bounded: past
 * {@linkcode MAX_KEYS_REPLY} matching keys it answers an error that says to
 * use SCAN, and it is refused in a `multi-exec`. It gives the event loop
 * back (a timer turn) once a slice of batches has taken
 * {@linkcode SLICE_MS}, so that this isolate keeps serving other requests
 * while it runs; the store lets another isolate's waiting request in
 * between batches (`SharedLock.yieldToWaiter`).
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import { GlobPattern } from "./glob.ts";
import { int64Argument } from "./numbers.ts";
import { type Reply, ReplyError, syntaxError } from "./reply.ts";

/** Keys one store call looks at, at most. */
export const BATCH = 1000;
/** Keys one SCAN looks at, at most, whatever its COUNT. */
export const MAX_SCAN_KEYS = 10 * BATCH;
/** Matching keys past which KEYS refuses to answer. */
export const MAX_KEYS_REPLY = 100_000;
/** Store calls one SCAN makes at most (batches may be sparse). */
const MAX_CALLS = 16;
/**
 * How long KEYS works before giving the event loop back, in ms. Under load,
 * every other request of the isolate waits behind the slice in progress:
 * with 5 ms slices the other requests of one isolate ran at a twentieth of
 * their rate while KEYS ran, with 1 ms at about a fifth, and KEYS took
 * 1.4-2.2x as long on a 200 MB store (`bench/memory/README.md`). The turn
 * is a timer on purpose: a message to oneself or `setImmediate` resumes
 * before Deno polls the sockets, and starves them.
 */
export const SLICE_MS = 1;

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
export function scan(ctx: CommandContext, argv: string[]): Reply {
  let cursor = parseCursor(argv[1]);
  let count = 10;
  let pattern: GlobPattern | undefined;
  let typeName: string | undefined;
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i].toLowerCase();
    if (i + 1 >= argv.length) syntaxError();
    if (option === "count") {
      const value = int64Argument(argv[i + 1]);
      if (value < 1) syntaxError();
      count = Number(value);
    } else if (option === "match") {
      pattern = argv[i + 1] === "*" ? undefined : new GlobPattern(argv[i + 1]);
    } else if (option === "type") {
      typeName = argv[i + 1].toLowerCase();
    } else {
      syntaxError();
    }
  }
  const limit = ctx.inTransaction
    ? Math.min(count, BATCH)
    : Math.min(count, MAX_SCAN_KEYS);
  const keys: string[] = [];
  let looked = 0;
  let calls = 0;
  do {
    const batch = ctx.cache.scan(cursor, Math.min(BATCH, limit - looked));
    cursor = batch.cursor;
    // A batch may be empty (its part of the index was), but it moved on.
    looked += Math.max(batch.keys.length, 1);
    for (const key of batch.keys) {
      if (pattern === undefined || pattern.matches(key)) keys.push(key);
    }
  } while (
    cursor !== 0 && looked < limit && ++calls < MAX_CALLS &&
    !ctx.inTransaction
  );
  return [
    String(cursor),
    typeName === undefined || typeName === "string" ? keys : [],
  ];
}

/** KEYS pattern: every matching key, unless there are too many. */
export async function keys(
  ctx: CommandContext,
  argv: string[],
): Promise<Reply> {
  const pattern = argv[1] === "*" ? undefined : new GlobPattern(argv[1]);
  const found = new Set<string>();
  let cursor = 0;
  let sliceStart = performance.now();
  do {
    const batch = ctx.cache.scan(cursor, BATCH);
    cursor = batch.cursor;
    for (const key of batch.keys) {
      if (pattern === undefined || pattern.matches(key)) found.add(key);
    }
    if (found.size > MAX_KEYS_REPLY) {
      throw new ReplyError(
        `ERR KEYS would answer more than ${MAX_KEYS_REPLY} keys; iterate with SCAN instead`,
      );
    }
    if (cursor !== 0 && performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      sliceStart = performance.now();
    }
  } while (cursor !== 0);
  return [...found];
}

/**
 * Reads a SCAN cursor as Redis's `parseScanCursorOrReply` (`strtoul` in
 * base 10, no leading space, the whole text); a negative cursor wraps as in
 * C. Cursors past 2^53 are not the store's, and end the iteration.
 *
 * @throws {ReplyError} `ERR invalid cursor`.
 */
export function parseCursor(text: string): number {
  const match = CURSOR.exec(text);
  if (match === null) throw new ReplyError("ERR invalid cursor");
  if (match[2] === undefined) return 0; // "": strtoul reads nothing, 0
  let value = BigInt(match[2]);
  if (value > ULONG_MAX) throw new ReplyError("ERR invalid cursor");
  if (match[1] === "-") value = (ULONG_MAX + 1n - value) & ULONG_MAX;
  return value > BigInt(Number.MAX_SAFE_INTEGER)
    ? Number.MAX_SAFE_INTEGER
    : Number(value);
}

const CURSOR = /^(?:([+-]?)(\d+))?$/;
const ULONG_MAX = 2n ** 64n - 1n;
