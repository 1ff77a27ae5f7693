// Property-based tests of the HTTP layer: whatever arrives, the answer is a
// well-formed JSON response below 500, and a rejected request changes nothing.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Hono } from "hono";
import type { Cache } from "../lib/cache.ts";
import { testApp } from "./support/app.ts";

const RUNS = 1000;
const encoder = new TextEncoder();

/** Stats without the clock-driven field, for before/after comparisons. */
function snapshot(cache: Cache) {
  const { uptimeSeconds: _, ...stats } = cache.stats();
  return stats;
}

/** The Redis REST endpoints, which answer in their own JSON shape. */
const REDIS_PATHS = new Set(["/", "/pipeline", "/multi-exec"]);

async function checkResponse(
  app: Hono,
  cache: Cache,
  request: () => Request,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const before = snapshot(cache);
  const response = await app.request(request());
  assert.ok(response.status < 500, `status ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/json");
  const text = await response.text();
  if (request().method === "HEAD") {
    assert.equal(text, "");
    return { status: response.status, body: {} };
  }
  const body = JSON.parse(text);
  const { method, url } = request();
  if (method === "POST" && REDIS_PATHS.has(new URL(url).pathname)) {
    // The Redis REST API's shape: {"result"}, an array of them, or {"error"}.
    if (response.status >= 400) {
      assert.equal(typeof body.error, "string", text);
      assert.ok(body.error.length > 0);
      assert.deepEqual(
        snapshot(cache),
        before,
        `rejected ${text} changed stats`,
      );
    } else {
      assert.ok(Array.isArray(body) || "result" in body, text);
    }
    return { status: response.status, body };
  }
  assert.ok(body.status === "OK" || body.status === "ERROR", text);
  if (body.status === "ERROR") {
    assert.equal(typeof body.message, "string");
    assert.ok(body.message.length > 0);
    assert.ok(response.status >= 400 || text.includes("Key not found."));
  }
  const notFound = body.message === "Key not found.";
  if (response.status >= 400 && !notFound) {
    assert.deepEqual(snapshot(cache), before, `rejected ${text} changed stats`);
  }
  return { status: response.status, body };
}

/** JSON-ish text: valid JSON, truncated JSON, and near misses. */
const jsonText = fc.oneof(
  fc.json(),
  fc.json().map((t) => t.slice(0, Math.max(0, t.length - 1))),
  fc.jsonValue().map((v) => JSON.stringify({ key: v, value: v })),
  fc.record({
    key: fc.oneof(fc.string(), fc.jsonValue()),
    value: fc.oneof(fc.string(), fc.jsonValue()),
    ttl: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(1e308, -0, 2 ** 53, "60", null, true),
    ),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) =>
    `{"key":${JSON.stringify(a)},"value":${JSON.stringify(b)},"key":${
      JSON.stringify(c)
    }}`
  ),
  fc.integer({ min: 1, max: 5000 }).map((depth) =>
    "[".repeat(depth) + "]".repeat(depth)
  ),
  fc.string().map((s) =>
    "\ufeff" + JSON.stringify({ key: s || "k", value: s })
  ),
  fc.string({ unit: "binary" }),
);

const bodyBytes = fc.oneof(
  jsonText.map((t) => encoder.encode(t)),
  fc.uint8Array({ maxLength: 600 }),
  // Invalid UTF-8 around a valid document.
  fc.uint8Array({ maxLength: 8 }).map((junk) =>
    new Uint8Array([
      ...encoder.encode('{"key":"'),
      0xff,
      0xfe,
      ...junk,
      ...encoder.encode('","value":"v"}'),
    ])
  ),
);

Deno.test("any PUT body gets a well-formed answer; rejected ones change nothing", async () => {
  const { app, cache } = testApp({ maxBodyBytes: 4096 });
  await fc.assert(
    fc.asyncProperty(bodyBytes, async (bytes) => {
      await checkResponse(
        app,
        cache,
        () =>
          new Request("http://localhost/put", {
            method: "POST",
            body: bytes as Uint8Array<ArrayBuffer>,
          }),
      );
    }),
    { numRuns: RUNS },
  );
});

const method = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
);
const path = fc.oneof(
  fc.constantFrom(
    "/put",
    "/get",
    "/delete",
    "/health",
    "/stats",
    "/",
    "//get",
    "/pipeline",
    "/multi-exec",
  ),
  fc.webPath(),
  fc.string().map((s) => "/" + encodeURIComponent(s)),
);
const query = fc.oneof(
  fc.constant(""),
  fc.webQueryParameters().map((q) => "?" + q),
  fc.string().map((s) => "?key=" + s.replace(/[#\s]/g, "")),
  fc.string().map((s) => "?key=" + encodeURIComponent(s)),
  fc.constantFrom(
    "?key=%zz",
    "?key=%",
    "?key=a&key=b",
    "?key=" + "k".repeat(300),
  ),
);
const headers = fc.dictionary(
  fc.constantFrom("content-type", "accept", "x-junk", "content-encoding"),
  fc.string({ unit: "grapheme-ascii", maxLength: 30 }).filter((v) =>
    !/[\r\n\0]/.test(v) && v.trim() === v
  ),
);

Deno.test("any method, path, query and headers get a well-formed answer", async () => {
  // As the server wires it: the Redis REST endpoints are on.
  const { app, cache } = testApp({ redisApi: true });
  cache.set("k", "v");
  await fc.assert(
    fc.asyncProperty(
      method,
      path,
      query,
      headers,
      fc.option(jsonText),
      async (m, p, q, h, body) => {
        const url = new URL("http://localhost" + p + q);
        const withBody = body !== null && m !== "GET" && m !== "HEAD";
        const { status } = await checkResponse(
          app,
          cache,
          () =>
            new Request(url, {
              method: m,
              headers: h,
              body: withBody ? body : undefined,
            }),
        );
        assert.ok([200, 400, 404, 405, 413].includes(status), String(status));
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("valid PUTs round-trip through GET for any key and value", async () => {
  const { app, cache } = testApp();
  const text = fc.string({ unit: "binary", maxLength: 256 });
  await fc.assert(
    fc.asyncProperty(
      text.filter((k) => k.length > 0),
      text,
      async (key, value) => {
        const put = await checkResponse(
          app,
          cache,
          () =>
            new Request("http://localhost/put", {
              method: "POST",
              body: JSON.stringify({ key, value }),
            }),
        );
        assert.equal(put.status, 200);
        const get = await checkResponse(
          app,
          cache,
          () =>
            new Request(
              "http://localhost/get?key=" + encodeURIComponent(key),
            ),
        );
        assert.deepEqual(get.body, { status: "OK", key, value });
      },
    ),
    { numRuns: RUNS },
  );
});
