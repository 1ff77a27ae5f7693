import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonStringRoom, writeJsonString } from "../lib/json_bytes.ts";

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
