/**
 * One scenario of the real `@upstash/redis` client (npm 1.39.0) for the edge
 * tests: every command of the Redis REST API through the typed API, with
 * auto-pipelining and base64 (the client's defaults) and without them,
 * `pipeline()` and `multi()`, a burst of calls made at once, awkward values
 * and keys, and the read-only token. It records what each call answered (or
 * the error it threw), time-dependent answers as ranges, so that a run on
 * an edge runtime or through the Durable Object front can be compared, whole,
 * with a run on the single store.
 *
 * Keys: {@linkcode SHARD_KEYS} are in the four shards of 4, and
 * {@linkcode SAME_SHARD_KEYS} in one, for what is atomic only within one
 * (MSETNX, `multi()`); on a single store they are just keys.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { shardOf } from "../../lib/shard_of.ts";

/** Where the scenario runs. */
export interface ScenarioTarget {
  /** Base URL of the server. */
  url: string;
  /** `AUTH_TOKEN`; any non-empty text when the server has none. */
  token: string;
  /** `AUTH_READONLY_TOKEN`, if the server has one. */
  readonlyToken?: string;
  /** Four keys spread over the shards or nodes (default {@linkcode SHARD_KEYS}). */
  shardKeys?: readonly string[];
  /** Three keys of one shard or node (default {@linkcode SAME_SHARD_KEYS}). */
  sameShardKeys?: readonly string[];
}

/** One call's record: its label and its answer (or `{ error }`). */
export type Entry = [label: string, answer: unknown];

/** The first `count` keys `prefix0`, `prefix1`... that `accept`s. */
function keysWhere(
  prefix: string,
  count: number,
  accept: (key: string) => boolean,
): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    if (accept(prefix + i)) keys.push(prefix + i);
  }
  return keys;
}

/** Keys of shards 0, 1, 2 and 3 of 4, in that order. */
export const SHARD_KEYS: readonly string[] = [0, 1, 2, 3].map((shard) =>
  keysWhere("key:", 1, (key) => shardOf(key, 4) === shard)[0]
);

/** Three keys of shard 2 of 4. */
export const SAME_SHARD_KEYS: readonly string[] = keysWhere(
  "same:",
  3,
  (key) => shardOf(key, 4) === 2,
);

/** A client as the scenario uses it. */
export function redisClient(
  url: string,
  token: string,
  options: { autoPipelining?: boolean; base64?: boolean } = {},
): Redis {
  return new Redis({
    url,
    token,
    enableAutoPipelining: options.autoPipelining ?? true,
    responseEncoding: options.base64 === false ? false : "base64",
    automaticDeserialization: false,
    retry: false,
  });
}

/** Values the JSON and base64 layers could get wrong. */
export const AWKWARD_VALUES: readonly string[] = [
  "plain",
  'quote " and \\ backslash',
  "emoji 😀 é ß 日本",
  "lone \ud800 surrogate",
  "",
  "line\nbreak\ttab\0nul",
];

/** Keys with the characters a URL or base64 could get wrong. */
export const AWKWARD_KEYS: readonly string[] = [
  "k+plus",
  "k/slash",
  "k=equals",
  "k%percent",
  "k?question",
  "ключ 🔑",
];

/** An absolute expiry (Unix seconds) for every run of this process. */
const EXPIRES_AT = Math.floor(Date.now() / 1000) + 100_000;

/** `n` within `slack` below `expected`, as a record that compares exactly. */
function near(n: unknown, expected: number, slack: number): string {
  return typeof n === "number" && n <= expected && n >= expected - slack
    ? `within ${slack} below ${expected}`
    : `off: ${n}`;
}

/**
 * Runs the scenario on `target` and returns its records. The store is
 * flushed first.
 */
