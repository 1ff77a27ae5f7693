/**
 * The runtimes the edge bundles are tested on, and how each serves a bundle
 * over HTTP on a free port of 127.0.0.1 with a given configuration: Deno
 * (`deno serve`), Node (its own HTTP server), Bun (`bun bundle.js`), Vercel's
 * edge runtime (npm `edge-runtime`) and Cloudflare's workerd (npm
 * `miniflare`). Bun, edge-runtime and miniflare come from the npm packages
 * that `.ci/run` installs into `.ci/edge-runtimes/` (or the directory named by
 * `KV_EDGE_RUNTIMES`); a runtime that is not there says why in `missing`.
 *
 * @module
 */

import { CONFIG_VARIABLES } from "../../lib/config.ts";

/** Where the npm-installed runtimes are. */
export const RUNTIMES_DIR = Deno.env.get("KV_EDGE_RUNTIMES") ??
  new URL("../../.ci/edge-runtimes", import.meta.url).pathname;

/** The command that installs them. */
export const INSTALL_HINT = "npm ci --prefix .ci/edge-runtimes";

/** Configuration variables by name. */
export type EdgeConfig = Record<string, string>;

/** Options only workerd has. */
export interface WorkerdOptions {
  /** Workers running the same bundle, each with its own URL (default 1). */
  workers?: number;
  /** The bundle's Durable Object class to bind as `CACHE_SHARD`. */
  durableClass?: string;
}

/** A runtime that can serve an edge bundle. */
export interface EdgeRuntime {
  /** Short name: `deno`, `node`, `bun`, `edge-runtime`, `workerd`. */
  id: string;
  /** Name and version, for test names. */
  label: string;
  /** Why the runtime cannot run here; undefined when it can. */
  missing?: string;
  /** How configuration reaches the bundle there. */
  configuredBy: "Worker bindings" | "process.env";
  /**
   * The command that serves `bundle` with `config`; `workers` and
   * `durableClass` are for workerd only (see edge_workerd_server.mjs).
   */
  command(
    bundle: string,
    config: EdgeConfig,
    workerd?: WorkerdOptions,
  ): Deno.CommandOptions & { cmd: string };
}

const support = (file: string) => new URL(file, import.meta.url).pathname;

/** The environment that sets exactly `config`: other variables blank. */
function processEnvFor(config: EdgeConfig): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of CONFIG_VARIABLES) env[name] = config[name] ?? "";
  return { ...env, ...config };
}

async function versionOf(cmd: string): Promise<string | undefined> {
  try {
    const output = await new Deno.Command(cmd, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return output.success
      ? new TextDecoder().decode(output.stdout).trim()
      : undefined;
  } catch {
    return undefined;
  }
}

async function npmVersion(name: string): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile(
      `${RUNTIMES_DIR}/node_modules/${name}/package.json`,
    );
    return JSON.parse(text).version;
  } catch {
    return undefined;
  }
}

const notInstalled = (what: string) =>
  `${what} is not installed in ${RUNTIMES_DIR} (run: ${INSTALL_HINT})`;

/** Finds the runtimes and their versions. */
export async function findEdgeRuntimes(): Promise<EdgeRuntime[]> {
  const node = await versionOf("node");
  const bunPath = `${RUNTIMES_DIR}/node_modules/.bin/bun`;
  const bun = await versionOf(bunPath);
  const edgeRuntime = await npmVersion("edge-runtime");
  const miniflare = await npmVersion("miniflare");
  const workerd = await npmVersion("workerd");
  const noNode = "no `node` on PATH";
  return [
    {
      id: "deno",
      label: `Deno ${Deno.version.deno} (deno serve)`,
      configuredBy: "process.env",
      command: (bundle, config) => ({
        cmd: Deno.execPath(),
        args: [
          "serve",
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          `--allow-env=${CONFIG_VARIABLES.join(",")}`,
          bundle,
        ],
        env: processEnvFor(config),
      }),
    },
    {
      id: "node",
      label: `Node ${node ?? "(absent)"}`,
      missing: node ? undefined : noNode,
      configuredBy: "process.env",
      command: (bundle, config) => ({
        cmd: "node",
        args: [support("./edge_node_server.mjs"), bundle],
        env: processEnvFor(config),
      }),
    },
    {
      id: "bun",
      label: `Bun ${bun ?? "(absent)"} (bun bundle.js)`,
      missing: bun ? undefined : notInstalled("npm bun"),
      configuredBy: "process.env",
      command: (bundle, config) => ({
        cmd: bunPath,
        args: [bundle],
        // Bun serves a default export with `fetch` itself, on BUN_PORT.
        env: { ...processEnvFor(config), BUN_PORT: "0" },
      }),
    },
    {
      id: "edge-runtime",
      label: `Vercel edge-runtime ${edgeRuntime ?? "(absent)"}`,
      missing: !node
        ? noNode
        : edgeRuntime
        ? undefined
        : notInstalled("npm edge-runtime"),
      configuredBy: "process.env",
      command: (bundle, config) => ({
        cmd: "node",
        args: [
          support("./edge_vercel_server.mjs"),
          RUNTIMES_DIR,
          bundle,
          JSON.stringify(config),
        ],
      }),
    },
    {
      id: "workerd",
      label: `workerd ${workerd ?? "(absent)"} (miniflare ${
        miniflare ?? "(absent)"
      })`,
      missing: !node
        ? noNode
        : miniflare
        ? undefined
        : notInstalled("npm miniflare"),
      configuredBy: "Worker bindings",
      command: (bundle, config, workerd = {}) => ({
        cmd: "node",
        args: [
          support("./edge_workerd_server.mjs"),
          RUNTIMES_DIR,
          bundle,
          JSON.stringify(config),
          workerd.durableClass ?? "",
          String(workerd.workers ?? 1),
        ],
      }),
    },
  ];
}

/** A bundle served by a runtime. */
export interface EdgeServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`, without a trailing slash. */
  url: string;
  /** Every URL printed, for several workerd Workers; `url` is the first. */
  urls: string[];
  /** Stops the server and waits for its process to end. */
  stop(): Promise<void>;
}

const URL_PATTERN = /https?:\/\/[^\s/]+/g;

/**
 * Starts `runtime` serving `bundle` with `config` and waits until it prints
 * its URLs (on stdout or stderr; as many as `workerd.workers`).
 *
 * @throws {Error} with the process's output when it exits first or takes
 * longer than 30 s.
 */
export async function startEdgeServer(
  runtime: EdgeRuntime,
  bundle: string,
  config: EdgeConfig = {},
  workerd: WorkerdOptions = {},
): Promise<EdgeServer> {
  const { cmd, ...options } = runtime.command(bundle, config, workerd);
  const expected = workerd.workers ?? 1;
  const child = new Deno.Command(cmd, {
    ...options,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let found: (urls: string[]) => void;
  const urls = new Promise<string[]>((resolve) => found = resolve);
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      const matches = output.match(URL_PATTERN) ?? [];
      if (matches.length >= expected) {
        found(matches.map((url) => url.replace("localhost", "127.0.0.1")));
      }
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failure = Promise.race([
    child.status.then((status) => `exited with code ${status.code}`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve("printed no URL within 30 s"), 30_000);
    }),
  ]);
  const first = await Promise.race([
    urls.then((all) => ({ all })),
    failure.then((reason) => ({ reason })),
  ]);
  clearTimeout(timer);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    await child.status;
    await drained;
  };
  if ("reason" in first) {
    await stop();
    throw new Error(`${runtime.label} ${first.reason}:\n${output}`);
  }
  return { url: first.all[0], urls: first.all, stop };
}
