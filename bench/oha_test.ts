/**
 * Tests of bench/oha.ts: capability check, generator choice, argument lists,
 * input files, JSON parsing and merging, and an end-to-end run of a fake
 * `oha` (a script put first on PATH) against the real server. A last test
 * runs a real oha for one second when one is installed, and is ignored
 * otherwise. Run: `deno test -A bench/oha_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseOptions } from "./args.ts";
import { checkValues, prefill, readStats } from "./client.ts";
import { makeEntries, makeMissKeys } from "./data.ts";
import { missCounter } from "./measure.ts";
import {
  checkOha,
  chooseLoadGenerator,
  expectedNewKeyShare,
  fillKey,
  fillNote,
  getUrl,
  LATENCY_MIXTURE,
  LATENCY_SINGLE,
  makeOhaRunner,
  mixtureQuantile,
  OHA_DEADLINE_ERROR,
  OHA_FILL_MAX_LINES,
  ohaCommand,
  ohaFillLines,
  ohaProcesses,
  type OhaSummary,
  parseOhaJson,
  parseOhaVersion,
  probeOha,
  putBody,
  splitConnections,
  toLoadResult,
  urlLines,
  writeOhaInputs,
} from "./oha.ts";
import type { LoadSpec } from "./wrk.ts";
import { startServer } from "../tests/support/server_process.ts";

/** `oha --help` of a release with -Z and --output-format (abridged, clap layout). */
const HELP_CURRENT = `Usage: oha [OPTIONS] <URL>

Options:
  -n <N_REQUESTS>
          Number of requests to run. [default: 200]
  -c <N_CONNECTIONS>
          Number of connections to run concurrently. [default: 50]
  -z <DURATION>
          Duration of application to send requests.
      --urls-from-file
          Read the URLs to query from a file
      --no-tui
          No realtime tui
  -m, --method <METHOD>
          HTTP method [default: GET]
  -t <TIMEOUT>
          Timeout for each request. Default to infinite.
  -d <BODY_STRING>
          HTTP request body.
  -Z <BODY_PATH_LINES>
          HTTP request body from file line by line.
  -T <CONTENT_TYPE>
          Content-Type.
      --disable-compression
          Disable compression.
      --output-format <OUTPUT_FORMAT>
          Output format [default: text] [possible values: text, json, csv, quiet]
  -V, --version
          Print version
`;

/** `oha --help` of a release with --urls-from-file and -j but no -Z. */
const HELP_NO_BODY_LINES = HELP_CURRENT
  .replace(/ {2}-Z <BODY_PATH_LINES>\n.*\n/, "")
  .replace(
    /--output-format <OUTPUT_FORMAT>\n.*\n/,
    "-j, --json\n          Print results as JSON\n",
  );

Deno.test("checkOha accepts an oha listing -Z, --urls-from-file and --output-format", () => {
  const c = checkOha("oha 1.15.0", HELP_CURRENT);
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.version, "oha 1.15.0");
  assert.deepEqual(c.jsonArgs, ["--output-format", "json"]);
  assert.equal(parseOhaVersion("oha 1.4.5\n"), "oha 1.4.5");
  assert.equal(parseOhaVersion("oha/1.2"), undefined);
});

Deno.test("checkOha refuses a missing oha, a stranger named oha and one too old for -Z", () => {
  assert.match(checkOha(undefined, undefined).reason, /not on PATH/);
  const stranger = checkOha("Usage: oha <file>  (npm oha)", "");
  assert.equal(stranger.ok, false);
  assert.match(stranger.reason, /not "oha X\.Y\.Z"/);
  const old = checkOha("oha 1.6.0", HELP_NO_BODY_LINES);
  assert.equal(old.ok, false);
  assert.equal(old.version, "oha 1.6.0");
  assert.match(old.reason, /too old: its --help lacks -Z\b/);
  assert.deepEqual(old.jsonArgs, []);
  const noJson = checkOha(
    "oha 9.0.0",
    HELP_CURRENT.replace(/--output-format.*\n.*\n/, ""),
  );
  assert.match(noJson.reason, /neither --output-format json nor -j/);
});

