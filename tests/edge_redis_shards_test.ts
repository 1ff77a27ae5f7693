/**
 * The Redis REST API of the Durable Object variant, in process: the front
 * Worker (routes/shard_router.ts) over four CacheShard objects, against the
 * single edge handler (one store, the server's routes) as the reference.
 * The same random command sequences go to both over HTTP and every answer
 * is compared (tests/support/redis_differential.ts), with the harness's keys
 * moved so that they fall in four different shards; what a sharded front
 * must refuse is refused, with its error, and changes nothing. The same
 * front on workerd, with the real client, is in edge_redis_client_test.ts.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { shardOf } from "../lib/shard_of.ts";
import { joinCursor, splitCursor } from "../routes/shard_cursor.ts";
import { commandsWithoutRule } from "../routes/shard_plan.ts";
import {
  type Command,
  type Step,
  step,
  wellFormed,
} from "./support/redis_commands.ts";
import { restSide, runSteps } from "./support/redis_differential.ts";
import { postRaw, restBatch, restCommand } from "./support/redis_rest.ts";
import {
  inProcessShards,
  keysInShard,
  refusingSides,
  renameStep,
  serve,
  serveSingle,
  spreadShards,
  spreadStep,
} from "./support/edge_shards.ts";

const RUNS = Number(Deno.env.get("EDGE_SHARDS_DIFF_RUNS") ?? 150);
const SEED = Deno.env.get("EDGE_SHARDS_DIFF_SEED");
const SHARDS = 4;
const TOKEN = "shards-test-token-0123456789";
const READONLY = "shards-test-readonly-0123456789";

/** Keys by shard of 4: `KEY[s]` is in shard `s`. */
const KEY = ["aa", "ab", "c\\d1", "a"] as const;

Deno.test("every command of the table has a rule for the sharded front", () => {
  assert.deepEqual(commandsWithoutRule(), []);
  assert.deepEqual(KEY.map((key) => shardOf(key, SHARDS)), [0, 1, 2, 3]);
  assert.deepEqual(spreadShards(), [3, 1, 0, 2]);
});

Deno.test("SCAN cursors: the front's cursor names a shard and its cursor, in digits", () => {
  const maxShardCursor = 2 ** 53 - 1;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1024 }).chain((shards) =>
        fc.tuple(
          fc.constant(shards),
          fc.integer({ min: 0, max: shards - 1 }),
          fc.integer({ min: 1, max: maxShardCursor }),
        )
      ),
      ([shards, shard, cursor]) => {
        const front = joinCursor(shard, String(cursor), shards);
        assert.match(front, /^[1-9]\d*$/);
        assert.ok(BigInt(front) < 2n ** 64n);
        assert.deepEqual(splitCursor(front, shards), {
          shard,
          cursor: String(cursor),
        });
        // A shard's end leads to the next shard's start, the last's to "0".
        const next = joinCursor(shard, "0", shards);
        assert.deepEqual(
          splitCursor(next, shards),
          next === "0"
            ? { shard: 0, cursor: "0" }
            : { shard: shard + 1, cursor: "0" },
        );
        assert.equal(next === "0", shard === shards - 1);
      },
    ),
  );
  assert.deepEqual(splitCursor("0", 4), { shard: 0, cursor: "0" });
  assert.deepEqual(splitCursor("", 4), { shard: 0, cursor: "0" });
  for (const bad of ["abc", "1x", " 0", "-", "18446744073709551616"]) {
    assert.equal(splitCursor(bad, 4), undefined, bad);
  }
});

/** Both sides, served: the single store and the front over its shards. */
async function withBoth(
  fn: (
    single: string,
    front: string,
    shards: ReturnType<typeof inProcessShards>,
  ) => Promise<void>,
  bindings: Record<string, string> = {},
): Promise<void> {
  const single = serveSingle(bindings);
  const shards = inProcessShards(SHARDS, bindings);
  const front = serve(shards.fetch);
  try {
    await fn(single.url, front.url, shards);
  } finally {
    await Promise.all([single.stop(), front.stop()]);
  }
}

/**
 * Steps: the harness's, with its keys spread over the 4 shards (most of its
 * transactions then span shards, and are refused), plus pipelines of up to
 * 8 commands, and transactions whose keys share a shard.
 */
const shardedStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: step.map(spreadStep) },
  {
    weight: 2,
    arbitrary: fc.array(wellFormed(true), { minLength: 2, maxLength: 8 })
      .map((commands) => spreadStep({ kind: "pipeline", commands })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.integer({ min: 0, max: SHARDS - 1 }),
      fc.array(wellFormed(true), { minLength: 1, maxLength: 5 }),
    ).map(([shard, commands]) =>
      renameStep({ kind: "multi", commands }, keysInShard(shard, SHARDS))
    ),
  },
  {
    // Reads of the whole keyspace, which every shard answers a part of.
    weight: 1,
    arbitrary: fc.constantFrom<Command>(
      ["scan", "0"],
      ["scan", "0", "count", 1],
      ["scan", "0", "match", "*b*", "count", 3],
      ["keys", "*"],
      ["dbsize"],
      ["randomkey"],
    ).map((command) => ({ kind: "single" as const, command })),
  },
);

Deno.test("differential: 4 shards answer every command as one store does", async () => {
  await withBoth(async (single, front) => {
    const sides = refusingSides(
      restSide({ url: single }, "single store"),
      // With base64: the front passes strings on and re-encodes cursors.
      restSide({ url: front, base64: true }, "4 shards"),
      SHARDS,
    );
    let pipelines = 0;
    let transactions = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(shardedStep, { minLength: 1, maxLength: 30 }),
        async (steps) => {
          for (const s of steps) {
            if (s.kind === "pipeline") pipelines++;
            if (s.kind === "multi") transactions++;
          }
          await runSteps(sides.reference, sides.subject, steps);
        },
      ),
      { numRuns: RUNS, ...(SEED ? { seed: Number(SEED) } : {}) },
    );
    // The filter keeps enough of what matters. Over six seeds the counts
    // were 160-179 pipelines, 93-118 transactions and 19-33 refusals per 150
    // runs: the bounds sit at about half of that, far outside chance.
    assert.ok(pipelines >= RUNS / 2, `only ${pipelines} pipelines`);
    assert.ok(transactions >= RUNS / 4, `only ${transactions} transactions`);
    assert.ok(sides.refused() >= RUNS / 30, `only ${sides.refused()} refused`);
  });
});

Deno.test("a pipeline whose keys span every shard: the single store's answers, in order", async () => {
  await withBoth(async (single, front, shards) => {
    const pipeline = [
      ["mset", KEY[0], "0", KEY[1], "1", KEY[2], "2", KEY[3], "3"],
      ...KEY.map((key) => ["incrby", key, 10]),
      ["mget", KEY[3], "absent", KEY[2], KEY[1], KEY[0], KEY[3]],
      ["exists", ...KEY, KEY[0], "absent"],
      ["set", KEY[2], "x", "px", 100_000],
      ["ping", "hello"],
      ["dbsize"],
      ["keys", "*"],
      ["del", KEY[0], KEY[3], "absent"],
      ["append", KEY[1], "😀"],
      ["getrange", KEY[1], 0, 3],
      ["mget", ...KEY],
      ["incrby", KEY[1], 1],
      ["flushdb"],
      ["set", KEY[0], "after flush"],
      ["dbsize"],
      ["mget", ...KEY],
    ];
    for (const base64 of [false, true]) {
      const want = await restBatch({ url: single, base64 }, pipeline, false);
      const got = await restBatch({ url: front, base64 }, pipeline, false);
      assert.ok(Array.isArray(want));
      // KEYS lists the same keys, in the shards' order.
      const keysAt = pipeline.findIndex((c) => c[0] === "keys");
      const sorted = (reply: unknown) =>
        [...(reply as { result: string[] }).result].sort();
      assert.deepEqual(sorted(got[keysAt as never]), sorted(want[keysAt]));
      assert.deepEqual(
        (got as unknown[]).toSpliced(keysAt, 1),
        want.toSpliced(keysAt, 1),
      );
    }
    // Every shard served its part.
    const entries = await shardEntries(front);
    assert.deepEqual(entries, [1, 0, 0, 0]);
    assert.equal(shards.objects.size, SHARDS);
  });
});

