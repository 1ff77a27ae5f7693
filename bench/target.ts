/**
 * A server the harness loads but did not start (`--target`, `--baseline`):
 * e.g. `deno task cluster`'s HAProxy, or one of its nodes directly. Its CPU
 * figures are those of the process listening on the URL's port.
 *
 * @module
 */

import { findListeningPid } from "./procfs.ts";
import type { RunningServer } from "./servers.ts";

/**
 * Wraps the running server at `url` as a {@linkcode RunningServer} named
 * `name`; stopping it does nothing. Rejects if it does not answer `/health`
 * or no process on this machine listens on its port.
 */
export async function attachServer(
  name: string,
  url: string,
): Promise<RunningServer> {
  const health = await fetch(`${url}/health`).catch((error) => {
    throw new Error(`${url}/health does not answer: ${error.message}`);
  });
  await health.body?.cancel();
  if (!health.ok) throw new Error(`${url}/health answered ${health.status}`);
  const port = Number(new URL(url).port || 80);
  // Every process descends from "pid 0": init, and commands entered from
  // outside this pid namespace (docker exec), whose parent is 0 too.
  const pid = await findListeningPid(0, port);
  if (pid === undefined) {
    throw new Error(`no process on this machine listens on port ${port}`);
  }
  return {
    name,
    url,
    port,
    pid,
    stop: () => Promise.resolve({ success: true, code: 0, signal: null }),
    status: new Promise<Deno.CommandStatus>(() => {}),
  };
}
