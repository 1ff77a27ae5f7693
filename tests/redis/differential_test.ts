// Differential test (issue 22): random command sequences, sent to Debian's
// redis-server over RESP and to a real kv-cache process (started as
// `deno task start` runs it) over the Upstash REST protocol (`POST /`,
// `/pipeline`, `/multi-exec`, without base64 so results are plain), every
// answer compared: results exactly, errors by their message, TTLs within a
// tolerance, KEYS/SCAN as sets (see tests/support/redis_differential.ts).
//
// The harness is checked on its own too: two redis-servers must agree, and
// a subject that answers one thing wrong must be caught.
//
// Environment:
// - REDIS_DIFF_RUNS (200): sequences per property; REDIS_DIFF_SEED: replay.
// - REDIS_DIFF_URL: compare with the kv-cache (or any server of the REST
//   protocol) running there instead of starting one; REDIS_DIFF_TOKEN its
//   token.
// - REDIS_DIFF_SUBJECT=redis: compare with a second redis-server instead of
//   kv-cache; =shim: with a second redis-server behind the REST shim
//   (tests/support/redis_rest_shim.ts), to work on the harness without the
//   server.
// - REDIS_DIFF_SURVEY=1: do not stop at the first mismatch: list every kind
//   of disagreement found (one per command and reason), then fail.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  COMMAND_NAMES,
  KEYS,
  type Step,
  step,
} from "../support/redis_commands.ts";
import {
  type Deviation,
  Mismatch,
  respSide,
  restSide,
  runSteps,
  type Side,
} from "../support/redis_differential.ts";
import {
  NO_REDIS,
  REDIS_IGNORED,
  type RedisServer,
  startRedisServer,
} from "../support/redis_server.ts";
import type { RespClient, RespReply } from "../support/redis_resp.ts";
import { startRestShim } from "../support/redis_rest_shim.ts";
import { ROOT, START_ARGS, startServer } from "../support/server_process.ts";

const RUNS = Number(Deno.env.get("REDIS_DIFF_RUNS") ?? 200);
const SEED = Deno.env.get("REDIS_DIFF_SEED");
const SUBJECT = Deno.env.get("REDIS_DIFF_SUBJECT") ?? "kv-cache";
const SURVEY = Deno.env.get("REDIS_DIFF_SURVEY") === "1";
const TOKEN = "differential-test-token-0123456789";

/**
 * kv-cache's documented deviations from Redis (docs/redis-api.md,
 * "Deviations from Redis"): a run that meets one ends there, counted.
 */
