/**
 * The one table of Redis commands kv-cache answers, modelled on Redis's own
 * (`src/commands/*.json` → `server.c`): per command its name, its arity in
 * Redis's convention (the command name counts; negative: at least that
 * many), whether it only reads or may write, where its keys are (first,
 * last, step: Redis's legacy key specification, last -1 meaning "to the
 * end"), its group and a one-line summary, and its handler. Dispatch
 * ({@linkcode resolveCommand}), the read-only token's check, the transaction
 * rules and bounds (key positions) and the OpenAPI text all read this table,
 * so that a command is declared once.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import * as keys from "./keys.ts";
import { type Reply, ReplyError, wrongArity } from "./reply.ts";
import { keys as keysCommand, scan } from "./scan.ts";
import * as server from "./server.ts";
import * as strings from "./strings.ts";

/** A command's handler: `argv[0]` is the command name as sent. */
export type CommandHandler = (
  ctx: CommandContext,
  argv: string[],
) => Reply | Promise<Reply>;

/** redis.io's command groups that kv-cache has commands of. */
export type CommandGroup = "string" | "generic" | "server" | "connection";

/** One command of the table. */
export interface CommandSpec {
  /** The name, lowercase (Redis's `fullname`, used in its errors). */
  readonly name: string;
  /** Arguments including the name; negative: at least `-arity`. */
  readonly arity: number;
  /**
   * `readonly`: changes nothing, so the read-only token may run it;
   * `write`: may change the store.
   */
  readonly access: "readonly" | "write";
  /** First key, last key (-1: the last argument) and step; 0s: no keys. */
  readonly keys: readonly [first: number, last: number, step: number];
  /** redis.io's group. */
  readonly group: CommandGroup;
  /** Arguments after the name, as redis.io writes them. */
  readonly syntax: string;
  /** What it does, in one line. */
  readonly summary: string;
  /**
   * False for a command refused in `multi-exec` (KEYS: unbounded, and a
   * transaction holds the store's lock).
   */
  readonly inTransaction: boolean;
  /** Runs the command; throws a `ReplyError` for an error reply. */
  readonly handler: CommandHandler;
}

type Declaration = Omit<CommandSpec, "name" | "inTransaction"> & {
  inTransaction?: false;
};

const NO_KEYS = [0, 0, 0] as const;
const ONE_KEY = [1, 1, 1] as const;
const ALL_KEYS = [1, -1, 1] as const;
const PAIRS = [1, -1, 2] as const;
const EXPIRE_OPTIONS = "[NX | XX | GT | LT]";
const SET_OPTIONS =
  "[NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]";

