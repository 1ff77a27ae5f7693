/**
 * The Redis REST endpoints (`POST /`, `/pipeline`, `/multi-exec`) of the
 * Durable Object front: each request is checked as the server checks it
 * (token, body size, shape, read-only token, pipeline and transaction
 * bounds, with the server's own functions), then sent to the shards that
 * own its keys (`shard_plan.ts`), and their answers are merged
 * (`shard_merge.ts`). A request the server would refuse before running
 * anything (not a command, a write with the read-only token, EXECABORT...)
 * goes whole to shard 0, which refuses it in the server's own words.
 *
 * - A command, pipeline or transaction whose keys are all in one shard is
 *   forwarded to that shard as it came, and its answer is the shard's.
 * - A pipeline across shards becomes one sub-pipeline per shard, holding
 *   that shard's commands and parts in the request's order, sent in
 *   parallel; the answers are put back in the request's order. So commands
 *   on one key run in the order sent, as on the server.
 * - A transaction runs on one shard, atomically there; one whose keys span
 *   shards is refused (`CROSSSLOT`) and nothing runs.
 * - With one shard (`SHARDS=1`), requests are forwarded without a look.
 *
 * A shard that fails (an exception in the object, a sub-request over the
 * shard's body limit) gives each of its commands an error naming it; the
 * other shards' parts have run, as a pipeline's commands do.
 *
 * @module
 */

import { type BodyFailure, BodyReader } from "../server/body_reader.ts";
import type { Tokens } from "./auth.ts";
import {
  admitRedis,
  bodyFailureAnswer,
  redisAnswer as answer,
} from "./redis/answers.ts";
import { resolveCommand } from "./redis/commands.ts";
import {
  encodeReply,
  errorBody,
  parseCommandBody,
  parsePipelineBody,
} from "./redis/protocol.ts";
import { checkPipeline, checkTransaction } from "./redis/run.ts";
import { type Answer, mergeAnswers, readAnswers } from "./shard_merge.ts";
import { type CommandPlan, crossShard, planCommand } from "./shard_plan.ts";

/** Sends a request to one shard's Durable Object. */
export type SendToShard = (
  shard: number,
  request: Request,
) => Promise<Response>;

/** Options for {@linkcode shardedRedisEndpoints}. */
export interface ShardedRedisOptions {
  /** How many shards (`SHARDS`). */
  shards: number;
  /** The tokens, when there are any. */
  tokens?: Tokens;
  /** `MAX_BODY_BYTES`: largest `POST /` body. */
  maxBodyBytes: number;
  /** `MAX_PIPELINE_BODY_BYTES`: largest pipeline or transaction body. */
  maxPipelineBodyBytes: number;
  /** `MAX_PIPELINE_COMMANDS`. */
  maxPipelineCommands: number;
  /** `MAX_KEY_SIZE`. */
  maxKeySize: number;
  /** `MAX_VALUE_SIZE`. */
  maxValueSize: number;
  /**
   * How errors name a shard that failed (default: `Durable Object shard N`);
   * with a {@linkcode ShardRoute}, for the request's key groups too.
   */
  describeShard?: (shard: number) => string;
}

/**
 * Where keys live, for a caller whose placement is not `shardOf(key,
 * shards)`: the HAProxy cluster, whose nodes cannot compute HAProxy's ring,
 * gives each key a group of its own (numbered from `shards`; 0 to
 * `shards - 1` stay the shards themselves, for SCAN, KEYS, DBSIZE...).
 */
export interface ShardRoute {
  /** The shard (or group) of `key`, the same within one request. */
  shardOf(key: string): number;
  /**
   * The one shard that holds every key of `shards`, found out now, or
   * undefined when they are not all in one: a transaction, or a command
   * atomic only within one shard (MSETNX), then runs there whole.
   */
  colocate?(shards: number[]): Promise<number | undefined>;
  /** The refusal for keys in several shards (default: `crossShard`). */
  crossShard?(what: string, shards: Iterable<number>): string;
}

/**
 * A handler of one endpoint: the request, how to reach the shards, and
 * (optionally) this request's {@linkcode ShardRoute}.
 */
export type ShardedRedisHandler = (
  request: Request,
  send: SendToShard,
  route?: ShardRoute,
) => Promise<Response>;

const encoder = new TextEncoder();

