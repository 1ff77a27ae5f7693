/**
 * Writing JSON string literals straight into byte buffers, as the arena store
 * keeps them and as responses carry them.
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
