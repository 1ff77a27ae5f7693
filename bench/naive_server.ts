/**
 * The naive baseline: the simplest Hono + `Map` key-value server a newcomer
 * writes (`c.req.json()`, 256-character checks, a `Map`, `c.json()`), with
 * no limits on bodies, no TTL, no memory budget and no hardening. The load
 * test measures it in the same rounds as kv-cache and the floor, so that
 * kv-cache's cost can be read against what the plain approach costs.
 *
 * Same contract as main.ts for the harness: env `PORT`, `HOST`,
 * `NOT_FOUND_STATUS`; `/health`; `/stats` counts misses.
 *
 * Run: `deno run --allow-net --allow-env bench/naive_server.ts`
 *
 * @module
 */

import { Hono } from "hono";

const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const notFoundStatus = Deno.env.get("NOT_FOUND_STATUS") === "200" ? 200 : 404;

const store = new Map<string, string>();
let misses = 0;
const app = new Hono();

app.post("/put", async (c) => {
  let body;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ status: "ERROR", message: "Invalid JSON." }, 400);
  }
  const { key, value } = body ?? {};
  if (typeof key !== "string" || key.length === 0 || key.length > 256) {
    return c.json({ status: "ERROR", message: "Invalid key." }, 400);
  }
  if (typeof value !== "string" || value.length > 256) {
    return c.json({ status: "ERROR", message: "Invalid value." }, 400);
  }
  store.set(key, value);
  return c.json({
    status: "OK",
    message: "Key inserted/updated successfully.",
  });
});

app.get("/get", (c) => {
  const key = c.req.query("key") ?? "";
  const value = store.get(key);
  if (value === undefined) {
    misses++;
    return c.json(
      { status: "ERROR", message: "Key not found." },
      notFoundStatus,
    );
  }
  return c.json({ status: "OK", key, value });
});

app.get("/health", (c) => c.json({ status: "OK" }));
app.get("/stats", (c) => c.json({ status: "OK", entries: store.size, misses }));

// Not what a newcomer writes: exit normally on SIGTERM, so that the harness's
// `--cpu-prof` runs (`deno task bench:profile --entry`) get their profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(`naive server listening on http://${hostname}:${port}`),
}, app.fetch);
