// Serves a bundled kv-cache edge module on Vercel's edge runtime (npm
// `edge-runtime`, the runtime of Vercel Edge Functions and `next dev`).
// Usage: node edge_vercel_server.mjs RUNTIMES_DIR BUNDLE ENV_JSON
// ENV_JSON becomes `process.env` inside the runtime, as Vercel sets it. The
// runtime evaluates scripts, not ES modules, so the bundle's closing
// `export { … }` is turned into an object, and a fetch listener calls its
// default export as Vercel calls an edge function, with the request alone:
// `default(request)` for a function, `default.fetch(request)` for
// `{ fetch }`. Prints the server's URL on the first line of stdout, then
// serves until SIGTERM or SIGINT.
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
const closingExport = /\bexport\s*\{([^}]*)\};?\s*$/;
const exports = closingExport.exec(moduleCode);
if (exports === null) {
  console.error(`${bundle} does not end with "export { … }"`);
  process.exit(2);
}
const fields = exports[1].split(",").map((item) => item.trim()).filter(Boolean)
  .map((item) => {
    const [local, exported = local] = item.split(/\s+as\s+/);
    return `${JSON.stringify(exported)}: ${local}`;
  });
const initialCode = `${moduleCode.slice(0, exports.index)}
const kvCacheModule = { ${fields.join(", ")} };
addEventListener("fetch", (event) => {
  const entry = kvCacheModule.default;
  event.respondWith(
    typeof entry === "function" ? entry(event.request) : entry.fetch(event.request),
  );
});
`;
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
