/**
 * Test support for the edge bundle: builds `edge.ts` into a temporary
 * directory exactly as `deno task bundle` builds `dist/edge.js`, and sends
 * requests through a bundled fetch handler.
 *
 * @module
 */

/** Absolute path of the edge entry point. */
export const EDGE_TS = new URL("../../edge.ts", import.meta.url).pathname;

/** Absolute path of the Node probe that runs requests through a bundle. */
export const NODE_PROBE =
  new URL("./edge_node_probe.mjs", import.meta.url).pathname;

/** Arguments of `deno task bundle`, less `--output`. */
export const BUNDLE_ARGS = [
  "bundle",
  "--platform",
  "browser",
  "--format",
  "esm",
];

/** A request to send through a handler; `body` is sent as is. */
export interface ProbeRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path and query, e.g. `/get?key=k`. */
  path: string;
  /** Request body, if any. */
  body?: string;
}

/** What a handler answered to a {@linkcode ProbeRequest}. */
export interface ProbeResponse {
  /** HTTP status. */
  status: number;
  /** `Content-Type` header, or null. */
  contentType: string | null;
  /** Response body as text. */
  body: string;
}

/** The shape of a module built from edge.ts. */
export interface EdgeModule {
  /** `export default { fetch }`. */
  default: { fetch(request: Request, env?: unknown): Promise<Response> };
  /** Creates a handler with its own cache. */
  createEdgeHandler(
    env?: Record<string, string>,
  ): (request: Request) => Promise<Response>;
  /** Default byte budget on edge. */
  EDGE_MAX_CACHE_BYTES: number;
}

/**
 * Bundles edge.ts into `dir/edge.js` and returns that path.
 *
 * @throws {Error} with deno bundle's output when bundling fails.
 */
export async function buildEdgeBundle(dir: string): Promise<string> {
  const output = `${dir}/edge.js`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [...BUNDLE_ARGS, "--output", output, EDGE_TS],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `Bundling edge.ts failed with exit code ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return output;
}

/**
 * Sends `requests` one after another through `fetch`, against
 * `http://edge.test`, and collects the answers.
 */
export async function probe(
  fetch: (request: Request) => Promise<Response>,
  requests: ProbeRequest[],
): Promise<ProbeResponse[]> {
  const answers: ProbeResponse[] = [];
  for (const { method, path, body } of requests) {
    const response = await fetch(
      new Request(`http://edge.test${path}`, { method, body }),
    );
    answers.push({
      status: response.status,
      contentType: response.headers.get("content-type"),
      body: await response.text(),
    });
  }
  return answers;
}
