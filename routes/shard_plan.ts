/**
 * How the Durable Object front splits Redis commands over its shards: for
 * each command, the parts it sends (which shard, which arguments) and how
 * their answers become the command's answer. Key positions come from the
 * command table (`routes/redis/commands.ts`); what may be split, and how
 * its answers merge, is decided here, by command name:
 *
 * - a command whose keys are all in one shard goes there whole, as it is
 *   (so a single-shard command answers exactly what that shard answers);
 * - MGET is split by shard and its values put back in the keys' order;
 *   DEL, UNLINK, EXISTS and TOUCH are split and their counts added; MSET is
 *   split and answers `OK` (each shard's part is atomic, the whole is not);
 * - KEYS, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL go to every shard; SCAN to
 *   the shard its cursor names (see `shard_cursor.ts`);
 * - PING, ECHO and TIME go to any one shard;
 * - a multi-key command that would lose its atomicity (MSETNX across
 *   shards, and any multi-key command not named here) is refused with
 *   Redis Cluster's `CROSSSLOT` error, and so is a keyless command the
 *   front does not know how to spread (none today: a test checks that every
 *   command of the table has a rule);
 * - a command the server refuses before running it (unknown, wrong number
 *   of arguments, too many keys, an MSET with a bad pair) goes whole to one
 *   shard, which answers the server's error and changes nothing.
 *
 * @module
 */

import { lengthOver } from "../lib/entry_limits.ts";
import { shardOf } from "../lib/shard_of.ts";
import {
  COMMANDS,
  type CommandSpec,
  keyCount,
  resolveCommand,
} from "./redis/commands.ts";
import { MAX_KEYS_PER_LOCK } from "./redis/run.ts";
import { splitCursor } from "./shard_cursor.ts";

/**
 * How the answers of a command's parts become its answer:
 * - `one`: its only part's answer;
 * - `sum`: the integers added up;
 * - `same`: every part answers alike (`OK`): the first;
 * - `values`: arrays put back in the keys' order (MGET);
 * - `keys`: arrays joined (KEYS);
 * - `random`: one of the non-nil answers, at random (RANDOMKEY);
 * - `scan`: the shard's `[cursor, keys]`, its cursor made the front's.
 */
export type Merge =
  | "one"
  | "sum"
  | "same"
  | "values"
  | "keys"
  | "random"
  | "scan";

/** One shard's part of a command. */
export interface Part {
  /** The shard that runs it. */
  shard: number;
  /** Its arguments, the command's name first. */
  argv: string[];
}

/** What the front does with one command. */
export interface CommandPlan {
  /** The parts to send, at most one per shard; none when refused. */
  parts: Part[];
  /** How their answers merge. */
  merge: Merge;
  /** The error that answers the command instead, when it is refused. */
  refusal?: string;
  /** True when the one part is the command as sent. */
  whole: boolean;
  /** True for a keyless command any shard answers alike (PING...). */
  anywhere: boolean;
  /** For `values`: each key's part and index among that part's keys. */
  order?: [part: number, index: number][];
  /** For `scan`: how many shards the cursor spans. */
  shards?: number;
  /**
   * For a command refused because its keys span shards: those shards (a
   * caller that can run it where they all live may still do so).
   */
  spread?: number[];
}

/** What a multi-key command does across shards, by name. */
const SPLITS: Readonly<Record<string, Merge>> = {
  mget: "values",
  mset: "same",
  del: "sum",
  unlink: "sum",
  exists: "sum",
  touch: "sum",
};

/** Keyless commands over the whole keyspace: sent to every shard. */
const EVERY_SHARD: Readonly<Record<string, Merge>> = {
  keys: "keys",
  randomkey: "random",
  dbsize: "sum",
  flushdb: "same",
  flushall: "same",
};

/**
 * Multi-key commands served only when their keys are in one shard: split,
 * they would not be atomic (MSETNX sets all or none).
 */
const ONE_SHARD_ONLY: ReadonlySet<string> = new Set(["msetnx"]);

/** Keyless commands that any one shard answers as the server would. */
const ANY_SHARD: ReadonlySet<string> = new Set(["ping", "echo", "time"]);

/** The shard options the planner needs. */
export interface PlanOptions {
  /** How many shards. */
  shards: number;
  /** `MAX_KEY_SIZE`, to foresee MSET's refusal. */
  maxKeySize: number;
  /** `MAX_VALUE_SIZE`, to foresee MSET's refusal. */
  maxValueSize: number;
  /**
   * The shard of a key (default: {@linkcode shardOf} over `shards`). A
   * caller whose placement is not a function of the key alone (the HAProxy
   * cluster) may give each key a group of its own, numbered from `shards`.
   */
  shardOf?: (key: string) => number;
  /** The refusal for keys in several shards (default: {@linkcode crossShard}). */
  crossShard?: (what: string, shards: Iterable<number>) => string;
}

/**
 * The rule the front follows for `spec`: how it merges when split or sent
 * everywhere, "anywhere", "scan", "single" (one key), "one shard" (served
 * only when its keys share a shard), or undefined when it has none (such a
 * command is refused across shards rather than answered wrongly).
 */
