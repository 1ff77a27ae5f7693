/**
 * The steps server: the floor's work routed by Hono, then kv-cache's pieces
 * added one at a time (`STEP`), so that the load test can show what each
 * piece costs against the floor. `main.ts` is the last step, with metrics,
 * the idle-timeout server, the sweeper and the rest.
 *
 * | STEP | adds                                                                |
 * | ---- | ------------------------------------------------------------------- |
 * | 0    | Hono routing; PUT bodies read with `bytes()`; fixed answers          |
 * | 1    | the body reader: `Content-Length` limit, watchdog, shutdown tracking |
 * | 2    | input checks: the PUT body's literals found, the GET key checked     |
 * | 3    | the arena store: PUTs stored, GETs answered from it                  |
 *
 * Below step 3 a GET answers a fixed hit body of the mean length, as the floor
 * does, so the harness reports values that do not round-trip.
 *
 * Run: `deno task bench --together --only mix --entry bench/steps_server.ts
 * --env STEP=2 --variant STEP=3`
 *
 * @module
 */

import { Hono } from "hono";
import { createCache } from "../lib/create_cache.ts";
import { BodyReader } from "../server/body_reader.ts";
import { readPutBody } from "../routes/put_body.ts";
import {
  hitBody,
  jsonResponse,
  NOT_FOUND_BODY,
  PUT_OK_BODY,
} from "../routes/responses.ts";
import { checkQueryKey } from "../routes/validation.ts";
import { fixedHitBody } from "./data.ts";

const step = Number(Deno.env.get("STEP") ?? "3");
if (![0, 1, 2, 3].includes(step)) {
  throw new Error(`STEP must be 0, 1, 2 or 3, got "${Deno.env.get("STEP")}"`);
}
const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const LIMITS = { maxKeySize: 256, maxValueSize: 256, maxTtlSeconds: 86_400 };

const FIXED_HIT = fixedHitBody();

const reader = new BodyReader({ maxBytes: 16_384, timeoutMs: 10_000 });
const cache = createCache({
  cacheStore: "arena",
  maxCacheBytes: 1_500_000_000,
  defaultTtlSeconds: 300,
  maxKeySize: LIMITS.maxKeySize,
  maxValueSize: LIMITS.maxValueSize,
});
const counters = { gets: 0, puts: 0, misses: 0 };
const fail = (message: string) => jsonResponse(message, 400);

const app = new Hono();
app.post("/put", async function putStep(c) {
  counters.puts++;
  const body = step >= 1
    ? await reader.read(c.req.raw)
    : await c.req.raw.bytes();
  if (typeof body === "string") return fail(body);
  if (step >= 2) {
    const literals = readPutBody(body, LIMITS);
    if (literals === undefined) return fail("not JSON.stringify's spelling");
    if (step >= 3) cache.setJson(literals, literals.ttl);
  }
  return jsonResponse(PUT_OK_BODY);
});
app.get("/get", function getStep(c) {
  counters.gets++;
  const key = c.req.query("key");
  if (step >= 2 && checkQueryKey(key, LIMITS.maxKeySize) !== undefined) {
    return fail("bad key");
  }
  if (step < 3) return jsonResponse(FIXED_HIT);
  const value = cache.getJson(key!);
  if (value === undefined) {
    counters.misses++;
    return jsonResponse(NOT_FOUND_BODY, 200);
  }
  return jsonResponse(hitBody(key!, value));
});
app.get("/health", () => jsonResponse('{"status":"OK"}'));
app.get("/stats", () => Response.json({ status: "OK", ...counters }));

Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(`steps server (STEP=${step}) on http://${hostname}:${port}`),
}, app.fetch);
