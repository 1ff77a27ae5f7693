import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_TTL_SECONDS } from "../lib/cache.ts";
import { readPutBody } from "../routes/put_body.ts";
import { parsePutRequest } from "../routes/validation.ts";
import {
  jsonString,
  spellString,
  stringStyle,
} from "./support/json_spelling.ts";
import { putRequest, spellPutRequest } from "./support/put_bodies.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMITS = { maxKeySize: 256, maxValueSize: 256, maxTtlSeconds: 86_400 };

/** What `readPutBody` found in `body`, decoded, or undefined. */
function read(body: string | Uint8Array, limits = LIMITS) {
  const bytes = typeof body === "string" ? encoder.encode(body) : body.slice();
  const found = readPutBody(bytes, limits);
  if (found === undefined) return undefined;
  const text = (start: number, end: number) =>
    decoder.decode(found.bytes.subarray(start, end));
  return {
    key: text(found.keyStart, found.keyEnd),
    value: text(found.valueStart, found.valueEnd),
    ttl: found.ttl,
  };
}

/** What today's general path makes of `body`: the request or the error. */
function reference(body: string | Uint8Array, limits = LIMITS) {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return "not JSON";
  }
  return parsePutRequest(parsed, limits);
}

/**
 * Checks `readPutBody` against the general path for `body`: whatever it
 * accepts, the general path accepts as the same key, value and ttl, with
 * the literals in JSON.stringify's spelling. Returns whether it accepted.
 */
function agrees(body: string | Uint8Array, limits = LIMITS): boolean {
  const found = read(body, limits);
  if (found === undefined) return false;
  const put = reference(body, limits);
  if (typeof put === "string") assert.fail(`accepted ${body}: ${put}`);
  assert.equal(found.key, JSON.stringify(put.key));
  assert.equal(found.value, JSON.stringify(put.value));
  assert.equal(found.ttl, put.ttl);
  return true;
}

Deno.test("a body in any client's spelling yields its canonical literals", () => {
  const expected = (key: string, value: string, ttl?: number) => ({
    key: JSON.stringify(key),
    value: JSON.stringify(value),
    ttl,
  });
  const cases: [string, ReturnType<typeof expected>][] = [
    ['{"key":"k","value":""}', expected("k", "")],
    ['{"key": "k", "value": "v"}', expected("k", "v")], // Python, curl
    ['{"value":"v","key":"k"}', expected("k", "v")],
    ['\n{\r\n\t"key" : "k" ,\n  "value":"v"\n}\n', expected("k", "v")],
    ['{"key":"k","value":"v","ttl":60}', expected("k", "v", 60)],
    ['{"ttl": 0, "key":"k","value":"v"}', expected("k", "v", 0)],
    ['{"key":"k","value":"v","ttl":86400}', expected("k", "v", 86_400)],
    ['{"key":"\\u00e9\\u00E9","value":"\\/"}', expected("éé", "/")],
    [
      '{"key":"k","value":"\\u003cb\\u003e \\u0026 \\u2028"}',
      expected("k", "<b> & \u2028"),
    ],
    [
      '{"key":"k","value":"\\ud83d\\ude00 \\uD800"}',
      expected("k", "😀 \ud800"),
    ],
    ['{"key":"k","value":"é😀"}', expected("k", "é😀")],
    ['{"key":"k","value":"\\u0009\\u000A\\u001f"}', expected("k", "\t\n\x1f")],
    // Unknown members, whatever their value; duplicates: the last wins.
    [
      '{"id":7,"key":"k","tags":["a",{"b":[null,true,false,-1.5e+3]}],"value":"v","x":{}}',
      expected("k", "v"),
    ],
    ['{"key":"a","value":"v","key":"b"}', expected("b", "v")],
    ['{"k\\u0065y":"k","\\u0076alue":"v","\\"":1}', expected("k", "v")],
    ['{"key":"a","value":1,"value":"v"}', undefined as never],
    ['{"ttl":"soon","key":"k","value":"v","ttl":5}', undefined as never],
  ];
  for (const [body, want] of cases) {
    assert.deepEqual(read(body), want, body);
    if (want !== undefined) assert.ok(agrees(body), body);
  }
});

