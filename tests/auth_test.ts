import assert from "node:assert/strict";
import { constantTimeEqual } from "../routes/auth.ts";
import { testApp } from "./support/app.ts";

const TOKEN = "test-token-0123456789abcdef";

Deno.test("constantTimeEqual compares whole strings", () => {
  assert.equal(constantTimeEqual(TOKEN, TOKEN), true);
  assert.equal(constantTimeEqual(TOKEN.slice(0, -1) + "x", TOKEN), false);
  assert.equal(constantTimeEqual(TOKEN.slice(0, -1), TOKEN), false);
  assert.equal(constantTimeEqual(TOKEN + "x", TOKEN), false);
  assert.equal(constantTimeEqual("", TOKEN), false);
  assert.equal(constantTimeEqual("", ""), false);
});

Deno.test("with AUTH_TOKEN, routes need the bearer token; /health does not", async () => {
  const { app, cache } = testApp({ authToken: TOKEN });
  const put = { method: "POST", body: '{"key":"k","value":"v"}' };
  const cases: [HeadersInit, string][] = [
    [
      {},
      "Missing bearer token: send the header Authorization: Bearer <token>.",
    ],
    [
      { authorization: "Basic abc" },
      "Missing bearer token: send the header Authorization: Bearer <token>.",
    ],
    [
      { authorization: "Bearer wrong-token-0123456789" },
      "Invalid bearer token.",
    ],
    [{ authorization: `Bearer ${TOKEN}x` }, "Invalid bearer token."],
  ];
  for (const [headers, message] of cases) {
    for (
      const [path, init] of [
        ["/put", put],
        ["/get?key=k", {}],
        ["/stats", {}],
        ["/nope", {}],
      ] as const
    ) {
      const response = await app.request(path, { ...init, headers });
      assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.deepEqual(await response.json(), { status: "ERROR", message });
      assert.equal(
        response.headers.get("www-authenticate"),
        'Bearer realm="kv-cache"',
      );
    }
  }
  assert.equal(cache.stats().puts, 0);
  const health = await app.request("/health");
  assert.equal(health.status, 200);
  const authorized = await app.request("/put", {
    ...put,
    headers: { authorization: `bearer  ${TOKEN}` },
  });
  assert.equal(authorized.status, 200);
  const get = await app.request("/get?key=k", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(await get.text(), '{"status":"OK","key":"k","value":"v"}');
});

Deno.test("without AUTH_TOKEN no header is needed", async () => {
  const { app } = testApp();
  assert.equal((await app.request("/stats")).status, 200);
});
