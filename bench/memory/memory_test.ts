/**
 * Unit tests of the memory benchmark's harness (no wrk, no server process;
 * the Redis probe's commands and timed requests run against an in-process
 * app): `deno test --allow-net bench/memory/`.
 *
 * @module
 */

import { createApp } from "../../routes/app.ts";
import { createCache } from "../../lib/create_cache.ts";
import { GlobPattern } from "../../routes/redis/glob.ts";
import { parseMemoryOptions } from "./args.ts";
import { nextKeyAfter } from "./load.ts";
import { probeMax } from "./probe.ts";
import { sendOthers, startOthers } from "./others.ts";
import {
  blockPattern,
  parseProbeCommands,
  PROBE_COMMANDS,
  REPEAT,
  runCommands,
} from "./redis_probe.ts";
import {
  during,
  outside,
  quantile,
  slowestDuring,
  summarize,
} from "./windows.ts";
import { markdownTable } from "./report.ts";
import { parseStatus } from "./sampler.ts";
import { writesBetween } from "./snapshot.ts";
import {
  base62,
  keyFor,
  makeShape,
  parseShapes,
  SHAPE_NAMES,
  valuesFileText,
} from "./shapes.ts";

function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}

function assertEquals(actual: unknown, expected: unknown) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  assert(a === e, `expected ${e}, got ${a}`);
}

Deno.test("base62", () => {
  assertEquals(
    [0, 1, 61, 62, 3843, 3844].map(base62),
    ["0", "1", "z", "10", "zz", "100"],
  );
});

Deno.test("keys are unique, URL-safe and of the advertised lengths", () => {
  for (const scheme of ["tiny", "uuid", "long"] as const) {
    const seen = new Set<string>();
    const ns = [...Array(20_000).keys(), 14_776_335, 14_776_336, 40_000_000];
    for (const n of ns) {
      const k = keyFor(scheme, n);
      assert(!seen.has(k), `${scheme}: duplicate key ${k}`);
      seen.add(k);
      assert(/^[0-9A-Za-z_-]+$/.test(k), `${scheme}: not URL-safe: ${k}`);
      const len = k.length;
      if (scheme === "tiny") assert(len >= 1 && len <= 8, `tiny ${k}`);
      if (scheme === "uuid") assert(len === 36, `uuid ${k}`);
      if (scheme === "long") assert(len === 256, `long ${k}`);
    }
  }
});

Deno.test("values fit the server's limits and the data file has one per line", () => {
  for (const name of SHAPE_NAMES) {
    const shape = makeShape(name);
    for (const v of shape.values) {
      const points = [...v].length;
      assert(points >= 1 && points <= 256, `${name}: ${points} code points`);
    }
    const lines = valuesFileText(shape).trimEnd().split("\n");
    assertEquals(lines.length, shape.values.length);
    assertEquals(JSON.parse(`"${lines[7]}"`), shape.values[7]);
  }
  assert(
    [...makeShape("unicode").values[0]].some((c) => c.codePointAt(0)! > 0xff),
  );
});

Deno.test("parseShapes", () => {
  assertEquals(parseShapes("all"), [...SHAPE_NAMES]);
  assertEquals(parseShapes("tiny,unicode"), ["tiny", "unicode"]);
  let threw = false;
  try {
    parseShapes("huge");
  } catch {
    threw = true;
  }
  assert(threw);
});

Deno.test("nextKeyAfter: thread i writes start + i + k * threads", () => {
  assertEquals(nextKeyAfter(0, 1, [10]), 10);
  assertEquals(nextKeyAfter(100, 2, [3, 2]), 105); // 100,102,104 and 101,103
  assertEquals(nextKeyAfter(5, 2, [0, 0]), 5);
});

Deno.test("parseStatus reads VmRSS and VmHWM", () => {
  const text = "Name:\tdeno\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
  assertEquals(parseStatus(text), { rss: 1024 * 1024, hwm: 2048 * 1024 });
});

Deno.test("probeMax takes the windows ending in the range", () => {
  const w = [
    { t: 100, n: 5, maxMs: 1, errors: 0 },
    { t: 200, n: 5, maxMs: 9, errors: 1 },
    { t: 300, n: 5, maxMs: 3, errors: 0 },
  ];
  assertEquals(probeMax(w, 150, 300), { maxMs: 9, answers: 10, errors: 1 });
});

