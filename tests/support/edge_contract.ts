/**
 * The API contract every edge runtime must keep, checked over HTTP against
 * a served bundle: put and get (with Unicode), 404, 400, 413, `/stats`, the
 * configuration (`NOT_FOUND_STATUS=200`, `AUTH_TOKEN`), TTL and the byte
 * budget's eviction.
 *
 * @module
 */

import assert from "node:assert/strict";

/** What a server answered. */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** `Content-Type` header, or null. */
  contentType: string | null;
  /** Body as text. */
  body: string;
}

/** Options of one request. */
export interface CallOptions {
  /** Request body, sent as is. */
  body?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/** Sends one request to `base` + `path` and reads the whole answer. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body,
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

/** `GET /stats`, parsed. */
export async function stats(
  base: string,
  token?: string,
): Promise<Record<string, number>> {
  const answer = await call(base, "GET", "/stats", { token });
  assert.equal(answer.status, 200, answer.body);
  const { status, ...numbers } = JSON.parse(answer.body);
  assert.equal(status, "OK");
  return numbers;
}

const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';
const JSON_TYPE = "application/json";

/** Asserts an error answer: its status, JSON body and message. */
function assertError(answer: Answer, status: number, message: RegExp) {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.contentType, JSON_TYPE);
  const body = JSON.parse(answer.body);
  assert.equal(body.status, "ERROR");
  assert.match(body.message, message);
}

/**
 * The contract with the default configuration: put, get with Unicode, 404,
 * 400 (bad JSON, missing key), 413 (which changes nothing), delete, health,
 * and `/stats` with the edge's 64 MiB budget (`maxBytes`).
 */
export async function assertDefaultContract(
  base: string,
  maxBytes = 64 * 1024 * 1024,
): Promise<void> {
  const put = await call(base, "POST", "/put", {
    body: '{"key":"clé 🔑","value":"värde 😀"}',
  });
  assert.deepEqual(put, { status: 200, contentType: JSON_TYPE, body: PUT_OK });
  assert.deepEqual(
    await call(base, "GET", `/get?key=${encodeURIComponent("clé 🔑")}`),
    {
      status: 200,
      contentType: JSON_TYPE,
      body: '{"status":"OK","key":"clé 🔑","value":"värde 😀"}',
    },
  );
  assert.deepEqual(await call(base, "GET", "/get?key=absent"), {
    status: 404,
    contentType: JSON_TYPE,
    body: NOT_FOUND,
  });
  assertError(
    await call(base, "POST", "/put", { body: '{"key":' }),
    400,
    /not valid JSON/,
  );
  assertError(await call(base, "GET", "/get"), 400, /"key" is required/);
  const before = await stats(base);
  assertError(
    await call(base, "POST", "/put", {
      body: JSON.stringify({ key: "big", value: "x".repeat(20_000) }),
    }),
    413,
    /larger than 16384 bytes/,
  );
  assert.equal((await call(base, "GET", "/get?key=big")).status, 404);
  assert.equal((await stats(base)).puts, before.puts, "the 413 stored");
  assert.equal(
    (await call(base, "POST", "/put", {
      body: '{"key":"gone","value":"v"}',
    })).status,
    200,
  );
  assert.equal((await call(base, "DELETE", "/delete?key=gone")).status, 200);
  assert.equal((await call(base, "GET", "/get?key=gone")).status, 404);
  assert.equal((await call(base, "GET", "/health")).status, 200);
  const after = await stats(base);
  assert.equal(after.maxBytes, maxBytes);
  assert.ok(after.hits >= 1 && after.misses >= 1 && after.deletes === 1);
}

/** The configuration {@linkcode assertConfiguredContract} expects. */
export const CONFIGURED = {
  NOT_FOUND_STATUS: "200",
  AUTH_TOKEN: "edge-secret-0123456789",
  AUTH_READONLY_TOKEN: "edge-readonly-0123456789",
  MAX_CACHE_BYTES: "16384",
} as const;

/**
 * The contract under {@linkcode CONFIGURED}: 401 without the token (but
 * `/health`), misses answered 200, and a 16 KiB budget that evicts the
 * oldest entries as 100 values of 250 characters go in.
 */
export async function assertConfiguredContract(base: string): Promise<void> {
  const token = CONFIGURED.AUTH_TOKEN;
  assertError(await call(base, "GET", "/get?key=k0"), 401, /bearer token/);
  assertError(
    await call(base, "GET", "/get?key=k0", { token: "wrong" }),
    401,
    /Invalid bearer token/,
  );
  assert.equal((await call(base, "GET", "/health")).status, 200);
  assert.deepEqual(await call(base, "GET", "/get?key=k0", { token }), {
    status: 200,
    contentType: JSON_TYPE,
    body: NOT_FOUND,
  });
  const value = "v".repeat(250);
  for (let i = 0; i < 100; i++) {
    const put = await call(base, "POST", "/put", {
      token,
      body: JSON.stringify({ key: `k${i}`, value }),
    });
    assert.equal(put.status, 200, put.body);
  }
  const after = await stats(base, token);
  assert.equal(after.maxBytes, 16384);
  assert.ok(after.estimatedBytes <= 16384, `${after.estimatedBytes} bytes`);
  assert.ok(after.evicted >= 50, `only ${after.evicted} evicted`);
  assert.equal(after.entries + after.evicted, 100);
  assert.equal(
    (await call(base, "GET", "/get?key=k0", { token })).body,
    NOT_FOUND,
  );
  assert.equal(
    (await call(base, "GET", "/get?key=k99", { token })).body,
    `{"status":"OK","key":"k99","value":"${value}"}`,
  );
}

/**
 * Puts a key with a TTL of 1 s and returns the check to run later: it waits
 * until 1.1 s after the put, then asserts the key is gone and counted as
 * expired on read. The runtimes read their own clock (`Date.now()`), which
 * no platform lets a test set from outside, so this is the one test that
 * waits; it starts first so that the other checks overlap the wait.
 */
export async function startTtlCheck(
  base: string,
): Promise<() => Promise<void>> {
  const put = await call(base, "POST", "/put", {
    body: '{"key":"short-lived","value":"v","ttl":1}',
  });
  const putAt = Date.now();
  assert.equal(put.status, 200, put.body);
  assert.equal((await call(base, "GET", "/get?key=short-lived")).status, 200);
  return async () => {
    const wait = putAt + 1100 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const before = (await stats(base)).expiredOnRead;
    assert.equal((await call(base, "GET", "/get?key=short-lived")).status, 404);
    assert.equal((await stats(base)).expiredOnRead, before + 1);
  };
}
