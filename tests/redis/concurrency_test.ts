// Concurrency over the Redis REST protocol (issue 22): a real kv-cache
// process with WORKERS=4 (four serving isolates sharing the arena store),
// many clients at once, each on connections of its own (which the kernel
// spreads over the isolates):
// - INCR on one key: the final count is exact and every INCR answered a
//   different number (no two read-modify-writes interleaved);
// - SET NX on one lock key per round: exactly one winner per round, and the
//   key holds the winner's value;
// - transfers between two counters in /multi-exec (DECRBY a x, INCRBY b x)
//   while other clients read both in /multi-exec: every read sees the sum
//   unchanged, and the final balances are exact.
//
// REDIS_CONCURRENCY_SUBJECT=shim runs it against redis-server behind the
// REST shim (tests/support/redis_rest_shim.ts), to check the test itself.
import assert from "node:assert/strict";
import { ROOT, START_ARGS, startServer } from "../support/server_process.ts";
import {
  NO_REDIS,
  REDIS_IGNORED,
  startRedisServer,
} from "../support/redis_server.ts";
import { startRestShim } from "../support/redis_rest_shim.ts";
import {
  restBatch,
  restCommand,
  type RestTarget,
  show,
} from "../support/redis_rest.ts";
import type { RespReply } from "../support/redis_resp.ts";

const SUBJECT = Deno.env.get("REDIS_CONCURRENCY_SUBJECT") ?? "kv-cache";
const ON_SHIM = SUBJECT === "shim";
const TOKEN = "concurrency-test-token-0123456789";
const CLIENTS = 8;
const INCRS = 200;
const LOCK_ROUNDS = 40;
const TRANSFERS = 150;
const TOTAL = 1_000_000;

/** One simulated client: a connection pool of its own. */
interface Client {
  id: number;
  target: RestTarget;
  close(): void;
}

function clients(url: string, n: number): Client[] {
  return Array.from({ length: n }, (_, id) => {
    const httpClient = Deno.createHttpClient({});
    return {
      id,
      target: { url, token: TOKEN, httpClient },
      close: () => httpClient.close(),
    };
  });
}

function result(reply: RespReply, what: string): unknown {
  if ("error" in reply) throw new Error(`${what}: ${reply.error}`);
  return reply.result;
}

async function run(c: Client, ...args: (string | number)[]) {
  return result(await restCommand(c.target, args), show(args));
}

async function transaction(
  c: Client,
  commands: (string | number)[][],
): Promise<unknown[]> {
  const replies = await restBatch(c.target, commands, true);
  if (!Array.isArray(replies)) {
    throw new Error(`${show(commands)}: ${replies.error}`);
  }
  return replies.map((r, i) => result(r, show(commands[i])));
}

