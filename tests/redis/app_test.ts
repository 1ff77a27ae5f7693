/**
 * The Redis REST API through `app.request()`, over both stores, with a
 * manual clock: every command's main and error cases (error texts as
 * redis-server 7.0.15 words them), base64 encoding, pipelines and
 * transactions, the limits, the read-only token, the sync token, and the
 * store shared with the JSON API. The comparison with Redis itself, command
 * by command, is tests/redis/differential_test.ts.
 */

import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ManualClock } from "../../lib/clock.ts";
import { createCache } from "../../lib/create_cache.ts";
import { type AppOptions, createApp, ROUTE_LABELS } from "../../routes/app.ts";
import { Metrics } from "../../routes/metrics.ts";
import { COMMANDS } from "../../routes/redis/commands.ts";
import { createLogger } from "../../lib/logger.ts";

const STORES = ["map", "arena"] as const;
const TOKEN = "full-token-0123456789abcdef";
const READONLY = "read-only-token-0123456789";
const START = 1_700_000_000_000;

/** An app with the Redis API on, over a fresh store of kind `store`. */
function setup(
  store: "map" | "arena",
  overrides: Partial<AppOptions> = {},
  maxCacheBytes = 10_000_000,
) {
  const clock = new ManualClock(START);
  const cache = createCache({
    cacheStore: store,
    maxCacheBytes,
    defaultTtlSeconds: 300,
    maxKeySize: 16,
    maxValueSize: 32,
  }, clock);
  const app = createApp({
    cache,
    maxKeySize: 16,
    maxValueSize: 32,
    maxTtlSeconds: 2_147_483_647,
    maxBodyBytes: 4096,
    notFoundStatus: 404,
    redisApi: true,
    ...overrides,
  });
  return { app, cache, clock, ...client(app) };
}

type App = ReturnType<typeof createApp>;

/** One answer: status, parsed body, raw text and headers. */
interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
  headers: Headers;
}

async function post(
  app: App,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await app.request(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: JSON.parse(text),
    text,
    headers: response.headers,
  };
}

/** `ok(...argv)`: the result of a 200; `err(...argv)`: the error of a 400. */
function client(app: App, headers: Record<string, string> = {}) {
  return {
    async ok(...argv: unknown[]) {
      const answer = await post(app, "/", argv, headers);
      assert.equal(
        answer.status,
        200,
        `${JSON.stringify(argv)}: ${answer.text}`,
      );
      assert.ok("result" in answer.body, answer.text);
      return answer.body.result;
    },
    async err(...argv: unknown[]) {
      const answer = await post(app, "/", argv, headers);
      assert.equal(
        answer.status,
        400,
        `${JSON.stringify(argv)}: ${answer.text}`,
      );
      assert.deepEqual(Object.keys(answer.body), ["error"]);
      return answer.body.error as string;
    },
  };
}

const syntax = "ERR syntax error";
const notInteger = "ERR value is not an integer or out of range";
const arity = (name: string) =>
  `ERR wrong number of arguments for '${name}' command`;

