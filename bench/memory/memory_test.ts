/**
 * Unit tests of the memory benchmark's harness (no server, no wrk):
 * `deno test bench/memory/`.
 *
 * @module
 */

import { parseMemoryOptions } from "./args.ts";
import { nextKeyAfter } from "./load.ts";
import { probeMax } from "./probe.ts";
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
