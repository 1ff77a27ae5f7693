/**
 * The record format of the arena's segments, shared by the index
 * (`index.ts`) and the segments (`segments.ts`).
 *
 * A record is a 24-byte header followed by the key and the value, each the
 * JSON literal `JSON.stringify` writes, padded to 8 bytes. Header words
 * (32-bit, from the record's start): the next record of its index chain, the
 * key's hash, the key's length in bytes (its top bit marks a dead record),
 * the value's length; then the expiry as a float64 (ms since the epoch, 0 for
 * none).
 *
 * A record's **address** is its byte position in the segments buffer in
 * 8-byte words, plus one, so that 0 can mean none ({@linkcode NIL}):
 * `(address - 1) * 8` is where it starts, `(address - 1) * 2` its first
 * 32-bit word and `address - 1` its first float64.
 *
 * @module
 */

import { RECORD_HEADER_BYTES } from "./layout.ts";

/** No record: the end of a chain, an empty bucket, not found. */
export const NIL = 0;
/** Top bit of the key length: the record is dead (removed or replaced). */
export const DEAD = 0x80000000;

/** Header word: the next record's address in the index chain. */
export const NEXT = 0;
/** Header word: the key's hash. */
export const HASH = 1;
/** Header word: the key's length in bytes, with {@linkcode DEAD}. */
export const KEY_LENGTH = 2;
/** Header word: the value's length in bytes. */
export const VALUE_LENGTH = 3;
/** Header float64 (after the four words): the expiry, 0 for none. */
export const EXPIRES_AT = 2;

/** Bytes a record of these key and value lengths takes, padding included. */
export function recordSize(keyLength: number, valueLength: number): number {
  return (RECORD_HEADER_BYTES + keyLength + valueLength + 7) & ~7;
}

/** Whether `length` bytes of `a` from `aStart` equal those of `b` from `bStart`. */
export function equalBytes(
  a: Uint8Array,
  aStart: number,
  b: Uint8Array,
  bStart: number,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) {
    if (a[aStart + i] !== b[bStart + i]) return false;
  }
  return true;
}
