/**
 * fast-check arbitraries of Redis commands for the differential test
 * (tests/redis/differential_test.ts): every string and key command of issue
 * 22, with their options, well formed and not (wrong arity, bad options,
 * bad numbers), over a small key space and values chosen to hit the
 * numeric and text edge cases.
 *
 * Expiry times are chosen so that nothing expires while a run lasts, which
 * would make the two servers' answers depend on when each ran: relative
 * TTLs are >= 100 s or <= 0 (a key whose TTL is <= 0 is deleted at once),
 * absolute ones >= 200,000 s ahead or long past.
 *
 * @module
 */

import fc from "fast-check";

/** One argument: strings, numbers (sent as JSON numbers over REST) and booleans. */
export type Arg = string | number | boolean;

/** A command: its name, then its arguments. */
export type Command = readonly Arg[];

/** A step of a sequence: one command, or a batch sent as a pipeline or a transaction. */
export type Step =
  | { kind: "single"; command: Command }
  | { kind: "pipeline" | "multi"; commands: Command[] };

/** The key space: few keys, so that commands meet; `?`, `\` for the patterns. */
export const KEYS = ["a", "ab", "b?", "c\\d"] as const;

/** Values: numbers in the forms Redis accepts and refuses, text, multi-byte. */
export const VALUES: readonly Arg[] = [
  "",
  "0",
  "10",
  "-3",
  "007",
  "+1",
  " 1",
  "1.5",
  "-0",
  "3.0",
  "1e3",
  "0x10",
  "inf",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "abc",
  "a b",
  "x*y",
  "é",
  "日本",
  "😀",
  12,
  -7,
  true,
];

/** Unix time in seconds when the module was loaded (absolute expiries are relative to it). */
export const NOW_S = Math.floor(Date.now() / 1000);

const casing = (word: string) =>
  fc.constantFrom(
    word.toLowerCase(),
    word.toUpperCase(),
    word[0].toUpperCase() + word.slice(1).toLowerCase(),
  );

const key = fc.constantFrom<Arg>(...KEYS);
const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom("a", "b", "1", "*", "?", "\\", " ", '"'),
      maxLength: 4,
    }),
  },
);
const keys = fc.array(key, { minLength: 1, maxLength: 4 });

/** Numbers no run waits for, and the ones Redis refuses. */
const badNumber = fc.constantFrom<Arg>(
  "abc",
  "1.5",
  "",
  " 100",
  "100 ",
  "+100",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "4611686018427387904",
);
/**
 * Relative TTLs are drawn at random: a GT/LT comparison of two expiries set
 * by the same amount a moment apart depends on how many milliseconds passed
 * between the two commands on each server, so equal amounts must be rare.
 */
const asNumberOrText = (n: number) => fc.constantFrom<Arg>(n, String(n));
const longSeconds = fc.integer({ min: 100, max: 100_000 }).chain(
  asNumberOrText,
);
const longMillis = fc.integer({ min: 100_000, max: 100_000_000 }).chain(
  asNumberOrText,
);
const notPositive = fc.constantFrom<Arg>(0, -1, "0", "-100");
/**
 * Absolute expiries lie past every relative one (>= 200,000 s ahead), and
 * two of them often coincide, which GT/LT compare exactly.
 */
const futureSeconds = fc.oneof(
  fc.constantFrom(200_000, 300_000),
  fc.integer({ min: 200_000, max: 1_000_000 }),
).map((d) => NOW_S + d);
const futureMillis = futureSeconds.map((s) => s * 1000 + 123);
const pastSeconds = fc.constantFrom<Arg>(1, NOW_S - 1000);
const pastMillis = fc.constantFrom<Arg>(1, (NOW_S - 1000) * 1000);

/** A TTL option value: long, not positive (refused by SET/GETEX) or not a number. */
const ttlFor = (unit: "s" | "ms") =>
  fc.oneof(
    { weight: 4, arbitrary: unit === "s" ? longSeconds : longMillis },
    { weight: 1, arbitrary: notPositive },
    { weight: 1, arbitrary: badNumber },
  );
const atFor = (unit: "s" | "ms") =>
  fc.oneof(
    { weight: 4, arbitrary: unit === "s" ? futureSeconds : futureMillis },
    { weight: 1, arbitrary: unit === "s" ? pastSeconds : pastMillis },
    { weight: 1, arbitrary: notPositive },
    { weight: 1, arbitrary: badNumber },
  );

const integer = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -100, max: 100 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Arg>(
      "1",
      "-1",
      "0",
      "10",
      "abc",
      "1.5",
      "",
      " 1",
      "+5",
      "007",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
    ),
  },
);
const float = fc.oneof(
  { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Arg>(
      "0.1",
      "0.2",
      "1.5",
      "-3",
      "10",
      "3.0",
      "1e3",
      "5.0e3",
      "1.",
      ".5",
      "-0.0",
      "1e308",
      "abc",
      "inf",
      "-inf",
      "nan",
      "0x10",
      " 1",
      "",
    ),
  },
);
const offset = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -12, max: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Arg>(
      "100",
      "9223372036854775807",
      "-9223372036854775808",
      "abc",
      "1.5",
    ),
  },
);
/** SETRANGE offsets stay small: past MAX_VALUE_SIZE kv-cache refuses by its own limit. */
const setOffset = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom<Arg>(-1, "-5", "abc", "1.5", "") },
);

