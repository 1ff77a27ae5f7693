/**
 * The differential harness: runs the same steps on a reference Redis (RESP)
 * and on a subject (kv-cache over the REST protocol, or another Redis to
 * check the harness itself) and compares every answer.
 *
 * Results must be equal, errors must carry the same message, except where
 * the answer depends on the moment or on Redis's internals:
 * - TTL, PTTL, EXPIRETIME, PEXPIRETIME: within {@linkcode TTL_TOLERANCE_S}
 *   seconds (the two servers run each command a moment apart);
 * - KEYS: the same keys in any order; SCAN: a full iteration from "0" on
 *   each side, the same set of keys (each answer `[cursor string, keys]`);
 * - RANDOMKEY: nil exactly when Redis has no key, else one of Redis's keys;
 * - DBSIZE: between the keys Redis lists and its DBSIZE (Redis still counts
 *   keys that expired but that it has not reclaimed yet);
 * - TIME: two strings of digits, seconds within 5 s of the clock.
 *
 * @module
 */

import { isDeepStrictEqual } from "node:util";
import type { Arg, Command, Step } from "./redis_commands.ts";
import type { RespClient, RespReply } from "./redis_resp.ts";
import { restBatch, restCommand, type RestTarget, show } from "./redis_rest.ts";

/** One server as the harness sees it. */
export interface Side {
  /** For messages: "redis", "kv-cache". */
  name: string;
  /** Runs one command. */
  command(args: Command): Promise<RespReply>;
  /** Runs commands as a pipeline, or a transaction when `atomic`. */
  batch(
    commands: Command[],
    atomic: boolean,
  ): Promise<RespReply[] | { error: string }>;
}

/** How far apart two servers' TTL answers may be, in seconds. */
export const TTL_TOLERANCE_S = 3;

const text = (arg: Arg) => String(arg);

/** A Redis server over RESP, arguments as their string forms. */
export function respSide(client: RespClient, name = "redis"): Side {
  return {
    name,
    command: (args) => client.command(args.map(text)),
    batch: async (commands, atomic) => {
      if (atomic) {
        return await client.transaction(commands.map((c) => c.map(text)));
      }
      const replies: RespReply[] = [];
      for (const c of commands) replies.push(await client.command(c.map(text)));
      return replies;
    },
  };
}

/** A server of the REST protocol (kv-cache): numbers and booleans sent as JSON. */
export function restSide(target: RestTarget, name = "kv-cache"): Side {
  return {
    name,
    command: (args) => restCommand(target, args),
    batch: (commands, atomic) => restBatch(target, commands, atomic),
  };
}

/** Thrown when the subject answers differently from Redis. */
export class Mismatch extends Error {
  /** The command whose answers differ. */
  readonly command: Command;
  constructor(command: Command, message: string) {
    super(message);
    this.command = command;
  }
}

/** What a comparison may ask the reference about (its keys, right now). */
interface Context {
  liveKeys(): Promise<string[]>;
}

/**
 * Compares the subject's reply to Redis's for `command`; resolves with a
 * reason when they disagree, undefined when they agree.
 */
export async function disagreement(
  command: Command,
  expected: RespReply,
  actual: RespReply,
  context: Context,
): Promise<string | undefined> {
  if ("error" in expected || "error" in actual) {
    return isDeepStrictEqual(expected, actual)
      ? undefined
      : "different answers";
  }
  const want = expected.result;
  const got = actual.result;
  const name = String(command[0]).toLowerCase();
  switch (name) {
    case "ttl":
    case "pttl":
    case "expiretime":
    case "pexpiretime": {
      if (typeof want !== "number" || typeof got !== "number") break;
      if (want < 0 || got < 0) {
        return want === got ? undefined : "different TTL state";
      }
      const tolerance = TTL_TOLERANCE_S * (name.startsWith("p") ? 1000 : 1);
      return Math.abs(want - got) <= tolerance
        ? undefined
        : `more than ${tolerance} apart`;
    }
    case "keys": {
      if (!Array.isArray(want) || !Array.isArray(got)) break;
      return isDeepStrictEqual([...want].sort(), [...got].sort())
        ? undefined
        : "different keys";
    }
    case "randomkey": {
      if (want === null) {
        return got === null ? undefined : "a key where Redis has none";
      }
      if (typeof got !== "string") return "not a key";
      return (await context.liveKeys()).includes(got)
        ? undefined
        : "not one of Redis's keys";
    }
    case "dbsize": {
      if (typeof got !== "number" || typeof want !== "number") break;
      const low = (await context.liveKeys()).length;
      return got >= low && got <= want
        ? undefined
        : `not between ${low} (keys Redis lists) and ${want} (its DBSIZE)`;
    }
    case "time": {
      if (
        !Array.isArray(got) || got.length !== 2 ||
        !got.every((x) => typeof x === "string" && /^\d+$/.test(x))
      ) return "not two strings of digits";
      const seconds = Number(got[0]);
      if (Math.abs(seconds - Date.now() / 1000) > 5) {
        return "seconds off the clock";
      }
      return Number(got[1]) < 1_000_000 ? undefined : "microseconds >= 1000000";
    }
  }
  return isDeepStrictEqual(want, got) ? undefined : "different answers";
}