Deno.test("options: quick defaults and explicit values", () => {
  const q = parseMemoryOptions(["--quick"]);
  assertEquals([q.maxBytes, q.mixedSeconds], [200_000_000, 10]);
  const d = parseMemoryOptions(["--store", "both", "--shapes", "tiny"]);
  assertEquals([d.maxBytes, d.mixedSeconds, d.stores, d.shapes], [
    1_500_000_000,
    30,
    ["arena", "map"],
    ["tiny"],
  ]);
  const e = parseMemoryOptions(["--quick", "--max-bytes", "5000000"]);
  assertEquals(e.maxBytes, 5_000_000);
  assertEquals(e.unpinned, false);
  assertEquals(parseMemoryOptions(["--unpinned"]).unpinned, true);
});

Deno.test("markdownTable", () => {
  assertEquals(
    markdownTable(["a", "b"], [["1", "2"]]),
    "| a | b |\n| --- | --- |\n| 1 | 2 |",
  );
});

Deno.test("snapshot options and the writes inside the mixed phase", () => {
  const defaults = parseMemoryOptions([]);
  assertEquals(
    [
      defaults.snapshot,
      defaults.snapshotShape,
      defaults.snapshotIntervalSeconds,
    ],
    [false, "uuid256", 10],
  );
  const set = parseMemoryOptions([
    "--snapshot",
    "--snapshot-shape",
    "tiny",
    "--snapshot-interval-s",
    "5",
  ]);
  assertEquals([set.snapshot, set.snapshotShape, set.snapshotIntervalSeconds], [
    true,
    "tiny",
    5,
  ]);
  let threw = false;
  try {
    parseMemoryOptions(["--snapshot-shape", "tiny,uuid256"]);
  } catch {
    threw = true;
  }
  assert(threw);
  const line = (end: number, durationMs: number, reason = "periodic") => ({
    msg: "snapshot written",
    reason,
    time: new Date(end).toISOString(),
    durationMs,
    bytes: 2e6,
    entries: 10,
    longestSliceMs: 1.5,
  });
  const writes = writesBetween(
    [
      line(1_000_500, 400), // starts before the phase
      line(1_003_000, 1000),
      line(1_004_000, 500, "shutdown"),
    ],
    [
      { t: 1_001_900, n: 5, maxMs: 9, errors: 0 },
      { t: 1_002_500, n: 5, maxMs: 4, errors: 0 },
      { t: 1_003_100, n: 5, maxMs: 6, errors: 0 },
      { t: 1_003_400, n: 5, maxMs: 20, errors: 0 },
    ],
    1_000_300,
    1_010_000,
  );
  assertEquals(writes, [{
    startS: 1.7,
    durationMs: 1000,
    bytes: 2e6,
    entries: 10,
    mbPerSecond: 2,
    longestSliceMs: 1.5,
    probeMaxMs: 6,
    probeAnswers: 10,
  }]);
});

Deno.test("redis probe options", () => {
  const d = parseMemoryOptions([]);
  assertEquals(
    [d.redisProbe, d.redisProbeQuietSeconds, d.redisProbeConnections],
    [[], 5, 8],
  );
  assertEquals(parseMemoryOptions(["--redis-probe", "all"]).redisProbe, [
    ...PROBE_COMMANDS,
  ]);
  // Sent in the probe's order, whatever the order given.
  assertEquals(parseProbeCommands("FLUSHDB, keys"), ["keys", "flushdb"]);
  for (const bad of ["keys,hgetall", ""]) {
    let threw = false;
    try {
      parseProbeCommands(bad);
    } catch {
      threw = true;
    }
    assert(threw, `accepted "${bad}"`);
  }
});

Deno.test("blockPattern matches its 10,000 keys and none around them", () => {
  for (const scheme of ["uuid", "long"] as const) {
    const block = blockPattern(scheme, 4_321_987)!;
    assertEquals([block.from, block.size], [4_320_000, 10_000]);
    const glob = new GlobPattern(block.pattern);
    let matched = 0;
    for (let n = block.from - 20_000; n < block.from + 30_000; n++) {
      if (glob.matches(keyFor(scheme, n))) {
        matched++;
        assert(n >= block.from && n < block.from + block.size, `${n}`);
      }
    }
    assertEquals(matched, block.size);
  }
  assertEquals(blockPattern("tiny", 100), undefined);
});

