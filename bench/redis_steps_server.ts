/**
 * The Redis steps server: a Redis REST `POST /` built up from a bare
 * `Deno.serve` one piece of kv-cache at a time (`STEP`), so that the load
 * test shows what each piece costs on the `redis-get` workload. `main.ts`
 * is the step after the last.
 *
 * | STEP | adds                                                                     |
 * | ---- | ------------------------------------------------------------------------ |
 * | 0    | `Deno.serve`, the body read with `text()`, a fixed answer of the size     |
 * | 1    | the protocol: parse, the command table, the arena store, base64 answer   |
 * | 2    | the `upstash-sync-token` response header                                 |
 * | 3    | the body reader: `Content-Length` limit, watchdog, shutdown tracking     |
 * | 4    | Hono routing                                                             |
 * | 5    | the idle-timeout connection server (`server/serve.ts`)                   |
 *
 * Run (one workload, every step in the same rounds):
 * `deno task bench --load-generator wrk --only redis-get --entry bench/redis_steps_server.ts --env STEP=0 --variant STEP=1 --variant STEP=2 ...`
 *
 * @module
 */

import { Hono } from "hono";
import { createCache } from "../lib/create_cache.ts";
import { BodyReader } from "../server/body_reader.ts";
import { serve } from "../server/serve.ts";
import { redisAnswer } from "../routes/redis/answers.ts";
import { resolveCommand } from "../routes/redis/commands.ts";
import { CommandContext } from "../routes/redis/context.ts";
import { parseCommandBody, resultBody } from "../routes/redis/protocol.ts";
import type { Reply } from "../routes/redis/reply.ts";
import { runCommand } from "../routes/redis/run.ts";
import {
  hitBody,
  jsonResponse,
  NOT_FOUND_BODY,
  PUT_OK_BODY,
} from "../routes/responses.ts";
import { VALUE_LENGTH } from "./data.ts";

const step = Number(Deno.env.get("STEP") ?? "5");
if (![0, 1, 2, 3, 4, 5].includes(step)) {
  throw new Error(`STEP must be 0 to 5, got "${Deno.env.get("STEP")}"`);
}
const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";

const cache = createCache({
  cacheStore: "arena",
  maxCacheBytes: 1_500_000_000,
  defaultTtlSeconds: 300,
  maxKeySize: 256,
  maxValueSize: 256,
});
const context = new CommandContext(cache, 256, 256);
const reader = new BodyReader({ maxBytes: 16_384, timeoutMs: 10_000 });
const counters = { gets: 0, puts: 0, misses: 0 };
const HEADERS = { "content-type": "application/json" };
const FIXED = `{"result":"${"A".repeat(4 * Math.ceil(VALUE_LENGTH / 3))}"}`;

/** The answer to `POST /` at this step. */
async function command(request: Request): Promise<Response> {
  counters.gets++;
  const text = step >= 3
    ? await reader.readText(request)
    : await request.text();
  if (typeof text !== "string") return jsonResponse('{"error":"body"}');
  if (step === 0) return new Response(FIXED, { headers: HEADERS });
  const argv = parseCommandBody(text);
  if (typeof argv === "string") return jsonResponse('{"error":"parse"}', 400);
  const spec = resolveCommand(argv);
  const reply = runCommand(context, spec, argv, true);
  if (reply === null) counters.misses++;
  const body = resultBody(reply as Reply, true);
  return step >= 2
    ? redisAnswer(body, 200)
    : new Response(body, { headers: HEADERS });
}

async function put(request: Request): Promise<Response> {
  counters.puts++;
  const { key, value } = await request.json();
  cache.set(key, value);
  return jsonResponse(PUT_OK_BODY);
}

function get(url: URL): Response {
  const key = url.searchParams.get("key") ?? "";
  const value = cache.getJson(key);
  return value === undefined
    ? jsonResponse(NOT_FOUND_BODY, 404)
    : jsonResponse(hitBody(key, value));
}

const stats = () => Response.json({ status: "OK", ...counters });

function handle(request: Request): Response | Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === "/") {
    return command(request);
  }
  if (request.method === "POST" && url.pathname === "/put") return put(request);
  if (url.pathname === "/get") return get(url);
  if (url.pathname === "/stats") return stats();
  return jsonResponse('{"status":"OK"}');
}

const app = new Hono();
app.post("/", (c) => command(c.req.raw));
app.post("/put", (c) => put(c.req.raw));
app.get("/get", (c) => get(new URL(c.req.url)));
app.get("/stats", stats);
app.get("/health", () => jsonResponse('{"status":"OK"}'));

const handler = step >= 4 ? app.fetch : handle;
const onListen = ({ hostname, port }: { hostname: string; port: number }) =>
  console.log(
    `redis steps server (STEP=${step}) on http://${hostname}:${port}`,
  );
if (step >= 5) {
  serve({ hostname, port, idleTimeoutMs: 60_000, onListen }, handler);
} else {
  Deno.serve({ hostname, port, onListen }, handler);
}
