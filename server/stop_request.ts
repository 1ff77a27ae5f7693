/**
 * What asks the process to shut down: SIGINT or SIGTERM, and, with
 * `EXIT_ON_STDIN_EOF=1`, the end of its standard input. A launcher that gives
 * each child a pipe as its standard input (`deno task cluster` does) then
 * stops its children whichever way it ends, `kill -9` included: the kernel
 * closes the pipe with it, the child reads end-of-file and shuts down
 * gracefully (drain, final snapshot), as on SIGTERM. Not a setting of the
 * service (it is not in `.env.example`): a contract between a launcher and
 * the processes it starts.
 *
 * @module
 */

import { ConfigError } from "../lib/config_parsers.ts";
import type { Env } from "../lib/config.ts";

/** The variable that turns the standard-input watch on. */
export const EXIT_ON_STDIN_EOF = "EXIT_ON_STDIN_EOF";

/**
 * Reads `EXIT_ON_STDIN_EOF`: `1` on, blank or `0` off.
 * @throws {ConfigError} naming it, for any other value.
 */
export function parseExitOnStdinEof(env: Env): boolean {
  const raw = (env[EXIT_ON_STDIN_EOF] ?? "").trim();
  if (raw === "" || raw === "0") return false;
  if (raw === "1") return true;
  throw new ConfigError(
    EXIT_ON_STDIN_EOF,
    `Invalid ${EXIT_ON_STDIN_EOF} "${
      env[EXIT_ON_STDIN_EOF]
    }": expected 1 (shut down when standard input closes) or 0.`,
  );
}

/**
 * Resolves with `"stdin closed"` once standard input reaches its end (or can
 * no longer be read); what arrives on it is ignored.
 */
export async function stdinClosed(): Promise<string> {
  try {
    for await (const _ of Deno.stdin.readable) {
      // Read and dropped: only the end matters.
    }
  } catch {
    // A read error means the other end is gone too.
  }
  return "stdin closed";
}

/**
 * Resolves with the name of the first of SIGINT, SIGTERM, or (with
 * `watchStdin`) `"stdin closed"`. Installs the signal listeners when called.
 */
export function stopRequested(watchStdin: boolean): Promise<string> {
  return new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(name, () => resolve(name));
    }
    if (watchStdin) stdinClosed().then(resolve);
  });
}
