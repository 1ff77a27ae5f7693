import assert from "node:assert/strict";
import { HTTPException } from "hono/http-exception";
import { testApp } from "./support/app.ts";

const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';

function setup(
  options: { notFoundStatus?: 200 | 404; maxBodyBytes?: number } = {},
) {
  const { app, cache, clock } = testApp(options);
  const put = (body: unknown, init: RequestInit = {}) =>
    app.request("/put", {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });
  const get = (key: string) =>
    app.request(`/get?key=${encodeURIComponent(key)}`);
  return { app, cache, clock, put, get };
}

async function expectJson(
  response: Response,
  status: number,
  body: string,
): Promise<void> {
  assert.equal(await response.text(), body);
  assert.equal(response.status, status);
  assert.equal(response.headers.get("content-type"), "application/json");
}

async function expectError(
  response: Response,
  status: number,
  message: string,
): Promise<void> {
  await expectJson(
    response,
    status,
    JSON.stringify({ status: "ERROR", message }),
  );
}

Deno.test("PUT then GET returns the exact contract bodies", async () => {
  const { put, get } = setup();
  await expectJson(await put({ key: "user:42", value: "Ada" }), 200, PUT_OK);
  await expectJson(
    await get("user:42"),
    200,
    '{"status":"OK","key":"user:42","value":"Ada"}',
  );
});

Deno.test("GET of a missing key is 404 Key not found", async () => {
  const { get } = setup();
  await expectJson(await get("nope"), 404, NOT_FOUND);
});

Deno.test("NOT_FOUND_STATUS=200 keeps the body and changes the status", async () => {
  const { get, app } = setup({ notFoundStatus: 200 });
  await expectJson(await get("nope"), 200, NOT_FOUND);
  await expectJson(
    await app.request("/delete?key=nope", { method: "DELETE" }),
    200,
    NOT_FOUND,
  );
});

Deno.test("an overwrite replaces the value", async () => {
  const { put, get } = setup();
  await put({ key: "k", value: "one" });
  await put({ key: "k", value: "two" });
  await expectJson(
    await get("k"),
    200,
    '{"status":"OK","key":"k","value":"two"}',
  );
});

Deno.test("a PUT ttl expires the entry; ttl 0 never expires", async () => {
  const { put, get, clock } = setup();
  await put({ key: "short", value: "v", ttl: 5 });
  await put({ key: "forever", value: "v", ttl: 0 });
  await put({ key: "default", value: "v" });
  clock.advance(5_000);
  await expectJson(await get("short"), 404, NOT_FOUND);
  await expectJson(
    await get("default"),
    200,
    '{"status":"OK","key":"default","value":"v"}',
  );
  clock.advance(300_000);
  await expectJson(await get("default"), 404, NOT_FOUND);
  await expectJson(
    await get("forever"),
    200,
    '{"status":"OK","key":"forever","value":"v"}',
  );
});

Deno.test("values and keys round-trip exactly", async () => {
  const { put, get } = setup();
  const cases = [
    'quotes " and backslashes \\ and \\"',
    "controls \t \n \r \x0b \x0c \x00 \x1f",
    "non-ASCII: żółć, Ελληνικά, 日本語",
    "emoji 😀👍🏽 and a ZWJ family 👨‍👩‍👧",
    "lone surrogate \ud800 kept",
    " leading and trailing spaces ",
    "",
  ];
  for (const [i, value] of cases.entries()) {
    const key = `key ${i} & = + % ? # / ${value.slice(0, 10)}`;
    await expectJson(await put({ key, value }), 200, PUT_OK);
    const response = await get(key);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.equal(
      text,
      '{"status":"OK","key":' + JSON.stringify(key) + ',"value":' +
        JSON.stringify(value) + "}",
    );
    assert.deepEqual(JSON.parse(text), { status: "OK", key, value });
  }
});

Deno.test("any spelling of the same body stores the same value", async () => {
  // JSON.stringify's own spelling takes the fast path; the others are parsed.
  const { app, get } = setup();
  const spellings = [
    '{"key":"k","value":"A\\"\\u000b\\t"}',
    '{"key":"k","value":"\\u0041\\"\\u000B\\t"}',
    '{ "value" : "A\\"\\u000b\\u0009", "key" : "\\u006b" }',
    '{"key":"k","value":"A\\"\\u000b\\t"}\n',
  ];
  for (const body of spellings) {
    await app.request("/put", {
      method: "POST",
      body: '{"key":"k","value":"x"}',
    });
    const response = await app.request("/put", { method: "POST", body });
    await expectJson(response, 200, PUT_OK);
    await expectJson(
      await get("k"),
      200,
      '{"status":"OK","key":"k","value":"A\\"\\u000b\\t"}',
    );
  }
});

