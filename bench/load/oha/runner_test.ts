/**
 * Tests of bench/load/oha/runner.ts: an end-to-end run of a fake `oha` (a script put first on PATH) against the real server, a failing oha, and a real oha for one second when one is installed (ignored otherwise). Run: `deno test -A bench/load/oha/`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { checkValues, prefill, readStats } from "../../client.ts";
import { makeEntries, makeMissKeys } from "../../data.ts";
import { missCounter } from "../../measure.ts";
import { startServer } from "../../../tests/support/server_process.ts";
import type { LoadSpec } from "../generator.ts";
import { probeOha } from "./check.ts";
import { HELP_CURRENT, JSON_ARGS, spec } from "./fixtures.ts";
import { fillKey, getUrl, writeOhaInputs } from "./inputs.ts";
import { LATENCY_MIXTURE } from "./result.ts";
import { makeOhaRunner, ohaGenerator } from "./runner.ts";

/** Source of the fake oha: checks its arguments, sends real requests, prints JSON. */
const FAKE_OHA = String.raw`
const args = Deno.args;
const HELP = ${JSON.stringify(HELP_CURRENT)};
if (args[0] === "--version") { console.log("oha 9.9.9"); Deno.exit(0); }
if (args[0] === "--help") { console.log(HELP); Deno.exit(0); }
const fail = (m) => { console.error("fake oha: " + m); Deno.exit(2); };
const withValue = ["-z", "-c", "-t", "-m", "-T", "-Z", "--output-format"];
const flags = ["--no-tui", "--disable-compression", "--urls-from-file"];
const o = {}; const positional = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (withValue.includes(a)) o[a] = args[++i];
  else if (flags.includes(a)) o[a] = true;
  else if (a.startsWith("-")) fail("unknown option " + a);
  else positional.push(a);
}
const log = Deno.env.get("FAKE_OHA_LOG");
const cpus = Deno.readTextFileSync("/proc/self/status").match(/Cpus_allowed_list:\s*(\S+)/)?.[1];
if (log) Deno.writeTextFileSync(log, JSON.stringify({ args, cpus }) + "\n", { append: true });
if (!o["--no-tui"] || o["--output-format"] !== "json") fail("need --no-tui --output-format json");
if (!/^\d+s$/.test(o["-z"] ?? "")) fail("bad -z " + o["-z"]);
if (!(Number(o["-c"]) >= 1)) fail("bad -c " + o["-c"]);
if (o["-t"] !== "5s" || !o["--disable-compression"]) fail("need -t 5s --disable-compression");
if (positional.length !== 1) fail("need one URL or file, got " + positional.length);
if (!!o["--urls-from-file"] === !!o["-Z"]) fail("need exactly one of --urls-from-file and -Z");
if (o["-Z"] && (o["-m"] !== "POST" || o["-T"] !== "application/json")) fail("-Z needs -m POST -T application/json");
const lines = Deno.readTextFileSync(o["-Z"] ?? positional[0]).split("\n").filter((l) => l);
const take = Number(Deno.env.get("FAKE_OHA_REQUESTS") ?? "3");
const statuses = {}; const times = []; let bytes = 0;
const t0 = performance.now();
for (const line of lines.slice(0, take)) {
  const start = performance.now();
  const res = o["-Z"]
    ? await fetch(positional[0], { method: "POST", headers: { "content-type": o["-T"] }, body: line })
    : await fetch(line);
  bytes += (await res.arrayBuffer()).byteLength;
  times.push((performance.now() - start) / 1000);
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
}
const total = (performance.now() - t0) / 1000;
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
const pct = {};
for (const [k, q] of [["p10", .1], ["p25", .25], ["p50", .5], ["p75", .75], ["p90", .9], ["p95", .95], ["p99", .99], ["p99.9", .999], ["p99.99", .9999]]) pct[k] = at(q);
const avg = times.reduce((a, b) => a + b, 0) / times.length;
const triple = { average: 0, fastest: 0, slowest: 0 };
console.log(JSON.stringify({
  summary: { successRate: 1, total, slowest: times[times.length - 1], fastest: times[0], average: avg,
    requestsPerSec: times.length / total, totalData: bytes, sizePerRequest: Math.round(bytes / times.length),
    sizePerSec: bytes / total },
  responseTimeHistogram: { [String(times[0])]: times.length },
  latencyPercentiles: pct,
  rps: { mean: 1, stddev: null, max: 1, min: 1, percentiles: pct },
  details: { DNSDialup: triple, DNSLookup: triple },
  statusCodeDistribution: statuses,
  errorDistribution: { "aborted due to deadline": 1 },
}, null, 2));
`;