export async function runScenario(target: ScenarioTarget): Promise<Entry[]> {
  const log: Entry[] = [];
  const note = async (label: string, call: () => Promise<unknown>) => {
    try {
      log.push([label, await call()]);
    } catch (error) {
      log.push([label, { error: (error as Error).message }]);
    }
  };
  const r = redisClient(target.url, target.token);
  const plain = redisClient(target.url, target.token, {
    autoPipelining: false,
    base64: false,
  });
  const [k0, k1, k2, k3] = target.shardKeys ?? SHARD_KEYS;
  const [s0, s1, s2] = target.sameShardKeys ?? SAME_SHARD_KEYS;
  const at = EXPIRES_AT;

  await note("flushdb", () => r.flushdb());
  for (const [client, name] of [[r, "base64"], [plain, "plain"]] as const) {
    for (const [i, value] of AWKWARD_VALUES.entries()) {
      const key = AWKWARD_KEYS[i];
      await note(`${name} set ${key}`, () => client.set(key, value));
      await note(`${name} get ${key}`, () => client.get(key));
    }
    await note(`${name} mget awkward`, () => client.mget(...AWKWARD_KEYS));
    await note(
      `${name} getrange cuts 😀`,
      () => client.getrange(AWKWARD_KEYS[2], 0, 6),
    );
    await note(`${name} strlen`, () => client.strlen(AWKWARD_KEYS[2]));
  }

  // Strings, options and counters, on keys of every shard.
  await note("set nx", () => r.set(k0, "v0", { nx: true }));
  await note("set nx again", () => r.set(k0, "v", { nx: true }));
  await note("set xx get", () => r.set(k0, "w0", { xx: true, get: true }));
  await note("set ex", async () => {
    await r.set(k1, "v1", { ex: 100 });
    return near(await r.ttl(k1), 100, 2);
  });
  await note("set keepttl", async () => {
    await r.set(k1, "w1", { keepTtl: true });
    return near(await r.pttl(k1), 100_000, 2000);
  });
  await note("set exat", async () => {
    await r.set(k2, "v2", { exat: at });
    return await r.exec(["expiretime", k2]);
  });
  await note("getex persist", () => r.getex(k2, { persist: true }));
  await note("ttl after persist", () => r.ttl(k2));
  await note("setex", async () => {
    await r.setex(k3, 50, "v3");
    return near(await r.ttl(k3), 50, 2);
  });
  await note("getset", () => r.getset(k3, "w3"));
  await note("ttl after getset", () => r.ttl(k3));
  await note("incr", () => r.incr("counter"));
  await note("incrby", () => r.incrby("counter", 41));
  await note("decrby", () => r.decrby("counter", 2));
  await note("incrbyfloat", () => r.incrbyfloat("float", 0.1));
  await note("incrbyfloat again", () => r.incrbyfloat("float", 0.2));
  await note("incr of text", () => r.incr(k0));
  await note("incr past 2^53", async () => {
    await plain.set("big", "9223372036854775800");
    return await plain.incrby("big", 7);
  });
  await note("incr overflow", () => plain.incr("big"));
  await note("append", () => r.append(k0, "+tail"));
  await note("setrange", () => r.setrange(k0, 1, "XY"));
  await note("getrange", () => r.getrange(k0, 0, -1));
  await note("getdel", () => r.getdel("counter"));
  await note("type", async () => [await r.type(k0), await r.type("counter")]);

  // Multi-key commands across all four shards.
  await note(
    "mset across",
    () => r.mset({ [k0]: "m0", [k1]: "m1", [k2]: "m2", [k3]: "m3" }),
  );
  await note("mget across", () => r.mget(k3, "absent", k1, k0, k2, k3));
  await note("exists across", () => r.exists(k0, k1, k2, k3, k0, "absent"));
  await note("touch across", () => r.touch(k0, k2, "absent"));
  await note("del across", () => r.del(k1, k3, "absent"));
  await note("unlink across", () => r.unlink(k0, k1, k2));
  await note("mget after", () => r.mget(k0, k1, k2, k3));

  // Atomic within one shard.
  await note("msetnx", () => r.msetnx({ [s0]: "1", [s1]: "2" }));
  await note("msetnx again", () => r.msetnx({ [s1]: "x", [s2]: "y" }));
  await note(
    "multi",
    () => r.multi().decrby(s0, 5).incrby(s1, 5).mget(s0, s1, s2).ping().exec(),
  );

  // Expiry.
  await note("expire", () => r.expire(s0, 100));
  await note("expire gt", () => r.expire(s0, 50, "GT"));
  await note("expire lt", async () => {
    const answer = await r.expire(s0, 60, "LT");
    return [answer, near(await r.ttl(s0), 60, 2)];
  });
  await note("pexpireat", async () => {
    await r.pexpireat(s0, at * 1000 + 7);
    return await r.exec(["pexpiretime", s0]);
  });
  await note("persist", () => r.persist(s0));
  await note("ttl of absent", () => r.ttl("absent"));
  await note("expire in the past deletes", async () => {
    const answer = await r.expire(s2, -1);
    return [answer, await r.exists(s2)];
  });

  // A pipeline over every shard, answered in order.
  await note("pipeline", () =>
    r.pipeline()
      .set(k0, "p0").set(k1, "p1").set(k2, "p2").set(k3, "p3")
      .incr(k0)
      .mget(k3, k2, k1, k0)
      .del(k2, "absent")
      .append(k1, "!")
      .get(k1)
      .dbsize()
      .exec({ keepErrors: true }));
  // Calls made at once: one auto-pipelined request each (the client sends
  // reads and writes in separate ones, at once, so they are not mixed here).
  await note("burst of writes", () =>
    Promise.all(
      Array.from({ length: 20 }, (_, i) => r.set(`burst:${i}`, `b${i} ✓`)),
    ));
  await note(
    "burst of reads",
    () =>
      Promise.all(Array.from({ length: 21 }, (_, i) => r.get(`burst:${i}`))),
  );

  // The key space.
  await note("dbsize", () => r.dbsize());
  await note("keys", async () => (await r.keys("*")).sort());
  await note("keys pattern", async () => (await r.keys("burst:1*")).sort());
  await note("scan", async () => {
    const seen: string[] = [];
    let cursor: string | number = "0";
    let calls = 0;
    const cursors: string[] = [];
    do {
      const [next, found]: [string, string[]] = await r.scan(cursor, {
        count: 7,
      });
      cursors.push(
        typeof next === "string" && /^\d+$/.test(next)
          ? "digits"
          : `bad ${next}`,
      );
      seen.push(...found);
      cursor = next;
    } while (cursor !== "0" && ++calls < 1000);
    return {
      keys: [...new Set(seen)].sort(),
      cursorsAreDigits: cursors.every((c) => c === "digits"),
    };
  });
  await note("scan match", async () => {
    const seen: string[] = [];
    let cursor: string | number = 0;
    do {
      const [next, found]: [string, string[]] = await plain.scan(cursor, {
        match: "burst:*",
      });
      seen.push(...found);
      cursor = next;
    } while (cursor !== "0");
    return [...new Set(seen)].sort();
  });
  await note("randomkey", async () => {
    const key = await r.randomkey();
    return key !== null && (await r.exists(key)) === 1;
  });
  await note("ping", () => r.ping());
  await note("echo", () => r.echo("hello 😀"));
  await note("time", async () => {
    const [seconds, micros] = await r.time();
    return Math.abs(Number(seconds) - Date.now() / 1000) < 5 &&
      Number(micros) < 1_000_000;
  });
  await note("unknown command", () => r.exec(["frobnicate", "x"]));
  await note("wrong arity", () => r.exec(["get"]));

  // The read-only token.
  if (target.readonlyToken !== undefined) {
    const readonly = redisClient(target.url, target.readonlyToken);
    await note("readonly get", () => readonly.get(k0));
    await note("readonly mget", () => readonly.mget(k0, k1, k2, k3));
    await note("readonly set", () => readonly.set(k0, "no"));
    await note(
      "readonly pipeline",
      () => readonly.pipeline().get(k0).del(k1).exec(),
    );
    await note("after readonly", () => r.mget(k0, k1));
  }
  await note("flushall", () => r.flushall());
  await note("dbsize after flush", () => r.dbsize());
  return log;
}

/**
 * Runs the scenario on `reference` (the single store), checks a few of its
 * answers against Redis's, then on `subject`, and asserts that every call
 * answered the same.
 */
export async function assertSameAnswers(
  subject: ScenarioTarget,
  reference: ScenarioTarget,
): Promise<void> {
  const want = await runScenario(reference);
  const answer = (label: string) => want.find(([l]) => l === label)?.[1];
  assert.equal(answer("incrbyfloat again"), "0.3");
  assert.deepEqual(answer("mget across"), ["m3", null, "m1", "m0", "m2", "m3"]);
  assert.equal(answer("exists across"), 5);
  assert.deepEqual(answer("multi"), [-4, 7, ["-4", "7", null], "PONG"]);
  assert.equal(answer("base64 get k=equals"), AWKWARD_VALUES[2]);
  assert.deepEqual(answer("scan"), {
    keys: answer("keys") as string[],
    cursorsAreDigits: true,
  });
  const got = await runScenario(subject);
  assert.deepEqual(got.map(([label]) => label), want.map(([label]) => label));
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(got[i], want[i], `${want[i][0]}`);
  }
}
