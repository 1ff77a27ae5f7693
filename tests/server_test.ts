import assert from "node:assert/strict";
import { serve } from "../server/serve.ts";

const hello = (request: Request) =>
  new Response(`hello ${new URL(request.url).pathname}`);

Deno.test("serve closes a connection that sends nothing and counts it", async () => {
  const server = serve(
    { hostname: "127.0.0.1", port: 0, idleTimeoutMs: 200 },
    hello,
  );
  try {
    assert.equal(server.idleTimeouts, true);
    const conn = await Deno.connect({ port: server.addr.port });
    const started = performance.now();
    assert.equal(await conn.read(new Uint8Array(16)), null);
    const waited = performance.now() - started;
    assert.ok(waited >= 150 && waited < 1500, `${waited} ms`);
    assert.equal(server.idleClosed, 1);
    conn.close();
    // Other clients are served as usual.
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/a`);
    assert.equal(await response.text(), "hello /a");
  } finally {
    await server.shutdown();
  }
  assert.equal(server.connections, 0);
});

Deno.test("serve's shutdown lets a request in progress finish", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const server = serve(
    { hostname: "127.0.0.1", port: 0, idleTimeoutMs: 60_000 },
    async () => {
      await held;
      return new Response("done");
    },
  );
  const answer = fetch(`http://127.0.0.1:${server.addr.port}/slow`);
  while (server.connections === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const stopped = server.shutdown();
  setTimeout(release, 100);
  assert.equal(await (await answer).text(), "done");
  await stopped;
  assert.equal(server.connections, 0);
  await assert.rejects(fetch(`http://127.0.0.1:${server.addr.port}/`));
});

Deno.test("serve with idleTimeoutMs 0 is plain Deno.serve", async () => {
  const server = serve(
    { hostname: "127.0.0.1", port: 0, idleTimeoutMs: 0 },
    hello,
  );
  try {
    assert.equal(server.idleTimeouts, false);
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/b`);
    assert.equal(await response.text(), "hello /b");
  } finally {
    await server.shutdown();
  }
});