/** The declarations, by name; the order is redis.io's within each group. */
const DECLARATIONS: Record<string, Declaration> = {
  // --- string ---------------------------------------------------------------
  get: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "string",
    syntax: "key",
    summary: "The value of a key, or nil.",
    handler: strings.get,
  },
  set: {
    arity: -3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: `key value ${SET_OPTIONS}`,
    summary:
      "Sets a key's value; without an expiry option it never expires (KEEPTTL keeps the old expiry).",
    handler: strings.set,
  },
  setex: {
    arity: 4,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key seconds value",
    summary: "Sets a value that expires after a number of seconds.",
    handler: strings.setex,
  },
  psetex: {
    arity: 4,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key milliseconds value",
    summary: "Sets a value that expires after a number of milliseconds.",
    handler: strings.psetex,
  },
  setnx: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key value",
    summary: "Sets a value only if the key does not exist: 1 if set, else 0.",
    handler: strings.setnx,
  },
  getset: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key value",
    summary: "Sets a value (without expiry) and returns the old one.",
    handler: strings.getset,
  },
  getdel: {
    arity: 2,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key",
    summary: "Returns a value and deletes the key.",
    handler: strings.getdel,
  },
  getex: {
    arity: -2,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax:
      "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
    summary: "Returns a value and sets or removes its expiry.",
    handler: strings.getex,
  },
  mget: {
    arity: -2,
    access: "readonly",
    keys: ALL_KEYS,
    group: "string",
    syntax: "key [key ...]",
    summary: "The values of several keys (nil for each absent one).",
    handler: strings.mget,
  },
  mset: {
    arity: -3,
    access: "write",
    keys: PAIRS,
    group: "string",
    syntax: "key value [key value ...]",
    summary: "Sets several values at once, without expiry.",
    handler: strings.mset,
  },
  msetnx: {
    arity: -3,
    access: "write",
    keys: PAIRS,
    group: "string",
    syntax: "key value [key value ...]",
    summary: "Sets several values only if none of the keys exists: 1 or 0.",
    handler: strings.msetnx,
  },
  incr: {
    arity: 2,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key",
    summary: "Adds 1 to a 64-bit integer value (absent: 0); keeps its expiry.",
    handler: strings.incr,
  },
  incrby: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key increment",
    summary: "Adds an integer to a 64-bit integer value.",
    handler: strings.incrby,
  },
  decr: {
    arity: 2,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key",
    summary: "Subtracts 1 from a 64-bit integer value.",
    handler: strings.decr,
  },
  decrby: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key decrement",
    summary: "Subtracts an integer from a 64-bit integer value.",
    handler: strings.decrby,
  },
  incrbyfloat: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key increment",
    summary:
      "Adds a floating-point number to a value, computed and printed as Redis does.",
    handler: strings.incrbyfloat,
  },
  append: {
    arity: 3,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key value",
    summary: "Appends to a value; returns its new length in UTF-8 bytes.",
    handler: strings.append,
  },
  strlen: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "string",
    syntax: "key",
    summary: "The length of a value in UTF-8 bytes (0 if absent).",
    handler: strings.strlen,
  },
  getrange: {
    arity: 4,
    access: "readonly",
    keys: ONE_KEY,
    group: "string",
    syntax: "key start end",
    summary: "Bytes start to end of a value (negative: from the end).",
    handler: strings.getrange,
  },
  setrange: {
    arity: 4,
    access: "write",
    keys: ONE_KEY,
    group: "string",
    syntax: "key offset value",
    summary: "Overwrites a value's bytes from an offset; returns the length.",
    handler: strings.setrange,
  },
  // --- generic --------------------------------------------------------------
  del: {
    arity: -2,
    access: "write",
    keys: ALL_KEYS,
    group: "generic",
    syntax: "key [key ...]",
    summary: "Deletes keys; returns how many existed.",
    handler: keys.del,
  },
  unlink: {
    arity: -2,
    access: "write",
    keys: ALL_KEYS,
    group: "generic",
    syntax: "key [key ...]",
    summary: "Same as DEL.",
    handler: keys.del,
  },
  exists: {
    arity: -2,
    access: "readonly",
    keys: ALL_KEYS,
    group: "generic",
    syntax: "key [key ...]",
    summary: "How many of the keys exist (a key named twice counts twice).",
    handler: keys.exists,
  },
  touch: {
    arity: -2,
    access: "readonly",
    keys: ALL_KEYS,
    group: "generic",
    syntax: "key [key ...]",
    summary: "How many of the keys exist (there is no access time to update).",
    handler: keys.exists,
  },
  type: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "`string`, or `none` if the key does not exist.",
    handler: keys.type,
  },
  expire: {
    arity: -3,
    access: "write",
    keys: ONE_KEY,
    group: "generic",
    syntax: `key seconds ${EXPIRE_OPTIONS}`,
    summary: "Sets a key's expiry in seconds from now: 1 if set, else 0.",
    handler: keys.expire,
  },
  pexpire: {
    arity: -3,
    access: "write",
    keys: ONE_KEY,
    group: "generic",
    syntax: `key milliseconds ${EXPIRE_OPTIONS}`,
    summary: "Sets a key's expiry in milliseconds from now.",
    handler: keys.pexpire,
  },
  expireat: {
    arity: -3,
    access: "write",
    keys: ONE_KEY,
    group: "generic",
    syntax: `key unix-time-seconds ${EXPIRE_OPTIONS}`,
    summary: "Sets a key's expiry as a Unix time in seconds.",
    handler: keys.expireat,
  },
  pexpireat: {
    arity: -3,
    access: "write",
    keys: ONE_KEY,
    group: "generic",
    syntax: `key unix-time-milliseconds ${EXPIRE_OPTIONS}`,
    summary: "Sets a key's expiry as a Unix time in milliseconds.",
    handler: keys.pexpireat,
  },
  persist: {
    arity: 2,
    access: "write",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "Removes a key's expiry: 1 if it had one, else 0.",
    handler: keys.persist,
  },
  ttl: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "Seconds until a key expires; -1: never; -2: no such key.",
    handler: keys.ttl,
  },
  pttl: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "Milliseconds until a key expires; -1: never; -2: no such key.",
    handler: keys.pttl,
  },
  expiretime: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "When a key expires, as a Unix time in seconds; -1 or -2 as TTL.",
    handler: keys.expiretime,
  },
  pexpiretime: {
    arity: 2,
    access: "readonly",
    keys: ONE_KEY,
    group: "generic",
    syntax: "key",
    summary: "When a key expires, as a Unix time in milliseconds.",
    handler: keys.pexpiretime,
  },
  scan: {
    arity: -2,
    access: "readonly",
    keys: NO_KEYS,
    group: "generic",
    syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]",
    summary:
      'One batch of an iteration over the keys: ["next cursor", [keys]]; "0" starts and ends.',
    handler: scan,
  },
  keys: {
    arity: 2,
    access: "readonly",
    keys: NO_KEYS,
    group: "generic",
    syntax: "pattern",
    summary:
      "Every key matching a glob pattern; refused past 100000 keys and in multi-exec (use SCAN).",
    inTransaction: false,
    handler: keysCommand,
  },
  randomkey: {
    arity: 1,
    access: "readonly",
    keys: NO_KEYS,
    group: "generic",
    syntax: "",
    summary: "A key picked at random, or nil.",
    handler: keys.randomkey,
  },
  // --- server ---------------------------------------------------------------
  dbsize: {
    arity: 1,
    access: "readonly",
    keys: NO_KEYS,
    group: "server",
    syntax: "",
    summary: "How many keys the store holds.",
    handler: server.dbsize,
  },
  flushdb: {
    arity: -1,
    access: "write",
    keys: NO_KEYS,
    group: "server",
    syntax: "[ASYNC | SYNC]",
    summary: "Deletes every key.",
    handler: server.flushdb,
  },
  flushall: {
    arity: -1,
    access: "write",
    keys: NO_KEYS,
    group: "server",
    syntax: "[ASYNC | SYNC]",
    summary: "Deletes every key (there is one database).",
    handler: server.flushdb,
  },
  time: {
    arity: 1,
    access: "readonly",
    keys: NO_KEYS,
    group: "server",
    syntax: "",
    summary: '["unix seconds", "microseconds"] on the cache\'s clock.',
    handler: server.time,
  },
  // --- connection -----------------------------------------------------------
  ping: {
    arity: -1,
    access: "readonly",
    keys: NO_KEYS,
    group: "connection",
    syntax: "[message]",
    summary: "PONG, or the message.",
    handler: server.ping,
  },
  echo: {
    arity: 2,
    access: "readonly",
    keys: NO_KEYS,
    group: "connection",
    syntax: "message",
    summary: "The message.",
    handler: server.echo,
  },
};

