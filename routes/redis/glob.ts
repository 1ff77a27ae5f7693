/**
 * Glob-style matching of keys against a KEYS or SCAN MATCH pattern, a port
 * of Redis 7.0's `stringmatchlen` (util.c), case-sensitive, over UTF-8
 * bytes as Redis matches bytes: `?` matches one byte (so one byte of a
 * multi-byte character), `*` any run of bytes, `[abc]`, `[^a]`, `[a-c]`
 * (ends in either order) one byte, and `\x` the byte `x`, also inside
 * brackets. The C quirks are kept: an unterminated `[` ends the class at the
 * end of the pattern, a pattern never matches an empty key (only the pattern
 * `*`, which callers treat as "everything", does), bytes over 0x7f compare
 * in ranges as the negative numbers of a signed `char` (x86-64), and the C
 * code's reads of the terminating NUL read 0 here.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A compiled pattern: its bytes, and a scratch buffer for keys. */
export class GlobPattern {
  readonly #pattern: Uint8Array;
  #scratch = new Uint8Array(256);
  #skipLonger = false;

  /** Compiles `pattern`. */
  constructor(pattern: string) {
    this.#pattern = encoder.encode(pattern);
  }

  /** Whether `key` matches the pattern. */
  matches(key: string): boolean {
    // A key takes at most 3 bytes per UTF-16 unit.
    if (this.#scratch.length < key.length * 3) {
      this.#scratch = new Uint8Array(key.length * 3);
    }
    const { written } = encoder.encodeInto(key, this.#scratch);
    this.#skipLonger = false;
    return this.#match(0, this.#pattern.length, this.#scratch, 0, written);
  }

  /** `stringmatchlen_impl` from pattern[p] (length pl) and string[s] (sl). */
  #match(
    p: number,
    pl: number,
    string: Uint8Array,
    s: number,
    sl: number,
  ): boolean {
    const pattern = this.#pattern;
    while (pl > 0 && sl > 0) {
      switch (pattern[p]) {
        case 42: { // '*'
          while (pl > 0 && byteAt(pattern, p + 1) === 42) {
            p++;
            pl--;
          }
          if (pl === 1) return true;
          while (sl > 0) {
            if (this.#match(p + 1, pl - 1, string, s, sl)) return true;
            if (this.#skipLonger) return false;
            s++;
            sl--;
          }
          // No match for the rest anywhere in the rest of the string: an
          // earlier '*' matching more cannot help either.
          this.#skipLonger = true;
          return false;
        }
        case 63: // '?'
          s++;
          sl--;
          break;
        case 91: { // '['
          p++;
          pl--;
          const not = byteAt(pattern, p) === 94; // '^'
          if (not) {
            p++;
            pl--;
          }
          let match = false;
          for (;;) {
            if (byteAt(pattern, p) === 92 && pl >= 2) { // '\\'
              p++;
              pl--;
              if (byteAt(pattern, p) === string[s]) match = true;
            } else if (byteAt(pattern, p) === 93) { // ']'
              break;
            } else if (pl === 0) {
              p--;
              pl++;
              break;
            } else if (pl >= 3 && byteAt(pattern, p + 1) === 45) { // '-'
              let start = signed(byteAt(pattern, p));
              let end = signed(byteAt(pattern, p + 2));
              const c = signed(string[s]);
              if (start > end) [start, end] = [end, start];
              p += 2;
              pl -= 2;
              if (c >= start && c <= end) match = true;
            } else if (byteAt(pattern, p) === string[s]) {
              match = true;
            }
            p++;
            pl--;
          }
          if (not) match = !match;
          if (!match) return false;
          s++;
          sl--;
          break;
        }
        case 92: // '\\'
          if (pl >= 2) {
            p++;
            pl--;
          }
          if (byteAt(pattern, p) !== string[s]) return false;
          s++;
          sl--;
          break;
        default:
          if (byteAt(pattern, p) !== string[s]) return false;
          s++;
          sl--;
          break;
      }
      p++;
      pl--;
      if (sl === 0) {
        while (byteAt(pattern, p) === 42) {
          p++;
          pl--;
        }
        break;
      }
    }
    return pl === 0 && sl === 0;
  }
}

/** The pattern's byte at `i`; 0 past its end (C reads the NUL). */
function byteAt(pattern: Uint8Array, i: number): number {
  return i < pattern.length ? pattern[i] : 0;
}

/** A byte as C's signed `char` reads it on x86-64. */
function signed(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}
