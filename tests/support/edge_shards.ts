/**
 * Test support for the Durable Object variant's Redis API: the front Worker
 * and its {@linkcode CacheShard} objects in this process (a namespace that
 * makes one object per name, as Workers does), served over HTTP like the
 * single edge handler it is compared with; the differential harness's key
 * space moved so that its four keys fall in four different shards; and an
 * independent account of which steps a sharded front must refuse.
 *
 * @module
 */

import type { Command, Step } from "./redis_commands.ts";
import { KEYS } from "./redis_commands.ts";
import type { Side } from "./redis_differential.ts";
import type { RespReply } from "./redis_resp.ts";
import { shardOf } from "../../lib/shard_of.ts";
import { CacheShard } from "../../routes/cache_shard.ts";
import {
  createEdgeHandler,
  type FetchHandler,
} from "../../routes/edge_handler.ts";
import {
  createShardRouter,
  type DurableObjectNamespaceLike,
  SHARD_BINDING,
  shardRouterOptionsFrom,
} from "../../routes/shard_router.ts";
import { parseEdgeConfig } from "../../routes/edge_handler.ts";

/** The front and its objects, in this process. */
export interface InProcessShards {
  /** The front Worker's handler. */
  fetch: FetchHandler;
  /** The objects created so far, by name (`shard-0`...). */
  objects: Map<string, CacheShard>;
  /** Makes `shard`'s object throw on every request from now on. */
  breakShard(shard: number): void;
}

/**
 * The front over `shards` in-process {@linkcode CacheShard} objects, all
 * configured by `bindings` (the Worker's variables), as on Workers.
 */
export function inProcessShards(
  shards: number,
  bindings: Record<string, string> = {},
): InProcessShards {
  const objects = new Map<string, CacheShard>();
  const broken = new Set<string>();
  const namespace: DurableObjectNamespaceLike = {
    idFromName: (name) => name,
    get(id) {
      const name = id as string;
      return {
        fetch(request: Request): Promise<Response> {
          if (broken.has(name)) {
            return Promise.reject(new Error(`${name} is broken (test)`));
          }
          let object = objects.get(name);
          if (object === undefined) {
            object = new CacheShard(null, bindings);
            objects.set(name, object);
          }
          return Promise.resolve(object.fetch(request));
        },
      };
    },
  };
  const config = parseEdgeConfig(bindings);
  const app = createShardRouter(shardRouterOptionsFrom(config, shards));
  const env = { ...bindings, [SHARD_BINDING]: namespace };
  return {
    fetch: (request) => app.fetch(request, env),
    objects,
    breakShard: (shard) => broken.add(`shard-${shard}`),
  };
}

