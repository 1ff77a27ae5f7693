/**
 * wrk as a {@linkcode LoadGenerator}, with `bench/wrk/kv.lua`: writes the
 * script's data file, runs one load, and parses the JSON line the shared Lua
 * reporter (`bench/wrk/report.lua`) prints from `done()`. `startWrk` runs
 * any wrk script (the memory harness's too) and can stop it early.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type Entry, jsonEscape } from "../data.ts";
import type {
  LoadGenerator,
  LoadResult,
  LoadRunner,
  LoadSpec,
} from "./generator.ts";
import { parseTimes } from "./times.ts";

/** Why wrk cannot run: it is not on PATH. */
export const WRK_MISSING = "wrk not found on PATH (apt-get install -y wrk)";

/** Absolute path of the Lua script. */
export const WRK_SCRIPT = fileURLToPath(
  new URL("../wrk/kv.lua", import.meta.url),
);

/**
 * Writes the data file `kv.lua` reads: prefill entries, miss keys and, when
 * given, each entry's PUT body as the mixes send it (else they send
 * `{"key":K,"value":V}`).
 */
export async function writeWrkData(
  path: string,
  entries: Entry[],
  missKeys: string[],
  putBodies?: string[],
): Promise<void> {
  const lines: string[] = [];
  for (const e of entries) lines.push(`E\t${e.key}\t${jsonEscape(e.value)}`);
  for (const k of missKeys) lines.push(`M\t${k}`);
  for (const body of putBodies ?? []) lines.push(`B\t${body}`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

/**
 * wrk's arguments common to every harness: threads, connections, duration, a
 * 5 s request timeout, the Lua `script` and the `url`, then `--` before the
 * script's own arguments.
 */
export function wrkBaseArgs(
  load: { threads: number; connections: number; durationSeconds: number },
  script: string,
  url: string,
): string[] {
  return [
    `-t${load.threads}`,
    `-c${load.connections}`,
    `-d${load.durationSeconds}s`,
    "--timeout",
    "5s",
    "-s",
    script,
    url,
    "--",
  ];
}

/** Returns the wrk argument list for one run against `url`. */
export function wrkArgs(
  spec: LoadSpec,
  url: string,
  dataFile: string,
  nonce: number,
): string[] {
  return [
    ...wrkBaseArgs(spec, WRK_SCRIPT, url),
    dataFile,
    spec.mode,
    String(spec.getPercent),
    String(nonce),
  ];
}

/** Runs wrk under bash and prints bash's `times` after it: the children's CPU time. */
const TIMED = 'wrk "$@"; rc=$?; times; exit $rc';

/** Extracts the `KVBENCH_JSON` line (and bash's `times`, if any) from wrk's stdout. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith("KVBENCH_JSON "));
  if (!line) throw new Error(`wrk printed no KVBENCH_JSON line:\n${stdout}`);
  const result = JSON.parse(line.slice("KVBENCH_JSON ".length)) as LoadResult;
  result.cpuSeconds = parseTimes(stdout);
  return result;
}

/** A wrk process that can be stopped early. */
export interface RunningWrk {
  /** Resolves with wrk's figures when it exits (at its duration or after stop()). */
  result: Promise<LoadResult>;
  /** Asks wrk to stop now (SIGINT: it reports as if its duration had ended). */
  stop(): void;
}

/** How to run wrk. */
export interface WrkRunOptions {
  /** Command prefix pinning wrk to a core, e.g. `["taskset", "-c", "1"]`. */
  prefix?: string[];
  /**
   * Run it under bash to measure its CPU time (`cpuSeconds`); `stop()` then
   * does not reach wrk. Untimed runs report NaN.
   */
  timed?: boolean;
}

/**
 * Starts wrk with `args` (a script's, e.g. {@linkcode wrkArgs}); its result
 * rejects, with wrk's exit code, stderr and stdout, if wrk fails or prints
 * no `KVBENCH_JSON` line.
 */
export function startWrk(
  args: string[],
  options: WrkRunOptions = {},
): RunningWrk {
  const argv = [
    ...(options.prefix ?? []),
    ...(options.timed ? ["bash", "-c", TIMED] : []),
    "wrk",
    ...args,
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const result = child.output().then((out) => {
    const decoder = new TextDecoder();
    const stdout = decoder.decode(out.stdout);
    if (!out.success || !stdout.includes("KVBENCH_JSON ")) {
      throw new Error(
        `wrk failed (exit ${out.code}): ${
          decoder.decode(out.stderr)
        }\n${stdout}`,
      );
    }
    return parseWrkOutput(stdout);
  });
  return {
    result,
    stop() {
      try {
        child.kill("SIGINT");
      } catch { /* already exited */ }
    },
  };
}

/** Runs wrk with `kv.lua` (through `prefix`, e.g. `["taskset", "-c", "1"]`) and returns its figures. */
export function runWrk(
  spec: LoadSpec,
  url: string,
  dataFile: string,
  prefix: string[] = [],
): Promise<LoadResult> {
  const nonce = Math.floor(Math.random() * 0x7fffffff);
  return startWrk(wrkArgs(spec, url, dataFile, nonce), { prefix, timed: true })
    .result;
}

/** How the wrk generator runs. */
export interface WrkGeneratorOptions {
  /** First line of `wrk -v`. */
  version: string;
  /** Why wrk was chosen. */
  reason: string;
  /** Directory of the data files `kv.lua` reads (written by `prepare`). */
  dir: string;
  /** Command prefix pinning wrk to a core, or empty. */
  prefix?: string[];
}

/**
 * wrk with `kv.lua` as a {@linkcode LoadGenerator}: `prepare` writes the data
 * file (`wrk-data.tmp`, or `wrk-data-NAME.tmp` for named data) into `dir`.
 */
export function wrkGenerator(options: WrkGeneratorOptions): LoadGenerator {
  return {
    name: "wrk",
    version: options.version,
    reason: options.reason,
    async prepare(data) {
      const dataFile = `${options.dir}/wrk-data${
        data.name ? `-${data.name}` : ""
      }.tmp`;
      await writeWrkData(
        dataFile,
        data.entries,
        data.missKeys,
        data.putBodies,
      );
      const run: LoadRunner = (spec, url) =>
        runWrk(spec, url, dataFile, options.prefix);
      return { runner: () => run };
    },
  };
}
