import assert from "node:assert/strict";
import {
  ENTRY_OVERHEAD_BYTES,
  estimateEntryBytes,
  estimateStringBytes,
  STRING_HEADER_BYTES,
} from "../lib/size.ts";

Deno.test("Latin-1 strings take one byte per character, rounded up to 8", () => {
  assert.equal(estimateStringBytes(""), STRING_HEADER_BYTES);
  assert.equal(estimateStringBytes("a"), STRING_HEADER_BYTES + 8);
  assert.equal(estimateStringBytes("12345678"), STRING_HEADER_BYTES + 8);
  assert.equal(estimateStringBytes("123456789"), STRING_HEADER_BYTES + 16);
  assert.equal(estimateStringBytes("é".repeat(256)), STRING_HEADER_BYTES + 256);
});

Deno.test("any character above U+00FF makes the string two bytes per unit", () => {
  assert.equal(
    estimateStringBytes("a".repeat(255) + "€"),
    STRING_HEADER_BYTES + 512,
  );
  // An emoji is two UTF-16 units.
  assert.equal(estimateStringBytes("😀"), STRING_HEADER_BYTES + 8);
  assert.equal(estimateStringBytes("\ud800"), STRING_HEADER_BYTES + 8);
});

Deno.test("an entry is its overhead plus its two strings", () => {
  assert.equal(
    estimateEntryBytes("key", "value"),
    ENTRY_OVERHEAD_BYTES + estimateStringBytes("key") +
      estimateStringBytes("value"),
  );
});