/** Glob patterns for KEYS and SCAN MATCH, escapes and classes included. */
export const PATTERNS: readonly string[] = [
  "*",
  "a*",
  "?",
  "??",
  "a?",
  "b\\?",
  "b[?]",
  "[ab]*",
  "[^a]*",
  "[!a]*",
  "[a-c]?",
  "[c-a]*",
  "*d",
  "c\\\\d",
  "c\\d",
  "\\a*",
  "[",
  "a[",
  "*[",
  "*\\",
  "",
  "x",
];
const pattern = fc.constantFrom(...PATTERNS);

type Part = Arg | Arg[] | null;
const flat = (parts: Part[]): Arg[] =>
  parts.flatMap((p) => p === null ? [] : Array.isArray(p) ? p : [p]);
const command = (name: string, ...parts: fc.Arbitrary<Part>[]) =>
  fc.tuple(casing(name), ...parts).map(([n, ...rest]) =>
    [n, ...flat(rest as Part[])] as Command
  );
const word = (w: string) => casing(w) as fc.Arbitrary<Arg>;
const group = (...parts: fc.Arbitrary<Arg>[]) =>
  fc.tuple(...parts) as fc.Arbitrary<Arg[]>;
const optional = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(arb, { nil: null, freq: 2 });

const setOption = fc.oneof(
  group(word("EX"), ttlFor("s")),
  group(word("PX"), ttlFor("ms")),
  group(word("EXAT"), atFor("s")),
  group(word("PXAT"), atFor("ms")),
  group(word("KEEPTTL")),
  group(word("NX")),
  group(word("XX")),
  group(word("GET")),
  group(fc.constantFrom<Arg>("EX", "PX", "bogus")),
);
const getexOption = fc.oneof(
  group(word("EX"), ttlFor("s")),
  group(word("PX"), ttlFor("ms")),
  group(word("EXAT"), atFor("s")),
  group(word("PXAT"), atFor("ms")),
  group(word("PERSIST")),
  group(fc.constantFrom<Arg>("EX", "bogus")),
);
const expireOption = fc.array(
  fc.constantFrom<Arg>("NX", "XX", "GT", "LT", "nx", "gt", "lt", "bogus"),
  { maxLength: 2 },
);
const relative = (unit: "s" | "ms") =>
  fc.oneof(
    { weight: 4, arbitrary: unit === "s" ? longSeconds : longMillis },
    { weight: 1, arbitrary: notPositive },
    { weight: 1, arbitrary: badNumber },
  );
const pairs = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 })
  .map((ps) => ps.flat());
const scanOption = fc.oneof(
  group(word("MATCH"), pattern),
  group(
    word("COUNT"),
    fc.constantFrom<Arg>(1, 2, 10, "3", 0, -1, "abc"),
  ),
  group(word("TYPE"), fc.constantFrom<Arg>("string", "STRING", "hash", "x")),
  group(fc.constantFrom<Arg>("MATCH", "bogus")),
);
/** SCAN cursors: "0" starts a full iteration; the others are refused. */
const cursor = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Arg>("0") },
  { weight: 1, arbitrary: fc.constantFrom<Arg>("abc", "1x", " 0", "-") },
);

/**
 * Well-formed commands: each command of the issue with a right number of
 * arguments (options may still be wrong or in conflict). Without SCAN,
 * RANDOMKEY, DBSIZE and the FLUSH commands when `forBatch` (their answers
 * are checked against the whole key space, which a batch changes as it
 * runs).
 */
