/**
 * Load test of the kv-cache server against the floor server (bare
 * `Deno.serve`), alternating the two, with oha as the load generator when a
 * capable one is on PATH, else wrk (`--load-generator` decides).
 * Writes a table to stdout, JSON results and an SVG chart.
 *
 * Run from the repository root: `deno task bench [--duration 5s --rounds 2 --only mix]`
 * (`--help` lists the options).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { envOf, parseOptions, USAGE } from "./args.ts";
import {
  type Entry,
  makeEntries,
  makeMissKeys,
  meanHitBodyLength,
} from "./data.ts";
import {
  measure,
  measureTogether,
  type RunPlan,
  type RunResult,
} from "./measure.ts";
import { clockTicksPerSecond } from "./procfs.ts";
import {
  comparisons,
  comparisonTable,
  runsTable,
  summarize,
  summaryTable,
  variantTable,
} from "./report.ts";
import type { ServerSpec } from "./servers.ts";
import { startArgs } from "../tests/support/server_process.ts";
import { renderSvg } from "./svg.ts";
import { selectLoadGenerator } from "./load/choose.ts";
import type { PreparedLoad } from "./load/generator.ts";
import { splitConnections } from "./load/oha/args.ts";
import { fillNote } from "./load/oha/result.ts";
import { probe } from "./probe_command.ts";
import {
  pairedComparisons,
  pairedComparisonTable,
  pairRatio,
  type PairRun,
  pairRunsTable,
  pairsOf,
} from "./paired.ts";
import {
  entriesFor,
  isRedis,
  isSpelled,
  needsWrk,
  putBodiesFor,
  selectWorkloads,
  type Workload,
} from "./workloads.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Measures each plan in turn (server, variant, floor: A B A B ...). */
async function sequentially(plans: RunPlan[]): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const plan of plans) results.push(await measure(plan));
  return results;
}

/** A workload ready to run: its data, its load generator input, its env. */
interface Prepared {
  workload: Workload;
  workloadEntries: Entry[];
  workloadLoad: PreparedLoad;
  hitEnv: Record<string, string>;
}