/** A handler served over HTTP on a free port of 127.0.0.1. */
export interface Served {
  /** Base URL, without a trailing slash. */
  url: string;
  /** Stops serving. */
  stop(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1, port 0. */
export function serve(handler: FetchHandler): Served {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => handler(request),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    stop: () => server.shutdown(),
  };
}

/** The single edge handler (one store), served: the reference. */
export function serveSingle(bindings: Record<string, string> = {}): Served {
  return serve(createEdgeHandler(bindings));
}

/**
 * The differential harness's keys (`KEYS`), each renamed to a key of the
 * same look in another shard of 4: shards 3, 1, 0 and 2.
 */
export const SPREAD_KEYS: Readonly<Record<string, string>> = {
  "a": "a",
  "ab": "ab",
  "b?": "b2?",
  "c\\d": "c\\d1",
};

/** `command` with every argument that is a key of `names` renamed. */
function renameCommand(
  command: Command,
  names: Readonly<Record<string, string>>,
): Command {
  return command.map((arg) =>
    typeof arg === "string" && Object.hasOwn(names, arg) ? names[arg] : arg
  );
}

/** `step` with every argument that is a key of `names` renamed. */
export function renameStep(
  step: Step,
  names: Readonly<Record<string, string>>,
): Step {
  return step.kind === "single"
    ? { kind: "single", command: renameCommand(step.command, names) }
    : {
      kind: step.kind,
      commands: step.commands.map((c) => renameCommand(c, names)),
    };
}

/** `step` with its keys renamed (see {@linkcode SPREAD_KEYS}). */
export function spreadStep(step: Step): Step {
  return renameStep(step, SPREAD_KEYS);
}

/**
 * The harness's keys renamed into one shard (of `shards`): each key with
 * the smallest number appended that puts it there (or as it is, if it is
 * there already), for transactions that a sharded front serves.
 */
export function keysInShard(
  shard: number,
  shards: number,
): Record<string, string> {
  const names: Record<string, string> = {};
  for (const key of KEYS) {
    let name = key;
    for (let i = 0; shardOf(name, shards) !== shard; i++) name = key + i;
    names[key] = name;
  }
  return names;
}

/** Keyless commands that read or change every shard. */
const EVERYWHERE = new Set([
  "scan",
  "keys",
  "randomkey",
  "dbsize",
  "flushdb",
  "flushall",
]);

/** Keyless commands that touch no key. */
const KEYLESS = new Set(["ping", "echo", "time"]);

/**
 * Key positions (first, last, step; -1: the last argument) of the
 * multi-key commands, as redis.io's key specifications give them; every
 * other command of the issue names one key, its first argument. The test's
 * own account, apart from the command table the front reads.
 */
const MULTI_KEY: Readonly<Record<string, readonly [number, number, number]>> = {
  mget: [1, -1, 1],
  del: [1, -1, 1],
  unlink: [1, -1, 1],
  exists: [1, -1, 1],
  touch: [1, -1, 1],
  mset: [1, -1, 2],
  msetnx: [1, -1, 2],
};

/** The shards `command`'s keys are in (all of them for KEYS, DBSIZE...). */
export function keyShards(command: Command, shards: number): Set<number> {
  const name = String(command[0]).toLowerCase();
  if (EVERYWHERE.has(name)) {
    return new Set(Array.from({ length: shards }, (_, i) => i));
  }
  if (KEYLESS.has(name)) return new Set();
  const [first, last, step] = MULTI_KEY[name] ?? [1, 1, 1];
  const end = last < 0 ? command.length + last : last;
  const touched = new Set<number>();
  for (let i = first; i <= end; i += step) {
    touched.add(shardOf(String(command[i]), shards));
  }
  return touched;
}

const CROSSSLOT = /^CROSSSLOT Keys in request don't hash to the same slot: /;

/** Whether `reply` is the front's refusal of keys across shards. */
function isCrossSlot(reply: RespReply | { error: string }): boolean {
  return "error" in reply && CROSSSLOT.test(reply.error);
}

/**
 * Sides for the differential harness that let the sharded front refuse what
 * it must: each MSETNX, pipeline and transaction goes to `subject` first,
 * and what it refuses with `CROSSSLOT` is not sent to `reference`. A
 * refusal must be right (the keys, by redis.io's key positions, are in more
 * than one shard: else it throws), and it must have changed nothing, which
 * the steps after it check, since the reference did not run it. `refused`
 * counts the refusals.
 */
export function refusingSides(
  reference: Side,
  subject: Side,
  shards: number,
): { reference: Side; subject: Side; refused: () => number } {
  let refused = 0;
  let stashed: Promise<unknown> | undefined;
  const take = <T>(): Promise<T> => {
    const answer = stashed;
    stashed = undefined;
    if (answer === undefined) throw new Error("no answer from the subject");
    return answer as Promise<T>;
  };
  const mustSpan = (commands: readonly Command[], what: string) => {
    const all = new Set<number>();
    for (const c of commands) for (const s of keyShards(c, shards)) all.add(s);
    if (all.size < 2) {
      throw new Error(
        `${what} refused with CROSSSLOT, but its keys are in shards ${[
          ...all,
        ]}: ${JSON.stringify(commands)}`,
      );
    }
    refused++;
  };
  const isMsetnx = (c: Command) => String(c[0]).toLowerCase() === "msetnx";
  return {
    refused: () => refused,
    subject: {
      name: subject.name,
      command: (args) => isMsetnx(args) ? take() : subject.command(args),
      batch: () => take(),
    },
    reference: {
      name: reference.name,
      async command(args) {
        if (!isMsetnx(args)) return await reference.command(args);
        const got = await subject.command(args);
        stashed = Promise.resolve(got);
        if (!isCrossSlot(got)) return await reference.command(args);
        mustSpan([args], "MSETNX");
        return got;
      },
      async batch(commands, atomic) {
        const got = await subject.batch(commands, atomic);
        stashed = Promise.resolve(got);
        if (!Array.isArray(got)) {
          if (!isCrossSlot(got)) return await reference.batch(commands, atomic);
          mustSpan(commands, "a transaction");
          return got;
        }
        // A pipeline: the reference runs what the subject did not refuse.
        const kept = commands.filter((c, i) => {
          if (!isCrossSlot(got[i])) return true;
          if (!isMsetnx(c)) throw new Error(`refused: ${JSON.stringify(c)}`);
          mustSpan([c], "MSETNX");
          return false;
        });
        if (kept.length === commands.length) {
          return await reference.batch(commands, atomic);
        }
        const want = kept.length === 0
          ? []
          : await reference.batch(kept, atomic);
        if (!Array.isArray(want)) return want;
        let next = 0;
        return commands.map((_, i) =>
          isCrossSlot(got[i]) ? got[i] : want[next++]
        );
      },
    },
  };
}

/** Checks that the renamed keys are where {@linkcode SPREAD_KEYS} says. */
export function spreadShards(): number[] {
  return KEYS.map((key) => shardOf(SPREAD_KEYS[key], 4));
}
