/**
 * The floor server: a bare `Deno.serve` that does the HTTP work of the cache
 * (routes on the path, reads query strings and PUT bodies) but keeps no data.
 * It answers fixed JSON bodies of the sizes the real server sends, so the
 * load test can express the server's cost as a ratio to Deno's HTTP stack.
 *
 * Same contract as main.ts: env `PORT`, `HOST`, `NOT_FOUND_STATUS`; prints one
 * line on stdout when listening. GETs of keys starting with `MISS_PREFIX` get
 * the not-found answer; every other GET gets a hit-sized body. `POST /` and
 * `POST /pipeline` (the Redis REST protocol) get a GET hit's answer, or
 * {@linkcode PIPELINE_GETS} of them.
 *
 * Run: `deno run --allow-net --allow-env bench/floor_server.ts`
 *
 * @module
 */

import { fixedHitBody, MISS_PREFIX, VALUE_LENGTH } from "./data.ts";
import { PIPELINE_GETS } from "./load/generator.ts";

const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const notFoundStatus = Number(Deno.env.get("NOT_FOUND_STATUS") ?? "404");

const HEADERS = { "content-type": "application/json" };
const PUT_BODY =
  '{"status":"OK","message":"Key inserted/updated successfully."}';
const MISS_BODY = '{"status":"ERROR","message":"Key not found."}';
const HEALTH_BODY = '{"status":"OK"}';

const HIT_BODY = fixedHitBody();
/** A Redis REST GET hit as kv-cache answers it: base64 of a benchmark value. */
const REDIS_HIT = `{"result":"${"A".repeat(4 * Math.ceil(VALUE_LENGTH / 3))}"}`;
const PIPELINE_BODY = `[${Array(PIPELINE_GETS).fill(REDIS_HIT).join(",")}]`;
const counters = { gets: 0, misses: 0, puts: 0 };

function json(body: string, status = 200): Response {
  return new Response(body, { status, headers: HEADERS });
}

async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (req.method === "GET" && url.pathname === "/get") {
    counters.gets++;
    const key = url.searchParams.get("key") ?? "";
    if (key.startsWith(MISS_PREFIX)) {
      counters.misses++;
      return json(MISS_BODY, notFoundStatus);
    }
    return json(HIT_BODY);
  }
  if (req.method === "POST" && url.pathname === "/put") {
    counters.puts++;
    await req.text();
    return json(PUT_BODY);
  }
  // The Redis REST protocol (bench workloads redis-get, redis-pipeline16):
  // the body is read, not parsed; the answer has the real one's size.
  if (req.method === "POST" && url.pathname === "/") {
    counters.gets++;
    await req.text();
    return json(REDIS_HIT);
  }
  if (req.method === "POST" && url.pathname === "/pipeline") {
    counters.gets += PIPELINE_GETS;
    await req.text();
    return json(PIPELINE_BODY);
  }
  if (req.method === "GET" && url.pathname === "/stats") {
    return Response.json({ status: "OK", ...counters });
  }
  if (req.method === "GET" && url.pathname === "/health") {
    return json(HEALTH_BODY);
  }
  return json('{"status":"ERROR","message":"Not found."}', 404);
}

Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(`floor server listening on http://${hostname}:${port}`),
}, handle);
