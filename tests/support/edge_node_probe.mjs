// Runs requests through a bundled kv-cache edge handler under Node.
// Usage: node edge_node_probe.mjs BUNDLE REQUESTS_JSON
// REQUESTS_JSON is an array of {method, path, body?}; prints a JSON array of
// {status, contentType, body}, as probe() in edge_bundle.ts does under Deno.
import { pathToFileURL } from "node:url";

const [bundle, requestsJson] = process.argv.slice(2);
const { default: handler } = await import(pathToFileURL(bundle).href);
const answers = [];
for (const { method, path, body } of JSON.parse(requestsJson)) {
  const response = await handler.fetch(
    new Request(`http://edge.test${path}`, { method, body }),
  );
  answers.push({
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  });
}
console.log(JSON.stringify(answers));
