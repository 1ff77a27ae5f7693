/**
 * The front Worker of the Durable Object variant: it sends each request to
 * the {@linkcode CacheShard} that owns its key, one of `SHARDS` objects
 * (1 by default: a single cache for the whole deployment). `PUT` bodies are
 * read (within `MAX_BODY_BYTES`) to find the key; `/stats` adds up every
 * shard's counters and lists each shard's; the Redis REST endpoints
 * (`POST /`, `/pipeline`, `/multi-exec`) split their commands by key
 * (`shard_redis.ts`); everything else, and any request whose key cannot be
 * found, goes to shard 0, which answers it as the plain API does (400, 404,
 * 405, `/health`). A key's shard is the same for both APIs.
 *
 * @module
 */

import { Hono } from "hono";
import { type Config, ConfigError, type Env } from "../lib/config.ts";
import { bindingsEnv, bindingText } from "../lib/edge_env.ts";
import { shardOf } from "../lib/shard_of.ts";
import { bearerToken } from "./auth.ts";
import { REDIS_PATHS } from "./redis/endpoints.ts";
import { shardedRedisEndpoints } from "./shard_redis.ts";
import { BodyReader } from "../server/body_reader.ts";
import { type EdgeWorker, parseEdgeConfig } from "./edge_handler.ts";
import { errorResponse, jsonResponse } from "./responses.ts";

/** The binding of the {@linkcode CacheShard} Durable Object namespace. */
export const SHARD_BINDING = "CACHE_SHARD";

/** Most shards `SHARDS` may ask for. */
export const MAX_SHARDS = 1024;

/** The part of a Durable Object namespace binding used here. */
export interface DurableObjectNamespaceLike {
  /** The id of the object named `name`, the same everywhere. */
  idFromName(name: string): unknown;
  /** A stub that forwards requests to the object `id`. */
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The bindings the front Worker's app reads on every request. */
export interface ShardBindings {
  /** The Durable Object namespace of the shards. */
  [SHARD_BINDING]: DurableObjectNamespaceLike;
}

/** Options for {@linkcode createShardRouter}. */
export interface ShardRouterOptions {
  /** Number of shards: objects `shard-0` to `shard-<shards - 1>`. */
  shards: number;
  /** Largest `PUT` or `POST /` body read to find its key, in bytes. */
  maxBodyBytes: number;
  /** Largest `/pipeline` or `/multi-exec` body (`MAX_PIPELINE_BODY_BYTES`). */
  maxPipelineBodyBytes?: number;
  /** Most commands in a pipeline or transaction (`MAX_PIPELINE_COMMANDS`). */
  maxPipelineCommands?: number;
  /** `MAX_KEY_SIZE` (code points), for the Redis API's MSET. */
  maxKeySize?: number;
  /** `MAX_VALUE_SIZE` (code points), for the Redis API's MSET. */
  maxValueSize?: number;
  /** When set, every route but `/health` needs `Authorization: Bearer`. */
  authToken?: string;
  /** With `authToken`: the read-only token (`AUTH_READONLY_TOKEN`). */
  authReadonlyToken?: string;
}

/**
 * The router's options that come straight from the configuration (limits
 * and tokens), for `shards` shards.
 */
export function shardRouterOptionsFrom(
  config: Config,
  shards: number,
): ShardRouterOptions {
  return {
    shards,
    maxBodyBytes: config.maxBodyBytes,
    maxPipelineBodyBytes: config.maxPipelineBodyBytes,
    maxPipelineCommands: config.maxPipelineCommands,
    maxKeySize: config.maxKeySize,
    maxValueSize: config.maxValueSize,
    authToken: config.authToken || undefined,
    authReadonlyToken: config.authReadonlyToken || undefined,
  };
}

/** Reads `SHARDS`: a whole number from 1 to {@linkcode MAX_SHARDS}. */
export function readShards(env: Env): number {
  const raw = env.SHARDS;
  if (raw === undefined || raw.trim() === "") return 1;
  const shards = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(shards >= 1 && shards <= MAX_SHARDS)) {
    throw new ConfigError(
      "SHARDS",
      `Invalid SHARDS ${
        JSON.stringify(raw)
      }: expected a whole number from 1 to ${MAX_SHARDS}.`,
    );
  }
  return shards;
}

const decoder = new TextDecoder();

