/**
 * The minimal server: the least JavaScript a working key-value server on
 * `Deno.serve` can run per request. No framework, no `URL` object, no
 * limits, no TTL, no budget: the method and path are compared as strings,
 * the key is cut out of the query string, a PUT body goes through
 * `JSON.parse`, values live in a `Map` as their JSON literal, and every
 * answer is one string concatenation with a shared header object.
 *
 * It is not a server to run. It answers one question for the load test: how
 * much of a request's CPU is Deno's HTTP stack itself, which no handler can
 * remove? Measured as `--entry` in the same rounds as the naive server and
 * the floor (`deno task bench --entry bench/minimal_server.ts`), it bounds
 * what any handler on `Deno.serve`, kv-cache's included, can reach.
 *
 * Same contract as main.ts for the harness: env `PORT`, `HOST`,
 * `NOT_FOUND_STATUS`; `/health`; `/stats` counts misses; the exact bodies.
 *
 * Run: `deno run --allow-net --allow-env bench/minimal_server.ts`
 *
 * @module
 */

const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const notFoundStatus = Deno.env.get("NOT_FOUND_STATUS") === "200" ? 200 : 404;

const HEADERS = { "content-type": "application/json" };
const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';
const BAD_REQUEST = '{"status":"ERROR","message":"Bad request."}';

/** Each key's value, as its JSON literal (what a hit answers). */
const store = new Map<string, string>();
let misses = 0;

/** The `key` parameter of a request URL, decoded, or undefined. */
function keyOf(url: string): string | undefined {
  const at = url.indexOf("?key=");
  if (at < 0) return undefined;
  const end = url.indexOf("&", at);
  const raw = end < 0 ? url.slice(at + 5) : url.slice(at + 5, end);
  return raw.includes("%") || raw.includes("+")
    ? decodeURIComponent(raw.replaceAll("+", " "))
    : raw;
}

function answer(body: string, status = 200): Response {
  return new Response(body, { status, headers: HEADERS });
}

async function put(request: Request): Promise<Response> {
  let body;
  try {
    body = JSON.parse(await request.text());
  } catch {
    return answer(BAD_REQUEST, 400);
  }
  if (typeof body?.key !== "string" || typeof body.value !== "string") {
    return answer(BAD_REQUEST, 400);
  }
  store.set(body.key, JSON.stringify(body.value));
  return answer(PUT_OK);
}

function get(url: string): Response {
  const key = keyOf(url);
  const value = key === undefined ? undefined : store.get(key);
  if (value === undefined) {
    misses++;
    return answer(NOT_FOUND, notFoundStatus);
  }
  return answer(
    '{"status":"OK","key":' + JSON.stringify(key) + ',"value":' + value + "}",
  );
}

function handle(request: Request): Response | Promise<Response> {
  const url = request.url;
  if (request.method === "POST") return put(request);
  if (url.includes("/get?")) return get(url);
  if (url.endsWith("/health")) return answer('{"status":"OK"}');
  if (url.endsWith("/stats")) {
    return answer(JSON.stringify({
      status: "OK",
      entries: store.size,
      misses,
    }));
  }
  return answer(BAD_REQUEST, 404);
}

// Exit normally on SIGTERM, so that `--cpu-prof` runs get their profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(`minimal server listening on http://${hostname}:${port}`),
}, handle);