Deno.test("checkOha uses -j on an oha that has -Z but no --output-format", () => {
  const help = HELP_CURRENT.replace(
    /--output-format <OUTPUT_FORMAT>\n.*\n/,
    "-j, --json\n          Print results as JSON\n",
  );
  assert.deepEqual(checkOha("oha 2.0.0", help).jsonArgs, ["-j"]);
});

Deno.test("chooseLoadGenerator: auto prefers a capable oha, else wrk with the reason", () => {
  const good = checkOha("oha 1.15.0", HELP_CURRENT);
  const old = checkOha("oha 1.6.0", HELP_NO_BODY_LINES);
  const wrkV = "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer";
  assert.equal(chooseLoadGenerator("auto", good, wrkV).name, "oha");
  assert.equal(chooseLoadGenerator("auto", good, undefined).name, "oha");
  const fallback = chooseLoadGenerator("auto", old, wrkV);
  assert.equal(fallback.name, "wrk");
  assert.equal(fallback.version, wrkV);
  assert.match(fallback.reason, /oha not used \(oha 1\.6\.0 is too old/);
  assert.equal(chooseLoadGenerator("wrk", good, wrkV).name, "wrk");
  assert.throws(() => chooseLoadGenerator("wrk", good, undefined), /wrk not/);
  assert.throws(
    () => chooseLoadGenerator("oha", old, wrkV),
    /--load-generator oha: oha 1\.6\.0 is too old/,
  );
  assert.throws(
    () => chooseLoadGenerator("auto", old, undefined),
    /no load generator/,
  );
});

Deno.test("--load-generator: auto by default, oha or wrk, nothing else", () => {
  assert.equal(parseOptions([]).loadGenerator, "auto");
  assert.equal(
    parseOptions(["--load-generator", "oha"]).loadGenerator,
    "oha",
  );
  assert.equal(
    parseOptions(["--load-generator", "wrk"]).loadGenerator,
    "wrk",
  );
  assert.throws(
    () => parseOptions(["--load-generator", "hey"]),
    /--load-generator must be one of auto, oha, wrk, got "hey"/,
  );
});

const FILES = {
  getUrls: "/d/get.txt",
  missUrls: "/d/miss.txt",
  putBodies: "/d/put.txt",
  fillBodies: "/d/fill.txt",
};
const JSON_ARGS = ["--output-format", "json"];
const spec = (
  mode: LoadSpec["mode"],
  getPercent: number,
  connections = 100,
): LoadSpec => ({
  mode,
  getPercent,
  connections,
  threads: 1,
  durationSeconds: 10,
});
const common = (c: number) => [
  "--no-tui",
  "--output-format",
  "json",
  "-z",
  "10s",
  "-c",
  String(c),
  "-t",
  "5s",
  "--disable-compression",
];
const putTail = (file: string) => [
  "-m",
  "POST",
  "-T",
  "application/json",
  "-Z",
  file,
  "http://h:1/put",
];

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

Deno.test("input files: URLs encode keys, PUT bodies parse back to the exact values", async () => {
  const entries = [
    ...makeEntries(50),
    { key: "a b&c=d/é?#", value: 'q"b\\t\tn\nv\x0bf\x0c' },
  ];
  const all = entries.map((e) => e.value).join("");
  for (const c of ['"', "\\", "\t", "\n", "\x0b", "\x0c"]) {
    assert.ok(all.includes(c), `values contain ${JSON.stringify(c)}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "oha-inputs-" });
  try {
    const inputs = await writeOhaInputs(dir, entries, makeMissKeys(20), 25);
    const puts = (await Deno.readTextFile(inputs.putBodies)).split("\n");
    assert.equal(puts.pop(), "", "file ends with a newline");
    assert.equal(puts.length, entries.length);
    puts.forEach((line, i) => {
      assert.ok(!/[\t\n\r]/.test(line), "no raw tab/newline/CR in a line");
      assert.deepEqual(JSON.parse(line), entries[i]);
      assert.equal(line, putBody(entries[i].key, entries[i].value));
    });
    const fills = (await Deno.readTextFile(inputs.fillBodies)).trimEnd()
      .split("\n").map((l) => JSON.parse(l));
    assert.equal(fills.length, 25);
    assert.equal(new Set(fills.map((f) => f.key)).size, 25);
    fills.forEach((f, i) => {
      assert.equal(f.key, fillKey(i));
      assert.equal(f.key.length, 36);
      assert.equal(f.value, entries[i % entries.length].value);
    });
    const keys = entries.map((e) => e.key);
    const urls = urlLines("http://127.0.0.1:9", keys).trimEnd().split("\n");
    urls.forEach((u, i) => {
      const parsed = new URL(u);
      assert.equal(parsed.pathname, "/get");
      assert.equal(parsed.searchParams.get("key"), keys[i]);
    });
    assert.equal(
      getUrl("http://h", "a b&c=d/é?#"),
      "http://h/get?key=a%20b%26c%3Dd%2F%C3%A9%3F%23",
    );
    const none = await writeOhaInputs(dir, entries, [], 0);
    assert.equal(none.fillBodies, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** An oha JSON output following hatoo/oha schema.json (values invented). */
function sampleJson(opts: {
  ok: number;
  status404?: number;
  errors?: Record<string, number>;
  pct: number[]; // p10..p99.99, seconds
  fastest: number;
  slowest: number;
  average: number;
  total?: number;
}): string {
  const keys = ["p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9"];
  const percentiles = Object.fromEntries(
    [...keys, "p99.99"].map((k, i) => [k, opts.pct[i]]),
  );
  return JSON.stringify({
    summary: {
      successRate: 1,
      total: opts.total ?? 10.0005,
      slowest: opts.slowest,
      fastest: opts.fastest,
      average: opts.average,
      requestsPerSec: opts.ok / 10,
      totalData: opts.ok * 300,
      sizePerRequest: 300,
      sizePerSec: opts.ok * 30,
    },
    responseTimeHistogram: { "0.001": opts.ok },
    latencyPercentiles: percentiles,
    rps: {
      mean: 1000,
      stddev: null,
      max: 1200,
      min: 800,
      percentiles: { ...percentiles },
    },
    details: {
      DNSDialup: { average: 0.0001, fastest: 0.0001, slowest: 0.0002 },
      DNSLookup: { average: 0.00001, fastest: 0.00001, slowest: 0.00002 },
    },
    statusCodeDistribution: {
      "200": opts.ok,
      ...(opts.status404 ? { "404": opts.status404 } : {}),
    },
    errorDistribution: opts.errors ?? {},
  });
}

const MS = 0.001;

Deno.test("parseOhaJson reads a schema.json-shaped sample into a LoadResult", () => {
  const text = sampleJson({
    ok: 1000,
    status404: 5,
    errors: { [OHA_DEADLINE_ERROR]: 7, timeout: 2, "connection reset": 1 },
    pct: [0.5, 0.7, 1, 1.2, 1.5, 1.8, 3, 5, 9].map((x) => x * MS),
    fastest: 0.2 * MS,
    slowest: 12 * MS,
    average: 1.1 * MS,
  });
  const s = parseOhaJson(text);
  assert.equal(s.requests, 1005);
  assert.equal(s.durationSeconds, 10.0005);
  assert.equal(s.percentiles["p99.9"], 0.005);
  const r = toLoadResult([{ kind: "get", connections: 10, summary: s }], 1.5);
  assert.equal(r.requests, 1005);
  assert.equal(r.durationUs, 10000500);
  assert.equal(r.bytes, 300000);
  assert.deepEqual(r.errors, {
    connect: 0,
    read: 1,
    write: 0,
    status: 5,
    timeout: 2,
  });
  assert.deepEqual(r.latencyUs.percentiles, {
    "50": 1000,
    "90": 1500,
    "99": 3000,
    "99.9": 5000,
  });
  assert.equal(r.latencyUs.min, 200);
  assert.equal(r.latencyUs.max, 12000);
  assert.equal(r.latencyUs.mean, 1100);
  assert.ok(Number.isNaN(r.latencyUs.stdev));
  assert.deepEqual(r.sent, { get: 1015, put: 0 });
  assert.equal(r.cpuSeconds, 1.5);
  assert.equal(r.oha.abortedAtDeadline, 7);
  assert.equal(r.oha.latencyMerge, LATENCY_SINGLE);
  assert.equal(r.generator, "oha");
});

Deno.test("parseOhaJson names what is wrong", () => {
  assert.throws(() => parseOhaJson("Summary:\n  Success rate"), /no JSON/);
  const good = JSON.parse(sampleJson({
    ok: 1,
    pct: Array(9).fill(MS),
    fastest: MS,
    slowest: MS,
    average: MS,
  }));
  delete good.summary.total;
  assert.throws(
    () => parseOhaJson(JSON.stringify(good)),
    /summary\.total is not a number \(got undefined\)/,
  );
  good.summary.total = 1;
  good.statusCodeDistribution = { "200": -1 };
  assert.throws(
    () => parseOhaJson(JSON.stringify(good)),
    /statusCodeDistribution\["200"\] is not a count/,
  );
});

Deno.test("parseOhaJson accepts the nulls oha prints when nothing answered", () => {
  const json = JSON.parse(sampleJson({
    ok: 0,
    pct: Array(9).fill(null),
    fastest: 0,
    slowest: 0,
    average: 0,
  }));
  json.summary.fastest = json.summary.slowest = json.summary.average = null;
  json.errorDistribution = { "connection refused": 40 };
  const s = parseOhaJson(JSON.stringify(json));
  assert.equal(s.requests, 0);
  const r = toLoadResult([{ kind: "get", connections: 1, summary: s }], 0.1);
  assert.equal(r.errors.read, 40);
  assert.ok(Number.isNaN(r.latencyUs.percentiles["99"]));
});

/** A summary whose every request took `seconds`. */
function pointMass(requests: number, seconds: number): OhaSummary {
  return parseOhaJson(sampleJson({
    ok: requests,
    pct: Array(9).fill(seconds),
    fastest: seconds,
    slowest: seconds,
    average: seconds,
  }));
}

Deno.test("toLoadResult merges a GET and a PUT process", () => {
  const get = { ...pointMass(900, 1 * MS), durationSeconds: 10.001 };
  const put = { ...pointMass(100, 3 * MS), durationSeconds: 10.002 };
  put.errors = { timeout: 1, [OHA_DEADLINE_ERROR]: 2 };
  const r = toLoadResult([
    { kind: "get", connections: 90, summary: get },
    { kind: "put", connections: 10, summary: put },
  ], 2.25);
  assert.equal(r.requests, 1000);
  assert.equal(r.durationUs, 10002000);
  assert.equal(r.bytes, 300000);
  assert.deepEqual(r.sent, { get: 900, put: 103 });
  assert.equal(r.errors.timeout, 1);
  assert.equal(r.oha.abortedAtDeadline, 2);
  // 90% of requests took 1 ms, 10% took 3 ms.
  assert.deepEqual(r.latencyUs.percentiles, {
    "50": 1000,
    "90": 1000,
    "99": 3000,
    "99.9": 3000,
  });
  assert.equal(r.latencyUs.mean, 1200);
  assert.equal(r.latencyUs.min, 1000);
  assert.equal(r.latencyUs.max, 3000);
  assert.equal(r.oha.latencyMerge, LATENCY_MIXTURE);
  assert.deepEqual(r.oha.processes.map((p) => [p.kind, p.connections]), [
    ["get", 90],
    ["put", 10],
  ]);
  assert.equal(r.cpuSeconds, 2.25);
});

Deno.test("mixtureQuantile: a distribution merged with itself, and with another", () => {
  const knots = [
    { x: 1, q: 0 },
    { x: 2, q: 0.5 },
    { x: 4, q: 0.9 },
    { x: 10, q: 1 },
  ];
  for (const q of [0.1, 0.5, 0.7, 0.9, 0.99]) {
    const alone = mixtureQuantile([{ weight: 3, knots }], q);
    const twice = mixtureQuantile(
      [{ weight: 3, knots }, { weight: 5, knots }],
      q,
    );
    assert.ok(Math.abs(alone - twice) < 1e-12, `q=${q}`);
  }
  assert.equal(mixtureQuantile([{ weight: 1, knots }], 0.5), 2);
  assert.equal(mixtureQuantile([{ weight: 1, knots }], 0.7), 3);
  // Uniform on [0, 1] and on [1, 2], equal weights: uniform on [0, 2].
  const a = [{ x: 0, q: 0 }, { x: 1, q: 1 }];
  const b = [{ x: 1, q: 0 }, { x: 2, q: 1 }];
  const both = [{ weight: 1, knots: a }, { weight: 1, knots: b }];
  assert.ok(Math.abs(mixtureQuantile(both, 0.25) - 0.5) < 1e-12);
  assert.ok(Math.abs(mixtureQuantile(both, 0.75) - 1.5) < 1e-12);
  // The merged quantile lies between the two processes' own.
  const heavy = [{ weight: 9, knots: a }, { weight: 1, knots: b }];
  const p99 = mixtureQuantile(heavy, 0.99);
  assert.ok(p99 > 0.99 && p99 < 2, String(p99));
  assert.ok(Number.isNaN(mixtureQuantile([], 0.5)));
});

Deno.test("fill sizing: lines per expected request, a cap, and the new-key share", () => {
  assert.equal(ohaFillLines(0.001), 10_000);
  assert.equal(ohaFillLines(0.5), 500_000);
  assert.equal(ohaFillLines(12), OHA_FILL_MAX_LINES);
  // n picks among n lines: 1 - 1/e of them are distinct.
  const n = 1_000_000;
  assert.ok(Math.abs(expectedNewKeyShare(n, 0, n) - (1 - 1 / Math.E)) < 1e-4);
  assert.ok(expectedNewKeyShare(n, 0, 1000) > 0.999);
  assert.ok(
    expectedNewKeyShare(n, 100_000, 500_000) <
      expectedNewKeyShare(n, 0, 500_000),
  );
  assert.equal(expectedNewKeyShare(10, 0, 0), 1);
  const r = toLoadResult(
    [{ kind: "put", connections: 1, summary: pointMass(10, MS) }],
    0,
  );
  assert.equal(fillNote(r), undefined);
  r.oha.fill = { bodyLines: n, picksBefore: 0, expectedNewKeyShare: 0.79 };
  assert.match(fillNote(r) ?? "", /about 21% of this fill's PUTs rewrote/);
});

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
    assert.deepEqual(calls[0].slice(-2), [
      "--urls-from-file",
      `${fake.dir}/oha-miss-urls.tmp`,
    ]);
    const mixCalls = calls.slice(1, 3).sort((a, b) =>
      a.includes("-Z") ? 1 : b.includes("-Z") ? -1 : 0
    );
    assert.equal(mixCalls[0].at(-1), `${fake.dir}/oha-get-urls.tmp`);
    assert.equal(mixCalls[1].at(-1), `${server.url}/put`);
    assert.equal(mixCalls[1][mixCalls[1].indexOf("-Z") + 1], inputs.putBodies);
    for (const c of mixCalls) assert.equal(c[c.indexOf("-c") + 1], "2");
    assert.equal(calls[3][calls[3].indexOf("-Z") + 1], inputs.fillBodies);
  } finally {
    await server.stop();
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