for (const store of STORES) {
  Deno.test(`[${store}] GET and SET with its options`, async () => {
    const { ok, err, clock } = setup(store);
    assert.equal(await ok("get", "k"), null);
    assert.equal(await ok("set", "k", "v"), "OK");
    assert.equal(await ok("get", "k"), "v");
    assert.equal(await ok("ttl", "k"), -1);
    // NX / XX, with and without GET.
    assert.equal(await ok("set", "k", "w", "nx"), null);
    assert.equal(await ok("set", "k", "w", "NX", "get"), "v");
    assert.equal(await ok("set", "other", "w", "xx"), null);
    assert.equal(await ok("exists", "other"), 0);
    assert.equal(await ok("set", "k", "w", "xx", "GET"), "v");
    assert.equal(await ok("set", "new", "x", "get"), null);
    assert.equal(await ok("get", "k"), "w");
    // Expiry options; time on the cache's clock.
    assert.equal(await ok("set", "k", "v", "ex", 100), "OK");
    assert.equal(await ok("pttl", "k"), 100_000);
    assert.equal(await ok("set", "k", "v2", "KeepTtl"), "OK");
    assert.equal(await ok("pttl", "k"), 100_000);
    assert.equal(await ok("set", "k", "v3"), "OK");
    assert.equal(await ok("ttl", "k"), -1, "a plain SET removes the expiry");
    assert.equal(await ok("set", "k", "v", "px", 1500), "OK");
    assert.equal(await ok("ttl", "k"), 2, "TTL rounds half up");
    assert.equal(await ok("set", "k", "v", "exat", START / 1000 + 10), "OK");
    assert.equal(await ok("pexpiretime", "k"), START + 10_000);
    assert.equal(await ok("set", "k", "v", "pxat", START + 5), "OK");
    clock.advance(4);
    assert.equal(await ok("get", "k"), "v");
    clock.advance(1);
    assert.equal(await ok("get", "k"), null);
    assert.equal(await ok("set", "k", "v", "pxat", START - 1), "OK");
    assert.equal(await ok("exists", "k"), 0, "an expiry in the past");
    assert.equal(await ok("set", "k", "v", "ex", 1, "ex", 2), "OK");
    assert.equal(await ok("ttl", "k"), 2, "an option given twice: the last");

    for (
      const argv of [
        ["set", "k", "v", "nx", "xx"],
        ["set", "k", "v", "ex", 1, "px", 1],
        ["set", "k", "v", "ex"],
        ["set", "k", "v", "keepttl", "ex", 1],
        ["set", "k", "v", "persist"],
        ["set", "k", "v", "foo"],
      ]
    ) assert.equal(await err(...argv), syntax, JSON.stringify(argv));
    for (const time of [0, -1, "9223372036854775807"]) {
      assert.equal(
        await err("set", "k", "v", "ex", time),
        "ERR invalid expire time in 'set' command",
      );
    }
    assert.equal(await err("set", "k", "v", "ex", "1.5"), notInteger);
    assert.equal(await err("set", "k"), arity("set"));
    assert.equal(await ok("get", "k"), "v", "refused SETs changed nothing");
  });

  Deno.test(`[${store}] SETEX, PSETEX, SETNX, GETSET, GETDEL, GETEX`, async () => {
    const { ok, err, clock } = setup(store);
    assert.equal(await ok("setex", "a", 10, "v"), "OK");
    assert.equal(await ok("ttl", "a"), 10);
    assert.equal(
      await err("setex", "a", 0, "v"),
      "ERR invalid expire time in 'setex' command",
    );
    assert.equal(await ok("psetex", "b", 1500, "v"), "OK");
    assert.equal(await ok("pttl", "b"), 1500);
    assert.equal(
      await err("psetex", "b", -1, "v"),
      "ERR invalid expire time in 'psetex' command",
    );
    assert.equal(await ok("setnx", "a", "w"), 0);
    assert.equal(await ok("setnx", "c", "w"), 1);
    assert.equal(await ok("ttl", "c"), -1);
    assert.equal(await ok("getset", "a", "x"), "v");
    assert.equal(await ok("ttl", "a"), -1, "GETSET removes the expiry");
    assert.equal(await ok("getset", "nope", "x"), null);
    assert.equal(await ok("getdel", "a"), "x");
    assert.equal(await ok("getdel", "a"), null);

    assert.equal(await ok("getex", "c", "ex", 100), "w");
    assert.equal(await ok("ttl", "c"), 100);
    assert.equal(await ok("getex", "c"), "w");
    assert.equal(await ok("ttl", "c"), 100);
    assert.equal(await ok("getex", "c", "persist"), "w");
    assert.equal(await ok("ttl", "c"), -1);
    assert.equal(await ok("getex", "c", "pxat", START + 50), "w");
    assert.equal(await ok("pttl", "c"), 50);
    assert.equal(await ok("getex", "c", "exat", START / 1000 - 1), "w");
    assert.equal(await ok("exists", "c"), 0, "GETEX with a past EXAT deletes");
    assert.equal(
      await ok("getex", "absent", "ex", -1),
      null,
      "no key: no check",
    );
    await ok("set", "c", "w");
    assert.equal(
      await err("getex", "c", "ex", -1),
      "ERR invalid expire time in 'getex' command",
    );
    assert.equal(await err("getex", "c", "ex", "x"), notInteger);
    for (const options of [["persist", "ex", 1], ["nx"], ["get"], ["ex"]]) {
      assert.equal(await err("getex", "c", ...options), syntax);
    }
    assert.equal(await ok("ttl", "c"), -1);
    clock.advance(1);
  });

  Deno.test(`[${store}] MGET, MSET, MSETNX`, async () => {
    const { ok, err } = setup(store);
    assert.equal(await ok("set", "a", "old", "ex", 10), "OK");
    assert.equal(await ok("mset", "a", "1", "b", "2"), "OK");
    assert.equal(await ok("ttl", "a"), -1, "MSET writes without expiry");
    assert.deepEqual(await ok("mget", "a", "nope", "b", "a"), [
      "1",
      null,
      "2",
      "1",
    ]);
    assert.equal(await ok("msetnx", "a", "x", "c", "y"), 0);
    assert.equal(await ok("exists", "c"), 0, "MSETNX: all or nothing");
    assert.equal(await ok("msetnx", "c", "x", "d", "y", "c", "z"), 1);
    assert.deepEqual(await ok("mget", "c", "d"), ["z", "y"]);
    assert.equal(await err("mset", "a"), arity("mset"));
    assert.equal(await err("mset", "a", "1", "b"), arity("mset"));
    assert.equal(await err("msetnx", "a", "1", "b"), arity("msetnx"));
    assert.equal(await err("mget"), arity("mget"));
  });

  Deno.test(`[${store}] INCR, DECR, INCRBY, DECRBY: 64-bit exact`, async () => {
    const { app, ok, err } = setup(store);
    assert.equal(await ok("incr", "n"), 1);
    assert.equal(await ok("incrby", "n", 41), 42);
    assert.equal(await ok("decr", "n"), 41);
    assert.equal(await ok("decrby", "n", "-9"), 50);
    assert.equal(await ok("get", "n"), "50");
    await ok("expire", "n", 100);
    assert.equal(await ok("incr", "n"), 51);
    assert.equal(await ok("ttl", "n"), 100, "INCR keeps the expiry");

    // Past 2^53 the JSON carries the exact digits.
    await ok("set", "big", "9007199254740993");
    const answer = await post(app, "/", ["incrby", "big", "1000"]);
    assert.equal(answer.text, '{"result":9007199254741993}');
    assert.equal(await ok("get", "big"), "9007199254741993");
    await ok("set", "max", "9223372036854775806");
    const max = await post(app, "/", ["incr", "max"]);
    assert.equal(max.text, '{"result":9223372036854775807}');
    const overflow = "ERR increment or decrement would overflow";
    assert.equal(await err("incr", "max"), overflow);
    assert.equal(await err("decrby", "max", "-1"), overflow);
    assert.equal(
      await err("decrby", "max", "-9223372036854775808"),
      "ERR decrement would overflow",
    );
    assert.equal(await ok("get", "max"), "9223372036854775807");
    await ok("set", "min", "-9223372036854775808");
    assert.equal(await err("decr", "min"), overflow);
    assert.equal(await ok("incrby", "min", "9223372036854775807"), -1);

    for (const bad of ["1.5", " 1", "1 ", "+1", "01", "-0", "", "1e3", "x"]) {
      await ok("set", "s", bad);
      assert.equal(await err("incr", "s"), notInteger, `value ${bad}`);
      assert.equal(await err("incrby", "n", bad), notInteger, `by ${bad}`);
    }
    assert.equal(await err("incrby", "n", "9223372036854775808"), notInteger);
    assert.equal(
      await ok("get", "n"),
      "51",
      "refused increments changed nothing",
    );
    assert.equal(await err("incr", "n", "1"), arity("incr"));
  });

  Deno.test(`[${store}] INCRBYFLOAT prints as Redis does`, async () => {
    const { ok, err } = setup(store);
    // Results as redis-server 7.0.15 (x86-64 long double) gives them.
    assert.equal(await ok("incrbyfloat", "f", "10.5"), "10.5");
    assert.equal(await ok("incrbyfloat", "f", "0.1"), "10.6");
    // 10.6 as a long double is not 10.6: the difference shows past 4989.
    assert.equal(
      await ok("incrbyfloat", "f", "-5.0e3"),
      "-4989.39999999999999991",
    );
    assert.equal(await ok("incrbyfloat", "g", "0.1"), "0.1");
    assert.equal(await ok("incrbyfloat", "g", "0.2"), "0.3");
    assert.equal(await ok("incrbyfloat", "h", "0x10"), "16");
    assert.equal(
      await ok("incrbyfloat", "i", "1.23456789012345678901234"),
      "1.23456789012345679",
    );
    assert.equal(await ok("incrbyfloat", "j", "5e-18"), "0");
    assert.equal(await ok("incrbyfloat", "k", "1e20"), "100000000000000000000");
    await ok("set", "ttl", "1", "ex", 100);
    assert.equal(await ok("incrbyfloat", "ttl", 1), "2");
    assert.equal(await ok("ttl", "ttl"), 100, "keeps the expiry");
    const float = "ERR value is not a valid float";
    for (const bad of ["abc", " 1", "1 ", "nan", "1e5000", "", "1e"]) {
      assert.equal(await err("incrbyfloat", "f", bad), float, bad);
    }
    assert.equal(
      await err("incrbyfloat", "f", "inf"),
      "ERR increment would produce NaN or Infinity",
    );
    await ok("set", "s", "x");
    assert.equal(await err("incrbyfloat", "s", 1), float);
    assert.equal(await ok("get", "f"), "-4989.39999999999999991");
  });

  Deno.test(`[${store}] APPEND, STRLEN, GETRANGE, SETRANGE count UTF-8 bytes`, async () => {
    const { app, ok, err } = setup(store);
    assert.equal(await ok("append", "s", "héllo"), 6);
    assert.equal(await ok("append", "s", "😀"), 10);
    assert.equal(await ok("strlen", "s"), 10);
    assert.equal(await ok("strlen", "nope"), 0);
    assert.equal(await ok("getrange", "s", 0, 2), "hé");
    assert.equal(await ok("getrange", "s", -4, -1), "😀");
    assert.equal(await ok("getrange", "s", 0, -1), "héllo😀");
    assert.equal(await ok("getrange", "s", -1, -5), "");
    assert.equal(await ok("getrange", "s", 5, 1), "");
    assert.equal(await ok("getrange", "s", -100, 100), "héllo😀");
    assert.equal(await ok("getrange", "nope", 0, -1), "");
    // A cut through a character: the exact bytes with base64, U+FFFD without.
    const cut = await post(app, "/", ["getrange", "s", 0, 1], {
      "upstash-encoding": "base64",
    });
    assert.deepEqual(cut.body, { result: btoa("h\xc3") });
    assert.equal(await ok("getrange", "s", 0, 1), "h\ufffd");
    assert.equal(await err("getrange", "s", "a", 1), notInteger);

    // Redis answers 10 (its bytes); the stored string has U+FFFD (3 bytes)
    // where the cut byte was, and the answer is the length stored.
    assert.equal(await ok("setrange", "s", 1, "E"), 12);
    assert.equal(await ok("get", "s"), "hE\ufffdllo😀", "a cut byte is U+FFFD");
    assert.equal(await ok("strlen", "s"), 12);
    await ok("set", "t", "hello", "ex", 100);
    assert.equal(await ok("setrange", "t", 1, "EY"), 5);
    assert.equal(await ok("get", "t"), "hEYlo");
    assert.equal(await ok("ttl", "t"), 100, "keeps the expiry");
    assert.equal(await ok("setrange", "t", 7, "!"), 8);
    assert.equal(await ok("get", "t"), "hEYlo\0\0!");
    assert.equal(await ok("setrange", "t", 0, ""), 8);
    assert.equal(await ok("setrange", "nope", 3, ""), 0);
    assert.equal(await ok("exists", "nope"), 0);
    assert.equal(await ok("setrange", "new", 2, "é"), 4);
    assert.equal(await ok("get", "new"), "\0\0é");
    assert.equal(
      await err("setrange", "t", -1, "x"),
      "ERR offset is out of range",
    );
    assert.equal(
      await err("setrange", "t", 600_000_000, "x"),
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    );
    assert.equal(await ok("ttl", "t"), 100);
  });

  Deno.test(`[${store}] DEL, UNLINK, EXISTS, TOUCH, TYPE, RANDOMKEY, DBSIZE, FLUSHDB`, async () => {
    const { ok, err } = setup(store);
    assert.equal(await ok("randomkey"), null);
    assert.equal(await ok("dbsize"), 0);
    await ok("mset", "a", "1", "b", "2", "c", "3");
    assert.equal(await ok("exists", "a", "a", "nope", "b"), 3);
    assert.equal(await ok("touch", "a", "nope"), 1);
    assert.equal(await ok("type", "a"), "string");
    assert.equal(await ok("type", "nope"), "none");
    assert.ok(["a", "b", "c"].includes(await ok("randomkey")));
    assert.equal(await ok("dbsize"), 3);
    assert.equal(await ok("del", "a", "a", "nope"), 1);
    assert.equal(await ok("unlink", "b"), 1);
    assert.equal(await ok("dbsize"), 1);
    assert.equal(await ok("flushdb"), "OK");
    assert.equal(await ok("dbsize"), 0);
    await ok("set", "d", "4");
    assert.equal(await ok("flushall", "ASYNC"), "OK");
    assert.equal(await ok("flushall", "sync"), "OK");
    assert.equal(await err("flushall", "now"), syntax);
    assert.equal(await err("flushdb", "async", "sync"), syntax);
    assert.equal(await err("dbsize", "x"), arity("dbsize"));
    assert.equal(await err("del"), arity("del"));
  });

  Deno.test(`[${store}] the EXPIRE family, PERSIST, TTL, PTTL, EXPIRETIME`, async () => {
    const { ok, err, clock } = setup(store);
    assert.equal(await ok("expire", "nope", 10), 0);
    assert.equal(await ok("ttl", "nope"), -2);
    assert.equal(await ok("pttl", "nope"), -2);
    assert.equal(await ok("expiretime", "nope"), -2);
    await ok("set", "k", "v");
    assert.equal(await ok("expiretime", "k"), -1);
    assert.equal(await ok("pexpiretime", "k"), -1);
    // GT never applies to a key without expiry (infinite); LT always does.
    assert.equal(await ok("expire", "k", 100, "gt"), 0);
    assert.equal(await ok("expire", "k", 100, "xx"), 0);
    assert.equal(await ok("expire", "k", 100, "lt"), 1);
    assert.equal(await ok("ttl", "k"), 100);
    assert.equal(await ok("expire", "k", 200, "nx"), 0);
    assert.equal(await ok("expire", "k", 50, "gt"), 0);
    assert.equal(await ok("expire", "k", 200, "GT", "xx"), 1);
    assert.equal(await ok("expire", "k", 300, "lt"), 0);
    assert.equal(await ok("ttl", "k"), 200);
    assert.equal(await ok("pexpire", "k", 1500), 1);
    assert.equal(await ok("pttl", "k"), 1500);
    assert.equal(await ok("expireat", "k", START / 1000 + 60), 1);
    assert.equal(await ok("expiretime", "k"), START / 1000 + 60);
    assert.equal(await ok("pexpireat", "k", START + 2500), 1);
    assert.equal(await ok("pexpiretime", "k"), START + 2500);
    assert.equal(await ok("expiretime", "k"), START / 1000 + 3, "rounded");
    clock.advance(1000);
    assert.equal(await ok("pttl", "k"), 1500);
    assert.equal(await ok("ttl", "k"), 2);
    assert.equal(await ok("persist", "k"), 1);
    assert.equal(await ok("persist", "k"), 0);
    assert.equal(await ok("ttl", "k"), -1);
    assert.equal(await ok("expire", "k", 0), 1);
    assert.equal(
      await ok("exists", "k"),
      0,
      "a time not in the future deletes",
    );
    await ok("set", "k", "v");
    assert.equal(await ok("pexpireat", "k", 1), 1);
    assert.equal(await ok("exists", "k"), 0);
    await ok("set", "k", "v", "ex", 10);
    clock.advance(10_000);
    assert.equal(await ok("ttl", "k"), -2, "expired");

    await ok("set", "k", "v");
    assert.equal(
      await err("expire", "k", 10, "nx", "xx"),
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    assert.equal(
      await err("expire", "k", 10, "gt", "lt"),
      "ERR GT and LT options at the same time are not compatible",
    );
    assert.equal(
      await err("expire", "k", "x", "foo"),
      "ERR Unsupported option foo",
    );
    assert.equal(await err("expire", "k", "x"), notInteger);
    assert.equal(
      await err("expire", "k", "9223372036854775807"),
      "ERR invalid expire time in 'expire' command",
    );
    assert.equal(
      await err("pexpire", "k", "9223372036854775807"),
      "ERR invalid expire time in 'pexpire' command",
    );
    assert.equal(await err("expire", "k"), arity("expire"));
    assert.equal(await ok("ttl", "k"), -1);
  });

  Deno.test(`[${store}] SCAN iterates every key; MATCH, COUNT, TYPE; KEYS`, async () => {
    const { ok, err, cache } = setup(store);
    const keys = Array.from({ length: 120 }, (_, i) => `key:${i}`);
    for (let i = 0; i < keys.length; i += 20) {
      await ok("mset", ...keys.slice(i, i + 20).flatMap((k) => [k, "v"]));
    }
    await ok("set", "other", "v");
    const seen = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const [next, batch] = await ok("scan", cursor, "count", 25);
      assert.equal(typeof next, "string");
      for (const key of batch) seen.add(key);
      cursor = next;
      assert.ok(++rounds < 100, "SCAN ends");
    } while (cursor !== "0");
    assert.deepEqual([...seen].sort(), [...keys, "other"].sort());

    const matched = new Set<string>();
    cursor = "0";
    do {
      const [next, batch] = await ok(
        "scan",
        cursor,
        "MATCH",
        "key:1?",
        "type",
        "STRING",
      );
      batch.forEach((key: string) => matched.add(key));
      cursor = next;
    } while (cursor !== "0");
    assert.deepEqual(
      [...matched].sort(),
      keys.filter((k) => /^key:1.$/.test(k)).sort(),
    );
    assert.deepEqual(
      (await ok("scan", 0, "type", "hash", "count", 1000))[1],
      [],
    );

    assert.deepEqual((await ok("keys", "key:1[0-2]")).sort(), [
      "key:10",
      "key:11",
      "key:12",
    ]);
    assert.deepEqual(await ok("keys", "ot?er"), ["other"]);
    assert.equal((await ok("keys", "*")).length, cache.stats().entries);
    assert.deepEqual(await ok("keys", "nothing*"), []);

    assert.equal(await err("scan", "abc"), "ERR invalid cursor");
    assert.equal(await err("scan", " 1"), "ERR invalid cursor");
    assert.equal(await err("scan", 0, "count", 0), syntax);
    assert.equal(await err("scan", 0, "count", "x"), notInteger);
    assert.equal(await err("scan", 0, "match"), syntax);
    assert.equal(await err("scan", 0, "foo", "bar"), syntax);
    assert.equal(await err("keys"), arity("keys"));
  });

  Deno.test(`[${store}] PING, ECHO, TIME; unknown commands and arity`, async () => {
    const { ok, err, clock } = setup(store);
    assert.equal(await ok("ping"), "PONG");
    assert.equal(await ok("PING", "hi"), "hi");
    assert.equal(await err("ping", "a", "b"), arity("ping"));
    assert.equal(await ok("echo", "é"), "é");
    assert.equal(await err("echo"), arity("echo"));
    clock.advance(1234);
    assert.deepEqual(await ok("time"), [
      String(Math.floor((START + 1234) / 1000)),
      "234000",
    ]);
    assert.equal(
      await err("hset", "h", "f", "v"),
      "ERR unknown command 'hset', with args beginning with: 'h' 'f' 'v' ",
    );
    assert.equal(
      await err("nope"),
      "ERR unknown command 'nope', with args beginning with: ",
    );
    // Arguments are cut at 128 bytes in all; newlines become spaces.
    const long = "a".repeat(200);
    assert.equal(
      await err("x\ny", long, "b"),
      `ERR unknown command 'x y', with args beginning with: '${
        "a".repeat(128)
      }' `,
    );
    assert.equal(await err("GET"), arity("get"));
  });
}

