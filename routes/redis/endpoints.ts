/**
 * The three HTTP endpoints of the Upstash Redis REST protocol, which
 * `routes/app.ts` mounts: `POST /` (one command), `POST /pipeline` (commands
 * in order, not atomic, answered 200 with one `{"result"}`/`{"error"}` each)
 * and `POST /multi-exec` (the same, as one transaction).
 *
 * Status codes: 200 for answers (a pipeline's too, whatever its commands
 * answered), 400 for a command error of `POST /`, a body that is not a
 * command or a refused transaction, 401 without a valid token, 403 for a
 * write with the read-only token, 408/413 for a body too slow or too large,
 * 501 where the API is off (the edge bundle and the Durable Object get it in
 * a later issue). Every answer is `application/json` and carries a fresh
 * `upstash-sync-token` header, which `@upstash/redis` sends back on its
 * next request to ask for read-your-writes. On one process every read sees
 * every earlier write, so the token only has to be non-empty and new; it is
 * this isolate's random prefix and a counter. Other `Upstash-*` request
 * headers (the client's telemetry) are ignored.
 *
 * @module
 */

import {
  type BodyFailure,
  type BodyReader,
  JsonFailure,
} from "../../server/body_reader.ts";
import type { Tokens } from "../auth.ts";
import type { Metrics } from "../metrics.ts";
import {
  admitRedis,
  bodyFailureAnswer,
  redisAnswer as answer,
} from "./answers.ts";
import { lookUpCommand, resolveCommand } from "./commands.ts";
import type { CommandContext } from "./context.ts";
import {
  COMMAND_NOT_JSON,
  commandFromJson,
  errorBody,
  PIPELINE_NOT_JSON,
  pipelineFromJson,
  resultBody,
} from "./protocol.ts";
import { ReplyError } from "./reply.ts";
import {
  checkPipeline,
  checkTransaction,
  noPermission,
  runCommand,
  runPipeline,
  runTransaction,
} from "./run.ts";

/** Options for {@linkcode redisEndpoints}. */
export interface RedisEndpointOptions {
  /** The handlers' context: the store and the entry limits. */
  context: CommandContext;
  /** False: every endpoint answers 501 (where the API is not served yet). */
  enabled: boolean;
  /** The tokens, when the server has any. */
  tokens?: Tokens;
  /** Reads `POST /` bodies (bounded by `MAX_BODY_BYTES`). */
  bodyReader: BodyReader;
  /** Reads pipeline bodies (bounded by `MAX_PIPELINE_BODY_BYTES`). */
  pipelineBodyReader: BodyReader;
  /** `MAX_BODY_BYTES`, for the 413 message. */
  maxBodyBytes: number;
  /** `MAX_PIPELINE_BODY_BYTES`, for the 413 message. */
  maxPipelineBodyBytes: number;
  /** `BODY_TIMEOUT_MS`, for the 408 message. */
  bodyTimeoutMs: number;
  /** `MAX_PIPELINE_COMMANDS`: commands in one pipeline or transaction. */
  maxPipelineCommands: number;
  /** Counts each command answered, by command (`METRICS=on`). */
  metrics?: Metrics;
}

/** A handler of one Redis endpoint: the request in, the answer out. */
export type RedisHandler = (
  request: Request,
) => Response | Promise<Response>;

/** The paths of the three endpoints. */
export const REDIS_PATHS = ["/", "/pipeline", "/multi-exec"] as const;

/** Creates the handlers of `POST /`, `/pipeline` and `/multi-exec`. */
export function redisEndpoints(options: RedisEndpointOptions): {
  command: RedisHandler;
  pipeline: RedisHandler;
  multiExec: RedisHandler;
} {
  const { context, tokens, maxPipelineCommands, metrics } = options;

  /**
   * The answer refusing the request, or whether it may only read (true with
   * the read-only token).
   */
  const admit = (request: Request): Response | boolean => {
    if (!options.enabled) {
      return answer(
        errorBody(
          "ERR The Redis REST API is not served here yet (edge bundle, Durable Object); use the server (deno task start).",
        ),
        501,
      );
    }
    return admitRedis(request, tokens);
  };

  const bodyFailure = (failure: BodyFailure, limit: string): Response =>
    bodyFailureAnswer(failure, limit, options.bodyTimeoutMs);

  const singleLimit = `${options.maxBodyBytes} bytes (MAX_BODY_BYTES)`;
  const pipelineLimit =
    `${options.maxPipelineBodyBytes} bytes (MAX_PIPELINE_BODY_BYTES)`;

  const isBase64 = (request: Request) =>
    request.headers.get("upstash-encoding")?.toLowerCase() === "base64";

  async function command(request: Request): Promise<Response> {
    const readOnly = admit(request);
    if (readOnly instanceof Response) return readOnly;
    const body = await options.bodyReader.readJson(request);
    if (body instanceof JsonFailure) {
      return body.failure === "not-json"
        ? answer(errorBody(COMMAND_NOT_JSON), 400)
        : bodyFailure(body.failure, singleLimit);
    }
    const argv = commandFromJson(body);
    if (typeof argv === "string") return answer(errorBody(argv), 400);
    try {
      const spec = resolveCommand(argv);
      if (readOnly && spec.access === "write") {
        metrics?.countCommand(spec, true);
        return answer(errorBody(noPermission(spec)), 403);
      }
      const base64 = isBase64(request);
      const result = runCommand(context, spec, argv, base64);
      const reply = result instanceof Promise ? await result : result;
      metrics?.countCommand(spec, false);
      return answer(resultBody(reply, base64), 200);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      // Unknown (undefined: counted as such), wrong arity, or the handler's.
      metrics?.countCommand(lookUpCommand(argv[0]), true);
      return answer(errorBody(error.message), 400);
    }
  }

  /**
   * The commands of a `/pipeline` or `/multi-exec` body, with whether only
   * reads are allowed, or the answer refusing the request.
   */
  async function readCommands(
    request: Request,
  ): Promise<Response | { commands: string[][]; readOnly: boolean }> {
    const readOnly = admit(request);
    if (readOnly instanceof Response) return readOnly;
    const body = await options.pipelineBodyReader.readJson(request);
    if (body instanceof JsonFailure) {
      return body.failure === "not-json"
        ? answer(errorBody(PIPELINE_NOT_JSON), 400)
        : bodyFailure(body.failure, pipelineLimit);
    }
    const commands = pipelineFromJson(body, maxPipelineCommands);
    if (typeof commands === "string") return answer(errorBody(commands), 400);
    return { commands, readOnly };
  }

  async function pipeline(request: Request): Promise<Response> {
    const read = await readCommands(request);
    if (read instanceof Response) return read;
    const resolved = checkPipeline(read.commands, read.readOnly);
    if (!Array.isArray(resolved)) {
      return answer(
        errorBody(resolved.message, resolved.detail),
        resolved.status,
      );
    }
    return answer(
      await runPipeline(
        context,
        read.commands,
        resolved,
        isBase64(request),
        metrics,
      ),
      200,
    );
  }

  async function multiExec(request: Request): Promise<Response> {
    const read = await readCommands(request);
    if (read instanceof Response) return read;
    const { commands } = read;
    const specs = checkTransaction(commands, read.readOnly);
    if (!Array.isArray(specs)) {
      return answer(errorBody(specs.message, specs.detail), specs.status);
    }
    return answer(
      runTransaction(context, commands, specs, isBase64(request), metrics),
      200,
    );
  }

  return { command, pipeline, multiExec };
}
