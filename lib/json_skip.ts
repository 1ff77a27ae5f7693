/**
 * Stepping over JSON text as UTF-8 bytes without building anything: the
 * whitespace between tokens, and whole values (strings, numbers, literals,
 * nested objects and arrays), each checked against JSON's grammar so that a
 * reader that skips a value accepts exactly what `JSON.parse` would.
 *
 * @module
 */

/** Deepest nesting skipped; deeper values are refused (the caller falls back). */
export const MAX_SKIP_DEPTH = 64;

/** The index of the first byte at or after `at` that is not JSON whitespace. */
export function skipWhitespace(bytes: Uint8Array, at: number): number {
  for (;;) {
    const byte = bytes[at];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
      return at;
    }
    at++;
  }
}

/** Whether `byte` is an ASCII digit. */
function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** Whether `byte` is a hexadecimal digit in either case. */
function isHex(byte: number): boolean {
  const lower = byte | 0x20;
  return isDigit(byte) || (lower >= 0x61 && lower <= 0x66);
}

/**
 * Steps over the string literal whose opening quote is at `at`; returns the
 * index past its closing quote, or -1 if it is not a valid literal (a raw
 * control character, an unknown escape, short hex). Bytes above ASCII are
 * passed over as they are: decoding the body replaces a malformed sequence
 * by U+FFFD and never swallows an ASCII byte, so they cannot end a string.
 */
export function skipJsonString(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== 0x22) return -1;
  const end = bytes.length;
  for (let i = at + 1; i < end; i++) {
    const byte = bytes[i];
    if (byte === 0x22) return i + 1;
    if (byte < 0x20) return -1;
    if (byte !== 0x5c) continue;
    const escape = bytes[++i];
    if (escape === 0x75) {
      if (
        !isHex(bytes[i + 1]) || !isHex(bytes[i + 2]) ||
        !isHex(bytes[i + 3]) || !isHex(bytes[i + 4])
      ) return -1;
      i += 4;
    } else if (
      escape !== 0x22 && escape !== 0x5c && escape !== 0x2f &&
      escape !== 0x62 && escape !== 0x66 && escape !== 0x6e &&
      escape !== 0x72 && escape !== 0x74
    ) return -1;
  }
  return -1;
}

/** Steps over a number at `at` (JSON's grammar); returns its end, or -1. */
export function skipJsonNumber(bytes: Uint8Array, at: number): number {
  let i = at;
  if (bytes[i] === 0x2d) i++;
  if (bytes[i] === 0x30) {
    i++;
  } else if (bytes[i] >= 0x31 && bytes[i] <= 0x39) {
    while (isDigit(bytes[++i]));
  } else {
    return -1;
  }
  if (bytes[i] === 0x2e) {
    if (!isDigit(bytes[++i])) return -1;
    while (isDigit(bytes[++i]));
  }
  if ((bytes[i] | 0x20) === 0x65) {
    i++;
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
    if (!isDigit(bytes[i])) return -1;
    while (isDigit(bytes[++i]));
  }
  return i;
}

/** Whether `bytes` holds the ASCII `word` at `at`. */
function hasWord(bytes: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (bytes[at + i] !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Steps over the JSON value that starts at `at` (no whitespace before it);
 * returns the index past it, or -1 when it is not valid JSON or nests deeper
 * than {@linkcode MAX_SKIP_DEPTH}.
 */
export function skipJsonValue(
  bytes: Uint8Array,
  at: number,
  depth = 0,
): number {
  const byte = bytes[at];
  if (byte === 0x22) return skipJsonString(bytes, at);
  if (byte === 0x7b || byte === 0x5b) {
    if (depth >= MAX_SKIP_DEPTH) return -1;
    const object = byte === 0x7b;
    const close = object ? 0x7d : 0x5d;
    let i = skipWhitespace(bytes, at + 1);
    if (bytes[i] === close) return i + 1;
    for (;;) {
      if (object) {
        i = skipJsonString(bytes, i);
        if (i < 0) return -1;
        i = skipWhitespace(bytes, i);
        if (bytes[i] !== 0x3a) return -1;
        i = skipWhitespace(bytes, i + 1);
      }
      i = skipJsonValue(bytes, i, depth + 1);
      if (i < 0) return -1;
      i = skipWhitespace(bytes, i);
      if (bytes[i] === close) return i + 1;
      if (bytes[i] !== 0x2c) return -1;
      i = skipWhitespace(bytes, i + 1);
    }
  }
  if (byte === 0x74) return hasWord(bytes, at, "true") ? at + 4 : -1;
  if (byte === 0x66) return hasWord(bytes, at, "false") ? at + 5 : -1;
  if (byte === 0x6e) return hasWord(bytes, at, "null") ? at + 4 : -1;
  return skipJsonNumber(bytes, at);
}