Deno.test("every command of the table is answered (none falls to 'unknown')", async () => {
  const { app } = setup("map");
  for (const spec of COMMANDS.values()) {
    const argv = [
      spec.name.toUpperCase(),
      ...Array(Math.abs(spec.arity) - 1).fill("1"),
    ];
    const answer = await post(app, "/", argv);
    assert.ok(
      !String(answer.body.error ?? "").includes("unknown command"),
      `${spec.name}: ${answer.text}`,
    );
  }
});

Deno.test("arguments: strings, numbers and booleans; anything else is refused", async () => {
  const { app, ok } = setup("map");
  assert.equal(await ok("set", "n", 12), "OK");
  assert.equal(await ok("incrby", "n", 1.0), 13);
  assert.equal(await ok("echo", true), "true");
  assert.equal(await ok("echo", false), "false");
  assert.equal(await ok("echo", 1.5), "1.5");
  for (
    const [body, message] of [
      [
        "not json",
        'ERR Request body is not valid JSON; expected a command as a JSON array, e.g. ["get","key"].',
      ],
      [
        "{}",
        'ERR The command is an object; expected a non-empty JSON array such as ["get","key"].',
      ],
      [
        "[]",
        'ERR The command is an empty array; expected a non-empty JSON array such as ["get","key"].',
      ],
      [
        '"get"',
        'ERR The command is a string; expected a non-empty JSON array such as ["get","key"].',
      ],
      [
        '["set","k",null]',
        "ERR The command's argument 3 is null; expected a string, number or boolean.",
      ],
      [
        '["set",{"k":1},"v"]',
        "ERR The command's argument 2 is an object; expected a string, number or boolean.",
      ],
      [
        '["set","k",["v"]]',
        "ERR The command's argument 3 is an array; expected a string, number or boolean.",
      ],
    ] as const
  ) {
    const answer = await post(app, "/", body);
    assert.equal(answer.status, 400, body);
    assert.deepEqual(answer.body, { error: message }, body);
  }
  assert.equal(await ok("exists", "k"), 0, "refused bodies changed nothing");
});

