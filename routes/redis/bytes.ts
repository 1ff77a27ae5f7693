/**
 * Redis strings are byte strings; kv-cache stores JavaScript strings. A
 * stored string stands for its UTF-8 bytes (a lone surrogate for the three
 * bytes of U+FFFD, as `TextEncoder` writes it), so STRLEN, APPEND's result
 * and the offsets of GETRANGE and SETRANGE count UTF-8 bytes, as Redis does
 * for the same text. The helpers here count, cut and patch those bytes
 * without encoding when the text is ASCII.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // replaces invalid bytes with U+FFFD
const NON_ASCII = /[\u0080-\uffff]/;

/** Whether every character of `text` is ASCII (one byte each in UTF-8). */
export function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}

/** The length of `text` in UTF-8 bytes (a lone surrogate counts 3). */
export function utf8Length(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a pair: 4 bytes for 2 units
        bytes += 2;
      } else {
        bytes += 2; // a lone high surrogate: U+FFFD
      }
    } else {
      bytes += 2; // the rest of the BMP, and lone surrogates
    }
  }
  return bytes;
}

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 `bytes`, invalid sequences as U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * GETRANGE's cut of `text`: the bytes from `start` to `end` inclusive, both
 * already within the text (as Redis computes them). An ASCII text is cut as
 * a string; otherwise the exact bytes are returned, which may split a
 * character (the reply encoder writes them as base64, or decodes them).
 */
export function byteRange(
  text: string,
  start: number,
  end: number,
): string | Uint8Array {
  if (isAscii(text)) return text.slice(start, end + 1);
  return utf8Bytes(text).subarray(start, end + 1);
}

/**
 * SETRANGE's result: `text`'s bytes, zero-padded to `offset` if shorter,
 * overwritten from `offset` with `patch`'s bytes, as a string. Bytes that are
 * not valid UTF-8 (where the patch cut a character) become U+FFFD.
 */
export function patchBytes(
  text: string,
  offset: number,
  patch: string,
): string {
  if (isAscii(text) && isAscii(patch)) {
    const padded = text.length < offset
      ? text + "\0".repeat(offset - text.length)
      : text.slice(0, offset);
    return padded + patch + text.slice(offset + patch.length);
  }
  const old = utf8Bytes(text);
  const added = utf8Bytes(patch);
  const bytes = new Uint8Array(
    Math.max(old.length, offset + added.length),
  );
  bytes.set(old.subarray(0, Math.min(old.length, bytes.length)));
  bytes.set(added, offset);
  return decodeUtf8(bytes);
}
