/**
 * The nodes of `deno task cluster`: each one `main.ts` as `deno task start`
 * runs it (its flags, from the repository root), on 127.0.0.1, named in ring
 * order, with the environment the launcher gives every node.
 *
 * @module
 */

import { probeHealthy } from "./healthcheck.ts";
import { type Served, type Spawned, spawnServed } from "./served.ts";
import { ROOT, START_FLAGS } from "./start_flags.ts";

const MAIN_TS = new URL("../main.ts", import.meta.url).pathname;

/** Name of the node at `index` in ring order: `node1`, `node2`, … */
export function nodeName(index: number): string {
  return `node${index + 1}`;
}

/**
 * Spawns one node (`main.ts`) on 127.0.0.1:`port` as `deno task start` runs
 * it (its flags, from the repository root), with `LOG_LEVEL=warn`,
 * `WORKERS=1` and `env` added to this process's environment (`env` wins).
 * Its standard input is a pipe and it runs with `EXIT_ON_STDIN_EOF=1`, so
 * that it shuts down when this process ends, however it ends.
 */
export function spawnNode(
  port: number,
  env: Record<string, string> = {},
  name = `node on port ${port}`,
): Spawned {
  return spawnServed({
    what: name,
    command: Deno.execPath(),
    args: ["run", ...START_FLAGS, MAIN_TS],
    cwd: ROOT,
    env: {
      LOG_LEVEL: "warn",
      WORKERS: "1",
      ...env,
      HOST: "127.0.0.1",
      PORT: String(port),
      EXIT_ON_STDIN_EOF: "1",
    },
    stdinPipe: true,
    url: `http://127.0.0.1:${port}`,
    probe: probeHealthy,
  });
}

/** {@linkcode spawnNode}, resolving once `/health` answers. */
export async function startNode(
  port: number,
  env: Record<string, string> = {},
): Promise<Served> {
  const node = spawnNode(port, env);
  try {
    await node.ready;
  } catch (error) {
    await node.stop("SIGKILL");
    throw new Error(
      `Node on port ${port} could not start: ${(error as Error).message}`,
    );
  }
  return node;
}

/**
 * The snapshot file of node `name` for the cluster's `SNAPSHOT_FILE`: its own
 * file beside it, so that no node overwrites or loads another's keys
 * (`snapshots/kv.snapshot` → `snapshots/kv.node1.snapshot`).
 */
export function nodeSnapshotFile(file: string, name: string): string {
  const slash = file.lastIndexOf("/");
  const dot = file.lastIndexOf(".");
  return dot > slash + 1
    ? `${file.slice(0, dot)}.${name}${file.slice(dot)}`
    : `${file}.${name}`;
}

/**
 * The variables `deno task cluster` gives every node, from its merged
 * environment `env` (.env and the process's): `LOG_LEVEL` warn and `WORKERS`
 * 1 unless set, and `SNAPSHOT_FILE` (made per node by
 * {@linkcode startCluster}).
 */
export function nodeEnv(
  env: Record<string, string | undefined>,
): Record<string, string> {
  return {
    LOG_LEVEL: env.LOG_LEVEL ?? "warn",
    WORKERS: env.WORKERS ?? "1",
    ...(env.SNAPSHOT_FILE ? { SNAPSHOT_FILE: env.SNAPSHOT_FILE } : {}),
  };
}