Deno.test("Upstash-Encoding: base64 encodes every string at any depth, nothing else", async () => {
  const { app, ok } = setup("arena");
  const b64 = { "upstash-encoding": "base64" };
  const encode = (text: string) => new TextEncoder().encode(text).toBase64();
  const cases: [unknown[], unknown][] = [
    [["set", "k", "välue 😀"], encode("OK")],
    [["get", "k"], encode("välue 😀")],
    [["get", "nope"], null],
    [["ping"], encode("PONG")],
    [["incr", "n"], 1],
    [["mget", "k", "nope", "n"], [encode("välue 😀"), null, encode("1")]],
    [["scan", 0, "match", "n"], [encode("0"), [encode("n")]]],
  ];
  for (const [argv, result] of cases) {
    const answer = await post(app, "/", argv, b64);
    assert.deepEqual(answer.body, { result }, JSON.stringify(argv));
  }
  const time = await post(app, "/", ["time"], { "Upstash-Encoding": "BASE64" });
  assert.deepEqual(
    time.body.result.map((part: string) => atob(part)),
    await ok("time"),
  );
  const error = await post(app, "/", ["incr", "k"], b64);
  assert.deepEqual(error.body, { error: notInteger }, "errors are not encoded");
  const pipeline = await post(
    app,
    "/pipeline",
    [["get", "k"], ["incr", "k"]],
    b64,
  );
  assert.deepEqual(pipeline.body, [
    { result: encode("välue 😀") },
    { error: notInteger },
  ]);
  assert.equal(await ok("get", "k"), "välue 😀", "without the header: plain");
});

