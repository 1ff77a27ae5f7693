/**
 * Choosing the load generator (`--load-generator auto|oha|wrk`): oha when
 * the one on PATH can run the workloads, else wrk, and why; then building
 * the chosen {@linkcode LoadGenerator}.
 *
 * @module
 */

import { probe } from "../probe_command.ts";
import type { LoadGenerator } from "./generator.ts";
import { type OhaCheck, probeOha } from "./oha/check.ts";
import { ohaGenerator } from "./oha/runner.ts";
import { WRK_MISSING, wrkGenerator } from "./wrk.ts";

/** The load generator a run uses, and why. */
export interface GeneratorChoice {
  /** "oha" or "wrk". */
  name: "oha" | "wrk";
  /** First line of its version output ("oha 1.x.y", "wrk 4.x.y [epoll] ..."). */
  version: string;
  /** Why it was chosen, for the log and the results. */
  reason: string;
}

/**
 * Picks the load generator for `--load-generator requested` from the oha check
 * and `wrk -v` output (undefined when wrk cannot run); throws when the one
 * asked for, or both, are unusable.
 */
export function chooseLoadGenerator(
  requested: "auto" | "oha" | "wrk",
  oha: OhaCheck,
  wrkVersionText: string | undefined,
): GeneratorChoice {
  const wrkOk = wrkVersionText?.includes("wrk") ?? false;
  const wrk = (reason: string): GeneratorChoice => ({
    name: "wrk",
    version: (wrkVersionText ?? "").split("\n")[0],
    reason,
  });
  if (requested === "wrk") {
    if (!wrkOk) throw new Error(WRK_MISSING);
    return wrk("--load-generator wrk");
  }
  if (oha.ok) {
    return {
      name: "oha",
      version: oha.version ?? "oha",
      reason: `${
        requested === "oha" ? "--load-generator oha" : "auto"
      }: ${oha.reason}`,
    };
  }
  if (requested === "oha") {
    throw new Error(`--load-generator oha: ${oha.reason}`);
  }
  if (!wrkOk) {
    throw new Error(`no load generator: ${oha.reason}; ${WRK_MISSING}`);
  }
  return wrk(`auto: oha not used (${oha.reason})`);
}

/** Where the chosen generator keeps its files and how it is pinned. */
export interface SelectOptions {
  /** Directory of the generator's input and output files. */
  dir: string;
  /** Command prefix pinning the generator to a core, or empty. */
  prefix: string[];
}

/**
 * Probes oha and wrk, picks one as {@linkcode chooseLoadGenerator} does, and
 * returns it with the oha check (kept in the results); throws as it does.
 */
export async function selectLoadGenerator(
  requested: "auto" | "oha" | "wrk",
  options: SelectOptions,
): Promise<{ generator: LoadGenerator; ohaCheck: OhaCheck }> {
  const ohaCheck = await probeOha();
  const choice = chooseLoadGenerator(
    requested,
    ohaCheck,
    await probe("wrk", ["-v"]),
  );
  const generator = choice.name === "oha"
    ? ohaGenerator({
      ...choice,
      dir: options.dir,
      jsonArgs: ohaCheck.jsonArgs,
      prefix: options.prefix,
    })
    : wrkGenerator({
      ...choice,
      dir: options.dir,
      prefix: options.prefix,
    });
  return { generator, ohaCheck };
}
