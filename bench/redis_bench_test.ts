/**
 * Tests of the Redis REST workloads of the load test (`redis-get`,
 * `redis-pipeline16`, compared with `get-hit`): the same-run comparison's
 * arithmetic, and one-second wrk runs of `kv.lua`'s Redis modes against
 * the floor server and the real server, whose answers must be hits (the
 * bytes per response are those of base64 values, not of nil). The wrk runs
 * are ignored, saying so, when wrk is not on PATH.
 * Run: `deno test -A bench/redis_bench_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { prefill } from "./client.ts";
import { makeEntries, makeMissKeys, VALUE_LENGTH } from "./data.ts";
import { probe } from "./probe_command.ts";
import { comparisons, type WorkloadSummary } from "./report.ts";
import { parseOptions } from "./args.ts";
import type { RunResult } from "./measure.ts";
import {
  pairedComparisons,
  pairedComparisonTable,
  pairRatio,
  pairsOf,
} from "./paired.ts";
import { selectWorkloads } from "./workloads.ts";
import { PIPELINE_GETS } from "./load/generator.ts";
import { WRK_MISSING, wrkGenerator } from "./load/wrk.ts";
import { startServer } from "../tests/support/server_process.ts";

const wrkVersion = await probe("wrk", ["-v"]);
const ignored = wrkVersion?.includes("wrk") ? "" : ` (ignored: ${WRK_MISSING})`;

function summary(workload: string, cpuUsPerRequest: number): WorkloadSummary {
  const figures = {
    rps: 1,
    p50: 1,
    p90: 1,
    p99: 1,
    p999: 1,
    max: 1,
    cpuUsPerRequest,
    errors: 0,
    non2xx: 0,
    notFound: null,
  };
  return {
    workload,
    server: figures,
    floor: figures,
    ratio: { rps: 1, cpuUsPerRequest: 1, p99: 1 },
    naive: null,
    ratioToNaive: null,
  };
}

Deno.test("the Redis workloads are compared per command with get-hit of the same run", () => {
  const workloads = selectWorkloads([
    "get-hit",
    "redis-get",
    "redis-pipeline16",
  ]);
  const rows = comparisons(
    [
      summary("get-hit", 20),
      summary("redis-get", 22),
      summary("redis-pipeline16", 64),
    ],
    workloads,
  );
  assert.deepEqual(rows.map((r) => [r.workload, r.baseline, r.ratio]), [
    ["redis-get", "get-hit", 22 / 20],
    ["redis-pipeline16", "get-hit", 64 / PIPELINE_GETS / 20],
  ]);
  assert.equal(rows[1].cpuUsPerCommand, 4);
  // Without the baseline in the run, nothing is compared.
  assert.deepEqual(comparisons([summary("redis-get", 22)], workloads), []);
});

/** Bytes of base64 of one benchmark value: a hit's answer holds at least that. */
const BASE64_VALUE = 4 * Math.ceil(VALUE_LENGTH / 3);

for (
  const [name, args] of [
    ["the floor server", [
      "run",
      "--allow-net",
      "--allow-env",
      "bench/floor_server.ts",
    ]],
    ["the real server", undefined],
  ] as const
) {
  Deno.test({
    name:
      `wrk with kv.lua's Redis modes: 1 s each against ${name}, every answer a hit` +
      ignored,
    ignore: ignored !== "",
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "wrk-redis-" });
      const server = await startServer({
        args: args ? [...args] : undefined,
        ready: args ? "health" : "log",
      });
      try {
        const entries = makeEntries(50);
        const load = await wrkGenerator({
          version: wrkVersion!.split("\n")[0],
          reason: "test",
          dir,
        }).prepare({ entries, missKeys: makeMissKeys(10), fillSeconds: 0 });
        await prefill(server.url, entries);
        for (
          const [mode, commands] of [
            ["redis-get", 1],
            ["redis-pipeline", PIPELINE_GETS],
          ] as const
        ) {
          const r = await load.runner()({
            mode,
            getPercent: 100,
            connections: 2,
            threads: 1,
            durationSeconds: 1,
          }, server.url);
          assert.ok(r.requests > 0, `${mode}: ${JSON.stringify(r)}`);
          assert.deepEqual(r.errors, {
            connect: 0,
            read: 0,
            write: 0,
            status: 0,
            timeout: 0,
          }, mode);
          assert.equal(r.sent.put, 0);
          assert.ok(
            r.bytes / r.requests > commands * BASE64_VALUE,
            `${mode}: ${
              r.bytes / r.requests
            } bytes per answer, fewer than ${commands} base64 values`,
          );
        }
      } finally {
        await server.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("--paired: each compared workload with its baseline; ratios per round, then the median", () => {
  const workloads = selectWorkloads([
    "get-hit",
    "redis-get",
    "redis-pipeline16",
    "put-hit",
  ]);
  assert.deepEqual(
    pairsOf(workloads).map(([w, base]) => [w.name, base.name]),
    [
      ["redis-get", "get-hit"],
      ["redis-pipeline16", "get-hit"],
      ["put-hit", "get-hit"],
    ],
  );
  // Without its baseline selected, a workload is not paired.
  assert.deepEqual(pairsOf(selectWorkloads(["redis-get"])), []);
  const result = (workload: string, cpuUsPerRequest: number) =>
    ({ workload, cpuUsPerRequest }) as RunResult;
  const run = (round: number, name: string, cpu: number, base: number) => {
    const n = name === "redis-pipeline16" ? PIPELINE_GETS : 1;
    return {
      round,
      subject: result(name, cpu),
      baseline: result("get-hit", base),
      ratio: pairRatio(result(name, cpu), result("get-hit", base), n),
    };
  };
  const runs = [
    run(1, "redis-get", 30, 20),
    run(2, "redis-get", 44, 40), // a slow moment: both slow, the ratio holds
    run(3, "redis-get", 26, 20),
    run(1, "redis-pipeline16", 64, 20),
  ];
  const rows = pairedComparisons(runs, workloads);
  assert.deepEqual(rows.map((r) => [r.workload, r.ratio, r.rounds]), [
    ["redis-get", 1.3, 3],
    ["redis-pipeline16", 64 / PIPELINE_GETS / 20, 1],
  ]);
  assert.deepEqual(rows[0].ratioRange, [1.1, 1.5]);
  assert.equal(rows[0].cpuUsPerRequest, 30);
  assert.equal(rows[0].baselineCpuUsPerRequest, 20);
  assert.match(pairedComparisonTable(rows), /1\.100-1\.500/);
  // --paired runs servers only, so it cannot go with what adds servers.
  assert.equal(parseOptions(["--paired"]).paired, true);
  for (
    const other of [["--together"], ["--variant", "A=1"], [
      "--target",
      "http://x:1",
    ]]
  ) {
    assert.throws(() => parseOptions(["--paired", ...other]), /--paired/);
  }
});
