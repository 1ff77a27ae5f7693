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

/**
 * 1 for the bytes a literal holds as they are, one character each: printable
 * ASCII and DEL, but the quote and the backslash.
 */
const PLAIN = new Uint8Array(256);
PLAIN.fill(1, 0x20, 0x80);
PLAIN[QUOTE] = 0;
PLAIN[BACKSLASH] = 0;

/** The value of each hexadecimal digit's byte (either case), else -1. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX_VALUE[HEX[d]] = d;
  HEX_VALUE[HEX[d] & ~0x20] = d; // uppercase (digits are unchanged)
}
for (let d = 0; d < 10; d++) HEX_VALUE[0x30 + d] = d;

/** The code unit of the four hex digits at `at`, or -1. */
function hex4(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) return -1;
  const a = HEX_VALUE[bytes[at]];
  const b = HEX_VALUE[bytes[at + 1]];
  const c = HEX_VALUE[bytes[at + 2]];
  const d = HEX_VALUE[bytes[at + 3]];
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * Length of the UTF-8 sequence each lead byte starts (2 to 4), 0 for bytes
 * that start none (ASCII, continuation bytes, C0, C1, F5 to FF).
 */
const UTF8_LENGTH = new Uint8Array(256);
UTF8_LENGTH.fill(2, 0xc2, 0xe0);
UTF8_LENGTH.fill(3, 0xe0, 0xf0);
UTF8_LENGTH.fill(4, 0xf0, 0xf5);

/**
 * Length of the well-formed UTF-8 sequence of a character above ASCII at
 * `at`, or 0 if it is not one (overlong, a surrogate, past U+10FFFF,
 * truncated): the bytes `TextDecoder` would not decode as they are.
 */
