/**
 * The limits every store enforces on its own writes, whatever the caller
 * checked before: keys of 1 to `maxKeySize` code points, values of at most
 * `maxValueSize`, and a TTL that is a whole number of seconds in range. A
 * write outside them throws and changes nothing (as freecache rejects an
 * oversized entry inside the store).
 *
 * @module
 */

/** Largest TTL accepted, in seconds (about 68 years). */
export const MAX_TTL_SECONDS = 2_147_483_647;

/** Length limits of a store's entries, in Unicode code points. */
export interface EntryLimits {
  /** Longest key stored. */
  maxKeySize: number;
  /** Longest value stored. */
  maxValueSize: number;
}

/**
 * Counts the Unicode code points of `text`: a surrogate pair counts once, a
 * lone surrogate counts as one.
 */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

/** Returns the length of `text` in code points if it is over `max`, else 0. */
export function lengthOver(text: string, max: number): number {
  // A string has at least as many UTF-16 units as code points.
  if (text.length <= max) return 0;
  const length = codePointLength(text);
  return length > max ? length : 0;
}

/**
 * Checks one write against `limits`.
 *
 * @throws {RangeError} saying which part is out of range and by how much.
 */
export function checkEntry(
  key: string,
  value: string,
  ttlSeconds: number | undefined,
  limits: EntryLimits,
): void {
  if (key.length === 0) throw new RangeError("Cannot store an empty key");
  const keyLength = lengthOver(key, limits.maxKeySize);
  if (keyLength !== 0) {
    throw new RangeError(
      `Cannot store a key of ${keyLength} code points; the maximum is ${limits.maxKeySize}`,
    );
  }
  const valueLength = lengthOver(value, limits.maxValueSize);
  if (valueLength !== 0) {
    throw new RangeError(
      `Cannot store a value of ${valueLength} code points; the maximum is ${limits.maxValueSize}`,
    );
  }
  checkTtl(ttlSeconds);
}

/**
 * Checks a TTL given with a write: undefined (the default), or a whole number
 * of seconds from 0 to {@linkcode MAX_TTL_SECONDS}.
 *
 * @throws {RangeError} naming the TTL.
 */
export function checkTtl(ttlSeconds: number | undefined): void {
  if (
    ttlSeconds !== undefined &&
    !(Number.isInteger(ttlSeconds) && ttlSeconds >= 0 &&
      ttlSeconds <= MAX_TTL_SECONDS)
  ) {
    throw new RangeError(
      `Cannot store an entry with TTL ${ttlSeconds}; expected a whole number of seconds from 0 to ${MAX_TTL_SECONDS}`,
    );
  }
}

/**
 * Checks an absolute expiry given to `setEntry` or `setExpiry`.
 *
 * @throws {RangeError} unless it is 0 or a time in ms since the epoch.
 */
export function checkExpiresAt(expiresAt: number): void {
  if (!(Number.isSafeInteger(expiresAt) && expiresAt >= 0)) {
    throw new RangeError(
      `Cannot expire an entry at ${expiresAt}; expected a whole number of ms since the epoch, or 0 for never`,
    );
  }
}