/** The `key` of a `PUT` body, or undefined when it has none. */
function putKey(bytes: Uint8Array): string | undefined {
  try {
    const key = JSON.parse(decoder.decode(bytes))?.key;
    return typeof key === "string" ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Counters that add up over shards; `uptimeSeconds` is the oldest. */
function addStats(all: Record<string, unknown>[]): Record<string, unknown> {
  const total: Record<string, number> = {};
  for (const stats of all) {
    for (const [name, value] of Object.entries(stats)) {
      if (typeof value !== "number") continue;
      total[name] = name === "uptimeSeconds"
        ? Math.max(total[name] ?? 0, value)
        : (total[name] ?? 0) + value;
    }
  }
  return total;
}

/**
 * Creates the front Worker's app over the shards; call it with the request's
 * bindings (`app.fetch(request, bindings)`). Workers ties a stub to the
 * request that made it, so stubs are made per request, from those bindings.
 */
export function createShardRouter(
  options: ShardRouterOptions,
): Hono<{ Bindings: ShardBindings }> {
  const { shards } = options;
  const names = Array.from({ length: shards }, (_, i) => `shard-${i}`);
  type Context = { env: ShardBindings };
  const stub = (c: Context, index: number) => {
    const namespace = c.env[SHARD_BINDING];
    return namespace.get(namespace.idFromName(names[index]));
  };
  const bodyReader = new BodyReader({
    maxBytes: options.maxBodyBytes,
    timeoutMs: 0, // a timeout needs a timer
  });
  const forKey = (c: Context, key: string | undefined) =>
    stub(c, key === undefined || shards === 1 ? 0 : shardOf(key, shards));

  const tokens = options.authToken
    ? { token: options.authToken, readonlyToken: options.authReadonlyToken }
    : undefined;
  const redis = shardedRedisEndpoints({
    shards,
    tokens,
    maxBodyBytes: options.maxBodyBytes,
    maxPipelineBodyBytes: options.maxPipelineBodyBytes ??
      Math.max(options.maxBodyBytes, 1_048_576),
    maxPipelineCommands: options.maxPipelineCommands ?? 1000,
    maxKeySize: options.maxKeySize ?? Infinity,
    maxValueSize: options.maxValueSize ?? Infinity,
  });
  const send = (c: Context) => (shard: number, request: Request) =>
    stub(c, shard).fetch(request);

  const app = new Hono<{ Bindings: ShardBindings }>();
  if (tokens) {
    app.use(bearerToken({
      ...tokens,
      // The Redis endpoints check the token themselves, in their own shape.
      exempt: ["/health", ...REDIS_PATHS],
      writeRoutes: ["POST /put", "DELETE /delete"],
    }));
  }
  app.post("/", (c) => redis.command(c.req.raw, send(c)));
  app.post("/pipeline", (c) => redis.pipeline(c.req.raw, send(c)));
  app.post("/multi-exec", (c) => redis.multiExec(c.req.raw, send(c)));

  app.post("/put", async function putToShard(c) {
    if (shards === 1) return await stub(c, 0).fetch(c.req.raw);
    const bytes = await bodyReader.read(c.req.raw);
    if (bytes === "too-large") {
      return errorResponse(
        413,
        `Request body is larger than ${options.maxBodyBytes} bytes.`,
      );
    }
    if (!(bytes instanceof Uint8Array)) {
      return errorResponse(400, "Request body could not be read.");
    }
    const { url, method, headers } = c.req.raw;
    return await forKey(c, putKey(bytes)).fetch(
      new Request(url, {
        method,
        headers,
        body: bytes as Uint8Array<ArrayBuffer>,
      }),
    );
  });

  app.all("/get", (c) => forKey(c, c.req.query("key")).fetch(c.req.raw));
  app.all("/delete", (c) => forKey(c, c.req.query("key")).fetch(c.req.raw));

  app.get("/stats", async function statsOfAllShards(c) {
    const all = await Promise.all(names.map(async (_, index) => {
      const response = await stub(c, index).fetch(
        new Request(c.req.url, { headers: c.req.raw.headers }),
      );
      return await response.json() as Record<string, unknown>;
    }));
    const body = { status: "OK", ...addStats(all), shards: all };
    return jsonResponse(JSON.stringify(body));
  });

  app.all("*", (c) => stub(c, 0).fetch(c.req.raw));
  return app;
}

/**
 * Creates the front Worker's default export. It is built on the first
 * request from that request's bindings ({@linkcode SHARD_BINDING}, `SHARDS`
 * and the cache's variables) and reused for the life of the isolate; a bad
 * or missing binding answers 500 naming it (and is retried next time).
 */
export function createShardedWorker(): EdgeWorker {
  let app: Hono<{ Bindings: ShardBindings }> | undefined;
  return {
    fetch(request, bindings) {
      const namespace = (bindings as Record<string, unknown> | undefined)
        ?.[SHARD_BINDING] as DurableObjectNamespaceLike | undefined;
      if (typeof namespace?.idFromName !== "function") {
        const message =
          `Missing Durable Object binding ${SHARD_BINDING}: bind the class CacheShard to it (see deploy/cloudflare/wrangler-durable.toml).`;
        console.error(`kv-cache: ${message}`);
        return errorResponse(500, message);
      }
      if (app === undefined) {
        try {
          const config = parseEdgeConfig(bindingsEnv(bindings));
          app = createShardRouter(shardRouterOptionsFrom(
            config,
            readShards({ SHARDS: bindingText(bindings, "SHARDS") }),
          ));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          console.error(`kv-cache: ${error.message}`);
          return errorResponse(500, error.message);
        }
      }
      return app.fetch(request, bindings as ShardBindings);
    },
  };
}
