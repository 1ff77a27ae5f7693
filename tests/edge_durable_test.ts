/**
 * The Durable Object variant (dist/edge_durable.js) on workerd, through
 * miniflare: a front Worker routes each key to one of `SHARDS` CacheShard
 * objects, which every Worker isolate shares. Two Workers run the same
 * bundle, each in its own isolate, to show what a request through one
 * leaves for a request through the other. The Redis REST API through the
 * front is compared with the single store's (the real `@upstash/redis`
 * client, then random sequences), with keys in every shard.
 */
import assert from "node:assert/strict";
import { EdgeBundles } from "./support/edge_bundle.ts";
import {
  assertConfiguredContract,
  assertDefaultContract,
  call,
  CONFIGURED,
  startTtlCheck,
  stats,
} from "./support/edge_contract.ts";
import { findEdgeRuntimes, startEdgeServer } from "./support/edge_runtimes.ts";
import fc from "fast-check";
import {
  assertSameAnswers,
  redisClient,
  SAME_SHARD_KEYS,
  SHARD_KEYS,
} from "./support/edge_redis_client.ts";
import {
  refusingSides,
  serveSingle,
  spreadStep,
} from "./support/edge_shards.ts";
import { step } from "./support/redis_commands.ts";
import { restSide, runSteps } from "./support/redis_differential.ts";

/** Random sequences sent through the front on workerd and to one store. */
const DIFF_RUNS = Number(Deno.env.get("EDGE_DURABLE_DIFF_RUNS") ?? 60);

const bundles = new EdgeBundles();
const workerd = (await findEdgeRuntimes()).find((r) => r.id === "workerd")!;
const EDGE_BUDGET = 64 * 1024 * 1024;
const durable = { durableClass: "CacheShard", workers: 2 };

/** Per-shard entry counts, as the front's `/stats` lists them. */
async function shardEntries(base: string): Promise<number[]> {
  const response = await call(base, "GET", "/stats");
  return JSON.parse(response.body).shards.map(
    (shard: { entries: number }) => shard.entries,
  );
}

