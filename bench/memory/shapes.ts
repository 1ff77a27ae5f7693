/**
 * Key/value shapes of the memory benchmark. Key number `n` (0, 1, 2, ...)
 * maps to one key and one value; `wrk/memory.lua` computes the same mapping,
 * so the harness can read back what wrk wrote and check it byte for byte.
 *
 * Keys need no percent-encoding (they go into `/get?key=` as they are).
 * Values come from a pool of `VALUE_POOL_SIZE` seeded strings per shape,
 * written to a data file that the Lua script reads: key `n` gets value
 * `n % VALUE_POOL_SIZE`.
 *
 * @module
 */

import { seededRandom } from "../data.ts";

/** Names of the shapes, in run order. */
export const SHAPE_NAMES = ["tiny", "uuid256", "256x256", "unicode"] as const;

/** One of {@linkcode SHAPE_NAMES}. */
export type ShapeName = typeof SHAPE_NAMES[number];

/** Distinct values per shape; key `n` gets value `n % VALUE_POOL_SIZE`. */
export const VALUE_POOL_SIZE = 256;

/** A key/value shape. */
export interface Shape {
  /** Name used on the command line and in tables. */
  name: ShapeName;
  /** One line for the table legend. */
  description: string;
  /** Key-generation scheme, as understood by the Lua script. */
  keyScheme: "tiny" | "uuid" | "long";
  /** The value pool (`VALUE_POOL_SIZE` strings). */
  values: string[];
}

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 244 URL-safe characters that pad the 12-digit counter of a 256-char key. */
export const LONG_KEY_FILLER = (() => {
  const unit = "-abcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  while (s.length < 244) s += unit;
  return s.slice(0, 244);
})();

/** `n` in base 62 (digits, upper case, lower case); "0" for 0. */
export function base62(n: number): string {
  if (n === 0) return "0";
  let s = "";
  while (n > 0) {
    const d = n % 62;
    s = B62[d] + s;
    n = (n - d) / 62;
  }
  return s;
}

/**
 * Key number `n` under a key scheme:
 * - `tiny`: base-62 `n` padded with 0-7 `_` to 1-8 chars (`n % (9 - length)`
 *   of them), unique because `_` is not a base-62 digit;
 * - `uuid`: `00000000-0000-4000-8000-` and `n` as 12 decimal digits (36 chars);
 * - `long`: `n` as 12 decimal digits then {@linkcode LONG_KEY_FILLER} (256 chars).
 */
export function keyFor(scheme: Shape["keyScheme"], n: number): string {
  switch (scheme) {
    case "tiny": {
      const b = base62(n);
      return b + "_".repeat(n % (9 - b.length));
    }
    case "uuid":
      return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    case "long":
      return String(n).padStart(12, "0") + LONG_KEY_FILLER;
  }
}

/** The value stored under key number `n`. */
export function valueFor(shape: Shape, n: number): string {
  return shape.values[n % shape.values.length];
}

/** Printable ASCII without `"` and `\`, so a value's JSON literal is the value plus quotes. */
const ASCII = (() => {
  let s = "";
  for (let c = 0x20; c <= 0x7e; c++) {
    if (c !== 0x22 && c !== 0x5c) s += String.fromCharCode(c);
  }
  return s;
})();

const ALNUM = B62;

/**
 * Non-ASCII code points: Latin-1 letters (2 UTF-8 bytes, 1 byte in a V8
 * one-byte string), Greek and Cyrillic (2 bytes), CJK (3 bytes) and emoji
 * (4 bytes, 2 UTF-16 units), with some ASCII spaces.
 */
const UNICODE_POOL = [
  ..."éèàüöäßñçøåÉÜÖ",
  ..."αβγδεζηθλμπσωЖжДдЛлПпФфЯя",
  ..."中文字符测试缓存键值日本語한국어",
  ..."😀🚀🎉🔥💾🧪🌍✨",
  " ",
  " ",
];

function pick(rand: () => number, alphabet: readonly string[] | string) {
  return alphabet[Math.floor(rand() * alphabet.length)];
}

function makeValues(
  seed: number,
  length: (i: number) => number,
  alphabet: readonly string[] | string,
): string[] {
  const rand = seededRandom(seed);
  return Array.from({ length: VALUE_POOL_SIZE }, (_, i) => {
    let s = "";
    for (let j = length(i); j > 0; j--) s += pick(rand, alphabet);
    return s;
  });
}

/** Builds the shape called `name`. */
export function makeShape(name: ShapeName): Shape {
  switch (name) {
    case "tiny":
      return {
        name,
        description: "keys 1-8 chars (base-62 counter), values 1-8 chars",
        keyScheme: "tiny",
        values: makeValues(1, (i) => 1 + (i % 8), ALNUM),
      };
    case "uuid256":
      return {
        name,
        description: "36-char UUID-shaped keys, 256-char ASCII values",
        keyScheme: "uuid",
        values: makeValues(2, () => 256, ASCII),
      };
    case "256x256":
      return {
        name,
        description: "256-char keys, 256-char ASCII values",
        keyScheme: "long",
        values: makeValues(3, () => 256, ASCII),
      };
    case "unicode":
      return {
        name,
        description:
          "36-char keys, 256-code-point non-ASCII values (Latin-1, Greek, Cyrillic, CJK, emoji)",
        keyScheme: "uuid",
        values: makeValues(4, () => 256, UNICODE_POOL),
      };
  }
}

/**
 * Parses a comma-separated list of shape names ("all" or empty: every shape;
 * "none": no shape, e.g. to run only the sweep scenario).
 */
export function parseShapes(text: string): ShapeName[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s);
  if (names.length === 1 && names[0] === "none") return [];
  if (names.length === 0 || names.includes("all")) return [...SHAPE_NAMES];
  for (const n of names) {
    if (!(SHAPE_NAMES as readonly string[]).includes(n)) {
      throw new Error(
        `unknown shape "${n}"; expected ${SHAPE_NAMES.join(", ")}`,
      );
    }
  }
  return names as ShapeName[];
}

/**
 * The data file `wrk/memory.lua` reads: one JSON-escaped value per line
 * (without the quotes), UTF-8.
 */
export function valuesFileText(shape: Shape): string {
  return shape.values.map((v) => JSON.stringify(v).slice(1, -1)).join("\n") +
    "\n";
}
