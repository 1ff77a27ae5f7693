/**
 * Command-line options of `bench/run.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Options of one load-test run. */
export interface Options {
  /** Measured seconds per run. */
  durationSeconds: number;
  /** Unmeasured warm-up seconds before each measured run (0 to skip). */
  warmupSeconds: number;
  /** Rounds per server and workload, alternating server/floor. */
  rounds: number;
  /** Workload names to run; empty means all. */
  only: string[];
  /** Open connections. */
  connections: number;
  /** wrk threads; 0 means 1 when pinned to one core, else 2. */
  threads: number;
  /** Server entry, relative to the repository root. */
  entry: string;
  /** Run the floor server as the server under test too (harness self-check). */
  floorVsFloor: boolean;
  /**
   * Run the servers of a round at the same time on the servers' core, each
   * with its own load generator and an equal share of the connections,
   * instead of one after another.
   */
  together: boolean;
  /**
   * Run each compared workload (`compareWith`) at the same time as the one
   * it is compared with, both servers on the server core, the connections
   * split: the machine's drift cancels out of their ratio. Server runs only.
   */
  paired: boolean;
  /**
   * Pin nothing: servers and load generator share every core, as when a
   * multi-isolate server (`WORKERS`) is measured against one isolate.
   */
  unpinned: boolean;
  /** MAX_CACHE_BYTES for the server under test, if set. */
  maxCacheBytes?: string;
  /** Extra environment for the server under test (KEY=VALUE). */
  env: string[];
  /**
   * Environment of a variant of the server (KEY=VALUE) measured in the same
   * rounds, e.g. METRICS=off; empty for none.
   */
  variant: string[];
  /**
   * Entry of a variant measured in the same rounds (with `variant`'s
   * environment, if any), e.g. bench/minimal_server.ts; undefined for none.
   */
  variantEntry?: string;
  /** Output path of the JSON results. */
  json: string;
  /** Output path of the SVG chart. */
  svg: string;
  /** Load generator: "auto" (oha when capable, else wrk), "oha" or "wrk". */
  loadGenerator: LoadGeneratorChoice;
  /**
   * A running server to load instead of starting `entry` (e.g. a cluster
   * behind HAProxy); its CPU is that of the process listening on its port.
   */
  target?: string;
  /** With `target`: a running server measured in place of the floor. */
  baseline?: string;
  /** Show help and exit. */
  help: boolean;
}

/** Values of `--load-generator`. */
export const LOAD_GENERATORS = ["auto", "oha", "wrk"] as const;

/** A value of `--load-generator`. */
export type LoadGeneratorChoice = typeof LOAD_GENERATORS[number];

/** Usage text for `--help`. */
export const USAGE = `Usage: deno task bench [options]
  --duration 10s      measured time per run (s or ms suffix; plain number = seconds)
  --warmup 2s         warm-up before each measured run (0 to skip)
  --rounds 2          rounds per server, alternating server / floor
  --only mix,fill     workloads to run (mix, read-heavy, fill, miss); repeatable
  --connections 100   open connections
  --threads 0         wrk threads (0: 1 when pinned, else 2); oha picks its own
  --load-generator auto
                      auto: oha when on PATH and capable (-Z, --urls-from-file,
                      JSON output), else wrk; oha or wrk: that one or fail
  --entry main.ts     server entry file
  --floor-vs-floor    measure the floor against itself (harness check)
  --together          run server, variant and floor at the same time on the
                      servers' core, the connections shared out equally:
                      steadier ratios on a noisy machine (see bench/README.md)
  --paired            run each workload that is compared with another (e.g.
                      redis-get with get-hit) at the same time as that one,
                      both servers on the server core, the connections split,
                      each with its own load generator: the machine's drift
                      cancels out of their ratio; no floor or naive runs
  --unpinned          pin nothing: servers and load generator share all
                      cores (to measure WORKERS=auto against --variant WORKERS=1)
  --max-cache-bytes N pass MAX_CACHE_BYTES=N to the server under test
  --env KEY=VALUE     more environment for the server under test; repeatable
  --variant KEY=VALUE also measure the server with this environment, in the
                      same rounds (e.g. --variant METRICS=off); repeatable
  --variant-entry F   also measure this entry as the variant, in the same
                      rounds (e.g. bench/minimal_server.ts: the least a
                      handler on Deno.serve costs)
  --target URL        load this running server instead of starting --entry
                      (e.g. deno task cluster's HAProxy); CPU is that of the
                      process listening on its port; workload env is not set
  --baseline URL      with --target: a running server measured in place of
                      the floor, in the same rounds (e.g. one node directly)
  --json PATH         results file (bench/results/latest.json)
  --svg PATH          chart file (bench/results/latest.svg)`;

/** Parses "10s", "500ms" or "10" (seconds) into seconds. */
export function parseDuration(text: string): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m)?$/);
  if (!m) throw new Error(`bad duration "${text}"`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n / 1000 : m[2] === "m" ? n * 60 : n;
}

