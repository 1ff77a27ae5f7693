import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalPutLiterals } from "../routes/put_body.ts";
import { parsePutRequest } from "../routes/validation.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMITS = { maxKeySize: 256, maxValueSize: 256, maxTtlSeconds: 86_400 };

/** The literals found in `body`, decoded, or undefined. */
function literalsOf(body: string) {
  const found = canonicalPutLiterals(encoder.encode(body), LIMITS);
  if (found === undefined) return undefined;
  const text = (start: number, end: number) =>
    decoder.decode(found.bytes.subarray(start, end));
  return {
    key: text(found.keyStart, found.keyEnd),
    value: text(found.valueStart, found.valueEnd),
  };
}

Deno.test("a body written by JSON.stringify yields its two literals", () => {
  for (
    const [key, value] of [
      ["k", ""],
      ["user:42", "hello"],
      ['a"b\\c', "tab\there\nnew line \x0b \x0c \x00"],
      ["k".repeat(256), "v".repeat(256)],
    ]
  ) {
    assert.deepEqual(literalsOf(JSON.stringify({ key, value })), {
      key: JSON.stringify(key),
      value: JSON.stringify(value),
    });
  }
});

Deno.test("every other body is left to the general path", () => {
  for (
    const body of [
      '{"value":"v","key":"k"}', // another order
      '{ "key":"k","value":"v"}', // spaces
      '{"key":"k","value":"v"}\n',
      '{"key":"k","value":"v","ttl":5}',
      '{"key":"k","value":"v","key":"k2"}',
      '{"key":"","value":"v"}', // an error, worded by the general path
      '{"key":"k","value":1}',
      '{"key":"k"}',
      '{"key":"é","value":"v"}', // past ASCII
      '{"key":"k","value":"\\u0041"}', // not how JSON.stringify writes "A"
      JSON.stringify({ key: "k".repeat(257), value: "v" }),
      JSON.stringify({ key: "k", value: "v".repeat(257) }),
      '{"key":"k","value":"v"',
      "",
    ]
  ) {
    assert.equal(literalsOf(body), undefined, body);
  }
});

Deno.test("whatever it accepts, JSON.parse reads as a valid {key, value}", () => {
  // Literals made of JSON's special characters, so that near-miss escapes
  // abound; now and then a piece of structure lands inside one.
  const piece = fc.constantFrom(
    "a",
    "A",
    "0",
    "1f",
    "\\",
    "\\u00",
    "\\n",
    "\\/",
    '"',
    " ",
    "é",
    "\x01",
    '","value":"',
  );
  const literal = fc.array(piece, { maxLength: 8 }).map((p) =>
    '"' + p.join("") + '"'
  );
  let accepted = 0;
  fc.assert(
    fc.property(literal, literal, (key, value) => {
      const body = '{"key":' + key + ',"value":' + value + "}";
      const found = literalsOf(body);
      if (found === undefined) return;
      accepted++;
      const parsed = JSON.parse(body);
      const put = parsePutRequest(parsed, LIMITS);
      if (typeof put === "string") assert.fail(`${body}: ${put}`);
      assert.deepEqual(Object.keys(parsed), ["key", "value"]);
      assert.equal(found.key, JSON.stringify(put.key));
      assert.equal(found.value, JSON.stringify(put.value));
      assert.equal(put.ttl, undefined);
    }),
    { numRuns: 20_000 },
  );
  assert.ok(accepted > 200, `only ${accepted} bodies were accepted`);
  // And for bodies that are JSON.stringify({key, value}) of any strings, it
  // accepts exactly the ASCII ones within the limits.
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 12 }),
      (key, value) => {
        const body = JSON.stringify({ key, value });
        const expected =
          key !== "" && encoder.encode(body).every((b) => b <= 0x7e)
            ? { key: JSON.stringify(key), value: JSON.stringify(value) }
            : undefined;
        assert.deepEqual(literalsOf(body), expected);
      },
    ),
    { numRuns: 3000 },
  );
});
