/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of the API
 * (docs/openapi.yaml, shipped as routes/openapi_document.ts so that no file is
 * read at run time), made true of this server: its key, value and pipeline
 * limits filled in, and the Redis endpoints either with the command list of
 * the command table (routes/redis/commands.ts) or, where they are not
 * served, with their one answer, 501. This is the one place the served
 * document is assembled.
 *
 * @module
 */

import { OPENAPI_DOCUMENT } from "./openapi_document.ts";
import { REDIS_PATHS } from "./redis/endpoints.ts";
import {
  commandTableMarkdown,
  type DocumentedCommand,
  documentedCommands,
} from "./redis/openapi.ts";
import { jsonResponse } from "./responses.ts";

/** Options for {@linkcode openApi}: what the document states of the server. */
export interface OpenApiOptions {
  /** Longest key accepted, in code points (`MAX_KEY_SIZE`). */
  maxKeySize: number;
  /** Longest value accepted, in code points (`MAX_VALUE_SIZE`). */
  maxValueSize: number;
  /** Most commands in one pipeline or transaction (`MAX_PIPELINE_COMMANDS`). */
  maxPipelineCommands?: number;
  /** Whether the Redis endpoints are served; off: they answer 501. */
  redisApi?: boolean;
}

/** The OpenAPI document, with the command list where the Redis API is served. */
export type OpenApiDocument = typeof OPENAPI_DOCUMENT & {
  /** The commands of the Redis endpoints, from the command table. */
  "x-redis-commands"?: DocumentedCommand[];
};

/** The status a deployment without the Redis API answers its endpoints. */
const NOT_SERVED = "501";

/**
 * Returns the OpenAPI document of a server with `options`: the limits as the
 * `maxLength`/`maxItems` of their schemas (the file states the defaults);
 * where the Redis API is served, its commands as `x-redis-commands` and as a
 * table under `POST /`, and no 501; where it is not, the Redis operations
 * with their 501 (and 500) only.
 */
export function openApiDocument(options: OpenApiOptions): OpenApiDocument {
  const document: OpenApiDocument = structuredClone(OPENAPI_DOCUMENT);
  const schemas = document.components.schemas;
  schemas.Key.maxLength = options.maxKeySize;
  schemas.Value.maxLength = options.maxValueSize;
  if (options.maxPipelineCommands !== undefined) {
    schemas.RedisCommands.maxItems = options.maxPipelineCommands;
  }
  // The operations' shapes differ; each is edited through this view.
  const operations = REDIS_PATHS.map((path) =>
    document.paths[path].post as {
      description: string;
      responses: Record<string, unknown>;
    }
  );
  if (options.redisApi) {
    for (const operation of operations) {
      delete operation.responses[NOT_SERVED];
    }
    operations[0].description += `\n${commandTableMarkdown()}\n`;
    document["x-redis-commands"] = documentedCommands();
  } else {
    for (const operation of operations) {
      const { [NOT_SERVED]: notServed, "500": internal } = operation.responses;
      operation.responses = { [NOT_SERVED]: notServed, "500": internal };
      operation.description =
        "Not served by this deployment: every request answers 501 and nothing runs.";
    }
  }
  return document;
}

/**
 * Creates the handler of `GET /openapi.json`, which answers the document
 * serialised once, here.
 */
export function openApi(options: OpenApiOptions): () => Response {
  const body = JSON.stringify(openApiDocument(options));
  return function openApiDocumentResponse() {
    return jsonResponse(body);
  };
}
