// Serves a bundled kv-cache edge module on Vercel's edge runtime (npm
// `edge-runtime`, the runtime of Vercel Edge Functions and `next dev`).
// Usage: node edge_vercel_server.mjs RUNTIMES_DIR BUNDLE ENV_JSON
// ENV_JSON becomes `process.env` inside the runtime, as Vercel sets it. The
// runtime evaluates scripts, not ES modules, so the bundle's one closing
// `export { x as default }` is turned into a variable, and a fetch listener
// calls its `fetch(request)` as Vercel calls an edge function: with the
// request and no bindings. Prints the server's URL on the first line of
// stdout, then serves until SIGTERM or SIGINT.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [runtimesDir, bundle, envJson] = process.argv.slice(2);
const require = createRequire(resolve(runtimesDir, "package.json"));
const { EdgeRuntime, runServer } = await import(
  pathToFileURL(require.resolve("edge-runtime")).href
);

const moduleCode = readFileSync(bundle, "utf8");
const closingExport = /\bexport\s*\{\s*([\w$]+)\s+as\s+default\s*\};?\s*$/;
if (!closingExport.test(moduleCode)) {
  console.error(`${bundle} does not end with "export { x as default }"`);
  process.exit(2);
}
const initialCode = moduleCode.replace(
  closingExport,
  `const kvCacheDefault = $1;
addEventListener("fetch", (event) => {
  event.respondWith(kvCacheDefault.fetch(event.request));
});
`,
);
const env = JSON.parse(envJson);
const runtime = new EdgeRuntime({
  initialCode,
  extend: (context) => Object.assign(context, { process: { env } }),
});
const server = await runServer({ runtime, host: "127.0.0.1", port: 0 });
console.log(server.url);

// The server's close() waits for idle keep-alive connections: just exit.
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
