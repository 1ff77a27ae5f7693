/**
 * JSON string literals as UTF-8 bytes: writing them straight into byte
 * buffers, as the arena store keeps them and as responses carry them, and
 * recognising the ones already written that way, so that a request body's
 * literals can be stored as they are.
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
 * units: its literal has at most 6 units per unit (`\u001f`) plus quotes,
 * each at most 3 bytes of UTF-8.
 */
export function jsonStringRoom(length: number): number {
  return 3 * (6 * length + 2);
}

/** Whether `byte` is a lowercase hexadecimal digit's ASCII code. */
function isLowerHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66);
}

/**
 * Recognises a JSON string literal exactly as `JSON.stringify` writes it, in
 * ASCII: `bytes[start]` must be its opening quote. Returns the index just past
 * the closing quote, or -1 when the literal is not one `JSON.stringify` would
 * write (another escape of the same character, `\/`, uppercase hex), holds a
 * byte above 0x7e (not handled here; callers fall back to `JSON.parse`), is
 * malformed or unterminated, or stands for more than `maxLength` characters.
 *
 * So the bytes from `start` to the result are those of `JSON.stringify(s)`
 * for the string `s` that `JSON.parse` reads from them, and `s` has at most
 * `maxLength` code points (every character of an ASCII literal is one).
 */
export function scanJsonString(
  bytes: Uint8Array,
  start: number,
  maxLength: number,
): number {
  if (bytes[start] !== 0x22) return -1;
  let characters = 0;
  for (let i = start + 1; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0x22) return characters <= maxLength ? i + 1 : -1;
    if (++characters > maxLength) return -1;
    if (byte === 0x5c) {
      const escape = bytes[++i];
      // \" \\ \b \f \n \r \t: JSON.stringify's short escapes.
      if (
        escape === 0x22 || escape === 0x5c || escape === 0x62 ||
        escape === 0x66 || escape === 0x6e || escape === 0x72 ||
        escape === 0x74
      ) continue;
      // \u00XX, lowercase, only for control characters without a short
      // escape (\u0008 would be \b, and so on).
      if (
        escape !== 0x75 || bytes[i + 1] !== 0x30 || bytes[i + 2] !== 0x30 ||
        (bytes[i + 3] !== 0x30 && bytes[i + 3] !== 0x31) ||
        !isLowerHex(bytes[i + 4])
      ) return -1;
      const low = bytes[i + 4];
      if (
        bytes[i + 3] === 0x30 &&
        (low === 0x38 || low === 0x39 || low === 0x61 || low === 0x63 ||
          low === 0x64)
      ) return -1;
      i += 4;
      continue;
    }
    if (byte < 0x20 || byte > 0x7e) return -1;
  }
  return -1;
}