Deno.test("bodies it does not accept are left to the general path", () => {
  for (
    const body of [
      "",
      "{}",
      "[]",
      '"key"',
      '{"key":"k"}',
      '{"value":"v"}',
      '{"key":"","value":"v"}', // an error, worded by the general path
      '{"key":"k","value":1}',
      '{"key":1,"value":"v"}',
      '{"key":"k","value":"v"',
      '{"key":"k","value":"v"} x',
      '{"key":"k","value":"v",}',
      '{"key":"k",,"value":"v"}',
      '{"key":"k" "value":"v"}',
      '{"key":"k","value":"v","ttl":1.5}',
      '{"key":"k","value":"v","ttl":1e2}', // valid (100), but not plain digits
      '{"key":"k","value":"v","ttl":-0}',
      '{"key":"k","value":"v","ttl":01}',
      '{"key":"k","value":"v","ttl":86401}',
      '{"key":"k","value":"v","ttl":null}',
      '{"key":"k","value":"v","x":tru}',
      '{"key":"k","value":"v","x":01}',
      '{"key":"k","value":"v","x":"\\x"}',
      '{"key":"k","value":"v","x":' + "[".repeat(65) + "]".repeat(65) + "}",
      "\ufeff" + '{"key":"k","value":"v"}', // a BOM: decoding drops it
      '{"key":"' + "k".repeat(257) + '","value":"v"}',
      '{"key":"k","value":"' + "\\u0041".repeat(257) + '"}',
    ]
  ) {
    assert.equal(read(body), undefined, body);
  }
  // Bytes that are not UTF-8 in the key or value: decoding replaces them.
  const bad = new Uint8Array([
    ...encoder.encode('{"key":"a'),
    0xff,
    ...encoder.encode('","value":"v"}'),
  ]);
  assert.equal(read(bad), undefined);
});

Deno.test("a refused body still reads as the same JSON", () => {
  // The first key is rewritten, then the body is refused at the second.
  const body = '{"key":"\\u0041\\/","value":"v","key":"' + "k".repeat(300) +
    '"}';
  const bytes = encoder.encode(body);
  assert.equal(readPutBody(bytes, LIMITS), undefined);
  assert.deepEqual(JSON.parse(decoder.decode(bytes)), JSON.parse(body));
});

Deno.test("every client's spelling of a valid body is read, as JSON.parse reads it", () => {
  fc.assert(
    fc.property(putRequest, (r) => {
      const body = spellPutRequest(r);
      const put = reference(body);
      if (typeof put === "string") assert.fail(`${body}: ${put}`);
      assert.ok(agrees(body), `not read: ${body}`);
    }),
    { numRuns: 5000 },
  );
});

Deno.test("for mutated bodies it accepts only what the general path accepts", () => {
  const mutation = fc.tuple(
    fc.nat(),
    fc.constantFrom(
      "",
      " ",
      '"',
      "\\",
      ",",
      ":",
      "{",
      "}",
      "[",
      "]",
      "0",
      "-",
      ".",
      "e",
      "u",
      "\\u",
      '"key":"x",',
      '"value":1,',
      '"ttl":',
    ),
    fc.integer({ min: 0, max: 3 }),
  );
  let accepted = 0;
  fc.assert(
    fc.property(putRequest, fc.array(mutation, { maxLength: 3 }), (r, cuts) => {
      let body = spellPutRequest(r);
      for (const [at, insert, removed] of cuts) {
        const i = at % (body.length + 1);
        body = body.slice(0, i) + insert + body.slice(i + removed);
      }
      if (agrees(body)) accepted++;
    }),
    { numRuns: 10_000 },
  );
  assert.ok(accepted > 500, `only ${accepted} mutated bodies were accepted`);
});

Deno.test("lengths and ttl are checked at the limits as validation checks them", () => {
  const limits = { maxKeySize: 4, maxValueSize: 3, maxTtlSeconds: 99 };
  fc.assert(
    fc.property(
      jsonString(1, 6),
      jsonString(0, 5),
      fc.integer({ min: 0, max: 120 }),
      stringStyle,
      (key, value, ttl, style) => {
        const body = `{"key":${spellString(key, style)},"value":${
          spellString(value, style)
        },"ttl":${ttl}}`;
        const put = reference(body, limits);
        assert.equal(agrees(body, limits), typeof put !== "string", body);
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(agrees('{"key":"k","value":"v","ttl":' + MAX_TTL_SECONDS + "}", {
    ...LIMITS,
    maxTtlSeconds: MAX_TTL_SECONDS,
  }));
});
