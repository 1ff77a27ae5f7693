/**
 * Drives wrk with `bench/wrk/kv.lua`: writes the script's data file, runs
 * one load, and parses the JSON line the script's `done()` prints.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type Entry, jsonEscape } from "./data.ts";
import { runToCompletion } from "./probe_command.ts";

/** Absolute path of the Lua script. */
export const WRK_SCRIPT = fileURLToPath(
  new URL("./wrk/kv.lua", import.meta.url),
);

/** What kind of requests one wrk run sends. */
export interface LoadSpec {
  /** "mix": GETs and PUTs of prefilled keys; "fill": PUTs of new keys; "miss": GETs of absent keys. */
  mode: "mix" | "fill" | "miss";
  /** Share of GETs in percent (mix mode only). */
  getPercent: number;
  /** Open connections. */
  connections: number;
  /** wrk threads. */
  threads: number;
  /** Run length in seconds. */
  durationSeconds: number;
}

/** The figures one wrk run reports. */
export interface LoadResult {
  /** Measured run length, microseconds. */
  durationUs: number;
  /** Completed requests. */
  requests: number;
  /** Response bytes read. */
  bytes: number;
  /** Socket errors and HTTP statuses > 399 (`status`) as counted by wrk. */
  errors: {
    connect: number;
    read: number;
    write: number;
    status: number;
    timeout: number;
  };
  /** Latency statistics in microseconds; percentile keys are "50", "90", "99", "99.9". */
  latencyUs: {
    min: number;
    mean: number;
    max: number;
    stdev: number;
    percentiles: Record<string, number>;
  };
  /** Requests generated, by kind (may exceed completed requests by the in-flight ones). */
  sent: { get: number; put: number };
  /** CPU seconds (user + system) wrk itself used, from bash's `times`; NaN if unknown. */
  cpuSeconds: number;
}

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

/** Parses the children's line of bash's `times` output ("0m1.250s 0m0.500s") into seconds. */
export function parseTimes(stdout: string): number {
  const lines = stdout.trimEnd().split("\n");
  const m = lines[lines.length - 1]?.match(
    /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/,
  );
  if (!m) return NaN;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** Extracts the `KVBENCH_JSON` line (and bash's `times`, if any) from wrk's stdout. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith("KVBENCH_JSON "));
  if (!line) throw new Error(`wrk printed no KVBENCH_JSON line:\n${stdout}`);
  const result = JSON.parse(line.slice("KVBENCH_JSON ".length)) as LoadResult;
  result.cpuSeconds = parseTimes(stdout);
  return result;
}

/** Runs wrk (through `prefix`, e.g. `["taskset", "-c", "1"]`) and returns its figures. */
export async function runWrk(
  spec: LoadSpec,
  url: string,
  dataFile: string,
  prefix: string[] = [],
): Promise<LoadResult> {
  const nonce = Math.floor(Math.random() * 0x7fffffff);
  const argv = [
    ...prefix,
    "bash",
    "-c",
    TIMED,
    "wrk",
    ...wrkArgs(spec, url, dataFile, nonce),
  ];
  const stdout = await runToCompletion("wrk", argv);
  return parseWrkOutput(stdout);
}
