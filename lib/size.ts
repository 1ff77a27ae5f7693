/**
 * Estimates of how many bytes of V8 heap a cache entry occupies. The cache
 * keeps a running total of these estimates, updated on every write and delete,
 * so it never has to scan the store to know its size.
 *
 * How the constants were measured is written up in docs/design.md
 * ("`MapCache` memory accounting").
 *
 * @module
 */

/** Bytes of a V8 string object before its characters (map, hash, length). */
export const STRING_HEADER_BYTES = 16;

/**
 * Bytes a `MapCache` entry costs besides its two strings, measured on Deno
 * 2.9.6 (no pointer compression): the entry object (40), the heap number
 * holding its expiry time (16) and the `Map` table, 28 bytes per slot with a
 * power-of-two slot count, so 28 to 56 per entry and 40 on average.
 */
export const ENTRY_OVERHEAD_BYTES = 96;

const NEEDS_TWO_BYTES = /[\u0100-\uffff]/;

/**
 * Returns the estimated heap size of a string: V8 stores a string with only
 * Latin-1 characters at one byte per character and any other string at two,
 * after a fixed header, rounded up to the 8-byte allocation granularity.
 */
export function estimateStringBytes(text: string): number {
  const bytesPerChar = NEEDS_TWO_BYTES.test(text) ? 2 : 1;
  return (STRING_HEADER_BYTES + text.length * bytesPerChar + 7) & ~7;
}

/** Returns the estimated heap size of one cache entry with this key and value. */
export function estimateEntryBytes(key: string, value: string): number {
  return ENTRY_OVERHEAD_BYTES + estimateStringBytes(key) +
    estimateStringBytes(value);
}
