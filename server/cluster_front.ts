/**
 * The Redis REST API of the HAProxy cluster (`POST /`, `/pipeline`,
 * `/multi-exec`) for requests over several keys: HAProxy sends them here, to
 * the "front" that `deno task cluster` serves (requests on one key go
 * straight to its node, see `deploy/haproxy/kv_key.lua`). The front splits
 * them with the Durable Object front's logic (`routes/shard_redis.ts`,
 * `routes/shard_plan.ts`) and sends the parts to the nodes.
 *
 * - Keys are grouped by node with HAProxy's ring computed here
 *   (`haproxy_ring.ts`), trusted only once it has placed 64 sample keys
 *   where HAProxy does; each node's part goes straight to the node when the
 *   front knows its URL (`nodeUrls`, as `deno task cluster` gives it), else
 *   through HAProxy by name (`X-KV-Node`, a backend that never
 *   redispatches). Either way a node that is down gives its commands an
 *   error, never another node's answer.
 * - Until the ring is checked (or with `groupByRing: false`), each distinct
 *   key is a part of its own, sent with `X-KV-Route-Key: base64(UTF-8 key)`,
 *   which HAProxy decodes and hashes exactly as the JSON API's `key`; a
 *   transaction or MSETNX whose keys differ runs where HAProxy says all of
 *   them live (`GET /health` routed by each key, answered with
 *   `X-KV-Node`), sent whole to that node by name, or is refused.
 * - Commands over the whole key space (SCAN, KEYS, DBSIZE, FLUSHDB,
 *   RANDOMKEY) go to each node by name.
 *
 * Every sub-request carries `X-KV-Front: <secret>`; HAProxy honours the
 * routing headers only with it.
 *
 * @module
 */

import type { Config } from "../lib/config.ts";
import { bytesToBase64 as toBase64 } from "../lib/base64.ts";
import { HaproxyRing } from "./haproxy_ring.ts";
import {
  shardedRedisEndpoints,
  type ShardRoute,
} from "../routes/shard_redis.ts";

/** Header that routes a sub-request by a key: base64 of its UTF-8 bytes. */
export const ROUTE_KEY_HEADER = "x-kv-route-key";
/** Header that routes a sub-request to a node by name (and, in answers, says which). */
export const NODE_HEADER = "x-kv-node";
/** Header whose value proves a request comes from the front. */
export const FRONT_HEADER = "x-kv-front";

/** Options for {@linkcode clusterFront}. */
export interface ClusterFrontOptions {
  /** Base URL of HAProxy, e.g. `http://127.0.0.1:7171`. */
  proxyUrl: string;
  /** The nodes' names in haproxy.cfg, in ring order. */
  nodes: string[];
  /**
   * The nodes' base URLs, in the same order: a part grouped for a node goes
   * straight to it rather than through HAProxy by name (one proxy pass
   * less each way). Without them, parts go through HAProxy.
   */
  nodeUrls?: string[];
  /** The value of {@linkcode FRONT_HEADER} that HAProxy expects. */
  secret: string;
  /**
   * Group keys by node with HAProxy's ring computed here, once checked
   * (default true); false: one part per key, always.
   */
  groupByRing?: boolean;
  /** The nodes' settings: tokens and limits, checked here as a node would. */
  config: Pick<
    Config,
    | "maxBodyBytes"
    | "maxPipelineBodyBytes"
    | "maxPipelineCommands"
    | "maxKeySize"
    | "maxValueSize"
    | "authToken"
    | "authReadonlyToken"
  >;
}

/** The refusal of what is atomic only within one node, across nodes. */
const crossShard = (what: string) =>
  `CROSSSLOT Keys in request don't hash to the same slot: ${what} not all on one cluster node; it is atomic only within one node, so it was refused and nothing was run`;

/**
 * On the front's own requests to HAProxy: no idle connection of the front
 * may stay open, or HAProxy's soft stop waits for it and is killed (the
 * launcher then exits 1). They are few once the ring is checked.
 */
const TO_PROXY = { connection: "close" } as const;

/** Request headers a sub-request carries on from the client's request. */
const PASSED_ON = ["authorization", "upstash-encoding", "content-type"];

const encoder = new TextEncoder();