/** A full SCAN iteration: the first error, or the set of keys seen. */
async function fullScan(
  side: Side,
  command: Command,
): Promise<RespReply> {
  const seen = new Set<string>();
  let cursor: Arg = command[1];
  for (let round = 0; round < 10_000; round++) {
    const reply = await side.command([command[0], cursor, ...command.slice(2)]);
    if ("error" in reply) return reply;
    const r = reply.result;
    if (
      !Array.isArray(r) || r.length !== 2 || typeof r[0] !== "string" ||
      !Array.isArray(r[1]) || !r[1].every((k) => typeof k === "string")
    ) {
      return { result: ["not [cursor string, keys]", r] };
    }
    for (const k of r[1] as string[]) seen.add(k);
    cursor = r[0];
    if (cursor === "0") return { result: [...seen].sort() };
  }
  return { result: ["did not end within 10000 calls"] };
}

/** Options of {@linkcode runSteps}. */
export interface RunOptions {
  /** Called with each mismatch instead of throwing it (survey mode). */
  onMismatch?: (mismatch: Mismatch) => void;
  /**
   * Documented deviations: when they explain a mismatch (resolving with the
   * deviation's name), the run ends there without failing (the two
   * servers' states may differ from then on) and `onDeviation` is told.
   */
  deviations?: readonly Deviation[];
  /** Told each time a documented deviation ended a run. */
  onDeviation?: (name: string, mismatch: Mismatch) => void;
}

/** The answer to one command, or to a batch. */
export type Answer = RespReply | RespReply[];

/** A documented difference from Redis that the comparison accepts. */
export interface Deviation {
  /** Its name, e.g. where the docs describe it. */
  name: string;
  /**
   * True when it explains why the subject answered `got` where Redis
   * answered `want` (arrays: the answers to a whole batch, whose `command`
   * is then `["PIPELINE" | "MULTI-EXEC", ...each command as JSON]`).
   */
  explains(
    command: Command,
    want: Answer,
    got: Answer,
    reference: Side,
  ): Promise<boolean>;
}

/**
 * Empties both servers, then runs `steps` on both and compares every
 * answer; throws a {@linkcode Mismatch} (the command, both answers and the
 * steps before it) at the first difference.
 */
export async function runSteps(
  reference: Side,
  subject: Side,
  steps: readonly Step[],
  options: RunOptions = {},
): Promise<void> {
  const explained = async (
    command: Command,
    want: Answer,
    got: Answer,
  ): Promise<string | undefined> => {
    for (const deviation of options.deviations ?? []) {
      if (await deviation.explains(command, want, got, reference)) {
        return deviation.name;
      }
    }
    return undefined;
  };
  for (const side of [reference, subject]) {
    const flushed = await side.command(["FLUSHALL"]);
    if (!("result" in flushed) || flushed.result !== "OK") {
      throw new Error(`${side.name}: FLUSHALL answered ${show(flushed)}`);
    }
  }
  const context: Context = {
    liveKeys: async () => {
      const reply = await reference.command(["KEYS", "*"]);
      if (!("result" in reply) || !Array.isArray(reply.result)) {
        throw new Error(`${reference.name}: KEYS * answered ${show(reply)}`);
      }
      return reply.result as string[];
    },
  };
  const log: string[] = [];
  const fail = async (
    command: Command,
    why: string,
    want: Answer,
    got: Answer,
  ) => {
    const deviation = await explained(command, want, got);
    const mismatch = new Mismatch(
      command,
      `${show(command)}: ${why}\n  ${reference.name}: ${
        show(want)
      }\n  ${subject.name}: ${show(got)}\n  after: ${
        log.length ? log.join("\n         ") : "(nothing)"
      }`,
    );
    if (deviation) options.onDeviation?.(deviation, mismatch);
    else if (options.onMismatch) options.onMismatch(mismatch);
    else throw mismatch;
  };
  for (const step of steps) {
    if (step.kind === "single") {
      const { command } = step;
      const isScan = String(command[0]).toLowerCase() === "scan" &&
        command[1] === "0";
      const want = isScan
        ? await fullScan(reference, command)
        : await reference.command(command);
      const got = isScan
        ? await fullScan(subject, command)
        : await subject.command(command);
      const why = await disagreement(command, want, got, context);
      log.push(`${show(command)} -> ${show(want)}`);
      if (why) return await fail(command, why, want, got);
      continue;
    }
    const atomic = step.kind === "multi";
    const want = await reference.batch(step.commands, atomic);
    const got = await subject.batch(step.commands, atomic);
    const label = [
      atomic ? "MULTI-EXEC" : "PIPELINE",
      ...step.commands.map(show),
    ];
    log.push(`${label.join(" ")} -> ${show(want)}`);
    if (!Array.isArray(want) || !Array.isArray(got)) {
      if (!isDeepStrictEqual(want, got)) {
        return await fail(label, "different answers to the batch", want, got);
      }
      continue;
    }
    for (let i = 0; i < step.commands.length; i++) {
      const why = await disagreement(
        step.commands[i],
        want[i],
        got[i],
        context,
      );
      if (why) {
        return await fail(
          step.commands[i],
          `${why} (command ${i + 1} of ${label.join(" ")})`,
          want[i],
          got[i],
        );
      }
    }
  }
}