function utf8Length(bytes: Uint8Array, at: number): number {
  const lead = bytes[at];
  const length = UTF8_LENGTH[lead];
  const second = bytes[at + 1];
  if ((second & 0xc0) !== 0x80) return 0;
  if (length === 2) return 2;
  if (length === 3) {
    if ((bytes[at + 2] & 0xc0) !== 0x80) return 0;
    if (lead === 0xe0 && second < 0xa0) return 0; // overlong
    if (lead === 0xed && second > 0x9f) return 0; // a surrogate
    return 3;
  }
  if (length !== 4) return 0;
  if ((bytes[at + 2] & 0xc0) !== 0x80 || (bytes[at + 3] & 0xc0) !== 0x80) {
    return 0;
  }
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
 * Returns the end (exclusive) of the rewritten literal and sets
 * `after.index` past the closing quote as it was (the bytes between are
 * spaces); or returns -1, having changed nothing, when the literal is malformed, unterminated, holds a byte
 * sequence that is not UTF-8 (the general path decides what that means), or
 * stands for more than `maxLength` code points, counted as `codePointLength`
 * counts the string (a surrogate pair once, a lone surrogate once).
 */
export function readJsonString(
  bytes: Uint8Array,
  start: number,
  maxLength: number,
  after: { index: number } = { index: 0 },
): number {
  if (bytes[start] !== QUOTE) return -1;
  let characters = 0;
  let i = start + 1;
  // As long as the literal is in JSON.stringify's spelling, nothing is
  // written. Past the end, bytes[i] is undefined: no table entry, no match.
  for (;;) {
    const run = i;
    while (PLAIN[bytes[i]] === 1) i++;
    characters += i - run;
    if (characters > maxLength) return -1;
    const byte = bytes[i];
    if (byte === QUOTE) return after.index = i + 1;
    characters++;
    if (byte === BACKSLASH) {
      const escape = bytes[i + 1];
      if (KEPT_ESCAPE[escape] === 1) {
        i += 2;
      } else if (escape === 0x75 && isCanonicalControl(bytes, i + 2)) {
        i += 6;
      } else {
        return rewriteJsonString(bytes, i, characters - 1, maxLength, after);
      }
    } else if (byte >= 0x80) {
      const length = utf8Length(bytes, i);
      if (length === 0) return -1;
      i += length;
    } else {
      return -1; // a raw control character, or the end of the bytes
    }
  }
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
  const lowValue = HEX_VALUE[low];
  if (!(lowValue >= 0) || (low >= 0x41 && low <= 0x46)) return false;
  if (high === 0x31) return true;
  return high === 0x30 && SHORT_ESCAPE[lowValue] === 0;
}

/** Where a literal being rewritten is spelled before it is copied back. */
let scratch = new Uint8Array(4096);

/**
 * The rest of {@linkcode readJsonString} once a byte must change: reads on
 * from `from` (`characters` read so far), writing JSON.stringify's spelling
 * to a scratch buffer; at the closing quote, copies it back over the bytes
 * read and fills the bytes freed with spaces. Returns the new end (and
 * sets `after.index`), or -1 with `bytes` unchanged.
 */
function rewriteJsonString(
  bytes: Uint8Array,
  from: number,
  characters: number,
  maxLength: number,
  after: { index: number },
): number {
  if (scratch.length < bytes.length - from) {
    scratch = new Uint8Array(2 * (bytes.length - from));
  }
  const out = scratch;
  let i = from;
  let o = 0;
  for (;;) {
    const run = i;
    while (PLAIN[bytes[i]] === 1) out[o++] = bytes[i++];
    characters += i - run;
    if (characters > maxLength) return -1;
    const byte = bytes[i];
    if (byte === QUOTE) {
      out[o++] = QUOTE;
      bytes.set(out.subarray(0, o), from);
      bytes.fill(SPACE, from + o, i + 1);
      after.index = i + 1;
      return from + o;
    }
    characters++;
    if (byte === BACKSLASH) {
      const escape = bytes[i + 1];
      if (escape === 0x75) {
        let unit = hex4(bytes, i + 2);
        if (unit < 0) return -1;
        i += 6;
        if (unit >= 0xd800 && unit <= 0xdbff && bytes[i] === BACKSLASH) {
          // A high surrogate and an escaped low one: one character.
          const low = bytes[i + 1] === 0x75 ? hex4(bytes, i + 2) : -1;
          if (low >= 0xdc00 && low <= 0xdfff) {
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            out[o++] = 0xf0 | (unit >> 18);
            out[o++] = 0x80 | ((unit >> 12) & 0x3f);
            out[o++] = 0x80 | ((unit >> 6) & 0x3f);
            out[o++] = 0x80 | (unit & 0x3f);
            i += 6;
            continue;
          }
        }
        if (unit >= 0x80 && unit < 0x800) {
          out[o++] = 0xc0 | (unit >> 6);
          out[o++] = 0x80 | (unit & 0x3f);
        } else if (unit >= 0x800 && (unit < 0xd800 || unit > 0xdfff)) {
          out[o++] = 0xe0 | (unit >> 12);
          out[o++] = 0x80 | ((unit >> 6) & 0x3f);
          out[o++] = 0x80 | (unit & 0x3f);
        } else {
          o = writeCanonicalUnit(out, o, unit);
        }
      } else if (KEPT_ESCAPE[escape] === 1) {
        out[o++] = BACKSLASH;
        out[o++] = escape;
        i += 2;
      } else if (escape === 0x2f) {
        out[o++] = 0x2f;
        i += 2;
      } else {
        return -1;
      }
    } else if (byte >= 0x80) {
      const length = utf8Length(bytes, i);
      if (length === 0) return -1;
      for (const end = i + length; i < end;) out[o++] = bytes[i++];
    } else {
      return -1;
    }
  }
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

/** Byte each short escape letter (`\b`, `\t`, `\n`, `\f`, `\r`) stands for. */
const UNESCAPED = new Uint8Array(0x80);
UNESCAPED[0x22] = 0x22; // \"
UNESCAPED[0x5c] = 0x5c; // \\
UNESCAPED[0x2f] = 0x2f; // \/
UNESCAPED[0x62] = 0x08; // \b
UNESCAPED[0x74] = 0x09; // \t
UNESCAPED[0x6e] = 0x0a; // \n
UNESCAPED[0x66] = 0x0c; // \f
UNESCAPED[0x72] = 0x0d; // \r

/**
 * Writes the UTF-8 bytes of the string whose JSON literal (quotes included,
 * valid JSON as the store keeps it) is `length` bytes of `bytes` from `start`
 * to the start of `out`, and returns how many it wrote: what `TextEncoder`
 * would write for the decoded string, a lone surrogate as U+FFFD, without
 * building the string. `out` needs `length` bytes of room (unescaping never
 * lengthens: 2 bytes give 1, 6 give at most 3, 12 give 4). A plain byte
 * loop: no typed array is made, which in Deno costs 1-3 us each.
 */
export function unescapeJsonLiteral(
  bytes: Uint8Array,
  start: number,
  length: number,
  out: Uint8Array,
): number {
  const end = start + length - 1; // the closing quote
  let i = start + 1;
  let o = 0;
  while (i < end) {
    const c = bytes[i];
    if (c !== BACKSLASH) {
      out[o++] = c;
      i++;
      continue;
    }
    const letter = bytes[i + 1];
    if (letter !== 0x75) {
      out[o++] = UNESCAPED[letter];
      i += 2;
      continue;
    }
    let unit = hex4(bytes, i + 2);
    i += 6;
    if (
      unit >= 0xd800 && unit <= 0xdbff && bytes[i] === BACKSLASH &&
      bytes[i + 1] === 0x75
    ) {
      const low = hex4(bytes, i + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      }
    }
    o = writeUtf8(out, o, unit);
  }
  return o;
}

/**
 * Writes the UTF-8 of code point `point` (a lone surrogate as U+FFFD) at
 * `o` of `out`; returns the new end.
 */
function writeUtf8(out: Uint8Array, o: number, point: number): number {
  if (point >= 0xd800 && point <= 0xdfff) point = 0xfffd;
  if (point < 0x80) {
    out[o++] = point;
  } else if (point < 0x800) {
    out[o++] = 0xc0 | (point >> 6);
    out[o++] = 0x80 | (point & 0x3f);
  } else if (point < 0x10000) {
    out[o++] = 0xe0 | (point >> 12);
    out[o++] = 0x80 | ((point >> 6) & 0x3f);
    out[o++] = 0x80 | (point & 0x3f);
  } else {
    out[o++] = 0xf0 | (point >> 18);
    out[o++] = 0x80 | ((point >> 12) & 0x3f);
    out[o++] = 0x80 | ((point >> 6) & 0x3f);
    out[o++] = 0x80 | (point & 0x3f);
  }
  return o;
}
