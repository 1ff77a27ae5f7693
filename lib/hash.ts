/**
 * A fast 32-bit hash of a byte range, for the cache's hash index.
 *
 * @module
 */

/**
 * Hashes `length` bytes of `bytes` from `start` to 31 bits: FNV-1a, then the
 * MurmurHash3 finaliser so that the low bits used to pick a bucket are well
 * mixed.
 */
export function hashBytes(
  bytes: Uint8Array,
  start: number,
  length: number,
): number {
  let h = 0x811c9dc5;
  const end = start + length;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // 31 bits keep the hash a small integer for V8 (no heap numbers).
  return h & 0x7fffffff;
}