/** `{"result":X}` or `{"error":"..."}`, X's strings written as they came. */
function answerJson(one: Answer): string {
  return "error" in one
    ? errorBody(one.error)
    : '{"result":' + encodeReply(one.result, false) + "}";
}

/** Creates the front's handlers of `POST /`, `/pipeline`, `/multi-exec`. */
export function shardedRedisEndpoints(options: ShardedRedisOptions): {
  command: ShardedRedisHandler;
  pipeline: ShardedRedisHandler;
  multiExec: ShardedRedisHandler;
} {
  const { shards, tokens } = options;
  const describe = options.describeShard ??
    ((shard: number) => `Durable Object shard ${shard}`);
  const bodyReader = new BodyReader({
    maxBytes: options.maxBodyBytes,
    timeoutMs: 0, // a timeout needs a timer
  });
  const pipelineBodyReader = new BodyReader({
    maxBytes: options.maxPipelineBodyBytes,
    timeoutMs: 0,
  });
  const singleLimit = `${options.maxBodyBytes} bytes (MAX_BODY_BYTES)`;
  const pipelineLimit =
    `${options.maxPipelineBodyBytes} bytes (MAX_PIPELINE_BODY_BYTES)`;

  /** The refusal, or whether the request may only read. */
  const admit = (request: Request): Response | boolean => {
    return admitRedis(request, tokens);
  };

  // The front reads bodies without a timeout (a timeout needs a timer).
  const bodyFailure = (failure: BodyFailure, limit: string): Response =>
    bodyFailureAnswer(failure, limit, 0);

  const planOptionsOf = (route: ShardRoute | undefined) => ({
    shards,
    maxKeySize: options.maxKeySize,
    maxValueSize: options.maxValueSize,
    shardOf: route?.shardOf,
    crossShard: route?.crossShard,
  });

  /** `request` sent on to `shard` at `path` with `body`. */
  const forward = (
    request: Request,
    path: string,
    body: Uint8Array | string,
    shard: number,
    send: SendToShard,
  ): Promise<Response> => {
    const headers = new Headers(request.headers);
    headers.delete("content-length");
    return send(
      shard,
      new Request(new URL(path, request.url), {
        method: "POST",
        headers,
        body: body as BodyInit,
      }),
    );
  };

  /**
   * `request` forwarded whole to `shard`; the shard's answer, or a 502 that
   * names the shard when it fails.
   */
  const relay = async (
    request: Request,
    path: string,
    body: string,
    shard: number,
    send: SendToShard,
  ): Promise<Response> => {
    try {
      return await forward(request, path, body, shard, send);
    } catch (error) {
      return answer(
        errorBody(
          `ERR ${describe(shard)} failed: ${
            error instanceof Error ? error.message : error
          }`,
        ),
        502,
      );
    }
  };

  /**
   * Sends each shard its part of `plans` as one sub-request to `path`, in
   * parallel, and merges the answers per command, in order; or the 413
   * answer when a shard's part would exceed its body limit (before anything
   * is sent).
   */
  async function fanOut(
    request: Request,
    plans: CommandPlan[],
    path: "/pipeline" | "/multi-exec",
    send: SendToShard,
  ): Promise<Answer[] | Response> {
    const batches = new Map<
      number,
      { argvs: string[][]; refs: [plan: number, part: number][] }
    >();
    plans.forEach((plan, i) =>
      plan.parts.forEach((part, j) => {
        let batch = batches.get(part.shard);
        if (batch === undefined) {
          batch = { argvs: [], refs: [] };
          batches.set(part.shard, batch);
        }
        batch.argvs.push(part.argv);
        batch.refs.push([i, j]);
      })
    );
    const bodies = new Map<number, string>();
    for (const [shard, batch] of batches) {
      const body = JSON.stringify(batch.argvs);
      if (encoder.encode(body).length > options.maxPipelineBodyBytes) {
        return answer(
          errorBody(
            `ERR The request's part for shard ${shard} is larger than ${pipelineLimit} once split by shard; send fewer commands at once. Nothing was run.`,
          ),
          413,
        );
      }
      bodies.set(shard, body);
    }
    const parts: Answer[][] = plans.map((plan) => new Array(plan.parts.length));
    await Promise.all(
      [...batches].map(async ([shard, batch]) => {
        const answers = await askShard(
          request,
          path,
          bodies.get(shard)!,
          shard,
          batch.argvs.length,
          send,
        );
        batch.refs.forEach(([i, j], k) => parts[i][j] = answers[k]);
      }),
    );
    const base64 = isBase64(request);
    return plans.map((plan, i) =>
      plan.refusal !== undefined
        ? { error: plan.refusal }
        : mergeAnswers(plan, parts[i], base64)
    );
  }

  /** One shard's answers to a sub-request, or errors naming its failure. */
  async function askShard(
    request: Request,
    path: string,
    body: string,
    shard: number,
    count: number,
    send: SendToShard,
  ): Promise<Answer[]> {
    let why: string;
    try {
      const response = await forward(request, path, body, shard, send);
      const text = await response.text();
      const answers = response.status === 200
        ? readAnswers(text, count)
        : undefined;
      if (answers !== undefined) return answers;
      why = `answered ${response.status} ${errorOf(text)}`;
    } catch (error) {
      why = `failed: ${error instanceof Error ? error.message : error}`;
    }
    const failure = {
      error: `ERR ${
        describe(shard)
      } ${why}; the request's parts on other shards ran`,
    };
    return Array.from({ length: count }, () => failure);
  }

  async function command(
    request: Request,
    send: SendToShard,
    route?: ShardRoute,
  ) {
    const readOnly = admit(request);
    if (readOnly instanceof Response) return readOnly;
    const text = await bodyReader.readText(request);
    if (typeof text !== "string") return bodyFailure(text.failure, singleLimit);
    if (shards === 1) return await relay(request, "/", text, 0, send);
    const argv = parseCommandBody(text);
    // Not a command: shard 0 answers the server's 400.
    if (typeof argv === "string") {
      return await relay(request, "/", text, 0, send);
    }
    if (readOnly && isWrite(argv)) {
      return await relay(request, "/", text, 0, send); // the server's 403
    }
    const plan = planCommand(argv, planOptionsOf(route));
    if (plan.refusal !== undefined) {
      const at = plan.spread && await route?.colocate?.(plan.spread);
      if (typeof at === "number") {
        return await relay(request, "/", text, at, send);
      }
      return answer(errorBody(plan.refusal), 400);
    }
    if (plan.whole) {
      return await relay(request, "/", text, plan.parts[0].shard, send);
    }
    const answers = await fanOut(request, [plan], "/pipeline", send);
    if (answers instanceof Response) return answers;
    const [one] = answers;
    return answer(answerJson(one), "error" in one ? 400 : 200);
  }

  /**
   * The commands of a `/pipeline` or `/multi-exec` body (`path`) with its
   * text, or the answer already given:
   * a refusal, the whole request relayed to the one shard there is, or
   * relayed to shard 0 when the body is not commands or `check` refuses
   * them (shard 0 then refuses it in the server's words, nothing run).
   */
  async function readBatch(
    request: Request,
    path: string,
    send: SendToShard,
    check: (commands: string[][], readOnly: boolean) => boolean,
  ): Promise<Response | { text: string; commands: string[][] }> {
    const readOnly = admit(request);
    if (readOnly instanceof Response) return readOnly;
    const text = await pipelineBodyReader.readText(request);
    if (typeof text !== "string") {
      return bodyFailure(text.failure, pipelineLimit);
    }
    if (shards === 1) return await relay(request, path, text, 0, send);
    const commands = parsePipelineBody(text, options.maxPipelineCommands);
    if (typeof commands === "string" || !check(commands, readOnly)) {
      return await relay(request, path, text, 0, send);
    }
    return { text, commands };
  }

  async function pipeline(
    request: Request,
    send: SendToShard,
    route?: ShardRoute,
  ) {
    const batch = await readBatch(
      request,
      "/pipeline",
      send,
      (commands, readOnly) => Array.isArray(checkPipeline(commands, readOnly)),
    );
    if (batch instanceof Response) return batch;
    const { text, commands } = batch;
    const planOptions = planOptionsOf(route);
    const plans = commands.map((argv) => planCommand(argv, planOptions));
    if (route?.colocate !== undefined) {
      // A command atomic only within one shard (MSETNX) runs whole where
      // all its keys live, if they do.
      await Promise.all(plans.map(async (plan, i) => {
        if (plan.spread === undefined) return;
        const at = await route.colocate!(plan.spread);
        if (at === undefined) return;
        plans[i] = {
          parts: [{ shard: at, argv: commands[i] }],
          merge: "one",
          whole: true,
          anywhere: false,
        };
      }));
    }
    const target = oneShard(plans);
    if (target !== undefined && plans.every((plan) => plan.whole)) {
      return await relay(request, "/pipeline", text, target, send);
    }
    gather(plans, target);
    const answers = await fanOut(request, plans, "/pipeline", send);
    if (answers instanceof Response) return answers;
    return answer("[" + answers.map(answerJson).join(",") + "]", 200);
  }

  async function multiExec(
    request: Request,
    send: SendToShard,
    route?: ShardRoute,
  ) {
    const batch = await readBatch(
      request,
      "/multi-exec",
      send,
      (commands, readOnly) =>
        Array.isArray(checkTransaction(commands, readOnly)),
    );
    if (batch instanceof Response) return batch;
    const { text, commands } = batch;
    const planOptions = planOptionsOf(route);
    const plans = commands.map((argv) => planCommand(argv, planOptions));
    if (route?.colocate !== undefined) {
      // The whole transaction where all its keys live, if they do.
      const spread = usedShards(plans);
      let placeable = true;
      for (const plan of plans) {
        if (plan.refusal === undefined) continue;
        if (plan.spread === undefined) placeable = false;
        else for (const shard of plan.spread) spread.add(shard);
      }
      if (placeable && spread.size > 1) {
        const at = await route.colocate([...spread]);
        if (at !== undefined) {
          return await relay(request, "/multi-exec", text, at, send);
        }
      }
    }
    const refused = plans.findIndex((plan) => plan.refusal !== undefined);
    if (refused >= 0) {
      return answer(
        errorBody(
          `${plans[refused].refusal} (command ${
            refused + 1
          } of the transaction)`,
        ),
        400,
      );
    }
    const used = usedShards(plans);
    if (used.size > 1) {
      return answer(
        errorBody(
          (route?.crossShard ?? crossShard)("the transaction's keys are", used),
        ),
        400,
      );
    }
    const target = used.size === 1 ? used.values().next().value! : 0;
    if (plans.every((plan) => plan.whole)) {
      return await relay(request, "/multi-exec", text, target, send);
    }
    gather(plans, target);
    const answers = await fanOut(request, plans, "/multi-exec", send);
    if (answers instanceof Response) return answers;
    return answer("[" + answers.map(answerJson).join(",") + "]", 200);
  }

  return { command, pipeline, multiExec };
}

