import assert from "node:assert/strict";
import fc from "fast-check";
import {
  jsonStringRoom,
  readJsonString,
  unescapeJsonLiteral,
  writeJsonString,
} from "../lib/json_bytes.ts";
import { codePointLength } from "../lib/entry_limits.ts";
import {
  jsonString,
  spellString,
  stringStyle,
} from "./support/json_spelling.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function written(text: string, offset = 0): Uint8Array {
  const out = new Uint8Array(offset + jsonStringRoom(text.length));
  const length = writeJsonString(text, out, offset);
  return out.subarray(offset, offset + length);
}

Deno.test("writeJsonString writes exactly the bytes of JSON.stringify", () => {
  for (
    const text of [
      "",
      "plain-key:42",
      'quote " and \\ backslash',
      "\x00\x1f\x7f\t\n",
      "é€😀",
      "\ud800 lone",
      "\x1f".repeat(50),
    ]
  ) {
    assert.deepEqual(written(text), encoder.encode(JSON.stringify(text)), text);
    assert.deepEqual(written(text, 7), encoder.encode(JSON.stringify(text)));
  }
});

Deno.test("writeJsonString agrees with JSON.stringify for any string", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      assert.deepEqual(written(text), encoder.encode(JSON.stringify(text)));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("jsonStringRoom is the longest literal of a string of that length", () => {
  for (const unit of ["\x1f", "\ud800", "\uffff", "😀", "a"]) {
    const text = unit.repeat(40);
    const bytes = encoder.encode(JSON.stringify(text)).length;
    assert.ok(bytes <= jsonStringRoom(text.length), unit);
  }
  assert.equal(jsonStringRoom(40), 6 * 40 + 2);
  assert.equal(
    encoder.encode(JSON.stringify("\x1f".repeat(40))).length,
    jsonStringRoom(40),
  );
});

/**
 * Reads the literal `text` at offset 2 of `xx<text>,"next"`; returns the
 * literal it leaves in place, or -1, and checks that the rest still reads as
 * the same JSON.
 */
function read(text: string, maxLength = 256): string | -1 {
  const bytes = encoder.encode(`xx${text},"next"`);
  const before = JSON.parse("[" + decoder.decode(bytes.subarray(2)) + "]");
  const original = bytes.slice();
  const next = { index: -1 };
  const end = readJsonString(bytes, 2, maxLength, next);
  if (end < 0) assert.deepEqual(bytes, original, "a refused literal changed");
  else {
    assert.equal(next.index, 2 + encoder.encode(text).length, "after.index");
    assert.ok(bytes.subarray(end, next.index).every((b) => b === 0x20));
  }
  const after = JSON.parse("[" + decoder.decode(bytes.subarray(2)) + "]");
  assert.deepEqual(after, before, "the rewritten bytes read differently");
  return end < 0 ? -1 : decoder.decode(bytes.subarray(2, end));
}

Deno.test("readJsonString leaves JSON.stringify's spelling as it is", () => {
  for (
    const text of [
      "",
      "plain-key:42",
      'quote " and \\ backslash',
      "\b\f\n\r\t \x00\x0b\x1f \x7e \x7f",
      "é€😀 \u2028",
      "\ud800 lone \udfff",
    ]
  ) {
    assert.equal(read(JSON.stringify(text)), JSON.stringify(text), text);
  }
});

Deno.test("readJsonString rewrites every other spelling to JSON.stringify's", () => {
  const cases: [string, string][] = [
    ['"\\/"', '"/"'],
    ['"\\u0041"', '"A"'],
    ['"\\u000B"', '"\\u000b"'],
    ['"\\u0008\\u0009\\u000a\\u000C\\u000d"', '"\\b\\t\\n\\f\\r"'],
    ['"\\u0022\\u005C"', '"\\"\\\\"'],
    ['"\\u00e9\\u00E9"', '"éé"'],
    ['"\\u20AC"', '"€"'],
    ['"\\uD83D\\uDE00"', '"😀"'],
    ['"\\ud83d\\ude00x"', '"😀x"'],
    ['"\\uD800"', '"\\ud800"'],
    ['"\\uDE00\\uD83D"', '"\\ude00\\ud83d"'],
    ['"\\uD83D\\u0041"', '"\\ud83dA"'],
    ['"\\uD83Dé"', '"\\ud83dé"'],
    ['"\\u2028\\u003c\\u003E\\u0026"', '"\u2028<>&"'],
    ['"a\\/b\\nc"', '"a/b\\nc"'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(read(input), expected, input);
  }
});

Deno.test("readJsonString refuses bad literals and bytes that are not UTF-8", () => {
  for (
    const literal of [
      '"\\x41"',
      '"\\u00"',
      '"\\u00g0"',
      '"tab\there"',
      '"unterminated',
      '"ends in a backslash\\',
      "'single'",
      "plain",
    ]
  ) {
    assert.equal(readJsonString(encoder.encode(literal), 0, 256), -1, literal);
  }
  for (
    const bytes of [
      [0xff],
      [0xc0, 0x80], // overlong
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // a surrogate
      [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
      [0xe2, 0x82], // truncated
      [0x80],
    ]
  ) {
    const literal = new Uint8Array([0x22, 0x61, ...bytes, 0x22]);
    assert.equal(readJsonString(literal, 0, 256), -1, String(bytes));
  }
});

Deno.test("readJsonString counts code points as validation does", () => {
  const at = (literal: string, max: number) =>
    readJsonString(encoder.encode(literal), 0, max);
  assert.equal(at(JSON.stringify("a".repeat(256)), 256), 258);
  assert.equal(at(JSON.stringify("a".repeat(257)), 256), -1);
  assert.equal(at(JSON.stringify("\x01".repeat(256)), 256), 6 * 256 + 2);
  assert.equal(at(JSON.stringify("\x01".repeat(257)), 256), -1);
  assert.equal(at(JSON.stringify("😀".repeat(256)), 256), 4 * 256 + 2);
  assert.equal(at(JSON.stringify("😀".repeat(257)), 256), -1);
  assert.equal(at('"' + "\\uD83D\\uDE00".repeat(3) + '"', 3), 14);
  assert.equal(at('"' + "\\uD83D\\uDE00".repeat(4) + '"', 3), -1);
  assert.equal(at('"' + "\\uDE00".repeat(3) + '"', 3), 20);
  assert.equal(at('"' + "\\uDE00".repeat(4) + '"', 3), -1);
});

Deno.test("readJsonString reads any spelling of any string as JSON.parse does", () => {
  fc.assert(
    fc.property(
      jsonString(0, 30),
      stringStyle,
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.integer({ min: 0, max: 32 }),
      (text, style, choices, max) => {
        const literal = spellString(text, style, choices);
        assert.equal(JSON.parse(literal), text, literal);
        const result = read(literal, max);
        if (codePointLength(text) > max) assert.equal(result, -1);
        else assert.equal(result, JSON.stringify(text), literal);
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("readJsonString never accepts what JSON.parse refuses", () => {
  // Strings of JSON's special characters, so that near-miss escapes abound.
  const alphabet = fc.constantFrom(
    ...Array.from('"\\/ubfnrtU0123456789abcdefABCDEFDx \x00\x1f\x7e\x7fé😀'),
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
      const text = '"' + chars.join("");
      const bytes = encoder.encode(text);
      const end = readJsonString(bytes, 0, 1000);
      if (end < 0) return;
      // The prefix that was read is a literal; rewritten, it is the one
      // JSON.stringify writes for the same string.
      const original = JSON.parse(decoder.decode(bytes.subarray(0, end)));
      const literal = decoder.decode(bytes.subarray(0, end));
      assert.equal(JSON.stringify(original), literal);
      let quote = 1;
      while (quote < text.length) {
        if (text[quote] === "\\") quote += 2;
        else if (text[quote] === '"') break;
        else quote++;
      }
      assert.deepEqual(JSON.parse(text.slice(0, quote + 1)), original);
    }),
    { numRuns: 20_000 },
  );
});

Deno.test("unescapeJsonLiteral writes TextEncoder's bytes of the literal's string, in any spelling", () => {
  const check = (text: string, literal: string, offset: number) => {
    const bytes = encoder.encode(literal);
    const padded = new Uint8Array(offset + bytes.length + 3).fill(0x5c);
    padded.set(bytes, offset);
    const out = new Uint8Array(bytes.length + 4).fill(0xee);
    const written = unescapeJsonLiteral(padded, offset, bytes.length, out);
    assert.deepEqual(out.subarray(0, written), encoder.encode(text), literal);
    // Within the room promised: the literal's length.
    assert.ok(written <= bytes.length);
  };
  // Literal interiors in spellings JSON.stringify does not write.
  for (
    const inner of [
      "",
      "plain",
      'a\\"b\\\\c\\/',
      "\\ud83d\\uDE00",
      "\\udc00x\\ud800",
    ]
  ) {
    check(JSON.parse(`"${inner}"`), `"${inner}"`, 0);
  }
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 40 }),
      stringStyle,
      fc.nat(5),
      (text, style, offset) => {
        check(text, JSON.stringify(text), offset);
        check(text, spellString(text, style), offset);
      },
    ),
    { numRuns: 2000 },
  );
});
