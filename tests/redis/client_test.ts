// The real `@upstash/redis` client (npm, 1.39.0) against a real kv-cache
// process (issue 22), through its typed API.
//
// What the client does (read from its source, pkg/http.ts, pkg/pipeline.ts,
// pkg/auto-pipeline.ts in the npm package):
// - Every call is a `POST` with `Content-Type: application/json`,
//   `Authorization: Bearer <token>` and a JSON array body, to `<url>/` for
//   one command, `<url>/pipeline` for `pipeline()`, `<url>/multi-exec` for
//   `multi()`. Arguments: strings, numbers and booleans go as JSON values
//   (`set("k", 5)` sends `5`), anything else as its `JSON.stringify` text;
//   `JSON.stringify` writes a lone surrogate as the escape `\udXXX`.
// - By default it sends `Upstash-Encoding: base64` and decodes every string
//   of the result (at any depth) with `atob` + `TextDecoder` (invalid UTF-8
//   becomes U+FFFD), except the exact string "OK", which it keeps; a string
//   that is not base64 is kept as it is. `responseEncoding: false` drops the
//   header and takes results as they come.
// - A non-2xx answer throws `UpstashError("<error>, command was: [...]")`; a
//   2xx `{error}` throws `UpstashError("<error>")`; a 2xx without `result`
//   throws "Request did not return a result". In a pipeline, `exec()` throws
//   "Command i [ name ] failed: <error>" (or returns `{result, error}` per
//   command with `keepErrors`).
// - Auto-pipelining (on by default): calls made in the same tick go as one
//   `/pipeline` (reads and writes in separate ones, up to 1000 commands
//   each); SCAN, KEYS, FLUSHDB, FLUSHALL, DBSIZE... go alone to `/`. An error
//   throws "Command failed: <error>".
// - It sends back the last `upstash-sync-token` response header it saw
//   (`readYourWrites`, on by default) and `Upstash-Telemetry-*` headers.
// - `automaticDeserialization` (on by default) runs `JSON.parse` on results,
//   so a value "10" reads as the number 10; most tests here turn it off to
//   see the strings as stored.
//
// REDIS_CLIENT_SUBJECT=shim runs the same tests against redis-server behind
// the REST shim (tests/support/redis_rest_shim.ts), to check that the
// expectations here are Redis's; the kv-cache-only ones are then ignored.
// REDIS_CLIENT_URL runs them against a kv-cache already running there (with
// this file's AUTH_TOKEN and AUTH_READONLY_TOKEN).
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { ROOT, START_ARGS, startServer } from "../support/server_process.ts";
import {
  NO_REDIS,
  REDIS_IGNORED,
  startRedisServer,
} from "../support/redis_server.ts";
import { startRestShim } from "../support/redis_rest_shim.ts";

const SUBJECT = Deno.env.get("REDIS_CLIENT_SUBJECT") ?? "kv-cache";
const ON_SHIM = SUBJECT === "shim";
const TOKEN = "client-test-token-0123456789abcdef";
const READONLY_TOKEN = "client-test-readonly-token-0123456789";

interface Target {
  url: string;
  stop(): Promise<unknown>;
}

/** Starts kv-cache as `deno task start` runs it, or Redis behind the shim. */
async function startTarget(): Promise<Target> {
  const running = Deno.env.get("REDIS_CLIENT_URL");
  if (running) return { url: running, stop: () => Promise.resolve() };
  if (ON_SHIM) {
    const redis = await startRedisServer();
    const shim = await startRestShim(redis, {
      token: TOKEN,
      readonlyToken: READONLY_TOKEN,
    });
    return {
      url: shim.url,
      stop: async () => {
        await shim.stop();
        await redis.stop();
      },
    };
  }
  const server = await startServer({
    args: START_ARGS,
    cwd: ROOT,
    env: {
      WORKERS: "2",
      AUTH_TOKEN: TOKEN,
      AUTH_READONLY_TOKEN: READONLY_TOKEN,
    },
  });
  return { url: server.url, stop: () => server.stop() };
}

interface ClientOptions {
  autoPipelining?: boolean;
  base64?: boolean;
  deserialize?: boolean;
  token?: string;
}

