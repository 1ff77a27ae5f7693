/**
 * Tests of bench/load/oha/args.ts and the command line of bench/load/oha/runner.ts: the processes of each workload and their arguments.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ohaProcesses, splitConnections } from "./args.ts";
import { common, FILES, JSON_ARGS, putTail, spec } from "./fixtures.ts";
import { ohaCommand } from "./runner.ts";

Deno.test("ohaProcesses: argument lists of miss, fill and the mixes", () => {
  const url = "http://h:1";
  assert.deepEqual(ohaProcesses(spec("miss", 100), url, FILES, JSON_ARGS), [
    {
      kind: "get",
      connections: 100,
      args: [...common(100), "--urls-from-file", "/d/miss.txt"],
    },
  ]);
  assert.deepEqual(ohaProcesses(spec("fill", 0), url, FILES, JSON_ARGS), [
    {
      kind: "put",
      connections: 100,
      args: [...common(100), ...putTail("/d/fill.txt")],
    },
  ]);
  assert.deepEqual(ohaProcesses(spec("mix", 90), url, FILES, JSON_ARGS), [
    {
      kind: "get",
      connections: 90,
      args: [...common(90), "--urls-from-file", "/d/get.txt"],
    },
    {
      kind: "put",
      connections: 10,
      args: [...common(10), ...putTail("/d/put.txt")],
    },
  ]);
  const mix = ohaProcesses(spec("mix", 50), url, FILES, JSON_ARGS);
  assert.deepEqual(mix.map((p) => p.connections), [50, 50]);
  assert.throws(
    () => ohaProcesses(spec("fill", 0), url, { ...FILES, fillBodies: "" }, []),
    /fill bodies/,
  );
});

Deno.test("splitConnections: the GET share, at least one each, two or more", () => {
  assert.deepEqual(splitConnections(100, 50), { get: 50, put: 50 });
  assert.deepEqual(splitConnections(100, 90), { get: 90, put: 10 });
  assert.deepEqual(splitConnections(5, 90), { get: 4, put: 1 });
  assert.deepEqual(splitConnections(2, 90), { get: 1, put: 1 });
  assert.deepEqual(splitConnections(3, 10), { get: 1, put: 2 });
  assert.throws(() => splitConnections(1, 50), /--connections >= 2, got 1/);
});

Deno.test("ohaCommand runs every process under one bash, behind the pinning prefix", () => {
  const procs = ohaProcesses(spec("mix", 50, 4), "http://h:1", FILES, []);
  const argv = ohaCommand(procs, ["/o/0", "/o/1"], ["taskset", "-c", "1"]);
  assert.deepEqual(argv.slice(0, 4), ["taskset", "-c", "1", "bash"]);
  assert.equal(argv[6], "oha-load");
  assert.deepEqual(argv.slice(7, 9), [String(procs[0].args.length), "/o/0"]);
  const second = 9 + procs[0].args.length;
  assert.deepEqual(argv.slice(second, second + 2), [
    String(procs[1].args.length),
    "/o/1",
  ]);
  assert.equal(argv.length, second + 2 + procs[1].args.length);
});
