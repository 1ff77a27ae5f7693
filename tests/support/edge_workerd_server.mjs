// Serves a bundled kv-cache edge module on Cloudflare's workerd, through
// npm `miniflare` (which runs the workerd binary shipped in npm `workerd`).
// Usage: node edge_workerd_server.mjs RUNTIMES_DIR BUNDLE BINDINGS_JSON [DURABLE_CLASS]
// BINDINGS_JSON: the Worker's text bindings (vars). With DURABLE_CLASS, the
// bundle's class of that name is bound as the Durable Object namespace
// CACHE_SHARD. Prints the server's URL on the first line of stdout, then
// serves until SIGTERM or SIGINT.
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [runtimesDir, bundle, bindingsJson, durableClass] = process.argv.slice(2);
const require = createRequire(resolve(runtimesDir, "package.json"));
const { Miniflare } = await import(
  pathToFileURL(require.resolve("miniflare")).href
);

const mf = new Miniflare({
  modules: true,
  scriptPath: resolve(bundle),
  modulesRoot: dirname(resolve(bundle)),
  compatibilityDate: "2025-01-01",
  bindings: JSON.parse(bindingsJson),
  ...(durableClass ? { durableObjects: { CACHE_SHARD: durableClass } } : {}),
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
console.log(url.href);

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