Deno.test("/pipeline answers each command in order, errors in place, not atomically", async () => {
  const { app, ok } = setup("arena");
  const answer = await post(app, "/pipeline", [
    ["set", "a", "1"],
    ["incr", "a"],
    ["nope"],
    ["get"],
    ["set", "b", "x"],
    ["incr", "b"],
    ["mget", "a", "b"],
  ]);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, [
    { result: "OK" },
    { result: 2 },
    { error: "ERR unknown command 'nope', with args beginning with: " },
    { error: arity("get") },
    { result: "OK" },
    { error: notInteger },
    { result: ["2", "x"] },
  ]);
  assert.deepEqual(await ok("mget", "a", "b"), ["2", "x"]);
  const keys = await post(app, "/pipeline", [["keys", "*"]]);
  assert.deepEqual(keys.body[0].result.sort(), ["a", "b"]);
});

Deno.test("/multi-exec runs as a transaction; EXECABORT refuses it whole", async () => {
  const { app, cache, ok } = setup("arena");
  let sections = 0;
  const atomically = cache.atomically.bind(cache);
  cache.atomically = <T>(fn: () => T): T => {
    sections++;
    return atomically(fn);
  };
  const answer = await post(app, "/multi-exec", [
    ["set", "a", "1"],
    ["incr", "a"],
    ["set", "b", "x"],
    ["incr", "b"],
    ["get", "a"],
  ]);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, [
    { result: "OK" },
    { result: 2 },
    { result: "OK" },
    { error: notInteger },
    { result: "2" },
  ]);
  assert.ok(sections >= 1);
  cache.atomically = atomically;

  for (
    const [command, detail] of [
      [
        ["nope", "x"],
        "Command 2: ERR unknown command 'nope', with args beginning with: 'x' ",
      ],
      [["get"], `Command 2: ${arity("get")}`],
      [
        ["keys", "*"],
        "Command 2: ERR KEYS is not allowed in multi-exec (it is unbounded; use SCAN)",
      ],
    ] as const
  ) {
    const refused = await post(app, "/multi-exec", [
      ["set", "a", "changed"],
      command,
      ["del", "b"],
    ]);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      error: "EXECABORT Transaction discarded because of previous errors.",
      detail,
    });
  }
  assert.deepEqual(await ok("mget", "a", "b"), ["2", "x"], "nothing applied");
  const scan = await post(app, "/multi-exec", [[
    "scan",
    0,
    "count",
    1_000_000,
  ]]);
  assert.equal(scan.body[0].result[1].length, 2, "SCAN in a transaction");
});