/** The first field named `name` at any depth of `value`. */
function find(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  if (name in value) return (value as Record<string, unknown>)[name];
  for (const inner of Object.values(value)) {
    const found = find(inner, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** kv-cache's `/stats`: how many isolates serve and how many requests each served. */
async function stats(
  url: string,
): Promise<{ workers: unknown; workerRequests: unknown }> {
  const body = await (await fetch(`${url}/stats`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })).json();
  return {
    workers: find(body, "workers"),
    workerRequests: find(body, "workerRequests"),
  };
}

Deno.test({
  name:
    `Redis REST under concurrency on ${
      ON_SHIM ? "redis-server (shim)" : "kv-cache with WORKERS=4"
    }: INCR exact, one SET NX winner per round, multi-exec transfers keep the sum` +
    (ON_SHIM ? NO_REDIS : ""),
  ignore: ON_SHIM && REDIS_IGNORED,
  async fn(t) {
    let url: string;
    let stop: () => Promise<unknown>;
    if (ON_SHIM) {
      const redis = await startRedisServer();
      const shim = await startRestShim(redis, { token: TOKEN });
      url = shim.url;
      stop = async () => {
        await shim.stop();
        await redis.stop();
      };
    } else {
      const server = await startServer({
        args: START_ARGS,
        cwd: ROOT,
        env: { WORKERS: "4", AUTH_TOKEN: TOKEN },
      });
      url = server.url;
      stop = () => server.stop();
      assert.equal(
        (await stats(url)).workers,
        4,
        "four serving isolates",
      );
    }
    const pool = clients(url, CLIENTS);
    try {
      await t.step(`INCR: ${CLIENTS} clients × ${INCRS}`, async () => {
        const answers = await Promise.all(pool.map(async (c) => {
          const mine: number[] = [];
          for (let i = 0; i < INCRS; i++) {
            mine.push(Number(await run(c, "incr", "counter")));
          }
          return mine;
        }));
        const all = answers.flat().sort((a, b) => a - b);
        const total = CLIENTS * INCRS;
        assert.equal(await run(pool[0], "get", "counter"), String(total));
        assert.deepEqual(
          all,
          Array.from({ length: total }, (_, i) => i + 1),
          "every INCR answered a different number, 1..total",
        );
      });

      await t.step(
        `SET NX: ${LOCK_ROUNDS} rounds of ${CLIENTS} contenders`,
        async () => {
          for (let round = 0; round < LOCK_ROUNDS; round++) {
            const key = `lock:${round}`;
            const answers = await Promise.all(
              pool.map((c) =>
                run(c, "set", key, `owner-${c.id}`, "NX", "PX", 600_000)
              ),
            );
            const winners = pool.filter((_, i) => answers[i] === "OK");
            assert.equal(winners.length, 1, `round ${round}: ${show(answers)}`);
            assert.ok(
              answers.every((a) => a === "OK" || a === null),
              show(answers),
            );
            assert.equal(
              await run(pool[0], "get", key),
              `owner-${winners[0].id}`,
            );
          }
        },
      );

      await t.step(
        `multi-exec transfers: ${CLIENTS / 2} writers × ${TRANSFERS}, ${
          CLIENTS / 2
        } readers`,
        async () => {
          assert.deepEqual(
            await transaction(pool[0], [["set", "a", TOTAL], ["set", "b", 0]]),
            ["OK", "OK"],
          );
          const writers = pool.slice(0, CLIENTS / 2);
          const readers = pool.slice(CLIENTS / 2);
          let writing = true;
          let moved = 0;
          const writes = Promise.all(writers.map(async (c) => {
            for (let i = 0; i < TRANSFERS; i++) {
              const x = 1 + ((c.id * 7919 + i * 104729) % 1000);
              const [a, b] = await transaction(c, [
                ["decrby", "a", x],
                ["incrby", "b", x],
              ]);
              assert.equal(
                Number(a) + Number(b),
                TOTAL,
                `transfer answered a=${a} b=${b}`,
              );
              moved += x;
            }
          })).finally(() => writing = false);
          let reads = 0;
          const reading = Promise.all(readers.map(async (c) => {
            while (writing) {
              const [a, b] = await transaction(c, [["get", "a"], ["get", "b"]]);
              assert.equal(
                Number(a) + Number(b),
                TOTAL,
                `a read in multi-exec saw a=${a} b=${b}`,
              );
              reads++;
            }
          }));
          await Promise.all([writes, reading]);
          assert.ok(reads >= CLIENTS, `readers ran alongside (${reads} reads)`);
          assert.deepEqual(
            await transaction(pool[0], [["get", "a"], ["get", "b"]]),
            [String(TOTAL - moved), String(moved)],
          );
        },
      );
      if (!ON_SHIM) {
        const served = (await stats(url)).workerRequests as number[];
        assert.ok(
          served.filter((n) => n > 0).length >= 2,
          `requests spread over the isolates: ${show(served)}`,
        );
      }
    } finally {
      for (const c of pool) c.close();
      await stop();
    }
  },
});