function positiveInt(text: string, name: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer >= ${min}, got "${text}"`);
  }
  return n;
}

/** Parses the command line into `Options`; throws on bad values. */
export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "10s" },
      warmup: { type: "string", default: "2s" },
      rounds: { type: "string", default: "2" },
      only: { type: "string", multiple: true, default: [] },
      connections: { type: "string", default: "100" },
      threads: { type: "string", default: "0" },
      entry: { type: "string", default: "main.ts" },
      "floor-vs-floor": { type: "boolean", default: false },
      together: { type: "boolean", default: false },
      paired: { type: "boolean", default: false },
      unpinned: { type: "boolean", default: false },
      "max-cache-bytes": { type: "string" },
      env: { type: "string", multiple: true },
      variant: { type: "string", multiple: true },
      "variant-entry": { type: "string" },
      json: { type: "string", default: "bench/results/latest.json" },
      svg: { type: "string", default: "bench/results/latest.svg" },
      "load-generator": { type: "string", default: "auto" },
      target: { type: "string" },
      baseline: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const durationSeconds = parseDuration(values.duration);
  if (durationSeconds < 1 || !Number.isInteger(durationSeconds)) {
    throw new Error("--duration must be a whole number of seconds >= 1");
  }
  const warmupSeconds = parseDuration(values.warmup);
  if (!Number.isInteger(warmupSeconds)) {
    throw new Error("--warmup must be a whole number of seconds");
  }
  if (values.paired) {
    const clash = [
      ["--together", values.together],
      ["--floor-vs-floor", values["floor-vs-floor"]],
      ["--target", values.target !== undefined],
      ["--variant", (values.variant ?? []).length > 0],
      ["--variant-entry", values["variant-entry"] !== undefined],
    ].find(([, set]) => set);
    if (clash) throw new Error(`--paired cannot go with ${clash[0]}`);
  }
  return {
    durationSeconds,
    warmupSeconds,
    rounds: positiveInt(values.rounds, "rounds"),
    only: values.only.flatMap((s) => s.split(",")).filter((s) => s),
    connections: positiveInt(values.connections, "connections"),
    threads: positiveInt(values.threads, "threads", 0),
    entry: values.entry,
    floorVsFloor: values["floor-vs-floor"],
    together: values.together,
    paired: values.paired,
    unpinned: values.unpinned,
    maxCacheBytes: values["max-cache-bytes"],
    env: checkAssignments("--env", values.env ?? []),
    variant: checkAssignments("--variant", values.variant ?? []),
    variantEntry: values["variant-entry"],
    json: values.json,
    svg: values.svg,
    loadGenerator: loadGeneratorOf(values["load-generator"]),
    ...targetsOf(
      values.target,
      values.baseline,
      (values.variant ?? []).length > 0 ||
        values["variant-entry"] !== undefined,
    ),
    help: values.help,
  };
}

/** Checks `--target` and `--baseline`: http URLs, the baseline only with a target. */
function targetsOf(
  target: string | undefined,
  baseline: string | undefined,
  startsVariant: boolean,
): { target?: string; baseline?: string } {
  if (target === undefined) {
    if (baseline !== undefined) throw new Error("--baseline needs --target");
    return {};
  }
  if (startsVariant) {
    throw new Error(
      "--variant and --variant-entry start servers; they cannot go with --target",
    );
  }
  for (const [flag, url] of [["--target", target], ["--baseline", baseline]]) {
    if (url === undefined) continue;
    if (!URL.canParse(url) || new URL(url).protocol !== "http:") {
      throw new Error(`${flag} takes an http:// URL, not "${url}"`);
    }
  }
  return {
    target: target.replace(/\/+$/, ""),
    baseline: baseline?.replace(/\/+$/, ""),
  };
}

/** Checks a `--load-generator` value. */
function loadGeneratorOf(text: string): LoadGeneratorChoice {
  const found = LOAD_GENERATORS.find((g) => g === text);
  if (!found) {
    throw new Error(
      `--load-generator must be one of ${
        LOAD_GENERATORS.join(", ")
      }, got "${text}"`,
    );
  }
  return found;
}

/** Checks that every item is KEY=VALUE; returns them. */
function checkAssignments(flag: string, items: string[]): string[] {
  for (const item of items) {
    if (!/^[A-Z_][A-Z0-9_]*=/.test(item)) {
      throw new Error(`${flag} takes KEY=VALUE, not "${item}"`);
    }
  }
  return items;
}

/** Turns KEY=VALUE items into an environment record. */
export function envOf(items: string[]): Record<string, string> {
  return Object.fromEntries(
    items.map((item) => [
      item.slice(0, item.indexOf("=")),
      item.slice(item.indexOf("=") + 1),
    ]),
  );
}
