/**
 * JSON string literals as UTF-8 bytes, in `JSON.stringify`'s spelling:
 * writing them straight into byte buffers, as the arena store keeps them and
 * as responses carry them, and reading a request body's literals in any
 * spelling JSON allows, rewritten in place to that one, so that they can be
 * stored as they are.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Writes the JSON string literal of `text` as UTF-8 at `offset` of `out` and
 * returns its length in bytes; `out` must have {@linkcode jsonStringRoom}
 * bytes of room. Plain printable ASCII, the usual key, is
 * copied by a loop; anything else goes through `JSON.stringify`.
 */
export function writeJsonString(
  text: string,
  out: Uint8Array,
  offset: number,
): number {
  const length = text.length;
  out[offset] = 0x22;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) {
      return encoder.encodeInto(
        JSON.stringify(text),
        out.subarray(offset),
      ).written;
    }
    out[offset + 1 + i] = c;
  }
  out[offset + 1 + length] = 0x22;
  return length + 2;
}

/**
 * Bytes {@linkcode writeJsonString} may need for a string of `length` UTF-16
 * units: its literal has at most 6 bytes per unit (`\u001f`, `\ud800`; a
 * character that is not ASCII takes at most 3 bytes of UTF-8 per unit) plus
 * the two quotes.
 */
export function jsonStringRoom(length: number): number {
  return 6 * length + 2;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const HEX = encoder.encode("0123456789abcdef");

/**
 * The short escape `JSON.stringify` writes for a control character, by code
 * (`b`, `t`, `n`, `f`, `r`), or 0 where it writes `\u00XX`.
 */
const SHORT_ESCAPE = new Uint8Array(0x20);
SHORT_ESCAPE[0x08] = 0x62;
SHORT_ESCAPE[0x09] = 0x74;
SHORT_ESCAPE[0x0a] = 0x6e;
SHORT_ESCAPE[0x0c] = 0x66;
SHORT_ESCAPE[0x0d] = 0x72;

/**
 * Whether the byte after a backslash starts an escape that `JSON.stringify`
 * writes as it is: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`.
 */
const KEPT_ESCAPE = new Uint8Array(0x80);
for (const c of '"\\bfnrt') KEPT_ESCAPE[c.charCodeAt(0)] = 1;

/** The value of the hexadecimal digit `byte` (either case), or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** The code unit of the four hex digits at `at`, or -1. */
function hex4(bytes: Uint8Array, at: number): number {
  const a = hexDigit(bytes[at]);
  const b = hexDigit(bytes[at + 1]);
  const c = hexDigit(bytes[at + 2]);
  const d = hexDigit(bytes[at + 3]);
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * Length of the well-formed UTF-8 sequence of a character above ASCII at
 * `at`, or 0 if it is not one (overlong, a surrogate, past U+10FFFF,
 * truncated): the bytes `TextDecoder` would not decode as they are.
 */
function utf8Length(bytes: Uint8Array, at: number): number {
  const lead = bytes[at];
  const second = bytes[at + 1];
  if (lead < 0xc2 || lead > 0xf4 || (second & 0xc0) !== 0x80) return 0;
  if (lead < 0xe0) return 2;
  if ((bytes[at + 2] & 0xc0) !== 0x80) return 0;
  if (lead < 0xf0) {
    if (lead === 0xe0 && second < 0xa0) return 0; // overlong
    if (lead === 0xed && second > 0x9f) return 0; // a surrogate
    return 3;
  }
  if ((bytes[at + 3] & 0xc0) !== 0x80) return 0;
  if (lead === 0xf0 && second < 0x90) return 0; // overlong
  if (lead === 0xf4 && second > 0x8f) return 0; // past U+10FFFF
  return 4;
}

/**
 * Reads the JSON string literal whose opening quote is `bytes[start]`, in
 * any spelling JSON allows (every escape, `\uXXXX` in either case, surrogate
 * pairs, lone surrogates, raw UTF-8), and rewrites it in place to the bytes
 * of `JSON.stringify` for the same string: `\u00e9` becomes `é`, `\/`
 * becomes `/`, `\u0009` becomes `\t`, `\uD83D\uDE00` becomes the four bytes
 * of 😀, a lone `\uD800` becomes `\ud800`. That spelling is never longer, so
 * the bytes it frees before the closing quote become spaces, and what follows
 * the returned end still reads as the same JSON.
 *
 * Returns the end (exclusive) of the rewritten literal, or -1, having
 * changed nothing, when the literal is malformed, unterminated, holds a byte
 * sequence that is not UTF-8 (the general path decides what that means), or
 * stands for more than `maxLength` code points, counted as `codePointLength`
 * counts the string (a surrogate pair once, a lone surrogate once).
 */
export function readJsonString(
  bytes: Uint8Array,
  start: number,
  maxLength: number,
): number {
  if (bytes[start] !== QUOTE) return -1;
  const end = bytes.length;
  let characters = 0;
  // The first escape JSON.stringify would spell otherwise, if any.
  let rewriteFrom = -1;
  let i = start + 1;
  while (i < end) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      return rewriteFrom < 0 ? i + 1 : rewriteJsonString(bytes, rewriteFrom, i);
    }
    if (++characters > maxLength) return -1;
    if (byte === BACKSLASH) {
      const escape = bytes[i + 1];
      if (KEPT_ESCAPE[escape] === 1) {
        i += 2;
        continue;
      }
      if (escape === 0x75 && isCanonicalControl(bytes, i + 2)) {
        i += 6;
        continue;
      }
      if (rewriteFrom < 0) rewriteFrom = i;
      if (escape === 0x2f) {
        i += 2;
        continue;
      }
      if (escape !== 0x75) return -1;
      const unit = hex4(bytes, i + 2);
      if (unit < 0) return -1;
      i += 6;
      // A high surrogate and an escaped low one are one code point.
      if (isPairAt(bytes, i, unit)) i += 6;
    } else if (byte >= 0x80) {
      const length = utf8Length(bytes, i);
      if (length === 0) return -1;
      i += length;
    } else if (byte < SPACE) {
      return -1;
    } else {
      i++;
    }
  }
  return -1;
}

