/**
 * The deployment files in deploy/cloudflare and deploy/vercel: they point at
 * what `deno task bundle` builds, their bindings match the code, and each
 * runs on its platform's local runtime with its own configuration (workerd
 * through miniflare with the wrangler files' vars, which is what
 * `wrangler dev` passes; Vercel's edge runtime for the edge function).
 */
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import * as durableEntry from "../edge_durable.ts";
import { parseEdgeConfig } from "../routes/edge_handler.ts";
import { readShards, SHARD_BINDING } from "../routes/shard_router.ts";
import { BUNDLE_ARGS, EdgeBundles } from "./support/edge_bundle.ts";
import { call, stats } from "./support/edge_contract.ts";
import {
  type EdgeConfig,
  findEdgeRuntimes,
  startEdgeServer,
} from "./support/edge_runtimes.ts";

const ROOT = new URL("../", import.meta.url);
const bundles = new EdgeBundles();
const runtimes = await findEdgeRuntimes();
const workerd = runtimes.find((r) => r.id === "workerd")!;
const edgeRuntime = runtimes.find((r) => r.id === "edge-runtime")!;

interface WranglerConfig {
  main: string;
  no_bundle?: boolean;
  vars?: EdgeConfig;
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  migrations?: { new_sqlite_classes?: string[]; new_classes?: string[] }[];
}

async function wrangler(file: string): Promise<WranglerConfig> {
  const path = new URL(`deploy/cloudflare/${file}`, ROOT);
  return parse(await Deno.readTextFile(path)) as unknown as WranglerConfig;
}

/** The `dist/…` file a wrangler file's `main` names, from the root. */
function mainOf(file: string, config: WranglerConfig): string {
  const main = new URL(config.main, new URL(`deploy/cloudflare/${file}`, ROOT));
  return main.pathname.slice(ROOT.pathname.length);
}

/** Outputs and entries of `deno task bundle`, as `output entry` pairs. */
async function bundleTaskOutputs(): Promise<string[]> {
  const { tasks } = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  return [...tasks.bundle.matchAll(/--output (\S+) (\S+)/g)].map((m) =>
    `${m[1]} ${m[2]}`
  );
}

Deno.test("wrangler.toml deploys dist/edge.js as built, with valid vars", async () => {
  const config = await wrangler("wrangler.toml");
  assert.equal(mainOf("wrangler.toml", config), "dist/edge.js");
  assert.ok((await bundleTaskOutputs()).includes("dist/edge.js edge.ts"));
  assert.equal(config.no_bundle, true);
  parseEdgeConfig(config.vars ?? {});
  assert.equal(config.durable_objects, undefined);
});

Deno.test("wrangler-durable.toml binds the Durable Object class the bundle exports", async () => {
  const config = await wrangler("wrangler-durable.toml");
  assert.equal(
    mainOf("wrangler-durable.toml", config),
    "dist/edge_durable.js",
  );
  assert.ok(
    (await bundleTaskOutputs()).includes(
      "dist/edge_durable.js edge_durable.ts",
    ),
  );
  const [binding] = config.durable_objects?.bindings ?? [];
  assert.equal(binding?.name, SHARD_BINDING);
  const exported =
    (durableEntry as Record<string, unknown>)[binding.class_name];
  assert.equal(typeof exported, "function", `${binding.class_name} exported`);
  assert.ok(
    config.migrations?.some((m) =>
      m.new_sqlite_classes?.includes(binding.class_name) ||
      m.new_classes?.includes(binding.class_name)
    ),
    "no migration creates the class",
  );
  assert.ok(readShards(config.vars ?? {}) > 1);
  parseEdgeConfig(config.vars ?? {});
});

