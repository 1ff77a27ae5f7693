import assert from "node:assert/strict";
import { accessOf, constantTimeEqual } from "../routes/auth.ts";
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

Deno.test("accessOf tells the full token, the read-only token and the rest apart", () => {
  const readonlyToken = "read-only-token-0123456789";
  const tokens = { token: TOKEN, readonlyToken };
  assert.equal(accessOf(`Bearer ${TOKEN}`, tokens), "full");
  assert.equal(accessOf(`bearer \t${readonlyToken} `, tokens), "readonly");
  assert.equal(
    accessOf(`Bearer ${readonlyToken}`, { token: TOKEN }),
    "invalid",
  );
  assert.equal(accessOf(`Bearer ${TOKEN}x`, tokens), "invalid");
  assert.equal(accessOf(`Basic ${TOKEN}`, tokens), "missing");
  assert.equal(accessOf(undefined, tokens), "missing");
  assert.equal(accessOf("Bearer ", tokens), "missing");
});

Deno.test("with AUTH_READONLY_TOKEN the JSON API's write routes answer 403, reads work", async () => {
  const readonlyToken = "read-only-token-0123456789";
  const { app, cache } = testApp({
    authToken: TOKEN,
    authReadonlyToken: readonlyToken,
  });
  cache.set("k", "v");
  const headers = { authorization: `Bearer ${readonlyToken}` };
  for (
    const [method, path, body] of [
      ["POST", "/put", '{"key":"k","value":"w"}'],
      ["DELETE", "/delete?key=k", undefined],
    ] as const
  ) {
    const response = await app.request(path, { method, body, headers });
    assert.equal(response.status, 403, path);
    assert.deepEqual(await response.json(), {
      status: "ERROR",
      message: `The read-only token cannot use ${method} ${
        path.split("?")[0]
      }; writes need AUTH_TOKEN.`,
    });
  }
  assert.equal(cache.get("k"), "v", "nothing changed");
  for (const path of ["/get?key=k", "/stats", "/openapi.json"]) {
    const response = await app.request(path, { headers });
    assert.equal(response.status, 200, path);
    await response.body?.cancel();
  }
  // A method the route does not have is still a 405, not a 403.
  const wrong = await app.request("/put", { method: "GET", headers });
  assert.equal(wrong.status, 405);
  await wrong.body?.cancel();
});
