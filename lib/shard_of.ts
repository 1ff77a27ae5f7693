/**
 * Which of a fixed number of shards holds a key.
 *
 * @module
 */

import { hashBytes } from "./hash.ts";

const encoder = new TextEncoder();

/** The shard, from 0 to `shards - 1`, of `key`: a hash of its UTF-8 bytes. */
export function shardOf(key: string, shards: number): number {
  const bytes = encoder.encode(key);
  return hashBytes(bytes, 0, bytes.length) % shards;
}