async function main(): Promise<void> {
  const opts = parseOptions(Deno.args);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => console.log(line);
  const workloads = selectWorkloads(opts.only);

  const cores = navigator.hardwareConcurrency;
  const pinned = !opts.unpinned && cores >= 2 &&
    (await probe("taskset", ["-c", "0", "true"])) !== undefined;
  const serverCore = pinned ? 0 : undefined;
  const loadPin = pinned ? ["taskset", "-c", "1"] : [];
  const { generator, ohaCheck } = await selectLoadGenerator(
    opts.loadGenerator,
    { dir: RESULTS_DIR.replace(/\/$/, ""), prefix: loadPin },
  );
  log(`load generator: ${generator.name} (${generator.reason})`);
  const wrkOnly = workloads.filter(needsWrk);
  if (generator.name === "oha" && wrkOnly.length > 0) {
    throw new Error(
      `workload ${wrkOnly[0].name} sends ${
        isSpelled(wrkOnly[0])
          ? "spelled bodies"
          : isRedis(wrkOnly[0])
          ? "Redis REST requests"
          : "GETs only"
      }, which only the wrk load drives; use --load-generator wrk`,
    );
  }
  if (generator.name === "oha") {
    for (const w of workloads.filter((w) => w.load.mode === "mix")) {
      splitConnections(opts.connections, w.load.getPercent); // throws if < 2
    }
  }
  const threads = opts.threads || (pinned ? 1 : 2);
  log(
    pinned
      ? `pinning: servers on core 0, ${generator.name} on core 1 (taskset)`
      : opts.unpinned
      ? `pinning: none (--unpinned): servers and ${generator.name} share ${cores} cores`
      : `pinning: none (taskset unavailable or ${cores} core(s)); figures are noisier`,
  );

  const entryPath = `${ROOT}${opts.entry}`;
  if (!opts.target && !opts.floorVsFloor && !(await exists(entryPath))) {
    throw new Error(
      `${opts.entry} not found in ${ROOT}; use --floor-vs-floor to check the harness alone`,
    );
  }
  if (opts.variantEntry && !(await exists(`${ROOT}${opts.variantEntry}`))) {
    throw new Error(
      `--variant-entry ${opts.variantEntry} not found in ${ROOT}`,
    );
  }
  const floorArgs = [
    "run",
    "--allow-net",
    "--allow-env",
    "bench/floor_server.ts",
  ];
  const entries = makeEntries();
  // The hit body length the floor (and bench/steps_server.ts) answer with,
  // passed so that they need not build the data set and grow their heaps.
  const hitLength = String(meanHitBodyLength(entries));
  const server: ServerSpec = {
    name: "server",
    command: "deno",
    args: opts.floorVsFloor ? floorArgs : startArgs([], opts.entry),
    core: serverCore,
    cwd: ROOT,
    env: {
      LOG_LEVEL: "warn",
      FLOOR_HIT_BODY_LENGTH: hitLength,
      ...(opts.maxCacheBytes ? { MAX_CACHE_BYTES: opts.maxCacheBytes } : {}),
      ...envOf(opts.env),
    },
  };
  const variantLabel = [opts.variantEntry ?? [], opts.variant].flat().join(
    " ",
  );
  const variant: ServerSpec | null = variantLabel === "" ? null : {
    ...server,
    name: "server",
    args: opts.variantEntry ? startArgs([], opts.variantEntry) : server.args,
    env: { ...server.env, ...envOf(opts.variant) },
  };
  const floorEnv = { LOG_LEVEL: "warn", FLOOR_HIT_BODY_LENGTH: hitLength };
  if (opts.floorVsFloor) server.env = floorEnv;
  const floor: ServerSpec = {
    name: "floor",
    command: "deno",
    args: floorArgs,
    core: serverCore,
    cwd: ROOT,
    env: floorEnv,
  };
  // The naive Hono + Map server, in the same rounds (not when checking the
  // harness floor against floor, nor when loading running servers).
  const naive: ServerSpec | null = opts.floorVsFloor || opts.target ? null : {
    name: "naive",
    command: "deno",
    args: ["run", "--allow-net", "--allow-env", "bench/naive_server.ts"],
    core: serverCore,
    cwd: ROOT,
    env: { LOG_LEVEL: "warn" },
  };
  const unicode = workloads.find((w) => w.data === "unicode");
  const unicodeEntries = unicode ? entriesFor(unicode) : [];
  const entriesOf = (w: Workload): Entry[] =>
    w.data === "unicode" ? unicodeEntries : entries;
  if (opts.target) {
    // Running servers: loaded where they are, never started or stopped.
    server.url = opts.target;
    if (opts.baseline) floor.url = opts.baseline;
    log(
      `target mode: server = ${opts.target}, floor = ${
        opts.baseline ?? "the floor server, started"
      } (pin them with taskset -c 0 for the core figures)`,
    );
  }

  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  const fill = workloads.some((w) => w.load.mode === "fill");
  const sharedLoad = await generator.prepare({
    entries,
    missKeys: makeMissKeys(),
    fillSeconds: fill ? opts.durationSeconds + opts.warmupSeconds : 0,
  });
  // A workload with its own data or spelling has its own input files.
  const loadOf = async (w: Workload): Promise<PreparedLoad> => {
    if (!isSpelled(w)) return sharedLoad;
    const own = entriesOf(w);
    return await generator.prepare({
      entries: own,
      missKeys: makeMissKeys(),
      fillSeconds: w.load.mode === "fill"
        ? opts.durationSeconds + opts.warmupSeconds
        : 0,
      name: w.name,
      putBodies: putBodiesFor(w, own),
    });
  };
  const clockTicks = await clockTicksPerSecond();
  const startedAt = new Date().toISOString();
  const perRun = opts.durationSeconds + opts.warmupSeconds + 3;
  log(
    `${workloads.length} workload(s) x ${opts.rounds} round(s) x ${
      2 + (variant ? 1 : 0) + (naive ? 1 : 0)
    } servers, ` +
      `${opts.durationSeconds}s each (+${opts.warmupSeconds}s warm-up), ` +
      `~${
        Math.ceil(
          workloads.length * opts.rounds *
            (opts.together ? 1 : 2 + (variant ? 1 : 0) + (naive ? 1 : 0)) *
            perRun / 60,
        )
      } min; ${opts.connections} connections, ` +
      (generator.name === "wrk"
        ? `${threads} wrk thread(s)`
        : "oha (GET and PUT processes share the connections in mixes)") +
      (opts.floorVsFloor ? "; FLOOR VS FLOOR (harness check)" : ""),
  );

  const results: RunResult[] = [];
  const prepared: Prepared[] = [];
  for (const workload of workloads) {
    const workloadEntries = entriesOf(workload);
    prepared.push({
      workload,
      workloadEntries,
      workloadLoad: await loadOf(workload),
      // Servers without a store answer hits as long as this workload's.
      hitEnv: {
        FLOOR_HIT_BODY_LENGTH: String(meanHitBodyLength(workloadEntries)),
      },
    });
  }
  /** The plan of one run of `spec` on a prepared workload. */
  const planFor = (
    spec: ServerSpec,
    { workload, workloadEntries, workloadLoad, hitEnv }: Prepared,
    round: number,
    connections: number,
  ): RunPlan => ({
    server: { ...spec, env: { ...spec.env, ...hitEnv } },
    workload,
    round,
    load: { connections, threads, durationSeconds: opts.durationSeconds },
    warmupSeconds: opts.warmupSeconds,
    entries: workloadEntries,
    runLoad: workloadLoad.runner(),
    cores: pinned ? { server: 0, load: 1 } : null,
    clockTicks,
    checkValues: spec !== floor && !opts.floorVsFloor,
    log,
  });

  /** What every results file starts with: when, where, with what. */
  const runFacts = () => ({
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { os: Deno.build.os, arch: Deno.build.arch, cores },
    deno: Deno.version.deno,
    loadGenerator: generator.version,
    pinning: pinned ? { server: "taskset -c 0", load: "taskset -c 1" } : null,
    options: { ...opts, threads },
  });

  if (opts.paired) {
    const pairs = pairsOf(prepared.map((p) => ({ ...p, ...p.workload })));
    if (pairs.length === 0) {
      throw new Error(
        "--paired needs a workload and the one it is compared with, e.g. --only get-hit,redis-get",
      );
    }
    const half = Math.max(1, Math.floor(opts.connections / 2));
    const runs: PairRun[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [subject, base] of pairs) {
        log(
          `== round ${round}, ${subject.name} with ${base.name}, together`,
        );
        const [own, baseline] = await measureTogether([
          planFor(server, subject, round, half),
          planFor(server, base, round, half),
        ]);
        runs.push({
          round,
          subject: own,
          baseline,
          ratio: pairRatio(own, baseline, subject.commandsPerRequest ?? 1),
        });
      }
    }
    const compared = pairedComparisons(runs, workloads);
    console.log("\nPaired runs:\n" + pairRunsTable(runs));
    console.log(
      `\nServer CPU per command vs its baseline's per request, measured at ` +
        `the same moment (${startedAt}, ${Deno.build.os} ${cores} cores, ` +
        `deno ${Deno.version.deno}, ${half} + ${half} conns, ` +
        `${opts.durationSeconds}s x ${opts.rounds} rounds):\n` +
        pairedComparisonTable(compared),
    );
    await Deno.writeTextFile(
      opts.json,
      JSON.stringify(
        {
          ...runFacts(),
          paired: true,
          comparisons: compared,
          pairs: runs,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`\nwrote ${opts.json} (paired runs draw no chart)`);
    return;
  }

  // Rounds outermost: each round runs every workload, so that a machine
  // whose speed drifts over minutes tilts no workload against another (the
  // per-command comparisons set workloads side by side).
  for (let round = 1; round <= opts.rounds; round++) {
    for (const item of prepared) {
      const { workload } = item;
      log(`== round ${round}, ${workload.name}: ${workload.description}`);
      // The naive server does not speak the Redis REST protocol.
      const specs = [server, variant, isRedis(workload) ? null : naive, floor]
        .filter((s): s is ServerSpec => s !== null);
      const connections = opts.together
        ? Math.max(1, Math.floor(opts.connections / specs.length))
        : opts.connections;
      const plans = specs.map((spec) =>
        planFor(spec, item, round, connections)
      );
      const roundResults = opts.together
        ? await measureTogether(plans)
        : await sequentially(plans);
      for (const [i, result] of roundResults.entries()) {
        const spec = specs[i];
        const note = fillNote(result.wrk);
        if (note) log(`  ${note}`);
        // A variant is reported as its own workload, against the same floor.
        const variantName = `${workload.name} [${variantLabel}]`;
        if (spec === variant) result.workload = variantName;
        results.push(result);
        if (variant && (spec === floor || spec === naive)) {
          results.push({ ...result, workload: variantName });
        }
      }
    }
  }

  const summaries = summarize(results);
  const subtitle =
    `${startedAt}, ${Deno.build.os} ${cores} cores, deno ${Deno.version.deno}, ` +
    `${generator.version.split(" ").slice(0, 2).join(" ")}, ` +
    `${opts.connections} conns, ${opts.durationSeconds}s x ${opts.rounds} rounds, ` +
    (pinned ? `server core 0 / ${generator.name} core 1` : "unpinned") +
    (opts.floorVsFloor ? ", FLOOR VS FLOOR" : "") +
    (opts.together ? ", servers run together" : "");
  console.log("\nAll runs:\n" + runsTable(results));
  console.log(
    "\nMedians over rounds, server / floor (" + subtitle + "):\n" +
      summaryTable(summaries),
  );
  if (variant) {
    console.log(
      `\nServer / variant [${variantLabel}], medians over rounds:\n` +
        variantTable(summaries, variantLabel),
    );
  }
  const compared = comparisons(summaries, workloads);
  if (compared.length) {
    console.log(
      "\nServer CPU per command vs its baseline's per request, same run " +
        "(medians over rounds):\n" + comparisonTable(compared),
    );
  }
  const busiest = Math.max(
    0,
    ...results.map((r) =>
      Math.max(r.otherOnServerCorePercent ?? 0, r.otherOnLoadCorePercent ?? 0)
    ),
  );
  if (busiest > 5) {
    console.log(
      `\nWARNING: other processes used up to ${busiest.toFixed(0)}% of the ` +
        "server's or the load generator's core during a run; the figures are suspect " +
        "(columns others%)",
    );
  }
  const problems = results.flatMap((r) => r.valueProblems);
  if (problems.length) {
    console.log(`\nWARNING: ${problems.length} values did not round-trip`);
  }

  await Deno.writeTextFile(
    opts.json,
    JSON.stringify(
      {
        ...runFacts(),
        loadGeneratorChoice: {
          requested: opts.loadGenerator,
          name: generator.name,
          version: generator.version,
          reason: generator.reason,
          ohaCheck: ohaCheck.reason,
        },
        clockTicksPerSecond: clockTicks,
        maxOtherCorePercent: busiest,
        suspect: busiest > 5,
        summaries,
        comparisons: compared,
        runs: results,
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(opts.svg, renderSvg(summaries, subtitle));
  console.log(`\nwrote ${opts.json} and ${opts.svg}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