Deno.test("query keys are percent-decoded, with + as a space", async () => {
  const { put, app } = setup();
  await put({ key: "a b&c=d%e+f", value: "v" });
  const response = await app.request("/get?key=a+b%26c%3Dd%25e%2Bf");
  await expectJson(
    response,
    200,
    '{"status":"OK","key":"a b&c=d%e+f","value":"v"}',
  );
});

Deno.test("limits are inclusive and counted in code points", async () => {
  const { put, get } = setup();
  const key = "k".repeat(256);
  const emojiValue = "😀".repeat(256); // 512 UTF-16 units, 256 code points
  await expectJson(await put({ key, value: emojiValue }), 200, PUT_OK);
  const response = await get(key);
  assert.deepEqual(await response.json(), {
    status: "OK",
    key,
    value: emojiValue,
  });
  await expectError(
    await put({ key: "k".repeat(257), value: "v" }),
    400,
    'Field "key" is 257 characters long; the maximum is 256.',
  );
  await expectError(
    await put({ key: "k", value: "😀".repeat(257) }),
    400,
    'Field "value" is 257 characters long; the maximum is 256.',
  );
  await expectError(
    await get("k".repeat(257)),
    400,
    'Query parameter "key" is 257 characters long; the maximum is 256.',
  );
});

Deno.test("invalid PUT bodies get 400 with a precise message and change nothing", async () => {
  const { put, cache } = setup();
  await put({ key: "existing", value: "kept" });
  const before = cache.stats();
  const cases: [unknown, string][] = [
    [
      "{not json",
      'Request body is not valid JSON; expected {"key":"k","value":"v"}.',
    ],
    ["", 'Request body is not valid JSON; expected {"key":"k","value":"v"}.'],
    [
      "[1,2]",
      'Request body must be a JSON object like {"key":"k","value":"v"}, not an array.',
    ],
    [
      '"text"',
      'Request body must be a JSON object like {"key":"k","value":"v"}, not a string.',
    ],
    [
      "null",
      'Request body must be a JSON object like {"key":"k","value":"v"}, not null.',
    ],
    [{ value: "v" }, 'Field "key" is required.'],
    [{ key: 1, value: "v" }, 'Field "key" must be a string, not a number.'],
    [{ key: "", value: "v" }, 'Field "key" must not be empty.'],
    [{ key: "existing" }, 'Field "value" is required.'],
    [
      { key: "existing", value: null },
      'Field "value" must be a string, not null.',
    ],
    [
      { key: "existing", value: { a: 1 } },
      'Field "value" must be a string, not an object.',
    ],
    [
      { key: "existing", value: "x", ttl: -1 },
      'Field "ttl" must be a whole number of seconds from 0 to 2147483647 (0 = never expires), not -1.',
    ],
    [
      { key: "existing", value: "x", ttl: 1.5 },
      'Field "ttl" must be a whole number of seconds from 0 to 2147483647 (0 = never expires), not 1.5.',
    ],
    [
      { key: "existing", value: "x", ttl: "60" },
      'Field "ttl" must be a whole number of seconds from 0 to 2147483647 (0 = never expires), not "60".',
    ],
    [
      { key: "existing", value: "x", ttl: 2147483648 },
      'Field "ttl" must be a whole number of seconds from 0 to 2147483647 (0 = never expires), not 2147483648.',
    ],
  ];
  for (const [body, message] of cases) {
    await expectError(await put(body), 400, message);
  }
  assert.deepEqual(cache.stats(), before);
  assert.equal(cache.get("existing"), "kept");
});