/** Every command, by lowercase name. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  Object.entries(DECLARATIONS).map(([name, declared]) => [
    name,
    { name, inTransaction: true, ...declared },
  ]),
);

/** The command `name` names, in any case, or undefined. */
export function lookUpCommand(name: string): CommandSpec | undefined {
  return COMMANDS.get(name) ?? COMMANDS.get(name.toLowerCase());
}

/**
 * The command `argv` calls, checked as Redis checks it before running it:
 * known, then the number of arguments.
 *
 * @throws {ReplyError} Redis's unknown-command or wrong-arity error.
 */
export function resolveCommand(argv: readonly string[]): CommandSpec {
  const spec = lookUpCommand(argv[0]);
  if (spec === undefined) throw unknownCommand(argv);
  const arity = spec.arity;
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    throw wrongArity(spec.name);
  }
  return spec;
}

/** How many keys `argv` names, by `spec`'s key positions. */
export function keyCount(spec: CommandSpec, argv: readonly string[]): number {
  const [first, last, step] = spec.keys;
  if (first === 0) return 0;
  const end = last < 0 ? argv.length + last : last;
  return end < first ? 0 : Math.floor((end - first) / step) + 1;
}

/**
 * Redis 7.0's error for an unknown command: its name and the start of its
 * arguments, each cut at 128 bytes (and at a NUL byte, as C's `%s` stops
 * there), the arguments while less than 128 bytes have been written.
 */
export function unknownCommand(argv: readonly string[]): ReplyError {
  let args = "";
  let written = 0;
  for (let i = 1; i < argv.length && written < 128; i++) {
    const arg = cutBytes(argv[i], 128 - written);
    args += `'${arg.text}' `;
    written += arg.bytes + 3;
  }
  return new ReplyError(
    `ERR unknown command '${
      cutBytes(argv[0], 128).text
    }', with args beginning with: ${args}`,
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` up to a NUL and at most `max` UTF-8 bytes, and its byte count. */
function cutBytes(text: string, max: number): { text: string; bytes: number } {
  const nul = text.indexOf("\0");
  const bytes = encoder.encode(nul < 0 ? text : text.slice(0, nul));
  const cut = bytes.subarray(0, max);
  return { text: decoder.decode(cut), bytes: cut.length };
}
