// Serves a bundled kv-cache edge module on Node's own HTTP server, as a Node
// host would embed it: each request becomes a web-standard Request for the
// module's default `fetch(request)`, which reads its configuration from
// `process.env`.
// Usage: node edge_node_server.mjs BUNDLE
// Prints the server's URL on the first line of stdout, then serves until
// SIGTERM or SIGINT.
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";

const [bundle] = process.argv.slice(2);
const { default: kvCache } = await import(pathToFileURL(bundle).href);

/** Turns a Node request into a web-standard Request. */
function toRequest(req) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of [value].flat()) headers.append(name, one);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: hasBody ? "half" : undefined,
  });
}

const server = createServer(async (req, res) => {
  try {
    const response = await kvCache.fetch(toRequest(req));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(error);
    res.writeHead(500).end();
  }
});
server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}/`);
});

// Idle keep-alive connections would hold close() open: drop them.
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