/** Creates the front's request handler (a `Deno.serve` handler). */
export function clusterFront(
  options: ClusterFrontOptions,
): (request: Request) => Promise<Response> {
  const { nodes, config, secret } = options;
  const count = nodes.length;
  const nodeUrls = options.nodeUrls?.map((url) => url.replace(/\/$/, ""));
  if (nodeUrls !== undefined && nodeUrls.length !== count) {
    throw new RangeError(
      `The front has ${count} node names but ${nodeUrls.length} node URLs`,
    );
  }
  const proxy = options.proxyUrl.replace(/\/$/, "");
  const redis = shardedRedisEndpoints({
    shards: count,
    tokens: config.authToken
      ? {
        token: config.authToken,
        readonlyToken: config.authReadonlyToken || undefined,
      }
      : undefined,
    maxBodyBytes: config.maxBodyBytes,
    maxPipelineBodyBytes: config.maxPipelineBodyBytes,
    maxPipelineCommands: config.maxPipelineCommands,
    maxKeySize: config.maxKeySize,
    maxValueSize: config.maxValueSize,
    describeShard: (shard) =>
      shard < count
        ? `cluster node ${nodes[shard]}`
        : "the cluster node of one of the request's keys",
  });

  /** Where HAProxy sends `key` now: a node's index, or undefined. */
  async function whereIs(key: string): Promise<number | undefined> {
    try {
      const response = await fetch(`${proxy}/health`, {
        headers: {
          [FRONT_HEADER]: secret,
          ...TO_PROXY,
          [ROUTE_KEY_HEADER]: toBase64(encoder.encode(key)),
        },
      });
      await response.body?.cancel();
      const name = response.headers.get(NODE_HEADER);
      if (response.status !== 200 || name === null) return undefined;
      const index = nodes.indexOf(name);
      return index >= 0 ? index : undefined;
    } catch {
      return undefined;
    }
  }

  // HAProxy's ring computed here, trusted only once it has placed sample
  // keys exactly where HAProxy does (checked with every node up: the ring
  // does not change while they are; a check during an outage fails and is
  // tried again later). Until then, every key is a group of its own.
  const ring = new HaproxyRing(count);
  let ringChecked = false;
  let nextCheck = 0;
  let checking: Promise<void> | undefined;
  const checkRing = async () => {
    const samples = Array.from({ length: 64 }, (_, i) => `ring check ${i} é😀`);
    const at = await Promise.all(samples.map(whereIs));
    ringChecked = ring.exact &&
      at.every((node, i) => node === ring.nodeOf(samples[i]));
    nextCheck = performance.now() + 5_000;
  };
  const ringReady = async (): Promise<boolean> => {
    if (options.groupByRing === false) return false;
    if (ringChecked || count === 1) return ringChecked;
    if (checking === undefined && performance.now() >= nextCheck) {
      checking = checkRing().finally(() => checking = undefined);
    }
    await checking;
    return ringChecked;
  };

  return async function front(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/health" && request.method === "GET") {
      return Response.json({ status: "OK" });
    }
    const handler = request.method !== "POST"
      ? undefined
      : path === "/"
      ? redis.command
      : path === "/pipeline"
      ? redis.pipeline
      : path === "/multi-exec"
      ? redis.multiExec
      : undefined;
    if (handler === undefined) {
      return Response.json({ error: "ERR Not a Redis REST endpoint." }, {
        status: 404,
      });
    }
    const send = (shard: number, sub: Request): Promise<Response> => {
      const headers = new Headers({ [FRONT_HEADER]: secret });
      for (const name of PASSED_ON) {
        const value = sub.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      let base = proxy;
      if (shard < count && nodeUrls !== undefined) base = nodeUrls[shard];
      else if (shard < count) headers.set(NODE_HEADER, nodes[shard]);
      else {
        headers.set(
          ROUTE_KEY_HEADER,
          toBase64(encoder.encode(keys[shard - count])),
        );
      }
      if (base === proxy) headers.set("connection", TO_PROXY.connection);
      return sub.arrayBuffer().then((body) =>
        fetch(base + new URL(sub.url).pathname, {
          method: "POST",
          headers,
          body,
        })
      );
    };
    if (await ringReady()) {
      // Keys grouped by node: one part per node, sent to it by name.
      return await handler(request, send, {
        shardOf: (key) => ring.nodeOf(key),
        crossShard,
      });
    }
    // This request's keys, each a group of its own, numbered from `count`.
    const keys: string[] = [];
    const groups = new Map<string, number>();
    const route: ShardRoute = {
      shardOf(key) {
        let group = groups.get(key);
        if (group === undefined) {
          group = count + keys.length;
          keys.push(key);
          groups.set(key, group);
        }
        return group;
      },
      async colocate(shards) {
        const at = await Promise.all(
          shards.map((shard) =>
            shard < count ? shard : whereIs(keys[shard - count])
          ),
        );
        const first = at[0];
        return first !== undefined && at.every((node) => node === first)
          ? first
          : undefined;
      },
      crossShard,
    };
    return await handler(request, send, route);
  };
}
