/**
 * Edge entry for Cloudflare with Durable Objects: a front Worker (the default
 * export) that routes each request by key to one of `SHARDS` Durable Objects
 * of class {@linkcode CacheShard}, each holding its part of the cache, so that
 * every isolate and region sees the same cache. Bundled to
 * `dist/edge_durable.js` by `deno task bundle`; configured by
 * `deploy/cloudflare/wrangler-durable.toml`. Its only exports are the default
 * and the Durable Object class, as Workers requires of a main module.
 *
 * @module
 */

import { createShardedWorker } from "./routes/shard_router.ts";

export { CacheShard } from "./routes/cache_shard.ts";

/** The front Worker: `{ fetch(request, bindings) }`. */
export default createShardedWorker();