function client(url: string, options: ClientOptions = {}): Redis {
  return new Redis({
    url,
    token: options.token ?? TOKEN,
    enableAutoPipelining: options.autoPipelining ?? true,
    responseEncoding: options.base64 === false ? false : "base64",
    automaticDeserialization: options.deserialize ?? false,
    retry: false,
  });
}

/** Asserts `n` is within `slack` below `expected` (a TTL read just after it was set). */
function near(n: unknown, expected: number, slack: number, what: string) {
  assert.equal(typeof n, "number", `${what}: ${n}`);
  assert.ok(
    (n as number) <= expected && (n as number) >= expected - slack,
    `${what}: ${n}, expected ${expected - slack}..${expected}`,
  );
}

/** Asserts that `promise` rejects with a message containing Redis's `error`. */
async function rejectsWith(promise: Promise<unknown>, error: string) {
  await assert.rejects(promise, (e: Error) => {
    assert.ok(
      e.message.includes(error),
      `expected "${error}" in: ${e.message}`,
    );
    return true;
  });
}

/** Every command of issue 22 through the typed API, with Redis's answers. */
async function everyCommand(r: Redis, p: string): Promise<void> {
  const k = (name: string) => `${p}:${name}`;
  const at = Math.floor(Date.now() / 1000) + 1000;

  // SET and its options.
  assert.equal(await r.set(k("s"), "v"), "OK");
  assert.equal(await r.get(k("s")), "v");
  assert.equal(await r.get(k("none")), null);
  assert.equal(await r.set(k("s"), "w", { nx: true }), null);
  assert.equal(await r.set(k("s"), "w", { xx: true, get: true }), "v");
  assert.equal(await r.set(k("none"), "w", { xx: true }), null);
  assert.equal(await r.exists(k("none")), 0);
  assert.equal(await r.set(k("s"), "x", { ex: 100 }), "OK");
  near(await r.ttl(k("s")), 100, 2, "TTL after SET EX 100");
  assert.equal(await r.set(k("s"), "y", { keepTtl: true }), "OK");
  near(await r.ttl(k("s")), 100, 2, "TTL after SET KEEPTTL");
  assert.equal(await r.set(k("s"), "z"), "OK");
  assert.equal(await r.ttl(k("s")), -1, "SET without an expiry option");
  assert.equal(await r.set(k("px"), "v", { px: 100_000 }), "OK");
  near(await r.pttl(k("px")), 100_000, 2000, "PTTL after SET PX");
  assert.equal(await r.set(k("exat"), "v", { exat: at }), "OK");
  assert.equal(await r.exec(["expiretime", k("exat")]), at);
  assert.equal(await r.set(k("pxat"), "v", { pxat: at * 1000 + 500 }), "OK");
  assert.equal(await r.exec(["pexpiretime", k("pxat")]), at * 1000 + 500);
  assert.equal(await r.set(k("n5"), 5), "OK", "a number argument");
  assert.equal(await r.get(k("n5")), "5");
  await rejectsWith(
    r.set(k("s"), "v", { ex: 0 }),
    "ERR invalid expire time in 'set' command",
  );

  // SETEX, PSETEX, SETNX, GETSET, GETDEL, GETEX.
  assert.equal(await r.setex(k("se"), 100, "v"), "OK");
  near(await r.ttl(k("se")), 100, 2, "TTL after SETEX");
  assert.equal(await r.psetex(k("pse"), 100_000, "v"), "OK");
  near(await r.pttl(k("pse")), 100_000, 2000, "PTTL after PSETEX");
  assert.equal(await r.setnx(k("nx"), "1"), 1);
  assert.equal(await r.setnx(k("nx"), "2"), 0);
  assert.equal(await r.getset(k("nx"), "3"), "1");
  assert.equal(await r.getdel(k("nx")), "3");
  assert.equal(await r.getdel(k("nx")), null);
  assert.equal(await r.getex(k("se"), { persist: true }), "v");
  assert.equal(await r.ttl(k("se")), -1, "GETEX PERSIST");
  assert.equal(await r.getex(k("se"), { ex: 200 }), "v");
  near(await r.ttl(k("se")), 200, 2, "GETEX EX");
  assert.equal(await r.getex(k("se"), { px: 300_000 }), "v");
  near(await r.pttl(k("se")), 300_000, 2000, "GETEX PX");
  assert.equal(await r.getex(k("se"), { exat: at }), "v");
  assert.equal(await r.exec(["expiretime", k("se")]), at);
  assert.equal(await r.getex(k("se"), { pxat: at * 1000 + 1 }), "v");
  assert.equal(await r.exec(["pexpiretime", k("se")]), at * 1000 + 1);
  assert.equal(await r.getex(k("se")), "v");
  assert.equal(await r.getex(k("none")), null);

  // MSET, MGET, MSETNX, EXISTS, TOUCH, DEL, UNLINK.
  assert.equal(await r.mset({ [k("m1")]: "a", [k("m2")]: "b" }), "OK");
  assert.deepEqual(await r.mget(k("m1"), k("none"), k("m2")), [
    "a",
    null,
    "b",
  ]);
  assert.deepEqual(await r.mget([k("m1")]), ["a"]);
  assert.equal(await r.msetnx({ [k("m1")]: "x", [k("m3")]: "c" }), 0);
  assert.equal(await r.exists(k("m3")), 0, "MSETNX sets nothing if one exists");
  assert.equal(await r.msetnx({ [k("m3")]: "c", [k("m4")]: "d" }), 1);
  assert.equal(await r.exists(k("m1"), k("m1"), k("none")), 2);
  assert.equal(await r.touch(k("m1"), k("none")), 1);
  assert.equal(await r.del(k("m1"), k("none")), 1);
  assert.equal(await r.unlink(k("m2"), k("m3")), 2);

  // EXPIRE and its options, PERSIST, TTL, PTTL, EXPIRETIME.
  assert.equal(await r.expire(k("m4"), 100), 1);
  near(await r.ttl(k("m4")), 100, 2, "TTL after EXPIRE");
  assert.equal(await r.expire(k("m4"), 50, "GT"), 0);
  assert.equal(await r.expire(k("m4"), 200, "GT"), 1);
  assert.equal(await r.expire(k("m4"), 300, "LT"), 0);
  assert.equal(await r.expire(k("m4"), 150, "lt"), 1);
  near(await r.ttl(k("m4")), 150, 2, "TTL after EXPIRE LT");
  assert.equal(await r.expire(k("m4"), 100, "NX"), 0);
  assert.equal(await r.expire(k("m4"), 100, "XX"), 1);
  assert.equal(await r.persist(k("m4")), 1);
  assert.equal(await r.persist(k("m4")), 0);
  assert.equal(await r.ttl(k("m4")), -1);
  assert.equal(await r.exec(["expiretime", k("m4")]), -1);
  assert.equal(await r.expire(k("m4"), 100, "XX"), 0);
  assert.equal(await r.expire(k("m4"), 100, "GT"), 0, "GT: no TTL is infinite");
  assert.equal(await r.pexpire(k("m4"), 100_000), 1);
  near(await r.pttl(k("m4")), 100_000, 2000, "PTTL after PEXPIRE");
  assert.equal(await r.expireat(k("m4"), at), 1);
  assert.equal(await r.exec(["expiretime", k("m4")]), at);
  assert.equal(await r.pexpireat(k("m4"), at * 1000 + 7), 1);
  assert.equal(await r.exec(["pexpiretime", k("m4")]), at * 1000 + 7);
  assert.equal(await r.ttl(k("none")), -2);
  assert.equal(await r.pttl(k("none")), -2);
  assert.equal(await r.exec(["pexpiretime", k("none")]), -2);
  assert.equal(await r.expire(k("none"), 100), 0);
  assert.equal(await r.expire(k("m4"), -1), 1, "a TTL in the past deletes");
  assert.equal(await r.exists(k("m4")), 0);

  // Counters.
  assert.equal(await r.incr(k("n")), 1);
  assert.equal(await r.incrby(k("n"), 10), 11);
  assert.equal(await r.decr(k("n")), 10);
  assert.equal(await r.decrby(k("n"), 4), 6);
  assert.equal(await r.incrbyfloat(k("n"), 1.5), "7.5");
  assert.equal(await r.incrbyfloat(k("f"), 0.1), "0.1");
  assert.equal(
    await r.incrbyfloat(k("f"), 0.2),
    "0.3",
    "Redis sums in long double and prints 17 digits: 0.3, not 0.30000000000000004",
  );
  await rejectsWith(
    r.incr(k("s")),
    "ERR value is not an integer or out of range",
  );
  await rejectsWith(
    r.incrbyfloat(k("s"), 1),
    "ERR value is not a valid float",
  );
  assert.equal(await r.set(k("big"), "9223372036854775806"), "OK");
  // The client parses the JSON number 9223372036854775807 as a double.
  assert.equal(await r.incr(k("big")), 9223372036854775807);
  assert.equal(await r.get(k("big")), "9223372036854775807");
  await rejectsWith(
    r.incr(k("big")),
    "ERR increment or decrement would overflow",
  );

  // APPEND, STRLEN, GETRANGE, SETRANGE, TYPE.
  assert.equal(await r.append(k("a"), "Hello"), 5);
  assert.equal(await r.append(k("a"), " World"), 11);
  assert.equal(await r.strlen(k("a")), 11);
  assert.equal(await r.strlen(k("none")), 0);
  assert.equal(await r.getrange(k("a"), 0, 4), "Hello");
  assert.equal(await r.getrange(k("a"), -5, -1), "World");
  assert.equal(await r.getrange(k("a"), 20, 30), "");
  assert.equal(await r.setrange(k("a"), 6, "Redis"), 11);
  assert.equal(await r.get(k("a")), "Hello Redis");
  assert.equal(await r.setrange(k("pad"), 3, "x"), 4);
  assert.equal(await r.get(k("pad")), "\0\0\0x");
  assert.equal(await r.type(k("a")), "string");
  assert.equal(await r.type(k("none")), "none");

  // The key space: SCAN, KEYS, RANDOMKEY, DBSIZE.
  const scanKeys = ["1", "2", "3", "4", "5"].map((i) => k(`scan:${i}`));
  assert.equal(
    await r.mset(Object.fromEntries(scanKeys.map((key) => [key, "v"]))),
    "OK",
  );
  const seen = new Set<string>();
  let cursor: string | number = "0";
  let calls = 0;
  do {
    const [next, found]: [string, string[]] = await r.scan(cursor, {
      match: `${p}:scan:*`,
      count: 2,
      type: "string",
    });
    assert.equal(typeof next, "string", "the cursor is a string");
    for (const key of found) seen.add(key);
    cursor = next;
    assert.ok(++calls < 10_000, "SCAN ends");
  } while (cursor !== "0");
  assert.deepEqual([...seen].sort(), scanKeys);
  assert.deepEqual((await r.keys(`${p}:scan:*`)).sort(), scanKeys);
  assert.deepEqual(
    await r.scan(0, { match: `${p}:scan:*`, type: "hash" }).then(
      async (first) => {
        const keys = [...first[1]];
        for (let c = first[0]; c !== "0";) {
          const [next, more] = await r.scan(c, {
            match: `${p}:scan:*`,
            type: "hash",
          });
          keys.push(...more);
          c = next;
        }
        return keys;
      },
    ),
    [],
    "SCAN TYPE hash finds no string",
  );
  const random = await r.randomkey();
  assert.equal(typeof random, "string");
  assert.equal(await r.exists(random!), 1, "RANDOMKEY names a key");
  assert.ok((await r.dbsize()) >= scanKeys.length);

  // PING, ECHO, TIME, unknown commands.
  assert.equal(await r.ping(), "PONG");
  assert.equal(await r.ping(["hi"]), "hi");
  assert.equal(await r.echo("hello"), "hello");
  const time = await r.time();
  assert.equal(time.length, 2);
  assert.ok(
    Math.abs(Number(time[0]) - Date.now() / 1000) < 5,
    `TIME ${time}`,
  );
  assert.ok(
    Number(time[1]) >= 0 && Number(time[1]) < 1_000_000,
    `TIME ${time}`,
  );
  await rejectsWith(
    r.exec(["frobnicate", "x"]),
    "ERR unknown command 'frobnicate', with args beginning with: 'x' ",
  );
  await rejectsWith(
    r.exec(["get"]),
    "ERR wrong number of arguments for 'get' command",
  );

  // FLUSHDB and FLUSHALL.
  assert.equal(await r.flushdb(), "OK");
  assert.equal(await r.dbsize(), 0);
  assert.equal(await r.set(k("s"), "v"), "OK");
  assert.equal(await r.flushall([{ async: true }]), "OK");
  assert.equal(await r.get(k("s")), null);
  assert.equal(await r.flushdb({ async: false }), "OK");
}

