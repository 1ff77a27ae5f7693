/**
 * The parts of routes/redis/ that emulate Redis's C code, compared with
 * redis-server itself on random inputs (fast-check), directly on the
 * modules: INCRBYFLOAT's long double arithmetic and printing, the int64
 * parser and INCRBY's overflow, the glob matcher of KEYS/SCAN MATCH (over
 * UTF-8 bytes), SCAN's cursor parser, and the unknown-command message.
 * Inputs lean towards the edges (hex floats, exponents, brackets, escapes,
 * multi-byte characters, 128-byte cuts) that a command-level differential
 * test rarely reaches.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { unknownCommand } from "../../routes/redis/commands.ts";
import { GlobPattern } from "../../routes/redis/glob.ts";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "../../routes/redis/long_double.ts";
import { addInt64, parseInt64 } from "../../routes/redis/numbers.ts";
import { ReplyError } from "../../routes/redis/reply.ts";
import { parseCursor } from "../../routes/redis/scan.ts";
import type { RespClient, RespReply } from "../support/redis_resp.ts";
import {
  NO_REDIS,
  REDIS_IGNORED,
  startRedisServer,
} from "../support/redis_server.ts";

const RUNS = 300;

/** INCRBYFLOAT as routes/redis/strings.ts computes it, as a reply. */
function incrbyfloat(value: string, increment: string): RespReply {
  const a = parseLongDouble(value);
  const b = parseLongDouble(increment);
  if (a === undefined || b === undefined) {
    return { error: "ERR value is not a valid float" };
  }
  const sum = addLongDouble(a, b);
  if (sum === undefined) {
    return { error: "ERR increment would produce NaN or Infinity" };
  }
  return { result: formatLongDouble(sum) };
}

const digits = (max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: max });
const hexDigits = fc.string({
  unit: fc.constantFrom(..."0123456789abcdefABCDEF"),
  maxLength: 6,
});
const sign = fc.constantFrom("", "-", "+");

/** Texts strtold may or may not accept, leaning to the edges. */
const floatText = fc.oneof(
  fc.tuple(
    sign,
    digits(22),
    fc.option(digits(22)),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), sign, digits(4))),
  )
    .map(([s, whole, fraction, exponent]) =>
      s + whole + (fraction === null ? "" : "." + fraction) +
      (exponent === null ? "" : exponent.join(""))
    ),
  fc.tuple(
    sign,
    hexDigits,
    fc.option(hexDigits),
    fc.option(fc.integer({ min: -70, max: 70 })),
  )
    .map(([s, whole, fraction, power]) =>
      `${s}0x${whole}${fraction === null ? "" : "." + fraction}${
        power === null ? "" : "p" + power
      }`
    ),
  fc.constantFrom(
    "inf",
    "-Infinity",
    "nan",
    " 1",
    "1 ",
    "1e4933",
    "1e-4960",
    "1e4932",
    "0.1",
    "-0",
  ),
  fc.double({ noNaN: true }).map(String),
  fc.integer().map(String),
);

/** Texts string2ll may or may not accept. */
const intText = fc.oneof(
  fc.tuple(sign, digits(21)).map(([s, d]) => s + d),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.constantFrom(
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-0",
    "007",
    " 1",
  ),
);

/** Bytes that make glob patterns and keys interesting. */
const globUnit = fc.constantFrom(..."abc-^[]\\*?", "é", "😀", "z");

Deno.test(
  `the emulated C code agrees with redis-server on random inputs${NO_REDIS}`,
  { ignore: REDIS_IGNORED },
  async (t) => {
    const server = await startRedisServer();
    let redis: RespClient | undefined;
    try {
      redis = await server.connect();
      const client = redis;

      await t.step(
        "INCRBYFLOAT: parsing, the long double sum, printing",
        async () => {
          await fc.assert(
            fc.asyncProperty(floatText, floatText, async (value, increment) => {
              await client.command(["set", "f", value]);
              const want = await client.command([
                "incrbyfloat",
                "f",
                increment,
              ]);
              assert.deepEqual(incrbyfloat(value, increment), want);
            }),
            { numRuns: RUNS },
          );
        },
      );

      await t.step("int64: parsing and INCRBY's overflow", async () => {
        await fc.assert(
          fc.asyncProperty(intText, intText, async (value, increment) => {
            await client.command(["set", "n", value]);
            const want = await client.command(["incrby", "n", increment]);
            const a = parseInt64(value);
            const b = parseInt64(increment);
            const sum = a === undefined || b === undefined
              ? undefined
              : addInt64(a, b);
            const got: RespReply = b === undefined || a === undefined
              ? { error: "ERR value is not an integer or out of range" }
              : sum === undefined
              ? { error: "ERR increment or decrement would overflow" }
              : { result: sum };
            assert.deepEqual(got, want);
          }),
          { numRuns: RUNS },
        );
      });

      await t.step("glob patterns: KEYS over multi-byte keys", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(
              fc.string({ unit: globUnit, minLength: 1, maxLength: 5 }),
              {
                minLength: 1,
                maxLength: 20,
              },
            ),
            fc.array(
              fc.string({ unit: globUnit, minLength: 1, maxLength: 7 }),
              {
                minLength: 1,
                maxLength: 10,
              },
            ),
            async (keys, patterns) => {
              await client.command(["flushall"]);
              await client.command([
                "mset",
                ...keys.flatMap((key) => [key, "v"]),
              ]);
              for (const pattern of patterns) {
                const want = await client.command(["keys", pattern]);
                assert.ok("result" in want && Array.isArray(want.result));
                const glob = new GlobPattern(pattern);
                assert.deepEqual(
                  keys.filter((key) => pattern === "*" || glob.matches(key))
                    .sort(),
                  [...want.result].sort(),
                  `pattern ${JSON.stringify(pattern)}`,
                );
              }
            },
          ),
          { numRuns: RUNS / 3 },
        );
      });

      await t.step("SCAN cursors: what is refused", async () => {
        await client.command(["flushall"]);
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              intText,
              fc.constantFrom(
                "",
                "+",
                "-",
                "+5",
                "-1",
                "0x1",
                "18446744073709551616",
              ),
            ),
            async (cursor) => {
              const want = await client.command(["scan", cursor]);
              let refused: string | undefined;
              try {
                parseCursor(cursor);
              } catch (error) {
                assert.ok(error instanceof ReplyError);
                refused = error.message;
              }
              assert.equal(
                refused,
                "error" in want ? want.error : undefined,
                cursor,
              );
            },
          ),
          { numRuns: RUNS },
        );
      });

      await t.step(
        "the unknown-command error: cuts at 128 bytes, NUL, newlines",
        async () => {
          const text = fc.string({
            unit: fc.constantFrom("a", "é", "😀", "\0", "\n", " ", "'"),
            maxLength: 80,
          });
          await fc.assert(
            fc.asyncProperty(
              fc.tuple(text, fc.array(text, { maxLength: 6 })),
              async ([name, args]) => {
                const argv = ["zz" + name, ...args];
                const want = await client.command(argv);
                assert.deepEqual({ error: unknownCommand(argv).message }, want);
              },
            ),
            { numRuns: RUNS },
          );
        },
      );
    } finally {
      redis?.close();
      await server.stop();
    }
  },
);
