/**
 * The Cloudflare Durable Object that holds one shard of the cache: the edge
 * handler with its own `Map` store, configured from the Worker's bindings.
 * One instance exists per shard name in the whole deployment, and it serves
 * its requests one at a time, so every request for a key sees the same
 * cache. It lives in memory while the object is active; Cloudflare evicts
 * idle objects, and the cache with them (nothing is written to storage).
 *
 * @module
 */

import { ConfigError } from "../lib/config.ts";
import { bindingsEnv } from "../lib/edge_env.ts";
import { errorResponse } from "./responses.ts";
import { createEdgeHandler, type FetchHandler } from "./edge_handler.ts";

/** A Durable Object class: one shard of the cache. */
export class CacheShard {
  readonly #handler: FetchHandler | ConfigError;

  /**
   * Called by the runtime with the object's state (unused: the cache is in
   * memory) and the Worker's bindings, which configure the cache.
   */
  constructor(_state: unknown, bindings: unknown) {
    try {
      this.#handler = createEdgeHandler(bindingsEnv(bindings));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#handler = error;
    }
  }

  /** Answers a request forwarded by the front Worker. */
  fetch(request: Request): Response | Promise<Response> {
    const handler = this.#handler;
    if (handler instanceof ConfigError) {
      return errorResponse(500, handler.message);
    }
    return handler(request);
  }
}