export function wellFormed(forBatch = false): fc.Arbitrary<Command> {
  const forms: fc.Arbitrary<Command>[] = [
    command("GET", key),
    command(
      "SET",
      key,
      value,
      fc.array(setOption, { maxLength: 3 }).map((g) => g.flat()),
    ),
    command("SET", key, value),
    command("SETEX", key, ttlFor("s"), value),
    command("PSETEX", key, ttlFor("ms"), value),
    command("SETNX", key, value),
    command("GETSET", key, value),
    command("GETDEL", key),
    command(
      "GETEX",
      key,
      fc.array(getexOption, { maxLength: 2 }).map((g) => g.flat()),
    ),
    command("MGET", keys),
    command("MSET", pairs),
    command("MSETNX", pairs),
    command("DEL", keys),
    command("UNLINK", keys),
    command("EXISTS", keys),
    command("TOUCH", keys),
    command("EXPIRE", key, relative("s"), expireOption),
    command("PEXPIRE", key, relative("ms"), expireOption),
    command("EXPIREAT", key, atFor("s"), expireOption),
    command("PEXPIREAT", key, atFor("ms"), expireOption),
    command("PERSIST", key),
    command("TTL", key),
    command("PTTL", key),
    command("EXPIRETIME", key),
    command("PEXPIRETIME", key),
    command("INCR", key),
    command("INCRBY", key, integer),
    command("DECR", key),
    command("DECRBY", key, integer),
    command("INCRBYFLOAT", key, float),
    command("APPEND", key, value),
    command("STRLEN", key),
    command("GETRANGE", key, offset, offset),
    command("SETRANGE", key, setOffset, value),
    command("TYPE", key),
    command("KEYS", pattern),
    command("PING", optional(value)),
    command("ECHO", value),
    command("TIME"),
  ];
  if (!forBatch) {
    forms.push(
      command(
        "SCAN",
        cursor,
        fc.array(scanOption, { maxLength: 3 }).map((g) => g.flat()),
      ),
      command("RANDOMKEY"),
      command("DBSIZE"),
    );
  }
  const weighted = forms.map((arbitrary) => ({ weight: 4, arbitrary }));
  if (!forBatch) {
    // Rarer: they empty the key space the other commands work on.
    for (const name of ["FLUSHDB", "FLUSHALL"]) {
      weighted.push({
        weight: 1,
        arbitrary: command(
          name,
          optional(fc.constantFrom<Arg>("ASYNC", "sync", "bogus")),
        ),
      });
    }
  }
  return fc.oneof(...weighted);
}

/** Every command name the generator uses, lowercase. */
export const COMMAND_NAMES: readonly string[] = [
  "get",
  "set",
  "setex",
  "psetex",
  "setnx",
  "getset",
  "getdel",
  "getex",
  "mget",
  "mset",
  "msetnx",
  "del",
  "unlink",
  "exists",
  "touch",
  "expire",
  "pexpire",
  "expireat",
  "pexpireat",
  "persist",
  "ttl",
  "pttl",
  "expiretime",
  "pexpiretime",
  "incr",
  "incrby",
  "decr",
  "decrby",
  "incrbyfloat",
  "append",
  "strlen",
  "getrange",
  "setrange",
  "type",
  "scan",
  "keys",
  "randomkey",
  "dbsize",
  "flushdb",
  "flushall",
  "ping",
  "echo",
  "time",
];

/** Names Redis does not know either. */
const UNKNOWN = ["frobnicate", "gett", "SETT", "x"];

const anyArg = fc.oneof(
  key,
  value,
  integer,
  fc.constantFrom<Arg>(
    "EX",
    "px",
    "NX",
    "xx",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "GT",
    "MATCH",
    "COUNT",
    "ASYNC",
  ),
);

/**
 * Any command name of the issue, or an unknown one, with 0 to 4 arguments
 * of any kind: wrong arity, options out of place. A SCAN's cursor is "0"
 * or not a number (other cursors mean different things to each server).
 */
export const randomArgs: fc.Arbitrary<Command> = fc.tuple(
  fc.constantFrom(...COMMAND_NAMES, ...UNKNOWN).chain(casing),
  fc.array(anyArg, { maxLength: 4 }),
  cursor,
).map(([name, args, c]) =>
  name.toLowerCase() === "scan" && args.length > 0
    ? [name, c, ...args.slice(1)]
    : [name, ...args]
).filter((command) => !mayExpireSoon(command));

/** Commands that take a relative TTL. */
const SETS_TTL = new Set([
  "set",
  "setex",
  "psetex",
  "getex",
  "expire",
  "pexpire",
]);

/**
 * Whether `command` may set a TTL short enough to run out during a run (a
 * positive number below 100,000 anywhere in its arguments): such a key would
 * expire on one server before the other answers.
 */
function mayExpireSoon(command: Command): boolean {
  if (!SETS_TTL.has(String(command[0]).toLowerCase())) return false;
  return command.slice(1).some((arg) => {
    const n = typeof arg === "number"
      ? arg
      : typeof arg === "string" && /^[1-9][0-9]*$/.test(arg)
      ? Number(arg)
      : NaN;
    return n > 0 && n < 100_000;
  });
}

/** Names whose answers the comparison checks against the whole key space. */
const WHOLE_SPACE = new Set([
  "scan",
  "randomkey",
  "dbsize",
  "flushdb",
  "flushall",
]);

/**
 * A command of a pipeline or transaction: mostly well formed, some with
 * random arguments (a transaction holding one is refused whole, EXECABORT).
 */
const batchCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: wellFormed(true) },
  {
    weight: 1,
    arbitrary: randomArgs.filter((c) =>
      !WHOLE_SPACE.has(String(c[0]).toLowerCase())
    ),
  },
);

/** A sequence step: mostly single commands, some pipelines and transactions. */
export const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: wellFormed().map((command) => ({
      kind: "single" as const,
      command,
    })),
  },
  {
    weight: 3,
    arbitrary: randomArgs.map((command) => ({
      kind: "single" as const,
      command,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom("pipeline" as const, "multi" as const),
      fc.array(batchCommand, { minLength: 1, maxLength: 5 }),
    ).map(([kind, commands]) => ({ kind, commands })),
  },
);