Deno.test({
  name: workerd.missing
    ? `edge Durable Objects on workerd: SKIPPED, ${workerd.missing}`
    : `edge Durable Objects on ${workerd.label}`,
  ignore: workerd.missing !== undefined,
  sanitizeResources: false, // fetch keeps connections to the servers alive
  async fn(t) {
    const [bundle, isolateBundle] = await Promise.all([
      bundles.path("durable"),
      bundles.path("edge"),
    ]);
    const [sharded, single, badShards, unbound, isolates] = await Promise.all([
      startEdgeServer(workerd, bundle, { SHARDS: "4" }, durable),
      startEdgeServer(workerd, bundle, CONFIGURED, durable),
      startEdgeServer(workerd, bundle, { SHARDS: "0" }, durable),
      startEdgeServer(workerd, bundle, {}), // no Durable Object binding
      startEdgeServer(workerd, isolateBundle, {}, { workers: 2 }),
    ]);
    try {
      const [front, otherFront] = sharded.urls;
      const ttlExpired = await startTtlCheck(front);

      await t.step(
        "SHARDS=4: the contract through the front Worker",
        async () => {
          await assertDefaultContract(front, 4 * EDGE_BUDGET);
        },
      );

      await t.step(
        "a PUT through one Worker is read through another",
        async () => {
          const put = await call(front, "POST", "/put", {
            body: '{"key":"shared ключ","value":"from A"}',
          });
          assert.equal(put.status, 200, put.body);
          const key = encodeURIComponent("shared ключ");
          assert.equal(
            (await call(otherFront, "GET", `/get?key=${key}`)).body,
            '{"status":"OK","key":"shared ключ","value":"from A"}',
          );
          assert.equal(
            (await call(otherFront, "DELETE", `/delete?key=${key}`)).status,
            200,
          );
          assert.equal(
            (await call(front, "GET", `/get?key=${key}`)).status,
            404,
          );
        },
      );

      await t.step(
        "the per-isolate bundle, for contrast, has a cache per Worker",
        async () => {
          const [a, b] = isolates.urls;
          const put = await call(a, "POST", "/put", {
            body: '{"key":"k","value":"v"}',
          });
          assert.equal(put.status, 200);
          assert.equal((await call(a, "GET", "/get?key=k")).status, 200);
          assert.equal((await call(b, "GET", "/get?key=k")).status, 404);
        },
      );

      await t.step("400 keys split evenly over 4 shards", async () => {
        const before = await shardEntries(front);
        assert.equal(before.length, 4);
        for (let i = 0; i < 400; i++) {
          const put = await call(i % 2 ? front : otherFront, "POST", "/put", {
            body: JSON.stringify({ key: `user:${i}`, value: String(i) }),
          });
          assert.equal(put.status, 200, put.body);
        }
        const added = (await shardEntries(front)).map((n, i) => n - before[i]);
        assert.equal(added.reduce((a, b) => a + b), 400);
        for (const n of added) {
          assert.ok(n >= 70 && n <= 130, `uneven split: ${added}`);
        }
        assert.equal(
          (await stats(otherFront)).entries,
          (await stats(front)).entries,
        );
      });

      await t.step(
        "TTL: an entry put with ttl 1 is gone 1.1 s later",
        ttlExpired,
      );

      const reference = serveSingle();
      try {
        await t.step(
          "Redis REST API through the front: @upstash/redis gets the single store's answers",
          async () => {
            await assertSameAnswers(
              { url: front, token: "any-token" },
              { url: reference.url, token: "any-token" },
            );
          },
        );

        await t.step(
          "refused through the client: MSETNX and multi() across shards throw CROSSSLOT and change nothing",
          async () => {
            const redis = redisClient(front, "any-token");
            const [k0, k1, k2, k3] = SHARD_KEYS;
            await redis.mset({ [k0]: "0", [k1]: "1", [k2]: "2" });
            const before = await redis.mget(...SHARD_KEYS, ...SAME_SHARD_KEYS);
            const crossSlot =
              /CROSSSLOT Keys in request don't hash to the same slot/;
            await assert.rejects(
              redis.msetnx({ [k3]: "x", [k0]: "y" }),
              crossSlot,
            );
            await assert.rejects(
              redis.multi().incr(k0).set(k3, "x").exec(),
              crossSlot,
            );
            await assert.rejects(
              redis.multi().get(SAME_SHARD_KEYS[0]).dbsize().exec(),
              crossSlot,
            );
            assert.deepEqual(
              await redis.mget(...SHARD_KEYS, ...SAME_SHARD_KEYS),
              before,
            );
            assert.deepEqual(before, ["0", "1", "2", null, null, null, null]);
          },
        );

        await t.step(
          "mixed clients through two Workers: the JSON API and the Redis API find each key in its shard",
          async () => {
            const [a, b] = [
              redisClient(front, "t"),
              redisClient(otherFront, "t"),
            ];
            for (const [i, key] of SHARD_KEYS.entries()) {
              const put = await call(front, "POST", "/put", {
                body: JSON.stringify({ key, value: `json ${i}`, ttl: 100 }),
              });
              assert.equal(put.status, 200, put.body);
            }
            assert.deepEqual(
              await b.mget(...SHARD_KEYS),
              SHARD_KEYS.map((_, i) => `json ${i}`),
            );
            const ttl = await b.ttl(SHARD_KEYS[3]);
            assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
            await a.set(SHARD_KEYS[1], "from redis ✓");
            assert.equal(
              (await call(otherFront, "GET", `/get?key=${SHARD_KEYS[1]}`)).body,
              `{"status":"OK","key":"${SHARD_KEYS[1]}","value":"from redis ✓"}`,
            );
            await call(otherFront, "DELETE", `/delete?key=${SHARD_KEYS[2]}`);
            assert.equal(await a.exists(...SHARD_KEYS), 3);
            assert.equal(await a.dbsize(), (await stats(otherFront)).entries);
          },
        );

        await t.step(
          `differential on workerd: ${DIFF_RUNS} random sequences through the front, the single store's answers`,
          async () => {
            const sides = refusingSides(
              restSide({ url: reference.url }, "single store"),
              restSide(
                { url: otherFront, base64: true },
                "4 shards on workerd",
              ),
              4,
            );
            await fc.assert(
              fc.asyncProperty(
                fc.array(step.map(spreadStep), { minLength: 1, maxLength: 20 }),
                (steps) => runSteps(sides.reference, sides.subject, steps),
              ),
              { numRuns: DIFF_RUNS },
            );
          },
        );
      } finally {
        await reference.stop();
      }

      await t.step("one shard by default: configuration honoured", async () => {
        await assertConfiguredContract(single.url);
        const all = await call(single.url, "GET", "/stats", {
          token: CONFIGURED.AUTH_TOKEN,
        });
        assert.equal(JSON.parse(all.body).shards.length, 1);
      });

      await t.step(
        "one shard: the Redis REST API forwarded whole, both tokens",
        async () => {
          const configured = serveSingle(CONFIGURED);
          try {
            const tokens = {
              token: CONFIGURED.AUTH_TOKEN,
              readonlyToken: CONFIGURED.AUTH_READONLY_TOKEN,
            };
            await assertSameAnswers(
              { url: single.url, ...tokens },
              { url: configured.url, ...tokens },
            );
          } finally {
            await configured.stop();
          }
        },
      );

      await t.step("a bad SHARDS answers 500 naming it", async () => {
        const answer = await call(badShards.url, "GET", "/get?key=k");
        assert.equal(answer.status, 500);
        assert.equal(
          JSON.parse(answer.body).message,
          'Invalid SHARDS "0": expected a whole number from 1 to 1024.',
        );
      });

      await t.step(
        "without the CACHE_SHARD binding: 500 naming it",
        async () => {
          const answer = await call(unbound.url, "GET", "/get?key=k");
          assert.equal(answer.status, 500);
          assert.match(
            JSON.parse(answer.body).message,
            /^Missing Durable Object binding CACHE_SHARD: bind the class CacheShard/,
          );
        },
      );
    } finally {
      await Promise.all(
        [sharded, single, badShards, unbound, isolates].map((server) =>
          server.stop()
        ),
      );
    }
  },
});