Deno.test("bad pipeline bodies and too many commands are refused before anything runs", async () => {
  const { app, ok } = setup("map", { maxPipelineCommands: 3 });
  for (const path of ["/pipeline", "/multi-exec"]) {
    for (
      const [body, message] of [
        [
          "[1,",
          'ERR Request body is not valid JSON; expected an array of commands, e.g. [["set","key","value"],["get","key"]].',
        ],
        [
          "[]",
          'ERR Request body is an empty array; expected a non-empty array of commands, e.g. [["set","key","value"],["get","key"]].',
        ],
        [
          '{"a":1}',
          'ERR Request body is an object; expected a non-empty array of commands, e.g. [["set","key","value"],["get","key"]].',
        ],
        [
          '[["set","k","v"],"get"]',
          'ERR Command 2 is a string; expected a non-empty JSON array such as ["get","key"].',
        ],
        [
          '[["set","k","v"],[]]',
          'ERR Command 2 is an empty array; expected a non-empty JSON array such as ["get","key"].',
        ],
        [
          '[["set","k","v"],["get",null]]',
          "ERR Command 2's argument 2 is null; expected a string, number or boolean.",
        ],
        [
          JSON.stringify([["set", "k", "v"], ["get", "k"], ["get", "k"], [
            "get",
            "k",
          ]]),
          "ERR Request has 4 commands; at most 3 (MAX_PIPELINE_COMMANDS) are accepted in one request.",
        ],
      ] as const
    ) {
      const answer = await post(app, path, body);
      assert.equal(answer.status, 400, `${path} ${body}`);
      assert.deepEqual(answer.body, { error: message }, `${path} ${body}`);
    }
  }
  assert.equal(await ok("exists", "k"), 0);
});

Deno.test("body limits: MAX_BODY_BYTES for POST /, MAX_PIPELINE_BODY_BYTES for pipelines", async () => {
  const { app, ok } = setup("map", {
    maxBodyBytes: 100,
    maxPipelineBodyBytes: 300,
  });
  const v = "v".repeat(32);
  const big = JSON.stringify(["mset", "a", v, "b", v, "c", v]);
  assert.ok(big.length > 100 && 3 * big.length > 300);
  const single = await post(app, "/", big);
  assert.equal(single.status, 413);
  assert.deepEqual(single.body, {
    error: "ERR Request body is larger than 100 bytes (MAX_BODY_BYTES).",
  });
  const fits = await post(app, "/pipeline", `[${big}]`);
  assert.equal(fits.status, 200);
  const pipeline = await post(app, "/multi-exec", `[${big},${big},${big}]`);
  assert.equal(pipeline.status, 413);
  assert.deepEqual(pipeline.body, {
    error:
      "ERR Request body is larger than 300 bytes (MAX_PIPELINE_BODY_BYTES).",
  });
  assert.equal(await ok("strlen", "c"), 32);
});

Deno.test("keys and values keep MAX_KEY_SIZE and MAX_VALUE_SIZE; refused writes change nothing", async () => {
  for (const store of STORES) {
    const { ok, err } = setup(store);
    const keyError = "ERR key is longer than MAX_KEY_SIZE (16 code points)";
    const valueError =
      "ERR value is longer than MAX_VALUE_SIZE (32 code points)";
    const emptyKey =
      "ERR empty keys are not supported: kv-cache stores keys of 1 to 16 code points";
    await ok("set", "k", "v");
    assert.equal(
      await ok("set", "😀".repeat(16), "v"),
      "OK",
      "code points, not units",
    );
    assert.equal(await err("set", "k".repeat(17), "v"), keyError);
    assert.equal(await err("set", "k", "v".repeat(33)), valueError);
    assert.equal(await err("set", "", "v"), emptyKey);
    assert.equal(await ok("get", ""), null, "reads of an impossible key: nil");
    assert.equal(await ok("get", "k".repeat(17)), null);
    assert.equal(await err("mset", "a", "1", "b", "v".repeat(33)), valueError);
    assert.equal(await ok("exists", "a"), 0, "MSET: nothing of it applied");
    assert.equal(await err("append", "k", "v".repeat(32)), valueError);
    assert.equal(await err("setrange", "k", 40, "x"), valueError);
    assert.equal(await err("incr", ""), emptyKey);
    assert.equal(await ok("get", "k"), "v");
  }
});

Deno.test("a command naming more than 10000 keys is refused before it runs", async () => {
  const { app, ok } = setup("map", { maxPipelineBodyBytes: 1_000_000 });
  const keys = Array.from({ length: 10_001 }, (_, i) => `k${i}`);
  const answer = await post(app, "/pipeline", [["set", "a", "1"], [
    "del",
    ...keys,
  ]]);
  assert.equal(answer.status, 400);
  assert.match(answer.body.error, /^ERR DEL names more than 10000 keys/);
  assert.equal(await ok("exists", "a"), 0);
  const transaction = await post(app, "/multi-exec", [
    ["set", "a", "1"],
    ["exists", ...keys.slice(0, 5000)],
    ["exists", ...keys.slice(5000)],
  ]);
  assert.equal(transaction.status, 400);
  assert.match(transaction.body.error, /^ERR The transaction names 10002 keys/);
  assert.equal(await ok("exists", "a"), 0);
});

Deno.test("KEYS refuses to answer more than 100000 keys", async () => {
  const { app, cache } = setup("map", {}, 100_000_000);
  for (let i = 0; i <= 100_000; i++) cache.setEntry(`k${i}`, "v", 0);
  assert.equal(cache.stats().entries, 100_001);
  const answer = await post(app, "/", ["keys", "k*"]);
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.body, {
    error:
      "ERR KEYS would answer more than 100000 keys; iterate with SCAN instead",
  });
});

