/**
 * Running parsed commands, the three ways the endpoints need: one command,
 * a pipeline (each command on its own, in order, errors answered in place),
 * and a transaction (`multi-exec`: checked whole first, then run inside ONE
 * `cache.atomically(...)`, so that no other request on any isolate sees part
 * of it).
 *
 * A transaction follows Redis's MULTI/EXEC: a command that is unknown, has
 * the wrong number of arguments or may not run in a transaction (KEYS)
 * discards the whole transaction before anything runs (EXECABORT, with the
 * first such command's error appended so that the client learns which);
 * an error while running (e.g. INCR of a non-number) is that command's
 * answer, and the others still apply.
 *
 * Bounds that keep the store's lock short, checked before anything runs:
 * one command, or one whole transaction, names at most
 * {@linkcode MAX_KEYS_PER_LOCK} keys (counted by the command table's key
 * positions), about 5 ms of writes at the store's speed (the sweep's budget
 * is 10 ms). Pipelines and transactions also have at most
 * `MAX_PIPELINE_COMMANDS` commands (checked by the parser).
 *
 * @module
 */

import type { Metrics } from "../metrics.ts";
import {
  type CommandSpec,
  keyCount,
  lookUpCommand,
  resolveCommand,
} from "./commands.ts";
import type { CommandContext } from "./context.ts";
import { encodeReply, errorBody } from "./protocol.ts";
import { type Reply, ReplyError } from "./reply.ts";

/** Keys one command or one transaction may name. */
export const MAX_KEYS_PER_LOCK = 10_000;

/** Redis's answer to EXEC after a command was refused while queued. */
export const EXECABORT =
  "EXECABORT Transaction discarded because of previous errors.";

/** A request refused before anything ran: its status and error message. */
export interface Refusal {
  /** 400 (bad command, too big) or 403 (a write with the read-only token). */
  status: 400 | 403;
  /** The `error` of the answer. */
  message: string;
  /** Which command caused it, when Redis's own `message` cannot say. */
  detail?: string;
}

/** Redis's ACL error for running `spec` without write permission. */
export function noPermission(spec: CommandSpec): string {
  return `NOPERM this user has no permissions to run the '${spec.name}' command (the read-only token runs read-only commands only)`;
}

/**
 * Runs one command whose spec `resolveCommand` returned, for a request that
 * asked for `base64` answers or not; an error reply is thrown as a
 * `ReplyError`.
 */
export function runCommand(
  ctx: CommandContext,
  spec: CommandSpec,
  argv: string[],
  base64: boolean,
): Reply | Promise<Reply> {
  if (keyCount(spec, argv) > MAX_KEYS_PER_LOCK) throw tooManyKeys(spec.name);
  ctx.base64 = base64;
  return spec.handler(ctx, argv);
}

function tooManyKeys(name: string): ReplyError {
  return new ReplyError(
    `ERR ${name.toUpperCase()} names more than ${MAX_KEYS_PER_LOCK} keys; split it into several commands`,
  );
}

/**
 * Checks a pipeline before it runs: with the read-only token, any write
 * command refuses it whole (403), and so does a command naming more than
 * {@linkcode MAX_KEYS_PER_LOCK} keys (400). Unknown commands and wrong
 * arities are left to be answered in place. Returns each command's spec
 * (or the error it will answer), for {@linkcode runPipeline}, or the
 * refusal.
 */
export function checkPipeline(
  commands: readonly string[][],
  readOnly: boolean,
): (CommandSpec | ReplyError)[] | Refusal {
  const resolved: (CommandSpec | ReplyError)[] = new Array(commands.length);
  for (let i = 0; i < commands.length; i++) {
    let spec: CommandSpec;
    try {
      spec = resolveCommand(commands[i]);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      resolved[i] = error;
      continue;
    }
    if (readOnly && spec.access === "write") {
      return {
        status: 403,
        message: `${noPermission(spec)}; command ${i + 1} of the pipeline`,
      };
    }
    if (keyCount(spec, commands[i]) > MAX_KEYS_PER_LOCK) {
      return {
        status: 400,
        message: `${tooManyKeys(spec.name).message} (command ${
          i + 1
        } of the pipeline); nothing was run`,
      };
    }
    resolved[i] = spec;
  }
  return resolved;
}

