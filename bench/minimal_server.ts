/**
 * The minimal server: the least JavaScript a working key-value server on
 * `Deno.serve` can run per request ({@linkcode MinimalKv}: no framework, no
 * `URL` object, no limits, no TTL, no budget), each answer a string body with
 * a shared header object.
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

import { MinimalKv } from "./minimal_kv.ts";

const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const kv = new MinimalKv(
  Deno.env.get("NOT_FOUND_STATUS") === "200" ? 200 : 404,
);
const HEADERS = { "content-type": "application/json" };

function respond(method: string, url: string, body: string): Response {
  const { status, body: answer } = kv.answer(method, url, body);
  return new Response(answer, { status, headers: HEADERS });
}

function handle(request: Request): Response | Promise<Response> {
  if (request.method === "POST") {
    return request.text().then((body) => respond("POST", request.url, body));
  }
  return respond(request.method, request.url, "");
}

// Exit normally on SIGTERM, so that `--cpu-prof` runs get their profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(`minimal server listening on http://${hostname}:${port}`),
}, handle);
