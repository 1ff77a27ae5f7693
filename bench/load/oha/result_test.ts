/**
 * Tests of bench/load/oha/result.ts and latency.ts: merging the GET and PUT processes of a mix, and the quantiles of a latency mixture.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MS, pointMass } from "./fixtures.ts";
import { mixtureQuantile } from "./latency.ts";
import { LATENCY_MIXTURE, toLoadResult } from "./result.ts";
import { OHA_DEADLINE_ERROR } from "./summary.ts";

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