Deno.test("a body over the byte limit is 413, by Content-Length or by streaming", async () => {
  const { app, cache, put } = setup({ maxBodyBytes: 1024 });
  const big = JSON.stringify({ key: "k", value: "x".repeat(2000) });
  const message = "Request body is larger than 1024 bytes.";
  // Declared length: refused before reading.
  await expectError(
    await put(big, { headers: { "content-length": String(big.length) } }),
    413,
    message,
  );
  // No declared length: the stream is read only until it passes the limit.
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(512).fill(0x20));
    },
  });
  await expectError(
    await app.request("/put", { method: "POST", body: stream }),
    413,
    message,
  );
  assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
  assert.equal(cache.stats().puts, 0);
  // A body just under the limit is fine.
  const fits = JSON.stringify({ key: "k", value: "x".repeat(200) });
  await expectJson(await put(fits), 200, PUT_OK);
});

Deno.test("GET and DELETE need a non-empty key parameter", async () => {
  const { app } = setup();
  for (const method of ["GET", "DELETE"]) {
    const path = method === "GET" ? "/get" : "/delete";
    await expectError(
      await app.request(path, { method }),
      400,
      'Query parameter "key" is required, e.g. ?key=user%3A42.',
    );
    await expectError(
      await app.request(`${path}?key=`, { method }),
      400,
      'Query parameter "key" must not be empty.',
    );
  }
});

Deno.test("DELETE removes a key and reports absent ones as not found", async () => {
  const { app, put, get } = setup();
  await put({ key: "k", value: "v" });
  await expectJson(
    await app.request("/delete?key=k", { method: "DELETE" }),
    200,
    '{"status":"OK","message":"Key deleted."}',
  );
  await expectJson(await get("k"), 404, NOT_FOUND);
  await expectJson(
    await app.request("/delete?key=k", { method: "DELETE" }),
    404,
    NOT_FOUND,
  );
});

Deno.test("health answers OK", async () => {
  const { app } = setup();
  await expectJson(await app.request("/health"), 200, '{"status":"OK"}');
});

Deno.test("stats reports the cache counters", async () => {
  const { app, put, get } = setup();
  await put({ key: "a", value: "1" });
  await get("a");
  await get("b");
  const response = await app.request("/stats");
  assert.equal(response.status, 200);
  const stats = await response.json();
  assert.equal(stats.status, "OK");
  assert.equal(stats.entries, 1);
  assert.equal(stats.hits, 1);
  assert.equal(stats.misses, 1);
  assert.equal(stats.puts, 1);
  assert.equal(stats.maxBytes, 10_000_000);
  for (
    const field of [
      "estimatedBytes",
      "deletes",
      "expiredOnRead",
      "expiredBySweep",
      "evicted",
      "sweepsRun",
      "uptimeSeconds",
    ]
  ) {
    assert.equal(typeof stats[field], "number", field);
  }
});

Deno.test("a wrong method is 405 with an Allow header", async () => {
  const { app } = setup();
  const cases: [string, string, string][] = [
    ["GET", "/put", "POST"],
    ["PUT", "/put", "POST"],
    ["POST", "/get", "GET, HEAD"],
    ["GET", "/delete", "DELETE"],
    ["POST", "/health", "GET, HEAD"],
    ["DELETE", "/stats", "GET, HEAD"],
    ["PROPFIND", "/get", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    const response = await app.request(path, { method });
    await expectError(
      response,
      405,
      `Method ${method} is not allowed on ${path}; use ${allow}.`,
    );
    assert.equal(response.headers.get("allow"), allow);
  }
});

Deno.test("an unknown path is 404 with the list of routes", async () => {
  const { app } = setup();
  await expectError(
    await app.request("/nope"),
    404,
    "No route for GET /nope; routes are /put, /get, /delete, /health, /stats, /openapi.json.",
  );
});

Deno.test("an HTTPException keeps its status and gets the error shape", async () => {
  const { app } = setup();
  app.get("/teapot", () => {
    throw new HTTPException(418, { message: "This server is a teapot." });
  });
  app.get("/bare", () => {
    throw new HTTPException(429);
  });
  await expectError(
    await app.request("/teapot"),
    418,
    "This server is a teapot.",
  );
  await expectError(
    await app.request("/bare"),
    429,
    "Request failed with status 429.",
  );
});

Deno.test("an unexpected error is a 500 that does not leak the error", async () => {
  const { app } = setup();
  app.get("/broken", () => {
    throw new Error("secret detail");
  });
  const response = await app.request("/broken");
  await expectError(response, 500, "Internal server error.");
});
