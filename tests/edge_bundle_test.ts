/**
 * The edge bundle as a file, and the edge handler in process: what the
 * runtimes in edge_runtimes_test.ts cannot show from outside.
 */
import assert from "node:assert/strict";
import { EdgeBundles } from "./support/edge_bundle.ts";
import { ManualClock } from "../lib/clock.ts";
import { ConfigError } from "../lib/config.ts";
import { bytesToBase64Portable } from "../lib/base64.ts";
import {
  createEdgeHandler,
  createEdgeWorker,
  EDGE_MAX_CACHE_BYTES,
} from "../routes/edge_handler.ts";

const bundles = new EdgeBundles();
let imports = 0;

/** Imports a fresh instance of a bundle (its own default handler). */
async function freshBundle(name: "edge" | "durable" = "edge") {
  const url = new URL(`file://${await bundles.path(name)}`);
  url.searchParams.set("instance", String(++imports));
  return await import(url.href);
}

/** The names a module's `export { … }` statements give out. */
function exportedNames(text: string): string[] {
  const names: string[] = [];
  for (const [, list] of text.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const item of list.split(",")) {
      const name = item.trim().split(/\s+as\s+/).pop();
      if (name) names.push(name);
    }
  }
  return names;
}

for (
  const [name, exports] of [
    ["edge", ["default"]],
    ["durable", ["CacheShard", "default"]],
  ] as const
) {
  Deno.test(`${name} bundle is one self-contained ESM file exporting only ${exports.join(" and ")}`, async () => {
    const text = await Deno.readTextFile(await bundles.path(name));
    // Workers takes every named export of the main module for an entrypoint.
    assert.deepEqual(exportedNames(text).sort(), [...exports]);
    assert.doesNotMatch(text, /^export\s+(const|let|var|function|class)\b/m);
    assert.doesNotMatch(text, /^\s*import\b/m, "bundle imports other modules");
    assert.doesNotMatch(text, /\bimport\s*\(/, "bundle has a dynamic import");
    assert.doesNotMatch(text, /\brequire\s*\(/, "bundle calls require()");
    assert.doesNotMatch(text, /\bDeno\./, "bundle calls a Deno API");
  });
}

Deno.test("edge bundle serves requests without starting timers", async () => {
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
    const edge = (await freshBundle()).default;
    for (
      const [method, path, body] of [
        ["POST", "/put", '{"key":"k","value":"v","ttl":60}'],
        ["GET", "/get?key=k", undefined],
        ["GET", "/stats", undefined],
      ]
    ) {
      const response = await edge.fetch(
        new Request(`http://edge.test${path}`, { method, body }),
      );
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
  } finally {
    Object.assign(globalThis, { setTimeout, setInterval });
  }
  assert.deepEqual(timers, [], "the edge handler started timers");
});

Deno.test("edge worker takes its configuration from the first request's bindings", async () => {
  const worker = createEdgeWorker();
  const miss = await worker.fetch(
    new Request("http://edge.test/get?key=1234"),
    // wrangler passes [vars] written without quotes as JSON values.
    { NOT_FOUND_STATUS: 200, MAX_KEY_SIZE: "4", OTHER: {} },
  );
  assert.equal(miss.status, 200);
  assert.equal(
    await miss.text(),
    '{"status":"ERROR","message":"Key not found."}',
  );
  // Built once: the bindings of later requests do not change it.
  const tooLong = await worker.fetch(
    new Request("http://edge.test/get?key=12345"),
    { MAX_KEY_SIZE: "100" },
  );
  assert.equal(tooLong.status, 400);
  await tooLong.body?.cancel();
});

Deno.test("edge worker answers 500 with the reason on a bad binding, then retries", async () => {
  const worker = createEdgeWorker();
  const request = () => new Request("http://edge.test/health");
  const errors: unknown[] = [];
  const { error } = console;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    const bad = await worker.fetch(request(), { MAX_CACHE_BYTES: "lots" });
    assert.equal(bad.status, 500);
    assert.equal(
      await bad.text(),
      '{"status":"ERROR","message":"Invalid MAX_CACHE_BYTES \\"lots\\": expected a whole number from 1024 to 9007199254740991."}',
    );
  } finally {
    console.error = error;
  }
  assert.match(String(errors), /kv-cache: Invalid MAX_CACHE_BYTES/);
  const good = await worker.fetch(request(), {});
  assert.equal(good.status, 200);
  await good.body?.cancel();
});

Deno.test("createEdgeHandler defaults to a 64 MiB budget and ignores CACHE_STORE", async () => {
  const handler = createEdgeHandler({ CACHE_STORE: "arena" });
  const response = await handler(new Request("http://edge.test/stats"));
  const stats = await response.json();
  assert.equal(EDGE_MAX_CACHE_BYTES, 64 * 1024 * 1024);
  assert.equal(stats.maxBytes, EDGE_MAX_CACHE_BYTES);
  assert.throws(
    () => createEdgeHandler({ DEFAULT_TTL_SECONDS: "-1" }),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === "DEFAULT_TTL_SECONDS",
  );
});

Deno.test("edge handler expires entries lazily on its clock, without a sweeper", async () => {
  const clock = new ManualClock();
  const handler = createEdgeHandler({}, clock);
  const send = async (method: string, path: string, body?: string) => {
    const response = await handler(
      new Request(`http://edge.test${path}`, { method, body }),
    );
    return { status: response.status, body: await response.text() };
  };
  assert.equal(
    (await send("POST", "/put", '{"key":"k","value":"v","ttl":2}')).status,
    200,
  );
  clock.advance(1999);
  assert.equal((await send("GET", "/get?key=k")).status, 200);
  clock.advance(1);
  assert.equal((await send("GET", "/get?key=k")).status, 404);
  const stats = JSON.parse((await send("GET", "/stats")).body);
  assert.equal(stats.entries, 0);
  assert.equal(stats.expiredOnRead, 1);
  assert.equal(stats.sweepsRun, 0);
});

Deno.test("bundles load where random values and timers are refused at the top level, as on Workers", async () => {
  // workerd refuses crypto.getRandomValues/randomUUID and timers outside a
  // handler ("Disallowed operation called within global scope").
  const refuse = (name: string) => () => {
    throw new Error(`${name} called within global scope`);
  };
  const saved = {
    getRandomValues: crypto.getRandomValues,
    randomUUID: crypto.randomUUID,
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
  };
  Object.assign(crypto, {
    getRandomValues: refuse("crypto.getRandomValues"),
    randomUUID: refuse("crypto.randomUUID"),
  });
  Object.assign(globalThis, {
    setTimeout: refuse("setTimeout"),
    setInterval: refuse("setInterval"),
  });
  let loaded: unknown[];
  try {
    loaded = await Promise.all([freshBundle("edge"), freshBundle("durable")]);
  } finally {
    Object.assign(crypto, {
      getRandomValues: saved.getRandomValues,
      randomUUID: saved.randomUUID,
    });
    Object.assign(globalThis, {
      setTimeout: saved.setTimeout,
      setInterval: saved.setInterval,
    });
  }
  assert.equal(loaded.length, 2);
});

Deno.test("the toBase64 fallback encodes as the standard method does", () => {
  const lengths = [
    0,
    1,
    2,
    3,
    4,
    5,
    255,
    0x8000 - 1,
    0x8000,
    0x8000 + 1,
    100_003,
  ];
  for (const length of lengths) {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    assert.equal(
      bytesToBase64Portable(bytes),
      bytes.toBase64(),
      `${length} bytes`,
    );
  }
});