/**
 * Whether the four bytes at `at` are the hex of a `\u00XX` escape that
 * `JSON.stringify` writes as it is: a control character without a short
 * escape, in lowercase (`\u000b`, `\u001f`; Python and Go write these too).
 */
function isCanonicalControl(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== 0x30 || bytes[at + 1] !== 0x30) return false;
  const high = bytes[at + 2];
  const low = bytes[at + 3];
  const lowValue = low >= 0x30 && low <= 0x39
    ? low - 0x30
    : low >= 0x61 && low <= 0x66
    ? low - 0x57
    : -1;
  if (lowValue < 0) return false;
  if (high === 0x31) return true;
  return high === 0x30 && SHORT_ESCAPE[lowValue] === 0;
}

/**
 * Whether `unit`, just read from an escape, is a high surrogate and the
 * bytes at `at` escape a low one: together, one character.
 */
function isPairAt(bytes: Uint8Array, at: number, unit: number): boolean {
  if (unit < 0xd800 || unit > 0xdbff) return false;
  if (bytes[at] !== BACKSLASH || bytes[at + 1] !== 0x75) return false;
  const low = hex4(bytes, at + 2);
  return low >= 0xdc00 && low <= 0xdfff;
}

/**
 * The rest of {@linkcode readJsonString} once the literal is known to be
 * valid and a byte must change: rewrites from `from` to the closing quote at
 * `quote`, writing (never ahead of reading) JSON.stringify's spelling, and
 * fills the bytes freed with spaces; returns the new end of the literal.
 */
function rewriteJsonString(
  bytes: Uint8Array,
  from: number,
  quote: number,
): number {
  let i = from;
  let out = from;
  while (i < quote) {
    const byte = bytes[i];
    if (byte !== BACKSLASH) {
      bytes[out++] = byte;
      i++;
      continue;
    }
    const escape = bytes[i + 1];
    if (escape !== 0x75) {
      if (escape !== 0x2f) bytes[out++] = BACKSLASH;
      bytes[out++] = escape;
      i += 2;
      continue;
    }
    let unit = hex4(bytes, i + 2);
    i += 6;
    if (isPairAt(bytes, i, unit)) {
      const low = hex4(bytes, i + 2);
      unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      bytes[out++] = 0xf0 | (unit >> 18);
      bytes[out++] = 0x80 | ((unit >> 12) & 0x3f);
      bytes[out++] = 0x80 | ((unit >> 6) & 0x3f);
      bytes[out++] = 0x80 | (unit & 0x3f);
      i += 6;
      continue;
    }
    out = writeCanonicalUnit(bytes, out, unit);
  }
  bytes[out] = QUOTE;
  bytes.fill(SPACE, out + 1, quote + 1);
  return out + 1;
}

/**
 * Writes one UTF-16 unit (not part of a surrogate pair) as `JSON.stringify`
 * spells it at `out`; returns the new end.
 */
function writeCanonicalUnit(
  bytes: Uint8Array,
  out: number,
  unit: number,
): number {
  if (unit < SPACE) {
    bytes[out++] = BACKSLASH;
    const short = SHORT_ESCAPE[unit];
    if (short !== 0) {
      bytes[out++] = short;
      return out;
    }
    return writeUnicodeEscape(bytes, out, unit);
  }
  if (unit === QUOTE || unit === BACKSLASH) {
    bytes[out++] = BACKSLASH;
    bytes[out++] = unit;
  } else if (unit < 0x80) {
    bytes[out++] = unit;
  } else if (unit < 0x800) {
    bytes[out++] = 0xc0 | (unit >> 6);
    bytes[out++] = 0x80 | (unit & 0x3f);
  } else if (unit >= 0xd800 && unit <= 0xdfff) {
    // A lone surrogate: JSON.stringify escapes it, in lowercase.
    bytes[out++] = BACKSLASH;
    return writeUnicodeEscape(bytes, out, unit);
  } else {
    bytes[out++] = 0xe0 | (unit >> 12);
    bytes[out++] = 0x80 | ((unit >> 6) & 0x3f);
    bytes[out++] = 0x80 | (unit & 0x3f);
  }
  return out;
}

/** Writes `uXXXX` (after a backslash) in lowercase hex; returns the new end. */
function writeUnicodeEscape(
  bytes: Uint8Array,
  out: number,
  unit: number,
): number {
  bytes[out] = 0x75;
  bytes[out + 1] = HEX[unit >> 12];
  bytes[out + 2] = HEX[(unit >> 8) & 0xf];
  bytes[out + 3] = HEX[(unit >> 4) & 0xf];
  bytes[out + 4] = HEX[unit & 0xf];
  return out + 5;
}
