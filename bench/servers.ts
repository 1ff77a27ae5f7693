/**
 * How the benchmarks start servers: through the one launcher of the tests
 * (`tests/support/server_process.ts`), ready when `/health` answers (they run
 * with `LOG_LEVEL=warn`, which silences the listening line), SIGKILL 3 s
 * after SIGTERM, stderr shown, and the pid measured being the one holding the
 * listening socket, so that a wrapper would not fool the CPU figures.
 *
 * @module
 */

import {
  ROOT,
  type ServerOptions,
  type ServerProcess,
  startArgs,
  startServer,
} from "../tests/support/server_process.ts";
import { findListeningPid } from "./procfs.ts";
import { attachServer } from "./target.ts";

/** One server a benchmark starts: the launcher's options with a name for the results. */
export type ServerSpec = ServerOptions & {
  name: string;
  /** A running server to load instead of starting one (`--target`). */
  url?: string;
};

/**
 * What the benchmarks use of a server: a started one, or one they only load
 * (e.g. a running cluster), whose `stop` may do nothing.
 */
export type RunningServer = Pick<
  ServerProcess,
  "name" | "url" | "port" | "pid" | "status" | "stop"
>;

/**
 * Starts `spec` with the benchmarks' settings (see the module doc); `spec`
 * wins. With `spec.url`, attaches to that running server instead.
 */
export function startBenchServer(spec: ServerSpec): Promise<RunningServer> {
  if (spec.url) return attachServer(spec.name, spec.url);
  return startServer({
    cwd: ROOT,
    ready: "health",
    killAfterMs: 3000,
    stderr: "inherit",
    servingPid: findListeningPid,
    ...spec,
  });
}

/**
 * Starts the kv-cache server (or another `entry`, relative to the repository
 * root) as `deno task start` runs it, pinned to core 0, with `LOG_LEVEL=warn`
 * and `env`, and `denoFlags` (e.g. `--cpu-prof`) before the entry point.
 */
export function startPinnedServer(
  env: Record<string, string>,
  denoFlags: string[] = [],
  entry = "main.ts",
): Promise<RunningServer> {
  return startBenchServer({
    name: "server",
    args: startArgs(denoFlags, entry),
    core: 0,
    env: { LOG_LEVEL: "warn", ...env },
  });
}