/**
 * Runs a pipeline that {@linkcode checkPipeline} accepted, with the specs
 * it returned; returns the JSON text of its answers, in order. `metrics`
 * counts each command.
 */
export async function runPipeline(
  ctx: CommandContext,
  commands: string[][],
  resolved: readonly (CommandSpec | ReplyError)[],
  base64: boolean,
  metrics?: Metrics,
): Promise<string> {
  let body = "[";
  for (let i = 0; i < commands.length; i++) {
    if (i > 0) body += ",";
    const argv = commands[i];
    const spec = resolved[i];
    try {
      if (spec instanceof ReplyError) throw spec;
      // Set before each command: an asynchronous one lets other requests in.
      ctx.base64 = base64;
      const answer = spec.handler(ctx, argv);
      const reply = answer instanceof Promise ? await answer : answer;
      body += '{"result":' + encodeReply(reply, base64) + "}";
      metrics?.countCommand(spec, false);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      body += errorBody(error.message);
      metrics?.countCommand(lookUpCommand(argv[0]), true);
    }
  }
  return body + "]";
}

/**
 * Checks a transaction before it runs: every command known, of the right
 * arity and allowed in a transaction (else EXECABORT, 400), no write with
 * the read-only token (403), and at most {@linkcode MAX_KEYS_PER_LOCK} keys
 * in all (400). Returns the commands' specs, or the refusal.
 */
export function checkTransaction(
  commands: readonly string[][],
  readOnly: boolean,
): CommandSpec[] | Refusal {
  const specs: CommandSpec[] = new Array(commands.length);
  let keys = 0;
  for (let i = 0; i < commands.length; i++) {
    let spec: CommandSpec;
    try {
      spec = resolveCommand(commands[i]);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      return {
        status: 400,
        message: EXECABORT,
        detail: `Command ${i + 1}: ${error.message}`,
      };
    }
    if (!spec.inTransaction) {
      return {
        status: 400,
        message: EXECABORT,
        detail: `Command ${
          i + 1
        }: ERR ${spec.name.toUpperCase()} is not allowed in multi-exec (it is unbounded; use SCAN)`,
      };
    }
    if (readOnly && spec.access === "write") {
      return {
        status: 403,
        message: `${noPermission(spec)}; command ${i + 1} of the transaction`,
      };
    }
    keys += keyCount(spec, commands[i]);
    specs[i] = spec;
  }
  if (keys > MAX_KEYS_PER_LOCK) {
    return {
      status: 400,
      message:
        `ERR The transaction names ${keys} keys; at most ${MAX_KEYS_PER_LOCK} are allowed in one multi-exec, which holds the store's lock throughout. Nothing was run.`,
    };
  }
  return specs;
}

/**
 * Runs a transaction that {@linkcode checkTransaction} accepted, as one
 * critical section of the store; returns the JSON text of its answers.
 * `metrics` counts each command.
 */
export function runTransaction(
  ctx: CommandContext,
  commands: string[][],
  specs: readonly CommandSpec[],
  base64: boolean,
  metrics?: Metrics,
): string {
  return ctx.cache.atomically(() => {
    ctx.inTransaction = true;
    ctx.base64 = base64;
    try {
      let body = "[";
      for (let i = 0; i < commands.length; i++) {
        if (i > 0) body += ",";
        try {
          const reply = specs[i].handler(ctx, commands[i]);
          if (reply instanceof Promise) {
            throw new Error(`${specs[i].name} is asynchronous`);
          }
          body += '{"result":' + encodeReply(reply, base64) + "}";
          metrics?.countCommand(specs[i], false);
        } catch (error) {
          if (!(error instanceof ReplyError)) throw error;
          body += errorBody(error.message);
          metrics?.countCommand(specs[i], true);
        }
      }
      return body + "]";
    } finally {
      ctx.inTransaction = false;
    }
  });
}
