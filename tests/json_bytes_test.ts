import assert from "node:assert/strict";
import fc from "fast-check";
import {
  jsonStringRoom,
  scanJsonString,
  writeJsonString,
} from "../lib/json_bytes.ts";

const encoder = new TextEncoder();

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

const ascii = (text: string) => encoder.encode(text);

Deno.test("scanJsonString accepts what JSON.stringify writes, in ASCII", () => {
  for (
    const text of [
      "",
      "k",
      "plain-key:42",
      'quote " and \\ backslash',
      "\b\f\n\r\t",
      "\x00\x0b\x1f \x7e",
      "~".repeat(256),
    ]
  ) {
    const literal = JSON.stringify(text);
    assert.equal(scanJsonString(ascii(literal), 0, 256), literal.length, text);
    // At an offset, with bytes after it.
    assert.equal(
      scanJsonString(ascii(`xx${literal},"value"`), 2, 256),
      2 + literal.length,
    );
  }
});

Deno.test("scanJsonString refuses other spellings, bytes past ASCII and bad literals", () => {
  for (
    const literal of [
      '"\\/"', // JSON.stringify writes "/"
      '"\\u0041"', // "A"
      '"\\u000B"', // uppercase hex
      '"\\u0008"', // "\b"
      '"\\u0009"', // "\t"
      '"\\u000a"', // "\n"
      '"\\u000c"', // "\f"
      '"\\u000d"', // "\r"
      '"\\u0020"', // " "
      '"\\u007f"', // DEL is written as it is
      '"\\ud800"', // a lone surrogate: handled by the general path
      '"\\x41"',
      '"\\u00"',
      '"\x7f"', // DEL: canonical, but above 0x7e is left to the general path
      '"é"',
      '"tab\there"', // a raw control character is not valid JSON
      '"unterminated',
      '"ends in a backslash\\',
      "'single'",
      "plain",
    ]
  ) {
    assert.equal(scanJsonString(encoder.encode(literal), 0, 256), -1, literal);
  }
});

Deno.test("scanJsonString counts characters, an escape as one", () => {
  const literal = (text: string) => ascii(JSON.stringify(text));
  assert.equal(scanJsonString(literal("a".repeat(256)), 0, 256), 258);
  assert.equal(scanJsonString(literal("a".repeat(257)), 0, 256), -1);
  assert.equal(
    scanJsonString(literal("\x01".repeat(256)), 0, 256),
    6 * 256 + 2,
  );
  assert.equal(scanJsonString(literal("\x01".repeat(257)), 0, 256), -1);
  assert.equal(scanJsonString(literal('"'.repeat(3)), 0, 3), 8);
  assert.equal(scanJsonString(literal('"'.repeat(4)), 0, 3), -1);
});

Deno.test("scanJsonString agrees with JSON.stringify for any string", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.integer({ min: 0, max: 40 }),
      (text, max) => {
        const literal = encoder.encode(JSON.stringify(text));
        const expected = literal.every((byte) => byte <= 0x7e) &&
            [...text].length <= max
          ? literal.length
          : -1;
        assert.equal(scanJsonString(literal, 0, max), expected);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("scanJsonString never accepts what JSON.stringify would not write", () => {
  // Strings of JSON's special characters, so that near-miss escapes abound.
  const alphabet = fc.constantFrom(
    ...'"\\/ubfnrtU0123456789abcdefABCDEFx \x00\x1f\x7e\x7f'.split(""),
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
      const text = '"' + chars.join("");
      const bytes = encoder.encode(text);
      const end = scanJsonString(bytes, 0, 1000);
      if (end < 0) return;
      const literal = text.slice(0, end);
      assert.equal(JSON.stringify(JSON.parse(literal)), literal);
    }),
    { numRuns: 20_000 },
  );
});
