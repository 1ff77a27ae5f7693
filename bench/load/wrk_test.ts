/**
 * Tests of bench/load/wrk.ts and the Lua scripts with their shared reporter
 * (bench/wrk/report.lua): real wrk runs of one second against the real
 * server, of `kv.lua` through the {@linkcode LoadGenerator} and of the memory
 * harness's `memory.lua` stopped early. Ignored, saying so, when wrk is not
 * on PATH. Run: `deno test -A bench/load/wrk_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { checkValues, prefill } from "../client.ts";
import { makeEntries, makeMissKeys } from "../data.ts";
import { startLoad } from "../memory/load.ts";
import { checkKeys } from "../memory/scenario.ts";
import { makeShape, valuesFileText } from "../memory/shapes.ts";
import { probe } from "../probe_command.ts";
import { startServer } from "../../tests/support/server_process.ts";
import type { LoadResult } from "./generator.ts";
import { WRK_MISSING, wrkGenerator } from "./wrk.ts";

const wrkVersion = await probe("wrk", ["-v"]);
const ignored = wrkVersion?.includes("wrk") ? "" : ` (ignored: ${WRK_MISSING})`;

/** Checks the figures every KVBENCH_JSON line carries. */
function assertFigures(r: LoadResult): void {
  assert.ok(r.requests > 0, `requests ${r.requests}`);
  assert.ok(r.durationUs > 500_000 && r.durationUs < 5_000_000);
  assert.ok(r.bytes > 0);
  assert.deepEqual(r.errors, {
    connect: 0,
    read: 0,
    write: 0,
    status: 0,
    timeout: 0,
  });
  assert.deepEqual(Object.keys(r.latencyUs.percentiles).sort(), [
    "50",
    "90",
    "99",
    "99.9",
  ]);
  assert.ok(r.latencyUs.min <= r.latencyUs.percentiles["50"]);
  assert.ok(r.latencyUs.percentiles["99.9"] <= r.latencyUs.max);
  // In-flight requests at the end are sent but not completed.
  assert.ok(r.sent.get + r.sent.put >= r.requests);
}

Deno.test({
  name: "wrk with kv.lua: a 1 s mix against the real server" + ignored,
  ignore: ignored !== "",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wrk-kv-" });
    const server = await startServer({});
    try {
      const entries = makeEntries(50);
      const generator = wrkGenerator({
        version: wrkVersion!.split("\n")[0],
        reason: "test",
        dir,
      });
      const load = await generator.prepare({
        entries,
        missKeys: makeMissKeys(10),
        fillSeconds: 0,
      });
      await prefill(server.url, entries);
      const r = await load.runner()({
        mode: "mix",
        getPercent: 50,
        connections: 2,
        threads: 1,
        durationSeconds: 1,
      }, server.url);
      assertFigures(r);
      assert.ok(r.sent.get > 0 && r.sent.put > 0, JSON.stringify(r.sent));
      assert.ok(Number.isFinite(r.cpuSeconds) && r.cpuSeconds >= 0);
      // The PUTs rewrote each key with its own value.
      assert.deepEqual(await checkValues(server.url, entries), []);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "wrk with memory.lua: a fill stopped early reports its per-thread PUTs" +
    ignored,
  ignore: ignored !== "",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "wrk-memory-" });
    const server = await startServer({});
    try {
      const shape = makeShape("uuid256");
      const valuesFile = `${dir}/values.tmp`;
      await Deno.writeTextFile(valuesFile, valuesFileText(shape));
      const load = startLoad({
        mode: "fill",
        shape,
        valuesFile,
        start: 0,
        filled: 0,
        getPercent: 0,
        connections: 2,
        threads: 2,
        durationSeconds: 30,
      }, server.url);
      setTimeout(load.stop, 1000);
      const r = await load.result;
      assertFigures(r);
      assert.ok(r.durationUs < 10_000_000, "stop() ended it early");
      assert.equal(r.sent.get, 0);
      assert.equal(r.counters.length, 2);
      assert.equal(r.counters[0] + r.counters[1], r.sent.put);
      // Thread i wrote keys i, i + 2, ... with their values. (Key 0 is
      // generated but never sent: wrk calls request() once on thread 0 to
      // check the script before the run.)
      const check = await checkKeys(server.url, shape, [1, 2, 3, 4, 5]);
      assert.deepEqual(check, { hits: 5, misses: 0, wrong: [] });
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