export function shardRule(
  spec: CommandSpec,
): Merge | "anywhere" | "single" | "one shard" | undefined {
  if (spec.name === "scan") return "scan";
  if (spec.name in EVERY_SHARD) return EVERY_SHARD[spec.name];
  const [first, last, step] = spec.keys;
  if (first === 0) return ANY_SHARD.has(spec.name) ? "anywhere" : undefined;
  if (first === last && step === 1) return "single";
  if (ONE_SHARD_ONLY.has(spec.name)) return "one shard";
  return SPLITS[spec.name];
}

/** Every command of the table without a rule (there should be none). */
export function commandsWithoutRule(): string[] {
  return [...COMMANDS.values()].filter((spec) => shardRule(spec) === undefined)
    .map((spec) => spec.name);
}

const whole = (shard: number, argv: string[], anywhere = false) => ({
  parts: [{ shard, argv }],
  merge: "one" as const,
  whole: true,
  anywhere,
});

/** Redis Cluster's error for keys in different slots, saying where. */
export function crossShard(what: string, shards: Iterable<number>): string {
  const list = [...shards].sort((a, b) => a - b);
  const named = list.length > 1
    ? `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`
    : String(list[0]);
  return `CROSSSLOT Keys in request don't hash to the same slot: ${what} in shards ${named}; it is atomic only within one shard, so it was refused and nothing was run`;
}

/** Plans one command (see the module's description). */
export function planCommand(argv: string[], options: PlanOptions): CommandPlan {
  const { shards } = options;
  const keyShard = options.shardOf ?? ((key: string) => shardOf(key, shards));
  let spec: CommandSpec;
  try {
    spec = resolveCommand(argv);
  } catch {
    return whole(0, argv); // shard 0 answers the server's error
  }
  if (keyCount(spec, argv) > MAX_KEYS_PER_LOCK) return whole(0, argv);
  const rule = shardRule(spec);
  if (rule === "scan") {
    const at = splitCursor(argv[1], shards);
    if (at === undefined) return whole(0, argv); // ERR invalid cursor
    return {
      parts: [{
        shard: at.shard,
        argv: [argv[0], at.cursor, ...argv.slice(2)],
      }],
      merge: "scan",
      whole: false,
      anywhere: false,
      shards,
    };
  }
  if (spec.name in EVERY_SHARD) {
    return {
      parts: Array.from({ length: shards }, (_, shard) => ({ shard, argv })),
      merge: EVERY_SHARD[spec.name],
      whole: false,
      anywhere: false,
    };
  }
  const [first, last, step] = spec.keys;
  if (first === 0) {
    if (rule === "anywhere") return whole(0, argv, true);
    return refused(
      `ERR ${spec.name.toUpperCase()} is not served by the Durable Object front (it would need every shard)`,
    );
  }
  const end = last < 0 ? argv.length + last : last;
  const keyShards: number[] = [];
  const byShard = new Map<number, number[]>();
  for (let at = first; at <= end; at += step) {
    const shard = keyShard(argv[at]);
    keyShards.push(shard);
    const positions = byShard.get(shard);
    if (positions === undefined) byShard.set(shard, [at]);
    else positions.push(at);
  }
  if (byShard.size <= 1) {
    return whole(keyShards[0] ?? 0, argv);
  }
  if (step === 2 && !acceptedPairs(argv, options)) {
    // MSET, MSETNX: the server refuses them whole, before writing (a
    // missing value, a bad key or value); let one shard say so.
    return whole(keyShards[0], argv);
  }
  if (
    rule === undefined || rule === "single" || rule === "anywhere" ||
    rule === "one shard"
  ) {
    const spread = [...byShard.keys()];
    return {
      ...refused(
        (options.crossShard ?? crossShard)(
          `${spec.name.toUpperCase()}'s keys are`,
          spread,
        ),
      ),
      spread,
    };
  }
  const head = argv.slice(0, first);
  const tail = argv.slice(end + step);
  const parts: Part[] = [];
  const partOf = new Map<number, number>();
  for (const [shard, positions] of byShard) {
    const args = [...head];
    for (const at of positions) args.push(...argv.slice(at, at + step));
    partOf.set(shard, parts.length);
    parts.push({ shard, argv: args.concat(tail) });
  }
  const plan: CommandPlan = {
    parts,
    merge: rule,
    whole: false,
    anywhere: false,
  };
  if (rule === "values") {
    // Each key's place in its part: the parts list their keys in order.
    const taken = parts.map(() => 0);
    plan.order = keyShards.map((shard) => {
      const part = partOf.get(shard)!;
      return [part, taken[part]++];
    });
  }
  return plan;
}

function refused(message: string): CommandPlan {
  return {
    parts: [],
    merge: "one",
    refusal: message,
    whole: false,
    anywhere: false,
  };
}

/**
 * Whether the server would accept the pairs of MSET or MSETNX (an even number of
 * arguments after the name, every key of 1 to `MAX_KEY_SIZE` code points,
 * every value within `MAX_VALUE_SIZE`), so that each shard's part succeeds.
 */
function acceptedPairs(argv: string[], options: PlanOptions): boolean {
  if (argv.length % 2 === 0) return false;
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i];
    if (key.length === 0 || lengthOver(key, options.maxKeySize) !== 0) {
      return false;
    }
    if (lengthOver(argv[i + 1], options.maxValueSize) !== 0) return false;
  }
  return true;
}