const KV_DEVIATIONS: readonly Deviation[] = [
  {
    name: "KEYS is refused inside a transaction",
    explains: (command, _want, got) =>
      Promise.resolve(
        command[0] === "MULTI-EXEC" && !Array.isArray(got) && "error" in got &&
          got.error.startsWith("EXECABORT") &&
          command.slice(1).some((c) => /^\["keys"/i.test(String(c))),
      ),
  },
  {
    name: "expiry times past 2^53 ms are refused",
    explains: (_command, want, got) =>
      Promise.resolve(
        !Array.isArray(got) && "error" in got &&
          /^ERR invalid expire time/.test(got.error) &&
          !Array.isArray(want) && !("error" in want),
      ),
  },
  {
    name: "the empty key is refused",
    explains: (command, _want, got) =>
      Promise.resolve(
        !Array.isArray(got) && "error" in got && /empty/i.test(got.error) &&
          command.slice(1).includes(""),
      ),
  },
  {
    name: "bytes that are not UTF-8 (left by SETRANGE) are stored as U+FFFD",
    explains: async (command, _want, _got, reference) => {
      const keys = KEYS.filter((k) => command.includes(k));
      if (keys.length === 0) return false;
      const values = await reference.command(["MGET", ...keys]);
      return "result" in values && Array.isArray(values.result) &&
        values.result.some((v) =>
          typeof v === "string" && v.includes("\uFFFD")
        );
    },
  },
];

const sequence = fc.array(step, { minLength: 1, maxLength: 30, size: "max" });

/** Starts a redis-server and opens a connection to it. */
async function redis(): Promise<{ server: RedisServer; client: RespClient }> {
  const server = await startRedisServer();
  return { server, client: await server.connect() };
}

/** Counts, per command name, how often the steps ran it. */
function tally(counts: Map<string, number>, steps: readonly Step[]): void {
  for (const s of steps) {
    const commands = s.kind === "single" ? [s.command] : s.commands;
    for (const c of commands) {
      const name = String(c[0]).toLowerCase();
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
}

/**
 * Runs `runs` random sequences on both sides; in survey mode collects one
 * mismatch per command name and reason instead of stopping at the first.
 */
async function compare(
  reference: Side,
  subject: Side,
  runs: number,
  deviations: readonly Deviation[] = [],
): Promise<{ counts: Map<string, number>; deviated: Map<string, number> }> {
  const counts = new Map<string, number>();
  const deviated = new Map<string, number>();
  const found = new Map<string, string>();
  await fc.assert(
    fc.asyncProperty(sequence, async (steps) => {
      tally(counts, steps);
      await runSteps(reference, subject, steps, {
        deviations,
        onDeviation: (name) =>
          deviated.set(name, (deviated.get(name) ?? 0) + 1),
        onMismatch: SURVEY
          ? (m: Mismatch) => {
            const kind = `${String(m.command[0]).toLowerCase()}: ${
              m.message.split("\n")[0].replace(/^.*?: /, "")
            }`;
            if (!found.has(kind)) found.set(kind, m.message);
          }
          : undefined,
      });
    }),
    { numRuns: runs, ...(SEED ? { seed: Number(SEED) } : {}) },
  );
  if (found.size) {
    throw new Error(
      `${found.size} kinds of disagreement (and runs ended by a documented deviation: ${
        JSON.stringify(Object.fromEntries(deviated))
      }):\n\n${[...found.values()].join("\n\n")}`,
    );
  }
  return { counts, deviated };
}

Deno.test({
  name: `differential: ${SUBJECT} answers every command as redis-server does` +
    NO_REDIS,
  ignore: REDIS_IGNORED,
  async fn() {
    const reference = await redis();
    let stopSubject: () => Promise<unknown>;
    let subject: Side;
    if (SUBJECT === "redis" || SUBJECT === "shim") {
      const other = await redis();
      const shim = SUBJECT === "shim"
        ? await startRestShim(other.server, { token: TOKEN })
        : undefined;
      subject = shim
        ? restSide({ url: shim.url, token: TOKEN }, "redis (REST shim)")
        : respSide(other.client, "redis (subject)");
      stopSubject = async () => {
        await shim?.stop();
        other.client.close();
        await other.server.stop();
      };
    } else if (Deno.env.get("REDIS_DIFF_URL")) {
      subject = restSide({
        url: Deno.env.get("REDIS_DIFF_URL")!,
        token: Deno.env.get("REDIS_DIFF_TOKEN"),
      });
      stopSubject = () => Promise.resolve();
    } else {
      const server = await startServer({
        args: START_ARGS,
        cwd: ROOT,
        env: {
          WORKERS: "1",
          AUTH_TOKEN: TOKEN,
          MAX_VALUE_SIZE: "100000",
        },
      });
      subject = restSide({ url: server.url, token: TOKEN });
      stopSubject = () => server.stop();
    }
    try {
      const started = performance.now();
      const { counts, deviated } = await compare(
        respSide(reference.client),
        subject,
        RUNS,
        SUBJECT === "kv-cache" ? KV_DEVIATIONS : [],
      );
      const missing = COMMAND_NAMES.filter((n) => (counts.get(n) ?? 0) < 5);
      assert.deepEqual(missing, [], "commands the runs hardly exercised");
      console.log(
        `${RUNS} sequences against redis-server ${reference.server.version} in ${
          Math.round(performance.now() - started)
        } ms; runs ended by a documented deviation: ${
          JSON.stringify(Object.fromEntries(deviated))
        }`,
      );
      // Deviations end runs early: too many and the test loses its power.
      const ended = [...deviated.values()].reduce((a, b) => a + b, 0);
      assert.ok(ended < RUNS / 4, `${ended} runs ended by deviations`);
    } finally {
      reference.client.close();
      await reference.server.stop();
      await stopSubject();
    }
  },
});

/** A side that answers like `inner` except where `alter` changes a reply. */
function faulty(
  inner: Side,
  alter: (command: Command, reply: RespReply) => RespReply,
): Side {
  return {
    name: "faulty",
    command: async (args) => alter(args, await inner.command(args)),
    batch: async (commands, atomic) => {
      const replies = await inner.batch(commands, atomic);
      return Array.isArray(replies)
        ? replies.map((r, i) => alter(commands[i], r))
        : replies;
    },
  };
}

const is = (command: Command, name: string) =>
  String(command[0]).toLowerCase() === name;

Deno.test({
  name:
    "differential harness: two redis-servers agree, and each kind of wrong answer is caught" +
    NO_REDIS,
  ignore: REDIS_IGNORED,
  async fn() {
    const a = await redis();
    const b = await redis();
    try {
      const reference = respSide(a.client);
      const twin = respSide(b.client, "redis (twin)");
      await compare(reference, twin, 40);
      const faults: [string, (c: Command, r: RespReply) => RespReply][] = [
        [
          "incrby",
          (c, r) =>
            is(c, "incrby") && "result" in r && typeof r.result === "number"
              ? { result: r.result + 1 }
              : r,
        ],
        [
          "set",
          (c, r) =>
            is(c, "set") && "error" in r && r.error === "ERR syntax error"
              ? { error: "ERR Syntax error" }
              : r,
        ],
        [
          "ttl",
          (c, r) =>
            is(c, "ttl") && "result" in r && Number(r.result) > 0
              ? { result: Number(r.result) + 10 }
              : r,
        ],
        [
          "keys",
          (c, r) =>
            is(c, "keys") && "result" in r && Array.isArray(r.result) &&
              r.result.length > 1
              ? { result: r.result.slice(1) }
              : r,
        ],
        [
          "scan",
          (c, r) =>
            is(c, "scan") && "result" in r && Array.isArray(r.result) &&
              Array.isArray(r.result[1]) && r.result[1].includes("ab")
              ? { result: [r.result[0], r.result[1].filter((k) => k !== "ab")] }
              : r,
        ],
        [
          "get",
          (c, r) =>
            is(c, "get") && "result" in r && r.result === null
              ? { result: "" }
              : r,
        ],
      ];
      for (const [name, alter] of faults) {
        const outcome = await fc.check(
          fc.asyncProperty(
            sequence,
            (steps) => runSteps(reference, faulty(twin, alter), steps),
          ),
          { numRuns: 500, endOnFailure: true },
        );
        assert.ok(outcome.failed, `a wrong ${name} answer went unnoticed`);
        const error = outcome.errorInstance;
        assert.ok(error instanceof Mismatch, String(error));
        assert.ok(is(error.command, name), error.message);
      }
    } finally {
      for (const side of [a, b]) {
        side.client.close();
        await side.server.stop();
      }
    }
  },
});