/** Whether `taskset` can pin a command here. */
async function hasTaskset(): Promise<boolean> {
  try {
    return (await new Deno.Command("taskset", {
      args: ["-c", "0", "true"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

/** Writes the fake oha into a new directory; returns it and the environment putting it first on PATH. */
async function fakeOha(): Promise<
  { dir: string; env: Record<string, string>; log: string }
> {
  const dir = await Deno.makeTempDir({ prefix: "fake-oha-" });
  await Deno.writeTextFile(`${dir}/fake_oha.js`, FAKE_OHA);
  const deno = Deno.execPath();
  await Deno.writeTextFile(
    `${dir}/oha`,
    `#!/bin/sh\nexec '${deno}' run --quiet --no-config --no-lock ` +
      "-A " + // -A: Deno 2.9 reads /proc (the affinity) only with all permissions
      `'${dir}/fake_oha.js' "$@"\n`,
  );
  await Deno.chmod(`${dir}/oha`, 0o755);
  const log = `${dir}/args.log`;
  return {
    dir,
    log,
    env: {
      PATH: `${dir}:${Deno.env.get("PATH") ?? ""}`,
      FAKE_OHA_LOG: log,
    },
  };
}

Deno.test("end to end: a fake oha on PATH runs miss, mix and fill against the real server", async () => {
  const fake = await fakeOha();
  const server = await startServer({ env: { NOT_FOUND_STATUS: "200" } });
  try {
    const pin = (await hasTaskset()) ? ["taskset", "-c", "0"] : [];
    const check = await probeOha(fake.env);
    assert.equal(check.ok, true, check.reason);
    assert.equal(check.version, "oha 9.9.9");
    const entries = makeEntries(5);
    await prefill(server.url, entries);
    const inputs = await writeOhaInputs(fake.dir, entries, makeMissKeys(5), 8);
    const run = makeOhaRunner(inputs, {
      jsonArgs: check.jsonArgs,
      env: fake.env,
      prefix: pin,
    });
    const load = (mode: LoadSpec["mode"], getPercent: number) =>
      run({ ...spec(mode, getPercent, 4), durationSeconds: 1 }, server.url);

    // miss: three GETs of never-written keys, counted as misses by the server.
    const before = await readStats(server.url);
    const miss = await load("miss", 100);
    const after = await readStats(server.url);
    assert.equal(miss.requests, 3);
    assert.deepEqual(miss.oha.processes[0].statusCodes, { "200": 3 });
    assert.equal(
      (missCounter(after) ?? 0) - (missCounter(before) ?? 0),
      3,
      "the miss URLs reached the server as misses",
    );

    // mix: PUTs must restore the exact prefilled values we overwrite first.
    for (const e of entries.slice(0, 3)) {
      await (await fetch(`${server.url}/put`, {
        method: "POST",
        body: JSON.stringify({ key: e.key, value: "clobbered" }),
      })).body?.cancel();
    }
    const mix = await load("mix", 50);
    assert.equal(mix.requests, 6);
    assert.deepEqual(mix.sent, { get: 4, put: 4 });
    assert.equal(mix.oha.abortedAtDeadline, 2);
    assert.equal(mix.errors.status, 0);
    assert.equal(mix.oha.latencyMerge, LATENCY_MIXTURE);
    assert.ok(Number.isFinite(mix.cpuSeconds) && mix.cpuSeconds >= 0);
    assert.ok(mix.latencyUs.percentiles["99"] > 0);
    assert.deepEqual(await checkValues(server.url, entries.slice(0, 3)), []);

    // fill: new keys with the prefill values.
    const fill = await load("fill", 0);
    assert.equal(fill.requests, 3);
    assert.equal(fill.oha.fill?.bodyLines, 8);
    assert.equal(fill.oha.fill?.picksBefore, 0);
    const res = await fetch(getUrl(server.url, fillKey(1)));
    assert.equal((await res.json()).value, entries[1].value);

    // Every invocation got the arguments the harness meant.
    const logged: { args: string[]; cpus: string }[] =
      (await Deno.readTextFile(fake.log)).trimEnd().split("\n").map((l) =>
        JSON.parse(l)
      );
    assert.equal(logged.length, 4);
    if (pin.length) {
      assert.deepEqual(logged.map((c) => c.cpus), ["0", "0", "0", "0"]);
    }
    const calls = logged.map((c) => c.args);
    const port = new URL(server.url).port;
    assert.deepEqual(calls[0].slice(-2), [
      "--urls-from-file",
      `${fake.dir}/oha-miss-urls-${port}.tmp`,
    ]);
    const mixCalls = calls.slice(1, 3).sort((a, b) =>
      a.includes("-Z") ? 1 : b.includes("-Z") ? -1 : 0
    );
    assert.equal(mixCalls[0].at(-1), `${fake.dir}/oha-get-urls-${port}.tmp`);
    assert.equal(mixCalls[1].at(-1), `${server.url}/put`);
    assert.equal(mixCalls[1][mixCalls[1].indexOf("-Z") + 1], inputs.putBodies);
    for (const c of mixCalls) assert.equal(c[c.indexOf("-c") + 1], "2");
    assert.equal(calls[3][calls[3].indexOf("-Z") + 1], inputs.fillBodies);
    // The per-server URL files and outputs are gone; the inputs stay.
    const left = [...Deno.readDirSync(fake.dir)].map((e) => e.name).sort();
    assert.deepEqual(left.filter((n) => n.startsWith("oha-")), [
      "oha-fill-bodies.tmp",
      "oha-put-bodies.tmp",
    ]);
  } finally {
    await server.stop();
    await Deno.remove(fake.dir, { recursive: true });
  }
});

Deno.test("runners of two servers loaded at the same time (--together) each load their own", async () => {
  const fake = await fakeOha();
  const servers = [
    await startServer({ env: { NOT_FOUND_STATUS: "200" } }),
    await startServer({ env: { NOT_FOUND_STATUS: "200" } }),
  ];
  try {
    const generator = ohaGenerator({
      version: "oha 9.9.9",
      reason: "test",
      dir: fake.dir,
      jsonArgs: JSON_ARGS,
      env: fake.env,
    });
    const load = await generator.prepare({
      entries: makeEntries(5),
      missKeys: makeMissKeys(5),
      fillSeconds: 0,
    });
    const before = await Promise.all(servers.map((s) => readStats(s.url)));
    const results = await Promise.all(
      servers.map((s) =>
        load.runner()({ ...spec("miss", 100, 2), durationSeconds: 1 }, s.url)
      ),
    );
    const after = await Promise.all(servers.map((s) => readStats(s.url)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.requests, 3);
      assert.equal(
        (missCounter(after[i]) ?? 0) - (missCounter(before[i]) ?? 0),
        3,
        `server ${i} got its own three misses`,
      );
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Deno.remove(fake.dir, { recursive: true });
  }
});

Deno.test("makeOhaRunner reports a failing oha with its exit code and stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "failing-oha-" });
  try {
    await Deno.writeTextFile(
      `${dir}/oha`,
      '#!/bin/sh\necho "oha: bad flag $1" >&2\nexit 3\n',
    );
    await Deno.chmod(`${dir}/oha`, 0o755);
    const inputs = await writeOhaInputs(dir, makeEntries(2), ["miss-1"], 0);
    const run = makeOhaRunner(inputs, {
      jsonArgs: JSON_ARGS,
      env: { PATH: `${dir}:${Deno.env.get("PATH") ?? ""}` },
    });
    await assert.rejects(
      run(spec("miss", 100, 2), "http://127.0.0.1:9"),
      /oha failed \(exit 3\): oha: bad flag --no-tui/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const realOha = await probeOha();

Deno.test({
  name: "real oha: a 1 s miss workload against the real server" +
    (realOha.ok ? "" : ` (ignored: ${realOha.reason})`),
  ignore: !realOha.ok,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "real-oha-" });
    const server = await startServer({ env: { NOT_FOUND_STATUS: "200" } });
    try {
      const inputs = await writeOhaInputs(
        dir,
        makeEntries(10),
        makeMissKeys(1000),
        0,
      );
      const run = makeOhaRunner(inputs, { jsonArgs: realOha.jsonArgs });
      const r = await run(
        { ...spec("miss", 100, 4), durationSeconds: 1 },
        server.url,
      );
      assert.ok(r.requests > 0, `requests ${r.requests}`);
      assert.equal(r.errors.status, 0);
      assert.equal(r.errors.read + r.errors.timeout, 0);
      assert.ok(r.durationUs > 500_000 && r.durationUs < 5_000_000);
      assert.ok(r.latencyUs.percentiles["99"] > 0);
      assert.ok(Number.isFinite(r.cpuSeconds));
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
