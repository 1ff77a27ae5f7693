import assert from "node:assert/strict";
import {
  buildEdgeBundle,
  type EdgeModule,
  NODE_PROBE,
  probe,
  type ProbeRequest,
} from "./support/edge_bundle.ts";

const dir = Deno.makeTempDirSync({ prefix: "kv-cache-edge-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
let built: Promise<string> | undefined;
let imports = 0;

/** Builds the bundle on first use; later calls share it. */
function bundlePath(): Promise<string> {
  return built ??= buildEdgeBundle(dir);
}

/** Imports a fresh instance of the bundle (its own default handler). */
async function freshBundle(): Promise<EdgeModule> {
  const url = new URL(`file://${await bundlePath()}`);
  url.searchParams.set("instance", String(++imports));
  return await import(url.href);
}

async function nodeVersion(): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("node", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return output.success
      ? new TextDecoder().decode(output.stdout).trim()
      : undefined;
  } catch {
    return undefined;
  }
}

const NODE_VERSION = await nodeVersion();

const PUT_GET_MISS: ProbeRequest[] = [
  { method: "POST", path: "/put", body: '{"key":"edge key","value":"v 😀"}' },
  { method: "GET", path: "/get?key=edge+key" },
  { method: "GET", path: "/get?key=absent" },
  { method: "GET", path: "/health" },
];

const PUT_GET_MISS_ANSWERS = [
  {
    status: 200,
    contentType: "application/json",
    body: '{"status":"OK","message":"Key inserted/updated successfully."}',
  },
  {
    status: 200,
    contentType: "application/json",
    body: '{"status":"OK","key":"edge key","value":"v 😀"}',
  },
  {
    status: 404,
    contentType: "application/json",
    body: '{"status":"ERROR","message":"Key not found."}',
  },
  { status: 200, contentType: "application/json", body: '{"status":"OK"}' },
];

Deno.test("edge bundle is one self-contained ESM file without Deno APIs", async () => {
  const text = await Deno.readTextFile(await bundlePath());
  assert.match(text, /^export \{[^}]*\bedge_default as default\b/m);
  assert.doesNotMatch(text, /^\s*import\b/m, "bundle imports other modules");
  assert.doesNotMatch(text, /\bimport\s*\(/, "bundle has a dynamic import");
  assert.doesNotMatch(text, /\brequire\s*\(/, "bundle calls require()");
  assert.doesNotMatch(text, /\bDeno\b/, "bundle refers to Deno");
});

Deno.test("edge bundle under Deno: put, get, not found, and no timers", async () => {
  const timers: string[] = [];
  const { setTimeout, setInterval } = globalThis;
  const record = (name: string) => (...args: unknown[]) => {
    timers.push(`${name}(${String(args[0]).slice(0, 60)}, ${args[1]})`);
    return 0;
  };
  Object.assign(globalThis, {
    setTimeout: record("setTimeout"),
    setInterval: record("setInterval"),
  });
  try {
    const edge = await freshBundle();
    assert.deepEqual(
      await probe((r) => edge.default.fetch(r), PUT_GET_MISS),
      PUT_GET_MISS_ANSWERS,
    );
  } finally {
    Object.assign(globalThis, { setTimeout, setInterval });
  }
  assert.deepEqual(timers, [], "the edge handler started timers");
});

Deno.test({
  name: NODE_VERSION
    ? `edge bundle under Node ${NODE_VERSION}: put, get, not found`
    : "edge bundle under Node: SKIPPED, no `node` on PATH",
  ignore: NODE_VERSION === undefined,
  async fn() {
    const output = await new Deno.Command("node", {
      args: [NODE_PROBE, await bundlePath(), JSON.stringify(PUT_GET_MISS)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `node failed: ${stderr}`);
    assert.deepEqual(
      JSON.parse(new TextDecoder().decode(output.stdout)),
      PUT_GET_MISS_ANSWERS,
    );
  },
});

Deno.test("edge default export takes its configuration from the bindings", async () => {
  const edge = await freshBundle();
  const env = { NOT_FOUND_STATUS: "200", MAX_KEY_SIZE: "4", OTHER: {} };
  const miss = await edge.default.fetch(
    new Request("http://edge.test/get?key=1234"),
    env,
  );
  assert.equal(miss.status, 200);
  assert.equal(
    await miss.text(),
    '{"status":"ERROR","message":"Key not found."}',
  );
  const tooLong = await edge.default.fetch(
    new Request("http://edge.test/get?key=12345"),
  );
  assert.equal(tooLong.status, 400);
  await tooLong.body?.cancel();
});

Deno.test("edge handler honours AUTH_TOKEN", async () => {
  const { createEdgeHandler } = await freshBundle();
  const edge = createEdgeHandler({ AUTH_TOKEN: "0123456789abcdef" });
  const denied = await edge(new Request("http://edge.test/get?key=k"));
  assert.equal(denied.status, 401);
  await denied.body?.cancel();
  const allowed = await edge(
    new Request("http://edge.test/get?key=k", {
      headers: { authorization: "Bearer 0123456789abcdef" },
    }),
  );
  assert.equal(allowed.status, 404);
  await allowed.body?.cancel();
});

Deno.test("edge default export answers 500 with the reason on a bad variable", async () => {
  const edge = await freshBundle();
  const request = () => new Request("http://edge.test/health");
  const bad = await edge.default.fetch(request(), { MAX_CACHE_BYTES: "lots" });
  assert.equal(bad.status, 500);
  assert.equal(
    await bad.text(),
    '{"status":"ERROR","message":"Invalid MAX_CACHE_BYTES \\"lots\\": expected a whole number from 1024 to 9007199254740991."}',
  );
  const good = await edge.default.fetch(request(), {});
  assert.equal(good.status, 200);
  await good.body?.cancel();
});

Deno.test("edge handler defaults to a 64 MiB budget and stays within its budget", async () => {
  const edge = await freshBundle();
  const stats = async (fetch: (r: Request) => Promise<Response>) =>
    await (await fetch(new Request("http://edge.test/stats"))).json();
  assert.equal(edge.EDGE_MAX_CACHE_BYTES, 64 * 1024 * 1024);
  assert.equal(
    (await stats((r) => edge.default.fetch(r))).maxBytes,
    64 * 1024 * 1024,
  );

  const small = edge.createEdgeHandler({ MAX_CACHE_BYTES: "65536" });
  const value = "x".repeat(256);
  for (let i = 0; i < 1000; i++) {
    const put = await small(
      new Request("http://edge.test/put", {
        method: "POST",
        body: JSON.stringify({ key: `k${i}`, value }),
      }),
    );
    assert.equal(put.status, 200);
    await put.body?.cancel();
  }
  const after = await stats(small);
  assert.equal(after.maxBytes, 65536);
  assert.ok(after.estimatedBytes <= 65536, `${after.estimatedBytes} bytes`);
  assert.ok(after.evicted > 800, `only ${after.evicted} evicted`);
  const newest = await small(new Request("http://edge.test/get?key=k999"));
  assert.equal(newest.status, 200);
  await newest.body?.cancel();
});

Deno.test("edge handler expires entries lazily, without timers", async () => {
  const { createEdgeHandler } = await freshBundle();
  const edge = createEdgeHandler();
  const put = await edge(
    new Request("http://edge.test/put", {
      method: "POST",
      body: '{"key":"short","value":"v","ttl":1}',
    }),
  );
  assert.equal(put.status, 200);
  await put.body?.cancel();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const expired = await edge(new Request("http://edge.test/get?key=short"));
  assert.equal(expired.status, 404);
  await expired.body?.cancel();
  const stats = await (await edge(new Request("http://edge.test/stats")))
    .json();
  assert.equal(stats.entries, 0);
  assert.equal(stats.expiredOnRead, 1);
});
