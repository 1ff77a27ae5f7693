/**
 * Putting shards' answers back together in the Durable Object front: reading
 * a shard's pipeline answer without losing integers past 2^53, and merging
 * the answers of one command's parts (see `shard_plan.ts` for which merge
 * each command gets).
 *
 * Strings are never decoded or re-encoded: shards answer in the encoding the
 * client asked for (`Upstash-Encoding: base64` is passed on), and the front
 * writes their strings back as they came, so values, including GETRANGE's
 * bytes, are exactly the server's. The one string the front makes is
 * SCAN's cursor, encoded the same way.
 *
 * @module
 */

import type { Reply } from "./redis/reply.ts";
import { MAX_KEYS_REPLY } from "./redis/scan.ts";
import type { CommandPlan } from "./shard_plan.ts";
import { joinCursor } from "./shard_cursor.ts";

/** One command's answer: a result, or an error message. */
export type Answer = { result: Reply } | { error: string };

/** The part of `JSON.parse`'s reviver context read here (ES2025). */
interface ReviverContext {
  source?: string;
}

/**
 * Keeps integers past 2^53 exact, as bigints, from the number's source
 * text; Redis integers are the only numbers in answers.
 */
function exactIntegers(
  _key: string,
  value: unknown,
  context?: ReviverContext,
): unknown {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  if (source === undefined || !/^-?\d+$/.test(source)) {
    throw new Error(
      "This runtime's JSON.parse gives no source text, so an integer past 2^53 would lose digits.",
    );
  }
  return BigInt(source);
}

/** A run of 16 digits: the shortest integer that can pass 2^53 (9.0e15). */
const SIXTEEN_DIGITS = /\d{16}/;

/**
 * A shard's answer to a pipeline or transaction of `count` commands: one
 * {@linkcode Answer} each, or undefined when the text is not that.
 */
export function readAnswers(
  text: string,
  count: number,
): Answer[] | undefined {
  let body: unknown;
  try {
    // The reviver is called for every value, with its source text: costly,
    // and needed only where a number could pass 2^53, which takes 16 digits.
    body = SIXTEEN_DIGITS.test(text)
      ? JSON.parse(
        text,
        exactIntegers as unknown as Parameters<typeof JSON.parse>[1],
      )
      : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(body) || body.length !== count) return undefined;
  for (const answer of body) {
    if (typeof answer !== "object" || answer === null) return undefined;
    if (!("result" in answer) && typeof answer.error !== "string") {
      return undefined;
    }
  }
  return body as Answer[];
}

/**
 * Merges the answers of `plan`'s parts (in the plan's part order) into the
 * command's answer. An error of any part is the command's error. `base64`
 * says whether strings are base64-encoded (for SCAN's cursor).
 */
export function mergeAnswers(
  plan: CommandPlan,
  answers: Answer[],
  base64: boolean,
): Answer {
  for (const answer of answers) {
    if ("error" in answer && typeof answer.error === "string") return answer;
  }
  const results = answers.map((answer) => (answer as { result: Reply }).result);
  switch (plan.merge) {
    case "one":
    case "same":
      return { result: results[0] };
    case "sum":
      return { result: sum(results) };
    case "values": {
      const arrays = results as Reply[][];
      return {
        result: plan.order!.map(([part, index]) => arrays[part][index]),
      };
    }
    case "keys": {
      const keys = (results as Reply[][]).flat();
      if (keys.length > MAX_KEYS_REPLY) {
        return {
          error:
            `ERR KEYS would answer more than ${MAX_KEYS_REPLY} keys; iterate with SCAN instead`,
        };
      }
      return { result: keys };
    }
    case "random": {
      const found = results.filter((key) => key !== null);
      return {
        result: found.length === 0
          ? null
          : found[Math.floor(Math.random() * found.length)],
      };
    }
    case "scan":
      return { result: frontScan(plan, results[0], base64) };
  }
}

/** Adds integer answers; the sum is a number while safe, else a bigint. */
function sum(results: Reply[]): Reply {
  let total = 0n;
  for (const value of results) total += BigInt(value as number | bigint);
  return Number.isSafeInteger(Number(total)) ? Number(total) : total;
}

/** A shard's SCAN answer with its cursor turned into the front's. */
function frontScan(plan: CommandPlan, reply: Reply, base64: boolean): Reply {
  const [cursor, ...rest] = reply as Reply[];
  const shard = plan.parts[0].shard;
  const next = joinCursor(
    shard,
    base64 ? atob(cursor as string) : cursor as string,
    plan.shards!,
  );
  return [base64 ? btoa(next) : next, ...rest];
}