Deno.test("the read-only token runs read-only commands and reads of the JSON API only", async () => {
  for (const store of STORES) {
    const { app, cache } = setup(store, {
      authToken: TOKEN,
      authReadonlyToken: READONLY,
    });
    const full = client(app, { authorization: `Bearer ${TOKEN}` });
    const reader = client(app, { authorization: `Bearer ${READONLY}` });
    const readerHeaders = { authorization: `Bearer ${READONLY}` };
    await full.ok("set", "k", "v");
    assert.equal(await reader.ok("get", "k"), "v");
    assert.deepEqual(await reader.ok("mget", "k"), ["v"]);
    assert.equal(await reader.ok("ttl", "k"), -1);
    const puts = cache.stats().puts;
    for (
      const argv of [["set", "k", "w"], ["del", "k"], ["incr", "n"], [
        "flushall",
      ]]
    ) {
      const answer = await post(app, "/", argv, readerHeaders);
      assert.equal(answer.status, 403);
      assert.deepEqual(answer.body, {
        error: `NOPERM this user has no permissions to run the '${
          argv[0]
        }' command (the read-only token runs read-only commands only)`,
      });
    }
    for (const path of ["/pipeline", "/multi-exec"]) {
      const answer = await post(
        app,
        path,
        [["get", "k"], ["set", "k", "w"]],
        readerHeaders,
      );
      assert.equal(answer.status, 403, path);
      assert.match(
        answer.body.error,
        /^NOPERM .* 'set' command .*; command 2 of the/,
      );
      const reads = await post(
        app,
        path,
        [["get", "k"], ["exists", "k"]],
        readerHeaders,
      );
      assert.deepEqual(reads.body, [{ result: "v" }, { result: 1 }]);
    }
    // The JSON API: reads allowed, writes 403 in its own error shape.
    assert.equal(
      (await app.request("/get?key=k", { headers: readerHeaders })).status,
      200,
    );
    assert.equal(
      (await app.request("/stats", { headers: readerHeaders })).status,
      200,
    );
    assert.equal(
      (await app.request("/openapi.json", { headers: readerHeaders })).status,
      200,
    );
    const put = await app.request("/put", {
      method: "POST",
      body: '{"key":"k","value":"w"}',
      headers: readerHeaders,
    });
    assert.equal(put.status, 403);
    assert.deepEqual(await put.json(), {
      status: "ERROR",
      message:
        "The read-only token cannot use POST /put; writes need AUTH_TOKEN.",
    });
    const del = await app.request("/delete?key=k", {
      method: "DELETE",
      headers: readerHeaders,
    });
    assert.equal(del.status, 403);
    await del.body?.cancel();
    assert.equal(cache.stats().puts, puts, "nothing was written");
    assert.equal(await full.ok("get", "k"), "v");
    assert.equal(await full.ok("del", "k"), 1, "the full token writes");

    // Without a valid token: 401 in the Redis error shape.
    for (
      const [headers, message] of [
        [
          {},
          "Missing bearer token: send the header Authorization: Bearer <token>.",
        ],
        [
          { authorization: "Bearer wrong-token-0123456789" },
          "Invalid bearer token.",
        ],
      ] as const
    ) {
      const answer = await post(app, "/pipeline", [["get", "k"]], headers);
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, { error: message });
      assert.equal(
        answer.headers.get("www-authenticate"),
        'Bearer realm="kv-cache"',
      );
    }
  }
});

Deno.test("every answer carries a fresh upstash-sync-token", async () => {
  const { app } = setup("map", { maxBodyBytes: 64, authToken: TOKEN });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const answers = [
    await post(app, "/", ["set", "k", "v"], {
      ...auth,
      "upstash-sync-token": "client-token",
    }),
    await post(app, "/", ["get", "k"], auth),
    await post(app, "/", ["incr", "k"], auth),
    await post(app, "/pipeline", [["get", "k"]], auth),
    await post(app, "/multi-exec", [["get", "k"]], auth),
    await post(app, "/", ["set", "k", "v".repeat(100)], auth),
    await post(app, "/", "bad json", auth),
    await post(app, "/", ["get", "k"]),
  ];
  const tokens = answers.map((answer) =>
    answer.headers.get("upstash-sync-token")
  );
  assert.deepEqual(answers.map((a) => a.status), [
    200,
    200,
    400,
    200,
    200,
    413,
    400,
    401,
  ]);
  for (const token of tokens) assert.ok(token, "present and non-empty");
  assert.equal(new Set(tokens).size, tokens.length, "fresh each time");
  assert.ok(
    answers.every((a) => a.headers.get("content-type") === "application/json"),
  );
});

Deno.test("one store: the JSON API and the Redis API read each other's writes", async () => {
  for (const store of STORES) {
    const { app, ok, clock } = setup(store);
    const put = await app.request("/put", {
      method: "POST",
      body: '{"key":"json","value":"from put"}',
    });
    assert.equal(put.status, 200);
    assert.equal(await ok("get", "json"), "from put");
    assert.equal(await ok("ttl", "json"), 300, "the JSON API's default TTL");
    await ok("set", "redis", "from set");
    assert.equal(await ok("ttl", "redis"), -1, "SET without expiry: never");
    const get = await app.request("/get?key=redis");
    assert.deepEqual(await get.json(), {
      status: "OK",
      key: "redis",
      value: "from set",
    });
    clock.advance(300_000);
    assert.equal(await ok("get", "json"), null);
    assert.equal(await ok("get", "redis"), "from set");
    await ok("del", "redis");
    assert.equal((await app.request("/get?key=redis")).status, 404);
  }
});

Deno.test("without redisApi the endpoints answer 501 and change nothing", async () => {
  const { app, cache } = setup("map", { redisApi: false });
  for (const path of ["/", "/pipeline", "/multi-exec"]) {
    const answer = await post(
      app,
      path,
      path === "/" ? ["set", "k", "v"] : [["set", "k", "v"]],
    );
    assert.equal(answer.status, 501);
    assert.match(
      answer.body.error,
      /^ERR The Redis REST API is not served here/,
    );
  }
  assert.equal(cache.stats().puts, 0);
  const notFound = await app.request("/nope");
  assert.equal(
    (await notFound.json()).message,
    "No route for GET /nope; routes are /put, /get, /delete, /health, /stats, /openapi.json.",
  );
});