Deno.test({
  name: `@upstash/redis against ${SUBJECT}: every command, pipeline, multi, ` +
    "auto-pipelining and base64 on and off, the read-only token, awkward values and keys" +
    (ON_SHIM ? NO_REDIS : ""),
  ignore: ON_SHIM && REDIS_IGNORED,
  async fn(t) {
    const target = await startTarget();
    try {
      for (const autoPipelining of [true, false]) {
        for (const base64 of [true, false]) {
          await t.step(
            `every command, auto-pipelining ${
              autoPipelining ? "on" : "off"
            }, base64 ${base64 ? "on" : "off"}`,
            () =>
              everyCommand(
                client(target.url, { autoPipelining, base64 }),
                `every:${autoPipelining}:${base64}`,
              ),
          );
        }
      }

      await t.step(
        "pipeline(): in order, not atomic, errors in place",
        async () => {
          const r = client(target.url, { autoPipelining: false });
          const p = r.pipeline();
          p.set("p:a", "1").incr("p:a").set("p:s", "text").incr("p:s").get(
            "p:a",
          )
            .mget("p:a", "p:none");
          assert.deepEqual(await p.exec({ keepErrors: true }), [
            { result: "OK", error: undefined },
            { result: 2, error: undefined },
            { result: "OK", error: undefined },
            {
              result: undefined,
              error: "ERR value is not an integer or out of range",
            },
            { result: "2", error: undefined },
            { result: ["2", null], error: undefined },
          ]);
          const failing = r.pipeline().incr("p:s").set("p:after", "applied");
          await rejectsWith(
            failing.exec(),
            "Command 1 [ incr ] failed: ERR value is not an integer or out of range",
          );
          assert.equal(await r.get("p:after"), "applied", "not atomic");
          await assert.rejects(r.pipeline().exec(), /Pipeline is empty/);
        },
      );

      await t.step(
        "multi(): atomic; a command error in place, EXECABORT refuses all",
        async () => {
          const r = client(target.url, { autoPipelining: false });
          assert.equal(await r.set("t:a", "10"), "OK");
          assert.deepEqual(
            await r.multi().decrby("t:a", 3).incrby("t:b", 3).mget("t:a", "t:b")
              .exec(),
            [7, 3, ["7", "3"]],
          );
          assert.deepEqual(
            await r.multi().set("t:s", "x").incr("t:s").get("t:s").exec({
              keepErrors: true,
            }),
            [
              { result: "OK", error: undefined },
              {
                result: undefined,
                error: "ERR value is not an integer or out of range",
              },
              { result: "x", error: undefined },
            ],
          );
          // A command of the wrong arity makes Redis refuse the whole
          // transaction (EXECABORT); sent as raw arrays to reach the server.
          const body = [["set", "t:c", "x"], ["get"]];
          const response = await fetch(`${target.url}/multi-exec`, {
            method: "POST",
            headers: { authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(body),
          });
          const answer = await response.json();
          assert.equal(response.status, 400, JSON.stringify(answer));
          assert.match(answer.error, /^EXECABORT /);
          assert.equal(await r.exists("t:c"), 0, "nothing of it applied");
        },
      );

      await t.step(
        "auto-pipelining: a burst of 1000 calls goes as one pipeline",
        async () => {
          const r = client(target.url, { autoPipelining: true });
          const before = (r as unknown as { pipelineCounter: number })
            .pipelineCounter;
          const keys = Array.from({ length: 1000 }, (_, i) => `burst:${i}`);
          const written = await Promise.all(
            keys.map((key, i) => r.set(key, i)),
          );
          assert.ok(written.every((x) => x === "OK"));
          const read = await Promise.all(keys.map((key) => r.get(key)));
          assert.deepEqual(read, keys.map((_, i) => String(i)));
          const after = (r as unknown as { pipelineCounter: number })
            .pipelineCounter;
          assert.equal(
            after - before,
            2,
            "one pipeline of writes, one of reads",
          );
          const [incr, bad] = await Promise.allSettled([
            r.incr("burst:1"),
            r.incr("p:s"),
          ]);
          assert.deepEqual(incr, { status: "fulfilled", value: 2 });
          assert.equal(bad.status, "rejected");
          assert.match(
            String((bad as PromiseRejectedResult).reason),
            /Command failed: ERR value is not an integer or out of range/,
          );
        },
      );

      await t.step(
        "read-only token: reads run, writes fail and change nothing",
        async () => {
          const full = client(target.url, { autoPipelining: false });
          assert.equal(await full.set("ro:k", "before", { ex: 100 }), "OK");
          for (const autoPipelining of [false, true]) {
            const ro = client(target.url, {
              token: READONLY_TOKEN,
              autoPipelining,
            });
            assert.equal(await ro.get("ro:k"), "before");
            assert.deepEqual(await ro.mget("ro:k", "ro:none"), [
              "before",
              null,
            ]);
            near(await ro.ttl("ro:k"), 100, 3, "TTL with the read-only token");
            assert.equal(await ro.exists("ro:k"), 1);
            assert.ok((await ro.dbsize()) >= 1);
            assert.ok((await ro.keys("ro:*")).includes("ro:k"));
            for (
              const write of [
                () => ro.set("ro:k", "after"),
                () => ro.del("ro:k"),
                () => ro.incr("ro:k"),
                () => ro.expire("ro:k", 1000),
                () => ro.persist("ro:k"),
                () => ro.getdel("ro:k"),
                () => ro.flushdb(),
                () => ro.set("ro:new", "x"),
              ]
            ) {
              await assert.rejects(write(), /NOPERM/);
            }
            await assert.rejects(
              ro.pipeline().get("ro:k").set("ro:k", "after").exec(),
              /NOPERM/,
            );
            await assert.rejects(
              ro.multi().get("ro:k").set("ro:k", "after").exec(),
              /NOPERM/,
            );
            assert.deepEqual(
              await ro.pipeline().get("ro:k").ttl("ro:none").exec(),
              [
                "before",
                -2,
              ],
            );
          }
          assert.equal(await full.get("ro:k"), "before", "unchanged");
          near(await full.ttl("ro:k"), 100, 3, "TTL unchanged");
          assert.equal(await full.exists("ro:new"), 0);
        },
      );

      await t.step(
        "values with quotes, backslashes, emoji, lone surrogates; keys with + / = % ?",
        async () => {
          const values = [
            'say "hi"',
            "back\\slash \\\\ and \\n",
            '\\"both\\"',
            "😀 emoji, 日本語, é",
            "tab\tnewline\ncr\r",
            "\u0000nul and \u001f",
            "OK",
            "abcd",
            "null",
            '{"json":1}',
            "",
          ];
          const keys = [
            "a+b",
            "a/b",
            "a=b==",
            "a%20b%",
            "a?b=c&d",
            "space key",
            "ключ",
          ];
          for (const base64 of [true, false]) {
            for (const autoPipelining of [true, false]) {
              const r = client(target.url, { base64, autoPipelining });
              for (const [i, value] of values.entries()) {
                const key = `${
                  keys[i % keys.length]
                }:${base64}:${autoPipelining}:${i}`;
                assert.equal(await r.set(key, value), "OK");
                assert.equal(
                  await r.get(key),
                  value,
                  `${JSON.stringify(value)}, base64 ${base64}`,
                );
                assert.equal(
                  await r.strlen(key),
                  new TextEncoder().encode(value).length,
                  "STRLEN counts UTF-8 bytes",
                );
                assert.deepEqual(await r.mget(key), [value]);
                assert.deepEqual(
                  await r.keys(key.replace(/[?*[\]\\]/g, "\\$&")),
                  [key],
                );
              }
              // A lone surrogate: the client writes it as the JSON escape
              // "\ud800"; no UTF-8 byte sequence stands for it, so Redis
              // behind a JSON decoder holds the three bytes of U+FFFD (EF BF
              // BD), and that is what every read returns, whatever the
              // encoding; STRLEN and GET must agree on those bytes.
              for (const lone of ["\ud800", "a\udfffb", "\ude00😀"]) {
                const key = `lone:${base64}:${autoPipelining}:${lone.length}`;
                assert.equal(await r.set(key, lone), "OK");
                const expected = lone.toWellFormed(); // U+FFFD for each lone one
                const got = await r.get(key);
                assert.equal(
                  got,
                  expected,
                  `SET ${JSON.stringify(lone)} then GET, base64 ${
                    base64 ? "on" : "off"
                  }: ${JSON.stringify(got)}, expected ${
                    JSON.stringify(expected)
                  } (the bytes STRLEN counts)`,
                );
                assert.equal(
                  await r.strlen(key),
                  new TextEncoder().encode(expected).length,
                );
              }
            }
          }
          // Automatic deserialization (the client's default) parses JSON.
          const r = client(target.url, { deserialize: true });
          assert.equal(await r.set("json:o", { a: [1, "two"] }), "OK");
          assert.deepEqual(await r.get("json:o"), { a: [1, "two"] });
          assert.equal(await r.set("json:n", 10), "OK");
          assert.equal(await r.incr("json:n"), 11);
          assert.equal(await r.get("json:n"), 11);
        },
      );

      await t.step(
        "the sync token: a fresh one on every answer, sent back",
        async () => {
          const r = client(target.url, { autoPipelining: false });
          await r.set("sync:k", "v");
          const first = r.readYourWritesSyncToken;
          assert.ok(first, "a sync token after the first call");
          await r.get("sync:k");
          assert.ok(r.readYourWritesSyncToken, "a sync token after the second");
          assert.notEqual(r.readYourWritesSyncToken, first, "a fresh one");
        },
      );
    } finally {
      await target.stop();
    }
  },
});

Deno.test({
  name: "@upstash/redis and the JSON API share one store" +
    (ON_SHIM ? " (ignored: needs kv-cache's JSON API, not the shim)" : ""),
  ignore: ON_SHIM,
  async fn() {
    const target = await startTarget();
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      const r = client(target.url, { autoPipelining: false });
      const keys = [
        "plain",
        "a+b",
        "a/b",
        "a=b",
        "a%20b",
        "a?b=c&d",
        "ключ 😀",
      ];
      for (const key of keys) {
        const value = `put "${key}" \\ 😀`;
        const put = await fetch(`${target.url}/put`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ key, value }),
        });
        assert.equal(put.status, 200, await put.text());
        assert.equal(await r.get(key), value, `${key}: /put then GET`);
        near(await r.ttl(key), 300, 3, "the JSON API's DEFAULT_TTL_SECONDS");
        const redisKey = `${key}:set`;
        assert.equal(await r.set(redisKey, `set ${value}`), "OK");
        const got = await fetch(
          `${target.url}/get?key=${encodeURIComponent(redisKey)}`,
          { headers: auth },
        );
        const body = await got.json();
        assert.equal(got.status, 200, JSON.stringify(body));
        assert.equal(body.value, `set ${value}`, `${key}: SET then /get`);
        assert.equal(await r.ttl(redisKey), -1, "SET without EX never expires");
      }
      // The read-only token reads the JSON API and may not write it.
      const readonly = { authorization: `Bearer ${READONLY_TOKEN}` };
      const get = await fetch(`${target.url}/get?key=plain`, {
        headers: readonly,
      });
      assert.equal(get.status, 200, await get.text());
      const put = await fetch(`${target.url}/put`, {
        method: "POST",
        headers: readonly,
        body: JSON.stringify({ key: "plain", value: "changed" }),
      });
      assert.equal(put.status, 403, await put.text());
      assert.equal(await r.get("plain"), 'put "plain" \\ 😀', "unchanged");
      // Commands Redis has but kv-cache does not serve are unknown commands.
      await rejectsWith(
        r.hset("h", { f: "v" }),
        "ERR unknown command 'hset', with args beginning with: 'h' 'f' 'v' ",
      );
    } finally {
      await target.stop();
    }
  },
});
