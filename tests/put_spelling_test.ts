// PUT bodies in every client's spelling, through the real app with both
// stores, against today's general path (JSON.parse + parsePutRequest +
// cache.set): the same status and answer, the same stored strings and the
// same GET bytes, and the ttl honoured.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ArenaCache } from "../lib/arena_cache.ts";
import { type Cache, MAX_TTL_SECONDS } from "../lib/cache.ts";
import { MapCache } from "../lib/map_cache.ts";
import { ManualClock } from "../lib/clock.ts";
import { createApp } from "../routes/app.ts";
import { errorResponse, hitBody, PUT_OK_BODY } from "../routes/responses.ts";
import { parsePutRequest } from "../routes/validation.ts";
import { putRequest, spellPutRequest } from "./support/put_bodies.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMITS = {
  maxKeySize: 256,
  maxValueSize: 256,
  maxTtlSeconds: MAX_TTL_SECONDS,
};

type Store = "arena" | "map";

function store(kind: Store, clock: ManualClock): Cache {
  return kind === "arena"
    ? new ArenaCache({
      maxBytes: 20_000_000,
      defaultTtlSeconds: 300,
      clock,
      ...LIMITS,
    })
    : new MapCache({ maxBytes: 20_000_000, defaultTtlSeconds: 300, clock });
}

/** The app under test, and a reference cache fed by the general path. */
function setup(kind: Store) {
  const clock = new ManualClock();
  const cache = store(kind, clock);
  const app = createApp({
    cache,
    ...LIMITS,
    maxBodyBytes: 16_384,
    notFoundStatus: 404,
  });
  return { app, cache, clock, reference: store(kind, clock) };
}

/** Today's answer to a PUT of `bytes`, and the request it stores if any. */
async function expectedPut(bytes: Uint8Array) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    const response = errorResponse(
      400,
      'Request body is not valid JSON; expected {"key":"k","value":"v"}.',
    );
    return { status: 400, text: await response.text(), put: undefined };
  }
  const put = parsePutRequest(parsed, LIMITS);
  if (typeof put === "string") {
    return {
      status: 400,
      text: await errorResponse(400, put).text(),
      put: undefined,
    };
  }
  return { status: 200, text: PUT_OK_BODY, put };
}

/** Whether `text` holds a lone surrogate (a URL cannot carry it). */
function hasLoneSurrogate(text: string): boolean {
  return !text.isWellFormed();
}

/** Checks one body against the reference; returns whether it was stored. */
async function checkBody(
  t: ReturnType<typeof setup>,
  bytes: Uint8Array,
): Promise<boolean> {
  const expected = await expectedPut(bytes);
  const response = await t.app.request("/put", {
    method: "POST",
    body: bytes.slice(),
  });
  assert.equal(response.status, expected.status, decoder.decode(bytes));
  assert.equal(await response.text(), expected.text);
  const put = expected.put;
  if (put === undefined) return false;
  t.reference.set(put.key, put.value, put.ttl);
  const json = t.reference.getJson(put.key);
  assert.equal(json, JSON.stringify(put.value));
  assert.equal(t.cache.getJson(put.key), json, "stored bytes differ");
  assert.equal(t.cache.get(put.key), put.value);
  if (!hasLoneSurrogate(put.key)) {
    const get = await t.app.request(
      "/get?key=" + encodeURIComponent(put.key),
    );
    assert.equal(get.status, 200);
    assert.equal(await get.text(), hitBody(put.key, json!));
  }
  const ttl = put.ttl ?? 300;
  if (ttl > 0) {
    t.clock.advance(ttl * 1000 - 1);
    assert.equal(t.cache.getJson(put.key), json, "expired early");
    t.clock.advance(1);
    assert.equal(t.cache.getJson(put.key), undefined, "did not expire");
    assert.equal(t.reference.getJson(put.key), undefined);
  }
  return true;
}

/** Random bytes spliced into a valid body, now and then. */
const mutated = fc.tuple(
  putRequest,
  fc.array(
    fc.tuple(
      fc.nat(),
      fc.constantFrom("", " ", '"', "\\", ",", ":", "}", "]", "0", "\\u", "é"),
      fc.integer({ min: 0, max: 2 }),
    ),
    { maxLength: 2 },
  ),
).map(([r, cuts]) => {
  let body = spellPutRequest(r);
  for (const [at, insert, removed] of cuts) {
    const i = at % (body.length + 1);
    body = body.slice(0, i) + insert + body.slice(i + removed);
  }
  return encoder.encode(body);
});

const body = fc.oneof(
  {
    weight: 3,
    arbitrary: putRequest.map((r) => encoder.encode(spellPutRequest(r))),
  },
  { weight: 2, arbitrary: mutated },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

for (const kind of ["arena", "map"] as const) {
  Deno.test(`${kind}: any PUT body is answered, stored and read back as today`, async () => {
    const t = setup(kind);
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        if (await checkBody(t, bytes)) stored++;
      }),
      { numRuns: 1500 },
    );
    assert.ok(stored > 500, `only ${stored} bodies were stored`);
  });
}

Deno.test("a key sent in any spelling is found by GET ?key=", async () => {
  const t = setup("arena");
  for (
    const body of [
      '{"key":"caf\\u00e9/\\u00E9","value":"1"}',
      '{"value": "2", "key": "caf\\u00e9\\/\\u00e9"}',
      '{"key":"café/é","value":"3"}',
    ]
  ) {
    assert.equal(
      (await t.app.request("/put", { method: "POST", body })).status,
      200,
    );
  }
  const get = await t.app.request("/get?key=" + encodeURIComponent("café/é"));
  assert.deepEqual(await get.json(), {
    status: "OK",
    key: "café/é",
    value: "3",
  });
  assert.equal(t.cache.stats().entries, 1);
});