Deno.test({
  name: workerd.missing
    ? `wrangler files on workerd: SKIPPED, ${workerd.missing}`
    : `wrangler files' vars on ${workerd.label}`,
  ignore: workerd.missing !== undefined,
  sanitizeResources: false, // fetch keeps connections to the servers alive
  async fn() {
    const plain = await wrangler("wrangler.toml");
    const durable = await wrangler("wrangler-durable.toml");
    const [isolate, sharded] = await Promise.all([
      startEdgeServer(workerd, await bundles.path("edge"), plain.vars),
      startEdgeServer(workerd, await bundles.path("durable"), durable.vars, {
        durableClass: durable.durable_objects!.bindings[0].class_name,
      }),
    ]);
    try {
      for (const server of [isolate, sharded]) {
        const put = await call(server.url, "POST", "/put", {
          body: '{"key":"k","value":"v"}',
        });
        assert.equal(put.status, 200, put.body);
        assert.equal((await call(server.url, "GET", "/get?key=k")).status, 200);
      }
      assert.equal(
        (await stats(isolate.url)).maxBytes,
        Number(plain.vars!.MAX_CACHE_BYTES),
      );
      const shards = Number(durable.vars!.SHARDS);
      assert.equal(
        (await stats(sharded.url)).maxBytes,
        shards * Number(durable.vars!.MAX_CACHE_BYTES),
      );
      const all = await call(sharded.url, "GET", "/stats");
      assert.equal(JSON.parse(all.body).shards.length, shards);
    } finally {
      await Promise.all([isolate.stop(), sharded.stop()]);
    }
  },
});

/**
 * Builds the Vercel function in `dir` as Vercel's build would: the function
 * file with dist/edge.js at the same relative path, bundled into one module.
 */
async function buildVercelFunction(dir: string): Promise<string> {
  const source = new URL("deploy/vercel/api/[...path].js", ROOT);
  await Deno.mkdir(`${dir}/deploy/vercel/api`, { recursive: true });
  await Deno.mkdir(`${dir}/dist`);
  await Deno.copyFile(source, `${dir}/deploy/vercel/api/[...path].js`);
  await Deno.copyFile(await bundles.path("edge"), `${dir}/dist/edge.js`);
  const output = `${dir}/vercel_function.js`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      ...BUNDLE_ARGS,
      "--output",
      output,
      `${dir}/deploy/vercel/api/[...path].js`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
  return output;
}

Deno.test({
  name: edgeRuntime.missing
    ? `Vercel edge function on edge-runtime: SKIPPED, ${edgeRuntime.missing}`
    : `Vercel edge function (deploy/vercel) on ${edgeRuntime.label}`,
  ignore: edgeRuntime.missing !== undefined,
  sanitizeResources: false, // fetch keeps connections to the servers alive
  async fn() {
    const vercel = JSON.parse(
      await Deno.readTextFile(new URL("deploy/vercel/vercel.json", ROOT)),
    );
    assert.deepEqual(vercel.rewrites, [
      { source: "/:path*", destination: "/api/:path*" },
    ]);
    const dir = await Deno.makeTempDir({ prefix: "kv-cache-vercel-" });
    try {
      const fn = await buildVercelFunction(dir);
      const server = await startEdgeServer(edgeRuntime, fn, {
        NOT_FOUND_STATUS: "200",
      });
      try {
        // Vercel may pass the rewritten URL (/api/…) or the original one.
        const put = await call(server.url, "POST", "/api/put", {
          body: '{"key":"vercel 🚀","value":"edge"}',
        });
        assert.equal(put.status, 200, put.body);
        const key = encodeURIComponent("vercel 🚀");
        for (const path of [`/get?key=${key}`, `/api/get?key=${key}`]) {
          assert.equal(
            (await call(server.url, "GET", path)).body,
            '{"status":"OK","key":"vercel 🚀","value":"edge"}',
          );
        }
        assert.deepEqual(await call(server.url, "GET", "/api/get?key=nope"), {
          status: 200,
          contentType: "application/json",
          body: '{"status":"ERROR","message":"Key not found."}',
        });
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
