/**
 * Edge entry: the kv-cache API as a web-standard fetch handler
 * (`export default { fetch }`), bundled to `dist/edge.js` by
 * `deno task bundle`. The default export is this module's only export,
 * because Cloudflare Workers takes every named export of the main module for
 * an entrypoint; helpers for embedding are in `routes/edge_handler.ts`.
 *
 * Configuration comes from the platform: Worker bindings on Cloudflare, the
 * process environment on Node, Bun, Deno and Vercel's edge runtime (see
 * `lib/edge_env.ts`). Each isolate has its own cache, which lives as long as
 * the isolate. See docs/edge.md.
 *
 * @module
 */

import { createEdgeWorker } from "./routes/edge_handler.ts";

/** The kv-cache API: `{ fetch(request, bindings?) }`. */
export default createEdgeWorker();
