/**
 * Memory benchmark (issue 4): fills the real server past MAX_CACHE_BYTES with
 * several key/value shapes, runs mixed GET/PUT load at full cache, and sweeps
 * a million expired entries; records entries, estimated bytes, RSS, the ratio
 * (RSS − baseline) / estimated bytes, throughput, latency percentiles, the
 * longest event-loop stall and evictions. Prints Markdown tables and writes
 * JSON. See bench/memory/README.md.
 *
 * Run from the repository root:
 * `deno run -A bench/memory/run.ts [--quick] [--store both] [--shapes tiny]`
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseMemoryOptions, USAGE } from "./args.ts";
import { shapeTable, sweepTable, targetLines } from "./report.ts";
import {
  type Context,
  runShape,
  runSweep,
  type ShapeResult,
  type SweepScenarioResult,
} from "./scenario.ts";
import { makeShape, valuesFileText } from "./shapes.ts";
import { redisProbeTable } from "./redis_probe.ts";
import {
  runSnapshot,
  type SnapshotScenarioResult,
  snapshotTable,
} from "./snapshot.ts";
import { clockTicksPerSecond } from "../procfs.ts";
import { probe } from "../probe_command.ts";
import { WRK_MISSING } from "../load/wrk.ts";

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

async function main(): Promise<void> {
  const opts = parseMemoryOptions(Deno.args);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) =>
    console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const wrkVersion = await probe("wrk", ["-v"]);
  if (!wrkVersion?.includes("wrk")) {
    throw new Error(WRK_MISSING);
  }
  const pinned = !opts.unpinned && navigator.hardwareConcurrency >= 2 &&
    (await probe("taskset", ["-c", "0", "true"])) !== undefined;
  const ctx: Context = {
    serverPin: pinned ? ["taskset", "-c", "0"] : [],
    loadPin: pinned ? ["taskset", "-c", "1"] : [],
    serverCore: pinned ? 0 : null,
    ticksPerSecond: await clockTicksPerSecond(),
    log,
  };
  log(
    pinned
      ? "pinning: server on core 0; wrk and the stall probe on core 1"
      : opts.unpinned
      ? "pinning: none (--unpinned)"
      : "pinning: none (taskset unavailable or one core); figures are noisier",
  );
  log(
    `stores ${opts.stores.join(", ")}; shapes ${
      opts.shapes.join(", ")
    }; MAX_CACHE_BYTES ${opts.maxBytes}; fill to first eviction + ${
      opts.fillExtra * 100
    }% PUTs, then ${opts.mixedSeconds} s mixed (${opts.getPercent}% GET) at ${opts.connections} connections` +
      (opts.sweep ? `; sweep of ${opts.sweepEntries} expired entries` : ""),
  );

  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  const startedAt = new Date().toISOString();
  const results: ShapeResult[] = [];
  const sweeps: SweepScenarioResult[] = [];
  const snapshots: SnapshotScenarioResult[] = [];
  const valuesFiles: string[] = [];
  const valuesFile = async (name: Parameters<typeof makeShape>[0]) => {
    const shape = makeShape(name);
    const path = `${RESULTS_DIR}values-${name}.tmp`;
    await Deno.writeTextFile(path, valuesFileText(shape));
    valuesFiles.push(path);
    return { shape, path };
  };

  const writeJson = async () => {
    await Deno.writeTextFile(
      opts.json,
      JSON.stringify(
        {
          startedAt,
          finishedAt: new Date().toISOString(),
          machine: {
            os: Deno.build.os,
            arch: Deno.build.arch,
            cores: navigator.hardwareConcurrency,
          },
          deno: Deno.version.deno,
          loadGenerator: wrkVersion.split("\n")[0],
          pinning: pinned
            ? { server: "taskset -c 0", load: "taskset -c 1" }
            : null,
          options: opts,
          results,
          sweeps,
          snapshots,
        },
        null,
        2,
      ) + "\n",
    );
  };

  // What the fill-and-churn and snapshot scenarios drive the server with.
  const load = {
    connections: opts.connections,
    threads: opts.threads,
    getPercent: opts.getPercent,
    mixedSeconds: opts.mixedSeconds,
    fillExtra: opts.fillExtra,
    fillTimeoutSeconds: opts.fillTimeoutSeconds,
  };
  const redisProbe = opts.redisProbe.length > 0
    ? {
      commands: opts.redisProbe,
      quietSeconds: opts.redisProbeQuietSeconds,
      othersConnections: opts.redisProbeConnections,
    }
    : undefined;
  try {
    for (const store of opts.stores) {
      for (const name of opts.shapes) {
        const { shape, path } = await valuesFile(name);
        results.push(
          await runShape({
            store,
            maxBytes: opts.maxBytes,
            mapHeapMb: opts.mapHeapMb,
            shape,
            valuesFile: path,
            ...load,
            redisProbe,
          }, ctx),
        );
        await writeJson();
      }
      if (opts.sweep) {
        const { shape, path } = await valuesFile("tiny");
        sweeps.push(
          await runSweep({
            store,
            maxBytes: opts.maxBytes,
            mapHeapMb: opts.mapHeapMb,
            shape,
            valuesFile: path,
            entries: opts.sweepEntries,
            intervalMs: opts.sweepIntervalMs,
            connections: opts.connections,
            threads: opts.threads,
          }, ctx),
        );
        await writeJson();
      }
      if (opts.snapshot) {
        const { shape, path } = await valuesFile(opts.snapshotShape);
        snapshots.push(
          await runSnapshot({
            store,
            maxBytes: opts.maxBytes,
            mapHeapMb: opts.mapHeapMb,
            shape,
            valuesFile: path,
            ...load,
            intervalSeconds: opts.snapshotIntervalSeconds,
            parentDir: opts.snapshotDir,
          }, ctx),
        );
        await writeJson();
      }
    }
  } finally {
    for (const p of valuesFiles) await Deno.remove(p).catch(() => {});
  }

  const command = `deno task bench:memory ${Deno.args.join(" ")}`.trim();
  console.log(
    `\n## Memory benchmark\n\n\`${command}\` — ${startedAt.slice(0, 10)}, ${
      pinned ? "server on core 0, wrk on core 1" : "unpinned"
    }, Deno ${Deno.version.deno}, MAX_CACHE_BYTES ${opts.maxBytes}, ${opts.connections} connections, ` +
      `${opts.mixedSeconds} s mixed ${opts.getPercent}% GET / ${
        100 - opts.getPercent
      }% PUT of new keys\n`,
  );
  if (results.length) console.log(shapeTable(results) + "\n");
  const probed = results.flatMap((r) =>
    r.redisProbe
      ? [{ label: `${r.store}/${r.shape}`, probe: r.redisProbe }]
      : []
  );
  if (probed.length) {
    console.log(
      "Redis probe: latency of the other requests (timed beside wrk) during each command and outside them\n\n" +
        redisProbeTable(probed) + "\n",
    );
  }
  if (sweeps.length) console.log(sweepTable(sweeps) + "\n");
  if (snapshots.length) console.log(snapshotTable(snapshots) + "\n");
  console.log("Targets (issue 4):");
  for (const line of targetLines(results, sweeps)) console.log(`  ${line}`);
  await writeJson();
  console.log(`\nwrote ${opts.json}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench:memory: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
