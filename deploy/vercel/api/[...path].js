// Vercel Edge Function: the kv-cache API, with a cache per edge isolate.
// Not deployed from here; tried locally on npm `edge-runtime` (the runtime
// of Vercel's Edge Functions) by tests/edge_deploy_test.ts.
// Build dist/edge.js first (`deno task bundle` at the repository root);
// `vercel build` bundles it into this function. Configuration: the project's
// environment variables (process.env), the server's names (docs/edge.md).
import kvCache from "../../../dist/edge.js";

/** Runs this function on Vercel's edge runtime. */
export const config = { runtime: "edge" };

/**
 * Answers every path: `/api/put` here, or `/put` through the rewrite in
 * vercel.json (whichever URL Vercel passes on, `/api` is taken off).
 */
export default function handler(request) {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/api/")) {
    url.pathname = url.pathname.slice("/api".length);
    return kvCache.fetch(new Request(url, request));
  }
  return kvCache.fetch(request);
}
