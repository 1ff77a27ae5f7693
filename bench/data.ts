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

const encoder = new TextEncoder();

/** Byte length of the JSON body a real server returns for a hit on `entry`. */
export function hitBodyLength(entry: Entry): number {
  return encoder.encode(
    JSON.stringify({ status: "OK", key: entry.key, value: entry.value }),
  ).length;
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

/**
 * Characters of the non-ASCII values: Latin-1 and other two-byte letters,
 * three-byte CJK, symbols and U+2028, and four-byte emoji (a surrogate pair
 * each), plus ASCII and the characters JSON must escape.
 */
const UNICODE_ALPHABET = [
  ...'aZ9 "\\/\t\néüßçñøåæœ€£¥©®°±µ¶§ÆØÅДжЯΩπλ中文字日本語한국어\u2028—…‘’“”',
  "😀",
  "🚀",
  "👍",
  "🎉",
];

/**
 * Returns a value of non-ASCII text drawn from `rand`: `VALUE_LENGTH` UTF-16
 * units at most (so that a naive server's `.length` check passes), 256 code
 * points at most.
 */
export function unicodeValueFrom(rand: () => number): string {
  let s = "";
  for (;;) {
    const c = UNICODE_ALPHABET[Math.floor(rand() * UNICODE_ALPHABET.length)];
    if (s.length + c.length > VALUE_LENGTH) return s;
    s += c;
  }
}

/** Like {@linkcode makeEntries}, with non-ASCII values. */
export function makeUnicodeEntries(count = KEY_COUNT, seed = 43): Entry[] {
  const rand = seededRandom(seed);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({ key: uuidFrom(rand), value: unicodeValueFrom(rand) });
  }
  return entries;
}

/**
 * How a client spells a PUT body:
 * - `compact`: `JSON.stringify({key, value})`, as JavaScript clients write it;
 * - `python`: Python's `json.dumps` with its defaults, as Locust's `json=`
 *   and `requests` send it: `", "` and `": "` separators, `ensure_ascii`
 *   (every character past `~` as `\uxxxx`, a surrogate pair as two);
 * - `escaped`: compact, with every character JSON must escape as `\u00XX`
 *   (`\u0009`, `\u0022`, `\u005C`) and `/` as `\/` (PHP's default);
 * - `ttl`: compact, with `"ttl":3600` after the value.
 */
export type BodySpelling = "compact" | "python" | "escaped" | "ttl";

/** `\uxxxx` of a UTF-16 unit; uppercase hex when `upper`. */
function unicodeEscape(unit: number, upper = false): string {
  const hex = unit.toString(16).padStart(4, "0");
  return "\\u" + (upper ? hex.toUpperCase() : hex);
}

/** A string literal as Python's `json.dumps` (`ensure_ascii=True`) writes it. */
export function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += unicodeEscape(c);
    else out += s[i];
  }
  return out + '"';
}

/** A string literal with JSON's escapes all as `\u00XX`, and `/` as `\/`. */
export function escapedString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) out += unicodeEscape(c, true);
    else if (c === 0x2f) out += "\\/";
    else out += s[i];
  }
  return out + '"';
}

/** The PUT body of `entry` in `spelling`. */
export function spellPutBody(entry: Entry, spelling: BodySpelling): string {
  switch (spelling) {
    case "compact":
      return JSON.stringify({ key: entry.key, value: entry.value });
    case "python":
      return `{"key": ${pythonString(entry.key)}, "value": ${
        pythonString(entry.value)
      }}`;
    case "escaped":
      return `{"key":${escapedString(entry.key)},"value":${
        escapedString(entry.value)
      }}`;
    case "ttl":
      return JSON.stringify({ key: entry.key, value: entry.value, ttl: 3600 });
  }
}
