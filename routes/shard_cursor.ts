/**
 * SCAN cursors of the Durable Object front, which iterates the shards one
 * after the other: the front's cursor `C` stands for shard `C mod SHARDS`
 * and that shard's own cursor `floor(C / SHARDS)`. Cursor "0" starts at
 * shard 0; when a shard's iteration ends, the front answers the next
 * shard's start, `shard + 1`, and "0" after the last shard. A shard's
 * cursors are below 2^53 (the `Map` store's are random safe integers) and
 * `SHARDS` is at most 1024, so the front's cursor stays below 2^63: a string
 * of decimal digits, as Redis's unsigned 64-bit cursors are, which clients
 * hand back unchanged (`@upstash/redis` keeps the cursor as the string it
 * got).
 *
 * @module
 */

/** Where a front cursor points: a shard and that shard's own cursor. */
export interface ShardCursor {
  /** The shard, from 0 to `shards - 1`. */
  shard: number;
  /** The shard's cursor, in decimal. */
  cursor: string;
}

const CURSOR = /^(?:([+-]?)(\d+))?$/;
const ULONG_MAX = 2n ** 64n - 1n;

/**
 * Reads a front cursor as Redis reads a cursor (`strtoul`: an optional sign,
 * digits and nothing else, "" for 0, a negative one wrapped as in C), or
 * undefined where Redis answers `ERR invalid cursor` (the front then lets
 * shard 0 answer it, in the server's words).
 */
export function splitCursor(
  text: string,
  shards: number,
): ShardCursor | undefined {
  const match = CURSOR.exec(text);
  if (match === null) return undefined;
  let value = match[2] === undefined ? 0n : BigInt(match[2]);
  if (value > ULONG_MAX) return undefined;
  if (match[1] === "-") value = (ULONG_MAX + 1n - value) & ULONG_MAX;
  const count = BigInt(shards);
  return {
    shard: Number(value % count),
    cursor: String(value / count),
  };
}

/**
 * The front cursor that follows a shard's answer: where `shard` goes on
 * from its own `next` cursor, or the next shard's start once `next` is "0".
 */
export function joinCursor(
  shard: number,
  next: string,
  shards: number,
): string {
  const inner = BigInt(next);
  if (inner === 0n) return shard + 1 < shards ? String(shard + 1) : "0";
  return String(inner * BigInt(shards) + BigInt(shard));
}
