/**
 * The OpenAPI 3.1 description of the three Redis endpoints, added to
 * `/openapi.json` where the Redis API is served. The list of commands, their
 * syntax, whether the read-only token may run them and whether a
 * transaction may hold them all come from the command table.
 *
 * @module
 */

import { COMMANDS } from "./commands.ts";

const ARGUMENT = {
  oneOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }],
  description:
    "Numbers and booleans count as their decimal / true / false text.",
};

const COMMAND = {
  type: "array",
  minItems: 1,
  items: ARGUMENT,
  description: 'A command and its arguments, e.g. ["set","k","v","ex",60].',
  examples: [["set", "k", "v", "ex", 60], ["get", "k"]],
};

const REPLY = {
  description:
    "A string, an integer, null (nil) or an array of replies. With `Upstash-Encoding: base64`, every string is the base64 of its UTF-8 bytes.",
};

const RESULT = {
  type: "object",
  required: ["result"],
  properties: { result: REPLY },
};

const ERROR = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "string",
      description: "Redis's error text, e.g. `ERR syntax error`.",
    },
  },
};

const ENCODING = {
  name: "Upstash-Encoding",
  in: "header",
  required: false,
  schema: { type: "string", enum: ["base64"] },
  description: "`base64`: strings in results are base64 of their UTF-8 bytes.",
};

const SYNC_TOKEN = {
  "upstash-sync-token": {
    description: "A fresh token per answer (read-your-writes holds anyway).",
    schema: { type: "string", minLength: 1 },
    required: true,
  },
};

function json(schema: unknown, description: string) {
  return {
    description,
    headers: SYNC_TOKEN,
    content: { "application/json": { schema } },
  };
}

const COMMON_ERRORS = {
  "401": json(ERROR, "No valid bearer token (when the server has one)."),
  "403": json(
    ERROR,
    "`NOPERM ...`: a write command with the read-only token; nothing ran.",
  ),
  "408": json(ERROR, "The body did not arrive within `BODY_TIMEOUT_MS`."),
  "413": json(ERROR, "The body is larger than the endpoint's limit."),
  "501": json(ERROR, "The Redis API is not served by this deployment."),
};

/** The command table as a Markdown table, for the descriptions. */
function commandTable(): string {
  const rows = [...COMMANDS.values()].map((spec) =>
    `| ${spec.name.toUpperCase()} ${spec.syntax} | ${
      spec.access === "readonly" ? "yes" : "no"
    } | ${spec.summary.replaceAll("|", "\\|")} |`
  );
  return [
    "| command | read-only token | what it does |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** The tag of the Redis endpoints. */
export const REDIS_TAG = {
  name: "redis",
  description:
    "The Redis REST API (Upstash protocol): `@upstash/redis` works against it.",
};

/** The path items of `POST /`, `/pipeline` and `/multi-exec`. */
export function redisOpenApiPaths(): Record<string, unknown> {
  const commands = commandTable();
  return {
    "/": {
      post: {
        operationId: "redisCommand",
        tags: ["redis"],
        summary: "Run one Redis command (Upstash REST protocol).",
        description:
          `Command names and option words are case-insensitive. Any other command answers Redis's unknown-command error.\n\n${commands}`,
        parameters: [ENCODING],
        requestBody: {
          required: true,
          content: { "application/json": { schema: COMMAND } },
        },
        responses: {
          "200": json(RESULT, "The command's reply."),
          "400": json(
            ERROR,
            "The command's error (worded as Redis words it), or a body that is not a command.",
          ),
          ...COMMON_ERRORS,
        },
      },
    },
    "/pipeline": {
      post: {
        operationId: "redisPipeline",
        tags: ["redis"],
        summary: "Run several commands in order (not atomic).",
        description:
          "Each command is answered in place, errors included; the bounds are `MAX_PIPELINE_COMMANDS` and `MAX_PIPELINE_BODY_BYTES`. With the read-only token, a pipeline holding any write command is refused whole.",
        parameters: [ENCODING],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { type: "array", minItems: 1, items: COMMAND },
            },
          },
        },
        responses: {
          "200": json(
            { type: "array", items: { oneOf: [RESULT, ERROR] } },
            "One result or error per command, in order.",
          ),
          "400": json(
            ERROR,
            "A body that is not an array of commands, or too many.",
          ),
          ...COMMON_ERRORS,
        },
      },
    },
    "/multi-exec": {
      post: {
        operationId: "redisTransaction",
        tags: ["redis"],
        summary: "Run several commands as one transaction (MULTI/EXEC).",
        description:
          "No other request observes part of it. An unknown command, a wrong number of arguments or KEYS refuses it whole (`EXECABORT ...`, 400) before anything runs; an error while running answers that command and the others still apply.",
        parameters: [ENCODING],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { type: "array", minItems: 1, items: COMMAND },
            },
          },
        },
        responses: {
          "200": json(
            { type: "array", items: { oneOf: [RESULT, ERROR] } },
            "One result or error per command, in order.",
          ),
          "400": json(
            ERROR,
            "`EXECABORT ...`, or a body that is not an array of commands.",
          ),
          ...COMMON_ERRORS,
        },
      },
    },
  };
}
