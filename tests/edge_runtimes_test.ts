/**
 * The built edge bundle (`deno task bundle`'s dist/edge.js) on every runtime
 * it is for: each serves it over HTTP as that platform would, configured the
 * platform's way, and must keep the same contract, and give the Redis REST
 * API's answers through the real `@upstash/redis` client that the single
 * store gives. Runtimes that are not installed are reported as ignored,
 * with the reason in the test name.
 */
import assert from "node:assert/strict";
import { EdgeBundles } from "./support/edge_bundle.ts";
import {
  assertConfiguredContract,
  assertDefaultContract,
  call,
  CONFIGURED,
  startTtlCheck,
} from "./support/edge_contract.ts";
import { findEdgeRuntimes, startEdgeServer } from "./support/edge_runtimes.ts";
import { assertSameAnswers } from "./support/edge_redis_client.ts";
import { serveSingle } from "./support/edge_shards.ts";

const bundles = new EdgeBundles();

for (const runtime of await findEdgeRuntimes()) {
  Deno.test({
    name: runtime.missing
      ? `edge bundle on ${runtime.id}: SKIPPED, ${runtime.missing}`
      : `edge bundle on ${runtime.label}, configured by ${runtime.configuredBy}`,
    ignore: runtime.missing !== undefined,
    sanitizeResources: false, // fetch keeps connections to the servers alive
    async fn(t) {
      const bundle = await bundles.path("edge");
      const [plain, configured] = await Promise.all([
        startEdgeServer(runtime, bundle),
        startEdgeServer(runtime, bundle, CONFIGURED),
      ]);
      try {
        const ttlExpired = await startTtlCheck(plain.url);
        await t.step("contract: put, get, 404, 400, 413, stats", async () => {
          await assertDefaultContract(plain.url);
        });
        await t.step(
          "configuration: NOT_FOUND_STATUS=200, AUTH_TOKEN, MAX_CACHE_BYTES evicts",
          async () => {
            await assertConfiguredContract(configured.url);
          },
        );
        await t.step(
          "TTL: an entry put with ttl 1 is gone 1.1 s later",
          ttlExpired,
        );
        await t.step(
          "Redis REST API: @upstash/redis gets the single store's answers, both tokens",
          async () => {
            const reference = serveSingle(CONFIGURED);
            try {
              const tokens = {
                token: CONFIGURED.AUTH_TOKEN,
                readonlyToken: CONFIGURED.AUTH_READONLY_TOKEN,
              };
              await assertSameAnswers(
                { url: configured.url, ...tokens },
                { url: reference.url, ...tokens },
              );
            } finally {
              await reference.stop();
            }
          },
        );
      } finally {
        await Promise.all([plain.stop(), configured.stop()]);
      }

      await t.step("a bad variable is refused with its name", async () => {
        const bad = { MAX_CACHE_BYTES: "lots" };
        const message = /Invalid MAX_CACHE_BYTES "lots"/;
        if (runtime.configuredBy === "Worker bindings") {
          // Bindings arrive with the first request: it answers 500.
          const server = await startEdgeServer(runtime, bundle, bad);
          try {
            const answer = await call(server.url, "GET", "/health");
            assert.equal(answer.status, 500);
            assert.match(JSON.parse(answer.body).message, message);
          } finally {
            await server.stop();
          }
        } else {
          // The environment is read at startup, which fails.
          await assert.rejects(
            startEdgeServer(runtime, bundle, bad),
            (error: Error) => {
              assert.match(error.message, /exited with code [1-9]/);
              assert.match(error.message, message);
              return true;
            },
          );
        }
      });
    },
  });
}
