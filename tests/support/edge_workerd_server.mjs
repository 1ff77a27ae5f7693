// Serves a bundled kv-cache edge module on Cloudflare's workerd, through
// npm `miniflare` (which runs the workerd binary shipped in npm `workerd`).
// Usage: node edge_workerd_server.mjs RUNTIMES_DIR BUNDLE BINDINGS_JSON [DURABLE_CLASS] [WORKERS]
// BINDINGS_JSON: the Worker's text bindings (vars). DURABLE_CLASS (or ""):
// the bundle's class bound as the Durable Object namespace CACHE_SHARD.
// WORKERS (default 1): how many Workers run the same bundle, each in its own
// isolate and on its own socket; they share the first one's Durable Objects.
// Prints the Workers' URLs, space-separated, on the first line of stdout,
// then serves until SIGTERM or SIGINT.
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [runtimesDir, bundle, bindingsJson, durableClass = "", count = "1"] =
  process.argv.slice(2);
const require = createRequire(resolve(runtimesDir, "package.json"));
const { Miniflare } = await import(
  pathToFileURL(require.resolve("miniflare")).href
);

const workers = Array.from({ length: Number(count) }, (_, i) => ({
  name: `kv-cache-${i}`,
  modules: true,
  scriptPath: resolve(bundle),
  modulesRoot: dirname(resolve(bundle)),
  compatibilityDate: "2025-01-01",
  bindings: JSON.parse(bindingsJson),
  ...(durableClass
    ? {
      durableObjects: {
        CACHE_SHARD: { className: durableClass, scriptName: "kv-cache-0" },
      },
    }
    : {}),
  ...(i > 0 ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
}));
const mf = new Miniflare({ workers, host: "127.0.0.1", port: 0 });
const urls = [await mf.ready];
for (const { name } of workers.slice(1)) {
  urls.push(await mf.unsafeGetDirectURL(name));
}
console.log(urls.map((url) => url.href).join(" "));

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