/** Whether `argv` is a known write command (unknown ones are not). */
function isWrite(argv: string[]): boolean {
  try {
    return resolveCommand(argv).access === "write";
  } catch {
    return false; // unknown or wrong arity: the shard answers that
  }
}

/** The shards the plans' parts go to, but for commands any shard answers. */
function usedShards(plans: readonly CommandPlan[]): Set<number> {
  const used = new Set<number>();
  for (const plan of plans) {
    if (plan.anywhere) continue;
    for (const part of plan.parts) used.add(part.shard);
  }
  return used;
}

/** The one shard every part goes to (or 0 for none), else undefined. */
function oneShard(plans: readonly CommandPlan[]): number | undefined {
  const used = usedShards(plans);
  if (used.size > 1) return undefined;
  return used.size === 1 ? used.values().next().value! : 0;
}

/**
 * Sends the commands any shard answers (PING, ECHO, TIME) to `target`, or
 * to the first shard the others use, so that they add no sub-request.
 */
function gather(plans: CommandPlan[], target: number | undefined): void {
  const to = target ?? usedShards(plans).values().next().value ?? 0;
  for (const plan of plans) {
    if (plan.anywhere) plan.parts[0].shard = to;
  }
}

function isBase64(request: Request): boolean {
  return request.headers.get("upstash-encoding")?.toLowerCase() === "base64";
}

/** The `error` (or `message`) of a JSON error body, else the text's start. */
function errorOf(text: string): string {
  try {
    const body = JSON.parse(text);
    const message = body?.error ?? body?.message;
    if (typeof message === "string") return message;
  } catch { /* not JSON */ }
  return text.slice(0, 200);
}