Deno.test("latency windows: quantiles, overlap with a command, outside", () => {
  assertEquals(quantile([1, 2, 3, 4], 0.5), 2);
  assertEquals(quantile([1, 2, 3, 4], 0.99), 4);
  assert(Number.isNaN(quantile([], 0.5)));
  const s = summarize(Array.from({ length: 200 }, (_, i) => 200 - i));
  assertEquals([s.n, s.p50Ms, s.p99Ms, s.maxMs], [200, 100, 198, 200]);
  // Requests [start, start + duration]: the command runs over [100, 110].
  const requests = {
    starts: [90, 95, 105, 109, 111, 50, 200],
    durations: [5, 6, 1, 30, 1, 1, 2],
    errors: 0,
  };
  const command = { start: 100, end: 110 };
  const d = during(requests, command);
  assertEquals([d.n, d.maxMs], [3, 30]); // 95+6, 105+1, 109+30
  assertEquals(slowestDuring(requests, command, 2), [
    { atMs: 9, ms: 30 },
    { atMs: -5, ms: 6 },
  ]);
  // Quiet windows [0, 100) and [110, 300): 90 (ends before), 111, 200; not
  // 109 (it overlapped the command) nor 95.
  const o = outside(requests, [{ start: 0, end: 100 }, {
    start: 110,
    end: 300,
  }], [command]);
  assertEquals([o.n, o.maxMs], [4, 5]); // 90, 111, 50, 200
});

Deno.test("redis probe commands and timed requests against an in-process server", async () => {
  const cache = createCache({
    cacheStore: "arena",
    maxCacheBytes: 32_000_000,
    defaultTtlSeconds: 0,
    maxKeySize: 300,
    maxValueSize: 300,
  });
  const app = createApp({
    cache,
    maxKeySize: 300,
    maxValueSize: 300,
    maxTtlSeconds: 2_147_483_647,
    maxBodyBytes: 4096,
    notFoundStatus: 200,
    redisApi: true,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const shape = makeShape("uuid256");
    const filled = 20_500; // keys 0..20499: the block near 0 is 0..9999
    for (let n = 0; n < filled; n++) {
      cache.set(keyFor("uuid", n), shape.values[n % shape.values.length]);
    }
    // Timed requests of the mixed kind, then the commands.
    const starts: number[] = [];
    let failed = 0;
    const t0 = Date.now();
    await sendOthers(
      { url, shape, connections: 2, filled, putStart: 1e11, getPercent: 50 },
      () => Date.now() - t0 > 150,
      (start, ms) => {
        if (Number.isNaN(start) || !(ms >= 0)) failed++;
        else starts.push(start);
      },
    );
    assertEquals(failed, 0);
    assert(starts.length > 10, `${starts.length} timed requests`);
    assert(Math.abs(starts[0] - t0) < 1000, "starts are epoch ms");
    // The program: its windows arrive when it stops, with its own lag.
    const others = startOthers({
      url,
      shape: "uuid256",
      connections: 2,
      filled,
      putStart: 2e11,
      getPercent: 50,
    });
    await new Promise((r) => setTimeout(r, 400));
    await others.stop();
    const timed = others.requests;
    assert(timed.starts.length > 10, `${timed.starts.length} from the program`);
    assertEquals(timed.starts.length, timed.durations.length);
    assertEquals(timed.errors, 0);
    assert(timed.lags!.length > 0 && timed.lags!.every((w) => w.ms >= 0));
    const written = cache.stats().entries;
    assert(written > filled, "the timed PUTs wrote new keys");

    const seen: string[] = [];
    const steps = await runCommands(
      url,
      [...PROBE_COMMANDS],
      shape,
      filled,
      (command) => Promise.resolve(void seen.push(command)),
    );
    assertEquals(steps.map((s) => s.command), seen);
    assertEquals(steps.map((s) => [s.command, s.error ?? s.answer]), [
      ["KEYS nomatch:*", "0 keys"],
      [
        "KEYS 00000000-0000-4000-8000-00000000????",
        "10000 keys (of 10000 written)",
      ],
      ["SCAN … COUNT 1000", `${written} keys returned`],
      [`DBSIZE ×${REPEAT}`, `${written} entries`],
      [`RANDOMKEY ×${REPEAT}`, `${REPEAT} keys, 0 nil`],
      ["FLUSHDB", "OK"],
    ]);
    assertEquals(steps.map((s) => s.calls), [
      1,
      1,
      steps[2].calls,
      REPEAT,
      REPEAT,
      1,
    ]);
    assert(steps[2].calls >= written / 1000, "SCAN took several calls");
    assertEquals(cache.stats().entries, 0);
    for (const s of steps) {
      assert(s.end >= s.start && s.slowestCallMs <= s.durationMs + 1);
    }
  } finally {
    await server.shutdown();
  }
});
