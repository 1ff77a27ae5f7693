/**
 * `measureTogether` against real floor servers: both run and are measured at
 * the same time, each with its own load. The load is a small fetch loop
 * standing in for wrk, so the test needs no wrk. Reading `/proc` needs
 * `--allow-all` in Deno 2.9, which the test task does not grant, so the test
 * runs this file as a program with `-A` and checks what it prints.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseOptions } from "./args.ts";
import { makeEntries } from "./data.ts";
import { measureTogether, type RunPlan } from "./measure.ts";
import { clockTicksPerSecond } from "./procfs.ts";
import type { LoadResult, LoadSpec } from "./load/generator.ts";
import { WORKLOADS } from "./workloads.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("--together is off by default and a plain flag", () => {
  assert.equal(parseOptions([]).together, false);
  assert.equal(parseOptions(["--together"]).together, true);
});

/** Measures two floor servers together; returns the order of load events and their results. */
async function scenario() {
  const events: string[] = [];
  let started = 0;
  let bothStarted!: () => void;
  const barrier = new Promise<void>((resolve) => (bothStarted = resolve));
  const load =
    (name: string, requests: number) =>
    async (_spec: LoadSpec, url: string): Promise<LoadResult> => {
      events.push(`${name} start`);
      if (++started === 2) bothStarted();
      await barrier;
      for (let i = 0; i < requests; i++) {
        await (await fetch(`${url}/get?key=k${i}`)).text();
      }
      events.push(`${name} end`);
      return {
        durationUs: 1e6,
        requests,
        bytes: 0,
        errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
        latencyUs: {
          min: 1,
          mean: 1,
          max: 1,
          stdev: 0,
          percentiles: { "50": 1, "90": 1, "99": 1, "99.9": 1 },
        },
        sent: { get: requests, put: 0 },
        cpuSeconds: 0,
      };
    };
  const clockTicks = await clockTicksPerSecond();
  const plan = (name: string, requests: number): RunPlan => ({
    server: {
      name,
      args: ["run", "-A", "bench/floor_server.ts"],
      cwd: ROOT,
      env: { FLOOR_HIT_BODY_LENGTH: "300" },
    },
    workload: WORKLOADS.find((w) => w.name === "mix")!,
    round: 1,
    load: { connections: 1, threads: 1, durationSeconds: 1 },
    warmupSeconds: 0,
    entries: makeEntries(20),
    runLoad: load(name, requests),
    cores: null,
    clockTicks,
    checkValues: false,
    log: () => {},
  });
  const [a, b] = await measureTogether([plan("a", 300), plan("b", 500)]);
  return { events, a, b };
}

Deno.test("measureTogether measures servers at the same time, each with its load", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fileURLToPath(import.meta.url)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, stderr);
  const { events, a, b } = JSON.parse(
    new TextDecoder().decode(output.stdout),
  ) as Awaited<ReturnType<typeof scenario>>;
  // Both loads had started before either ended.
  assert.deepEqual(events.slice(0, 2).sort(), ["a start", "b start"]);
  assert.equal(a.server, "a");
  assert.equal(b.server, "b");
  assert.equal(a.requests, 300);
  assert.equal(b.requests, 500);
  assert.ok(a.cpuUsPerRequest > 0 && b.cpuUsPerRequest > 0);
  // The floor counts the GETs it answered: each server got its own load.
  assert.equal(a.statsDelta.gets, 300);
  assert.equal(b.statsDelta.gets, 500);
});

if (import.meta.main) console.log(JSON.stringify(await scenario()));
