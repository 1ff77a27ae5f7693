/**
 * Runs oha: every process of a load at the same time under one bash (which
 * then prints the children's CPU time), each writing its JSON to a file;
 * and oha as a {@linkcode LoadGenerator}.
 *
 * @module
 */

import { runToCompletion } from "../../probe_command.ts";
import type { LoadGenerator, LoadSpec } from "../generator.ts";
import { parseTimes } from "../times.ts";
import { type OhaFiles, type OhaProcess, ohaProcesses } from "./args.ts";
import {
  expectedNewKeyShare,
  ohaFillLines,
  type OhaInputs,
  urlLines,
  writeOhaInputs,
} from "./inputs.ts";
import { type OhaLoadResult, type OhaPart, toLoadResult } from "./result.ts";
import { parseOhaJson } from "./summary.ts";

/**
 * Runs oha once per `(count, outFile, args...)` group of the positional
 * arguments, all at the same time, each writing its stdout to its file; waits
 * for all, then prints bash's `times` (the children's CPU time).
 */
export const OHA_TIMED = [
  "pids=()",
  'while [ "$#" -gt 0 ]; do',
  "  n=$1; out=$2; shift 2",
  '  oha "${@:1:$n}" > "$out" &',
  '  pids+=("$!")',
  '  shift "$n"',
  "done",
  "rc=0",
  'for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done',
  "times",
  'exit "$rc"',
].join("\n");

/** How to run oha. */
export interface OhaRunOptions {
  /** Arguments selecting JSON output (from {@linkcode checkOha}). */
  jsonArgs: string[];
  /** Command prefix pinning both processes to a core, e.g. `["taskset", "-c", "1"]`. */
  prefix?: string[];
  /** Environment for the processes (tests set PATH to a fake oha). */
  env?: Record<string, string>;
}

/** The bash command line running `processes`, writing their JSON to `outFiles`. */
export function ohaCommand(
  processes: OhaProcess[],
  outFiles: string[],
  prefix: string[] = [],
): string[] {
  return [
    ...prefix,
    "bash",
    "-c",
    OHA_TIMED,
    "oha-load",
    ...processes.flatMap((p, i) => [
      String(p.args.length),
      outFiles[i],
      ...p.args,
    ]),
  ];
}

/** A function running one load against a server, as measure.ts expects. */
export type OhaRunner = (spec: LoadSpec, url: string) => Promise<OhaLoadResult>;

/**
 * Returns a runner for one server: for each load it writes the URL files of
 * the server's URL, runs the processes of the spec, parses their output and
 * removes those per-server files. Make one per server run, so that the
 * fill's warm-up picks are counted.
 */
export function makeOhaRunner(
  inputs: OhaInputs,
  options: OhaRunOptions,
): OhaRunner {
  let fillPicks = 0;
  return async (spec, url) => {
    // Files of this server only, named by its port: runners of servers
    // loaded at the same time (--together) must not share them.
    const tag = new URL(url).port;
    const files: OhaFiles = {
      getUrls: `${inputs.dir}/oha-get-urls-${tag}.tmp`,
      missUrls: `${inputs.dir}/oha-miss-urls-${tag}.tmp`,
      putBodies: inputs.putBodies,
      fillBodies: inputs.fillBodies,
    };
    const processes = ohaProcesses(spec, url, files, options.jsonArgs);
    const outFiles = processes.map((p, i) =>
      `${inputs.dir}/oha-out-${tag}-${i}-${p.kind}.tmp`
    );
    const parts: OhaPart[] = [];
    let stdout: string;
    try {
      await Deno.writeTextFile(files.getUrls, urlLines(url, inputs.getKeys));
      await Deno.writeTextFile(files.missUrls, urlLines(url, inputs.missKeys));
      const argv = ohaCommand(processes, outFiles, options.prefix);
      stdout = await runToCompletion("oha", argv, options.env);
      for (const [i, p] of processes.entries()) {
        const text = await Deno.readTextFile(outFiles[i]);
        parts.push({
          kind: p.kind,
          connections: p.connections,
          summary: parseOhaJson(text),
        });
      }
    } finally {
      // oha's own figures stay in the result (`oha.processes`).
      for (const f of [files.getUrls, files.missUrls, ...outFiles]) {
        await Deno.remove(f).catch(() => {});
      }
    }
    const result = toLoadResult(parts, parseTimes(stdout));
    if (spec.mode === "fill") {
      result.oha.fill = {
        bodyLines: inputs.fillLines,
        picksBefore: fillPicks,
        expectedNewKeyShare: expectedNewKeyShare(
          inputs.fillLines,
          fillPicks,
          result.sent.put,
        ),
      };
      fillPicks += result.sent.put;
    }
    return result;
  };
}

/** How the oha generator runs. */
export interface OhaGeneratorOptions extends OhaRunOptions {
  /** "oha X.Y.Z". */
  version: string;
  /** Why oha was chosen. */
  reason: string;
  /** Directory of its input files and outputs. */
  dir: string;
}

/**
 * oha as a {@linkcode LoadGenerator}: `prepare` writes the input files into
 * `dir` (a subdirectory for named data; the fill bodies only when a fill
 * runs), and each `runner()` is a fresh {@linkcode makeOhaRunner}.
 */
export function ohaGenerator(options: OhaGeneratorOptions): LoadGenerator {
  return {
    name: "oha",
    version: options.version,
    reason: options.reason,
    async prepare(data) {
      if (data.putBodies) {
        throw new Error(
          "oha sends {key, value} PUT bodies only; spelled bodies need --load-generator wrk",
        );
      }
      const inputs = await writeOhaInputs(
        data.name ? `${options.dir}/oha-${data.name}` : options.dir,
        data.entries,
        data.missKeys,
        data.fillSeconds > 0 ? ohaFillLines(data.fillSeconds) : 0,
      );
      return { runner: () => makeOhaRunner(inputs, options) };
    },
  };
}
