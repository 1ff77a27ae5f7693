/**
 * Test support for the edge bundles: builds the edge entries into a temporary
 * directory exactly as `deno task bundle` builds them into `dist/`.
 *
 * @module
 */

/** The edge entries and the file each is bundled to. */
export const EDGE_ENTRIES = {
  /** `edge.ts`: the per-isolate cache. */
  edge: { entry: "edge.ts", output: "edge.js" },
  /** `edge_durable.ts`: the front Worker and its Durable Object shards. */
  durable: { entry: "edge_durable.ts", output: "edge_durable.js" },
} as const;

/** Which bundle: a key of {@linkcode EDGE_ENTRIES}. */
export type EdgeBundleName = keyof typeof EDGE_ENTRIES;

/** Arguments of `deno task bundle`, less `--output` and the entry. */
export const BUNDLE_ARGS = [
  "bundle",
  "--platform",
  "browser",
  "--format",
  "esm",
];

const ROOT = new URL("../../", import.meta.url);

/**
 * Bundles the entry `name` into `dir` and returns the bundle's path.
 *
 * @throws {Error} with deno bundle's output when bundling fails.
 */
export async function buildEdgeBundle(
  dir: string,
  name: EdgeBundleName = "edge",
): Promise<string> {
  const { entry, output } = EDGE_ENTRIES[name];
  const path = `${dir}/${output}`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      ...BUNDLE_ARGS,
      "--output",
      path,
      new URL(entry, ROOT).pathname,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `Bundling ${entry} failed with exit code ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return path;
}

/**
 * Builds each bundle once per test file, into a temporary directory removed
 * when the file's tests end.
 */
export class EdgeBundles {
  readonly #dir = Deno.makeTempDirSync({ prefix: "kv-cache-edge-" });
  readonly #built = new Map<EdgeBundleName, Promise<string>>();

  constructor() {
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(this.#dir, { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    });
  }

  /** The path of bundle `name`, built on first use. */
  path(name: EdgeBundleName = "edge"): Promise<string> {
    let built = this.#built.get(name);
    if (built === undefined) {
      built = buildEdgeBundle(this.#dir, name);
      this.#built.set(name, built);
    }
    return built;
  }
}