Deno.test("metrics count the Redis endpoints under their own labels", async () => {
  const metrics = new Metrics(ROUTE_LABELS);
  const { app } = setup("map", { metrics });
  await post(app, "/", ["set", "k", "v"]);
  await post(app, "/", ["incr", "k"]);
  await post(app, "/pipeline", [["get", "k"]]);
  await post(app, "/multi-exec", [["get", "k"]]);
  const text = await (await app.request("/metrics")).text();
  for (
    const line of [
      'kvcache_http_requests_total{route="redis",status="200"} 1',
      'kvcache_http_requests_total{route="redis",status="400"} 1',
      'kvcache_http_requests_total{route="redis_pipeline",status="200"} 1',
      'kvcache_http_requests_total{route="redis_multi_exec",status="200"} 1',
    ]
  ) assert.ok(text.includes(line), line);
});

Deno.test("the Redis paths answer alike dispatched first or through Hono (debug logging)", async () => {
  // With debug logging every request goes through Hono and its logger; the
  // answers, including the edge cases of paths, must not differ.
  const lines: string[] = [];
  const logger = createLogger("debug", (_level, line) => lines.push(line));
  const apps = [
    setup("arena", { metrics: new Metrics(ROUTE_LABELS) }),
    setup("arena", { metrics: new Metrics(ROUTE_LABELS), logger }),
  ];
  const requests: [string, string, string | undefined][] = [
    ["POST", "/", '["set","k","v"]'],
    ["POST", "/?ignored=1", '["get","k"]'],
    ["POST", "/%70ipeline", '[["get","k"],["incr","k"]]'],
    ["POST", "/multi-exec", '[["append","k","w"]]'],
    ["POST", "/pipeline/", "[]"],
    ["GET", "/pipeline", undefined],
    ["PUT", "/", "[]"],
    ["POST", "/", "not json"],
  ];
  const answers = [];
  for (const { app } of apps) {
    const seen = [];
    for (const [method, path, body] of requests) {
      const response = await app.request(path, { method, body });
      seen.push([
        method,
        path,
        response.status,
        await response.text(),
        response.headers.get("content-type"),
        response.headers.has("upstash-sync-token"),
      ]);
    }
    const metrics = await (await app.request("/metrics")).text();
    seen.push(
      metrics.split("\n").filter((line) =>
        line.startsWith("kvcache_http_requests_total") ||
        line.startsWith("kvcache_redis_commands_total")
      ),
    );
    answers.push(seen);
  }
  assert.deepEqual(answers[0], answers[1]);
  assert.equal(answers[0][1][3], '{"result":"v"}');
  assert.equal(
    answers[0][2][3],
    '[{"result":"v"},{"error":"ERR value is not an integer or out of range"}]',
  );
  assert.equal(answers[0][5][2], 405);
  assert.ok(
    lines.length >= requests.length,
    "the debug app logged each request",
  );
});

Deno.test("a bug in a command answers the JSON 500, logged and counted, dispatched first or through Hono", async () => {
  for (const debug of [false, true]) {
    const lines: string[] = [];
    const logger = createLogger(
      debug ? "debug" : "error",
      (_level, line) => lines.push(line),
    );
    const { cache } = setup("arena");
    // A store whose read fails as a bug would (not a Redis error reply).
    const broken = new Proxy(cache, {
      get(target, name) {
        if (name === "readUtf8") {
          return () => {
            throw new TypeError("store bug");
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { app } = setup("arena", {
      cache: broken,
      metrics: new Metrics(ROUTE_LABELS),
      logger,
    });
    const response = await app.request("/", {
      method: "POST",
      body: '["get","k"]',
    });
    assert.equal(response.status, 500, `debug ${debug}`);
    assert.deepEqual(await response.json(), {
      status: "ERROR",
      message: "Internal server error.",
    });
    assert.ok(
      lines.some((line) => line.includes("store bug")),
      `debug ${debug}: the bug is logged`,
    );
    const text = await (await app.request("/metrics")).text();
    assert.ok(
      text.includes(
        'kvcache_http_requests_total{route="other",status="500"} 1',
      ),
      `debug ${debug}: counted`,
    );
    // The other commands still work.
    const ping = await app.request("/", { method: "POST", body: '["ping"]' });
    assert.equal(await ping.text(), '{"result":"PONG"}');
  }
});

Deno.test("/openapi.json documents the Redis endpoints and every command where served", async () => {
  const { app } = setup("map");
  const document = await (await app.request("/openapi.json")).json();
  const result = await new Validator().validate(document);
  assert.equal(result.valid, true, JSON.stringify(result.errors));
  for (const path of ["/", "/pipeline", "/multi-exec"]) {
    assert.ok(document.paths[path]?.post, path);
  }
  const description: string = document.paths["/"].post.description;
  for (const spec of COMMANDS.values()) {
    assert.ok(description.includes(`| ${spec.name.toUpperCase()} `), spec.name);
  }
});

Deno.test("expiry times past 2^53 ms are refused, not stored as another time", async () => {
  for (const store of ["map", "arena"] as const) {
    const { app, ok } = setup(store);
    for (
      const command of [
        ["set", "k", "v", "pxat", "9223372036854775807"],
        ["psetex", "k", "4611686018427387904", "v"],
        ["pexpireat", "k", "9007199254740993"],
      ]
    ) {
      await ok("set", "k", "before");
      const refused = await post(app, "/", command);
      assert.equal(refused.status, 400, JSON.stringify(command));
      assert.match(refused.body.error, /^ERR invalid expire time in '/);
      assert.equal(await ok("get", "k"), "before", "nothing changed");
      assert.equal(await ok("ttl", "k"), -1, "nothing changed");
    }
  }
});

Deno.test("lone surrogates are stored as U+FFFD, as UTF-8 has no form for them", async () => {
  for (const store of ["map", "arena"] as const) {
    const { app, ok } = setup(store);
    await ok("set", "k", "a\ud800b");
    assert.equal(await ok("get", "k"), "a\ufffdb");
    assert.equal(await ok("strlen", "k"), 5);
    // Written by the JSON API, which keeps them, and read here as UTF-8.
    const put = await app.request("/put", {
      method: "POST",
      body: JSON.stringify({ key: "j", value: "\udc00" }),
    });
    assert.equal(put.status, 200);
    const plain = await post(app, "/", ["get", "j"]);
    assert.equal(plain.text, '{"result":"\ufffd"}');
  }
});