/** Entries per shard, from the front's `/stats`. */
async function shardEntries(front: string, token?: string): Promise<number[]> {
  const response = await fetch(`${front}/stats`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  assert.equal(response.status, 200);
  return (await response.json()).shards.map((s: { entries: number }) =>
    s.entries
  );
}

/** Every key with its value and expiry, through the front. */
async function state(front: string): Promise<string> {
  const keys = await restCommand({ url: front }, ["keys", "*"]);
  assert.ok("result" in keys && Array.isArray(keys.result));
  const sorted = (keys.result as string[]).sort();
  const entries = [];
  for (const key of sorted) {
    const [value, expiry] = await restBatch({ url: front }, [
      ["get", key],
      ["pexpiretime", key],
    ], false) as { result: unknown }[];
    entries.push([key, value.result, expiry.result]);
  }
  return JSON.stringify(entries);
}

Deno.test("refused across shards: MSETNX and multi-exec answer CROSSSLOT and change nothing", async () => {
  await withBoth(async (_single, front) => {
    const target = { url: front };
    await restBatch(target, [
      ["set", KEY[0], "v0", "ex", 1000],
      ["set", KEY[2], "v2"],
    ], false);
    const before = await state(front);
    const crossSlot =
      /^CROSSSLOT Keys in request don't hash to the same slot: /;

    const msetnx = await restCommand(target, [
      "msetnx",
      KEY[1],
      "n",
      KEY[3],
      "n",
    ]);
    assert.ok("error" in msetnx);
    assert.match(msetnx.error, crossSlot);
    assert.match(msetnx.error, /MSETNX's keys are in shards 1 and 3/);

    const transaction = await restBatch(target, [
      ["incr", KEY[1]],
      ["set", KEY[0], "changed"],
      ["del", KEY[2]],
    ], true);
    assert.ok("error" in transaction, JSON.stringify(transaction));
    assert.match(transaction.error, crossSlot);
    assert.match(
      transaction.error,
      /transaction's keys are in shards 0, 1 and 2/,
    );

    for (const command of [["dbsize"], ["mget", KEY[0], KEY[1]], ["flushdb"]]) {
      const whole = await restBatch(target, [["get", KEY[0]], command], true);
      assert.ok("error" in whole, JSON.stringify(command));
      assert.match(whole.error, crossSlot);
    }
    // In a pipeline, the MSETNX alone is refused; the rest runs.
    const pipeline = await restBatch(target, [
      ["msetnx", KEY[0], "n", KEY[1], "n"],
      ["get", KEY[0]],
    ], false);
    assert.ok(Array.isArray(pipeline));
    assert.match((pipeline[0] as { error: string }).error, crossSlot);
    assert.deepEqual(pipeline[1], { result: "v0" });
    assert.equal(await state(front), before);
  });
});

Deno.test("within one shard: MSETNX and multi-exec are served, atomically there", async () => {
  await withBoth(async (single, front) => {
    // Keys of shard 1, found by hashing.
    const sameShard = Array.from({ length: 200 }, (_, i) => `k${i}`)
      .filter((key) => shardOf(key, SHARDS) === 1).slice(0, 3);
    const steps: Step[] = [
      {
        kind: "single",
        command: ["msetnx", sameShard[0], "1", sameShard[1], "2"],
      },
      {
        kind: "single",
        command: ["msetnx", sameShard[1], "x", sameShard[2], "y"],
      },
      {
        kind: "multi",
        commands: [
          ["decrby", sameShard[0], 5],
          ["incrby", sameShard[1], 5],
          ["mget", ...sameShard],
          ["ping"],
          ["time"],
        ],
      },
    ];
    await runSteps(
      restSide({ url: single }),
      restSide({ url: front }, "4 shards"),
      steps,
    );
  });
});

Deno.test("mixed clients through the front: the JSON API and the Redis API share each key's shard", async () => {
  await withBoth(async (_single, front) => {
    const target = { url: front };
    for (const [i, key] of KEY.entries()) {
      const put = await fetch(`${front}/put`, {
        method: "POST",
        body: JSON.stringify({ key, value: `json ${i}`, ttl: 100 }),
      });
      assert.equal(put.status, 200);
    }
    assert.deepEqual(
      await restCommand(target, ["mget", ...KEY]),
      { result: KEY.map((_, i) => `json ${i}`) },
    );
    const ttl = await restCommand(target, ["ttl", KEY[2]]);
    assert.ok(
      "result" in ttl && ttl.result as number > 90,
      JSON.stringify(ttl),
    );
    await restCommand(target, ["set", KEY[3], "from redis ✓"]);
    const get = await fetch(`${front}/get?key=${encodeURIComponent(KEY[3])}`);
    assert.deepEqual(await get.json(), {
      status: "OK",
      key: KEY[3],
      value: "from redis ✓",
    });
    const removed = await fetch(`${front}/delete?key=${KEY[1]}`, {
      method: "DELETE",
    });
    assert.equal(removed.status, 200);
    await removed.body?.cancel();
    assert.deepEqual(await restCommand(target, ["exists", ...KEY]), {
      result: 3,
    });
    assert.deepEqual(await shardEntries(front), [1, 0, 1, 1]);
  });
});

Deno.test("tokens through the front: the read-only token reads, its writes get 403 and change nothing", async () => {
  await withBoth(async (single, front) => {
    for (const url of [single, front]) {
      const full = { url, token: TOKEN };
      const readonly = { url, token: READONLY };
      await restBatch(full, [["mset", KEY[0], "1", KEY[1], "2"]], false);
      assert.deepEqual(await restCommand(readonly, ["mget", ...KEY]), {
        result: ["1", "2", null, null],
      });
      const answers = [];
      for (
        const [path, body] of [
          ["/", ["del", KEY[0], KEY[1]]],
          ["/", ["set", KEY[2], "x"]],
          ["/pipeline", [["get", KEY[0]], ["mset", KEY[2], "x", KEY[3], "y"]]],
          ["/multi-exec", [["get", KEY[0]], ["incr", KEY[0]]]],
          ["/", ["get", KEY[0]]],
        ] as const
      ) {
        const answer = await postRaw(readonly, path, JSON.stringify(body));
        answers.push([answer.status, answer.body]);
      }
      const unauthorized = await postRaw({ url }, "/", '["get","k"]');
      answers.push([unauthorized.status, unauthorized.body]);
      const put = await fetch(`${url}/put`, {
        method: "POST",
        headers: { authorization: `Bearer ${READONLY}` },
        body: '{"key":"k","value":"v"}',
      });
      answers.push([put.status, await put.json()]);
      assert.deepEqual(answers.map(([status]) => status), [
        403,
        403,
        403,
        403,
        200,
        401,
        403,
      ]);
      assert.match(
        (answers[0][1] as { error: string }).error,
        /^NOPERM this user has no permissions to run the 'del' command/,
      );
      // The same answers as the single store's.
      if (url === front) {
        assert.deepEqual(answers, singleAnswers);
      } else {
        singleAnswers = answers;
      }
      assert.deepEqual(await restCommand(full, ["mget", ...KEY]), {
        result: ["1", "2", null, null],
      });
    }
  }, { AUTH_TOKEN: TOKEN, AUTH_READONLY_TOKEN: READONLY });
});
let singleAnswers: unknown[] = [];

Deno.test("refused requests: the server's status and error, and nothing runs", async () => {
  await withBoth(async (single, front) => {
    const requests: [string, string][] = [
      ["/", "not json"],
      ["/", "[]"],
      ["/", JSON.stringify(["set", KEY[0], "v".repeat(20_000)])], // 413
      ["/pipeline", "[]"],
      ["/pipeline", JSON.stringify([["set", KEY[0], "v"], "get"])],
      ["/pipeline", JSON.stringify(Array(1001).fill(["get", KEY[0]]))],
      ["/multi-exec", JSON.stringify([["set", KEY[0], "v"], ["hset", "h"]])],
      ["/multi-exec", JSON.stringify([["set", KEY[0], "v"], ["keys", "*"]])],
      ["/", JSON.stringify(["mset", KEY[0], "1", KEY[1]])],
      ["/", JSON.stringify(["mset", KEY[0], "1", KEY[1], "x".repeat(2000)])],
      ["/", JSON.stringify(["mset", KEY[0], "1", "", "2"])],
      ["/", JSON.stringify(["get"])],
      ["/", JSON.stringify(["scan", "x1"])],
    ];
    for (const [path, body] of requests) {
      const want = await postRaw({ url: single }, path, body);
      const got = await postRaw({ url: front }, path, body);
      assert.deepEqual(
        [got.status, got.body],
        [want.status, want.body],
        `${path} ${body.slice(0, 80)}`,
      );
      assert.ok(want.status >= 400, `${path} ${body.slice(0, 80)}`);
    }
    assert.deepEqual(await restCommand({ url: front }, ["dbsize"]), {
      result: 0,
    });
  }, { MAX_VALUE_SIZE: "1000" });
});

Deno.test("a shard that fails: its commands answer an error naming it, the others run", async () => {
  const shards = inProcessShards(SHARDS);
  const front = serve(shards.fetch);
  try {
    const target = { url: front.url };
    await restCommand(target, ["mset", ...KEY.flatMap((k) => [k, "v"])]);
    shards.breakShard(2);
    const answers = await restBatch(target, [
      ["set", KEY[0], "new"],
      ["get", KEY[2]],
      ["mget", KEY[1], KEY[2]],
      ["get", KEY[3]],
    ], false);
    assert.ok(Array.isArray(answers));
    const failed =
      /^ERR Durable Object shard 2 failed: shard-2 is broken \(test\); the request's parts on other shards ran$/;
    assert.deepEqual(answers[0], { result: "OK" });
    assert.match((answers[1] as { error: string }).error, failed);
    assert.match((answers[2] as { error: string }).error, failed);
    assert.deepEqual(answers[3], { result: "v" });
    assert.deepEqual(await restCommand(target, ["get", KEY[0]]), {
      result: "new",
    });
    const alone = await postRaw(target, "/", JSON.stringify(["get", KEY[2]]));
    assert.equal(alone.status, 502);
    assert.deepEqual(alone.body, {
      error: "ERR Durable Object shard 2 failed: shard-2 is broken (test)",
    });
  } finally {
    await front.stop();
  }
});
