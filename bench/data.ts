/**
 * Deterministic test data for the load test: UUID-shaped keys and 256-char
 * values drawn from printable ASCII plus the characters JSON must escape.
 *
 * @module
 */

/** Number of keys prefilled and read by the read workloads. */
export const KEY_COUNT = 10_000;

/** Length of every value, in characters (before JSON escaping). */
export const VALUE_LENGTH = 256;

/** Prefix of keys that are never written; the floor server answers them as misses. */
export const MISS_PREFIX = "miss-";

/** Printable ASCII plus `\t`, `\n`, `\x0b` and `\x0c` (`"` and `\` are printable). */
const ALPHABET = (() => {
  let s = "\t\n\x0b\x0c";
  for (let c = 0x20; c <= 0x7e; c++) s += String.fromCharCode(c);
  return s;
})();

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

/** Returns a 36-char UUID-v4-shaped string drawn from `rand`. */
export function uuidFrom(rand: () => number): string {
  const variant = "89ab"[Math.floor(rand() * 4)];
  return `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-${variant}${
    hex(rand, 3)
  }-${hex(rand, 12)}`;
}

/** Returns a value of `VALUE_LENGTH` characters drawn from the test alphabet. */
export function valueFrom(rand: () => number): string {
  let s = "";
  for (let i = 0; i < VALUE_LENGTH; i++) {
    s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  }
  return s;
}

/** One key with its value. */
export interface Entry {
  /** The 36-char key. */
  key: string;
  /** The raw (unescaped) value. */
  value: string;
}

/** Builds the `KEY_COUNT` prefill entries; the same seed always gives the same data. */
export function makeEntries(count = KEY_COUNT, seed = 42): Entry[] {
  const rand = seededRandom(seed);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({ key: uuidFrom(rand), value: valueFrom(rand) });
  }
  return entries;
}

/** Builds `count` 36-char keys that are never written (prefix `MISS_PREFIX`). */
export function makeMissKeys(count = KEY_COUNT, seed = 7): string[] {
  const rand = seededRandom(seed);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    keys.push(MISS_PREFIX + hex(rand, 36 - MISS_PREFIX.length));
  }
  return keys;
}

/** Returns `s` JSON-escaped, without the surrounding quotes. */
export function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Byte length of the JSON body a real server returns for a hit on `entry`. */
export function hitBodyLength(entry: Entry): number {
  return JSON.stringify({ status: "OK", key: entry.key, value: entry.value })
    .length;
}

/** Mean hit-body length over the prefill data: the floor server answers GETs with this size. */
export function meanHitBodyLength(entries: Entry[] = makeEntries()): number {
  let total = 0;
  for (const e of entries) total += hitBodyLength(e);
  return Math.round(total / entries.length);
}

/**
 * A hit body of `length` bytes shaped like a real one, for servers that answer
 * GETs without a store (the floor, the steps server's early steps).
 * `length` defaults to `FLOOR_HIT_BODY_LENGTH`, which the harness passes so
 * that such a server need not build the data set and grow its heap, else to
 * the mean hit on the benchmark data.
 */
export function fixedHitBody(
  length = Number(Deno.env.get("FLOOR_HIT_BODY_LENGTH") ?? "") ||
    meanHitBodyLength(),
): string {
  const head = '{"status":"OK","key":"00000000-0000-4000-8000-000000000000"';
  const shell = head + ',"value":""}';
  return head + ',"value":"' + "v".repeat(length - shell.length) + '"}';
}
