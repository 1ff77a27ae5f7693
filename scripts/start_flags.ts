/**
 * The flags `deno task start` runs main.ts with, read from the `start` task
 * of deno.json: the one place they are written. The cluster launcher, the
 * test and benchmark launcher (tests/support/server_process.ts) take them
 * from here, so a node runs as the supported way to run one does
 * (`--unstable-net` for serving workers, read and write of `snapshots/`).
 *
 * The paths in them are relative: run from the repository root
 * ({@linkcode ROOT}), as `deno task start` does.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** Absolute path of the repository root, the directory deno.json is in. */
export const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The flags between `deno run` and the entry point in `task`.
 *
 * @throws {Error} if `task` is not `deno run <flags> main.ts`.
 */
export function startTaskFlags(task: string): string[] {
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== "main.ts") {
    throw new Error(
      `Unexpected start task "${task}": expected "deno run <flags> main.ts".`,
    );
  }
  return words.slice(2, -1);
}

/** The flags of deno.json's `start` task, e.g. `--unstable-net`, `--allow-net`. */
export const START_FLAGS: readonly string[] = Object.freeze(
  startTaskFlags(denoJson.tasks.start),
);
