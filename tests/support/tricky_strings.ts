/**
 * Test support: strings of every kind a store must keep exactly (escapes,
 * controls, multi-byte UTF-8, emoji, lone surrogates, the longest).
 *
 * @module
 */

/** Keys or values that must round-trip byte for byte. */
export const TRICKY_STRINGS: readonly string[] = [
  "",
  "plain",
  'quotes " and \\ backslashes',
  "controls \t\n\r\x0b\x0c\x00\x1f",
  "Latin-1 é ñ ü ÿ",
  "two-byte € 日本語",
  "emoji 😀👍🏽👨‍👩‍👧",
  "lone surrogates \ud800 and \udfff",
  "x".repeat(256),
  "😀".repeat(256),
];
