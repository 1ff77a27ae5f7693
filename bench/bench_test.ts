/**
 * Unit tests of the load-test harness's pure parts (parsers, data, summary,
 * chart). Run: `deno test bench/`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseDuration, parseOptions } from "./args.ts";
import { numericLeaves } from "./client.ts";
import {
  type BodySpelling,
  hitBodyLength,
  jsonEscape,
  makeEntries,
  makeMissKeys,
  makeUnicodeEntries,
  spellPutBody,
  VALUE_LENGTH,
} from "./data.ts";
import { missCounter, type RunResult } from "./measure.ts";
import { listeningInodes, parseCoreTicks, parseProcStat } from "./procfs.ts";
import { median, summarize, summaryTable, variantTable } from "./report.ts";
import { escapeXml, niceCeil, renderSvg } from "./svg.ts";
import { freePort } from "../tests/support/server_process.ts";
import { parseTimes } from "./load/times.ts";
import { parseWrkOutput } from "./load/wrk.ts";

Deno.test("data is deterministic, UUID-shaped and needs JSON escaping", () => {
  const a = makeEntries(200);
  assert.deepEqual(a, makeEntries(200));
  for (const e of a) {
    assert.match(
      e.key,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(e.value.length, VALUE_LENGTH);
  }
  const all = a.map((e) => e.value).join("");
  for (const c of ['"', "\\", "\t", "\n", "\x0b", "\x0c"]) {
    assert.ok(all.includes(c), `values contain ${JSON.stringify(c)}`);
  }
  assert.equal(JSON.parse(`"${jsonEscape(a[0].value)}"`), a[0].value);
  assert.ok(
    !/[\t\n]/.test(jsonEscape(all)),
    "escaped values hold no raw tab/newline",
  );
  assert.ok(hitBodyLength(a[0]) > VALUE_LENGTH + 36);
  for (const k of makeMissKeys(50)) assert.equal(k.length, 36);
});

Deno.test("each spelling of a PUT body parses to its entry, spelled as named", () => {
  const ascii = makeEntries(50);
  const unicode = makeUnicodeEntries(50);
  for (const e of unicode) {
    assert.ok(e.value.length <= VALUE_LENGTH);
    assert.ok([...e.value].some((c) => c > "\x7f"), "values hold non-ASCII");
  }
  assert.ok(unicode.some((e) => /\p{Extended_Pictographic}/u.test(e.value)));
  const spellings: BodySpelling[] = ["compact", "python", "escaped", "ttl"];
  for (const spelling of spellings) {
    for (const e of [...ascii, ...unicode]) {
      const body = spellPutBody(e, spelling);
      const parsed = JSON.parse(body);
      assert.equal(parsed.key, e.key);
      assert.equal(parsed.value, e.value);
      assert.equal(parsed.ttl, spelling === "ttl" ? 3600 : undefined);
      assert.ok(!/[\t\n]/.test(body), "one line, no raw tab");
    }
  }
  const [e] = unicode;
  assert.ok(spellPutBody(e, "python").startsWith('{"key": "'));
  assert.ok(/^[\x20-\x7e]*$/.test(spellPutBody(e, "python")), "ensure_ascii");
  assert.ok(spellPutBody(ascii[0], "escaped").includes("\\u00"));
  assert.ok(!spellPutBody(ascii[0], "escaped").includes('\\"'));
});

Deno.test("parseProcStat reads utime and stime after a tricky comm", () => {
  const stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 9 0";
  assert.deepEqual(parseProcStat(stat), { utime: 17, stime: 5 });
});

Deno.test("listeningInodes finds LISTEN sockets on a port", () => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:94DF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 24079 1 0 100 0 0 10 0",
    "   1: 0100007F:94DF 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 24080 1 0 20 4 30 10 -1",
  ].join("\n");
  assert.deepEqual(listeningInodes(tcp, 38111), ["24079"]);
  assert.deepEqual(listeningInodes(tcp, 80), []);
});

Deno.test("parseCoreTicks skips the aggregate line and idle/iowait", () => {
  const stat = "cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 10 1 5 100 4 1 1 0 0 0\nintr 5";
  assert.deepEqual([...parseCoreTicks(stat)], [[0, {
    busy: 18,
    total: 122,
  }]]);
});

Deno.test("parseWrkOutput takes the KVBENCH_JSON line", () => {
  const out = "Running 1s test\nKVBENCH_JSON " +
    '{"durationUs":1000000,"requests":5,"bytes":9,"errors":{"connect":0,' +
    '"read":0,"write":0,"status":1,"timeout":0},"latencyUs":{"min":1,' +
    '"mean":2.0,"max":3,"stdev":0.5,"percentiles":{"50":2,"90":3,"99":3,' +
    '"99.9":3}},"sent":{"get":3,"put":2}}\n';
  const r = parseWrkOutput(out);
  assert.equal(r.requests, 5);
  assert.equal(r.latencyUs.percentiles["99.9"], 3);
  assert.ok(Number.isNaN(r.cpuSeconds));
  assert.equal(
    parseWrkOutput(out + "0m0.002s 0m0.001s\n1m2.5s 0m0.25s\n").cpuSeconds,
    62.75,
  );
  assert.equal(parseTimes("0m0.000s 0m0.000s\n0m3.120s 0m1.000s"), 4.12);
  assert.throws(() => parseWrkOutput("nothing"));
});

Deno.test("options: durations, lists and defaults", () => {
  assert.equal(parseDuration("5s"), 5);
  assert.equal(parseDuration("1500ms"), 1.5);
  assert.equal(parseDuration("2"), 2);
  assert.throws(() => parseDuration("fast"));
  const o = parseOptions([
    "--duration",
    "5s",
    "--only",
    "mix,fill",
    "--only",
    "miss",
  ]);
  assert.equal(o.durationSeconds, 5);
  assert.deepEqual(o.only, ["mix", "fill", "miss"]);
  assert.equal(o.rounds, 2);
  assert.equal(o.unpinned, false);
  assert.equal(parseOptions(["--unpinned"]).unpinned, true);
  assert.throws(() => parseOptions(["--rounds", "0"]));
  assert.throws(() => parseOptions(["--bogus"]));
  assert.equal(
    parseOptions(["--variant-entry", "bench/minimal_server.ts"]).variantEntry,
    "bench/minimal_server.ts",
  );
  assert.throws(() =>
    parseOptions(["--variant-entry", "x.ts", "--target", "http://h:1"])
  );
});

Deno.test("stats helpers flatten counters and find misses", () => {
  assert.deepEqual(numericLeaves({ a: 1, b: { c: 2 }, d: "x" }), {
    a: 1,
    "b.c": 2,
  });
  assert.equal(missCounter({ hits: 3, misses: 4 }), 4);
  assert.equal(missCounter({ hits: 3 }), null);
});

function fakeRun(
  server: string,
  rps: number,
  cpu: number,
  p99: number,
): RunResult {
  return {
    workload: "mix",
    server,
    round: 1,
    rps,
    latencyUs: { p50: 1, p90: 2, p99, p999: 4, max: 5, mean: 1 },
    errors: 0,
    non2xx: 0,
    notFound: null,
    cpuUsPerRequest: cpu,
    cpuSeconds: 1,
    serverCpuPercent: 100,
    otherOnServerCorePercent: 0,
    loadCoreBusyPercent: 90,
    wrkCpuPercent: 85,
    otherOnLoadCorePercent: 5,
    rssMiB: 50,
    requests: 10,
    sent: { get: 5, put: 5 },
    statsDelta: {},
    valueProblems: [],
    wrk: parseWrkOutput(
      'KVBENCH_JSON {"durationUs":1,"requests":1,"bytes":1,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latencyUs":{"min":1,"mean":1,"max":1,"stdev":0,"percentiles":{}},"sent":{"get":1,"put":0}}',
    ),
  };
}

Deno.test("summarize takes medians and server/floor ratios", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const [s] = summarize([
    fakeRun("server", 50, 20, 300),
    fakeRun("floor", 100, 10, 100),
    fakeRun("server", 70, 30, 500),
    fakeRun("floor", 100, 10, 100),
  ]);
  assert.equal(s.server.rps, 60);
  assert.equal(s.ratio.rps, 0.6);
  assert.equal(s.ratio.cpuUsPerRequest, 2.5);
  assert.equal(s.ratio.p99, 4);
  assert.equal(s.naive, null);
  assert.equal(s.ratioToNaive, null);
});

Deno.test("summarize and the table give server/naive beside server/floor", () => {
  const [s] = summarize([
    fakeRun("server", 50, 20, 300),
    fakeRun("naive", 40, 25, 600),
    fakeRun("floor", 100, 10, 100),
  ]);
  assert.equal(s.ratioToNaive?.cpuUsPerRequest, 0.8);
  assert.equal(s.ratioToNaive?.p99, 0.5);
  assert.equal(s.ratio.cpuUsPerRequest, 2);
  const table = summaryTable([s]);
  assert.match(table.split("\n")[0], /srv\/naive.*srv\/floor/);
  assert.match(table.split("\n")[2], /\b0\.80\b.*\b2\.00\b/);
  const svg = renderSvg([s], "run");
  assert.ok(svg.includes("srv/naive x0.80"));
});

Deno.test("variantTable gives the server's figures over the variant's", () => {
  const summaries = summarize([
    { ...fakeRun("server", 120, 11, 300), workload: "mix" },
    { ...fakeRun("floor", 100, 10, 100), workload: "mix" },
    { ...fakeRun("server", 100, 10, 200), workload: "mix [WORKERS=1]" },
    { ...fakeRun("floor", 100, 10, 100), workload: "mix [WORKERS=1]" },
  ]);
  const table = variantTable(summaries, "WORKERS=1");
  const row = table.split("\n")[2].split(/\s{2,}/);
  assert.deepEqual(row, ["mix", "120 / 100", "1.20", "1.10", "1.50"]);
});

Deno.test("renderSvg emits one well-formed svg with escaped text", () => {
  assert.equal(escapeXml('<a & "b">'), "&lt;a &amp; &quot;b&quot;&gt;");
  assert.equal(niceCeil(0.7), 1);
  assert.equal(niceCeil(13), 20);
  assert.equal(niceCeil(4800), 5000);
  const summaries = summarize([
    fakeRun("server", 50, 20, 300),
    fakeRun("floor", 100, 10, 100),
  ]);
  const svg = renderSvg(summaries, "run <1>");
  assert.ok(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"));
  assert.ok(svg.includes("run &lt;1&gt;"));
  assert.ok(!svg.includes("NaN"));
});

for (
  const baseline of [
    "bench/naive_server.ts",
    "bench/minimal_server.ts",
    "bench/raw_tcp_server.ts",
  ]
) {
  Deno.test(`${baseline} stores, answers and counts misses like the API`, async () => {
    await checkBaselineServer(baseline);
  });
}

/** Runs a baseline server and checks it answers as the API does. */
async function checkBaselineServer(entry: string): Promise<void> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", entry],
    cwd: new URL("..", import.meta.url).pathname,
    env: { PORT: String(port), HOST: "127.0.0.1", NOT_FOUND_STATUS: "200" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    assert.match((await reader.read()).value ?? "", /listening/);
    reader.releaseLock();
    const url = `http://127.0.0.1:${port}`;
    const [entry] = makeUnicodeEntries(1);
    const put = await fetch(`${url}/put`, {
      method: "POST",
      body: spellPutBody(entry, "python"),
    });
    assert.equal(put.status, 200);
    assert.equal(
      await put.text(),
      '{"status":"OK","message":"Key inserted/updated successfully."}',
    );
    const get = await fetch(`${url}/get?key=${encodeURIComponent(entry.key)}`);
    assert.equal(
      await get.text(),
      JSON.stringify({ status: "OK", key: entry.key, value: entry.value }),
    );
    const miss = await fetch(`${url}/get?key=absent`);
    assert.equal(miss.status, 200);
    await miss.text();
    const bad = await fetch(`${url}/put`, { method: "POST", body: "{" });
    assert.equal(bad.status, 400);
    await bad.text();
    const stats = await (await fetch(`${url}/stats`)).json();
    assert.deepEqual(stats, { status: "OK", entries: 1, misses: 1 });
  } finally {
    child.kill("SIGTERM");
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
}
