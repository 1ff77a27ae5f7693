/**
 * Tests of bench/load/oha/summary.ts: parsing oha's JSON, and a single process's LoadResult.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MS, sampleJson } from "./fixtures.ts";
import { LATENCY_SINGLE, toLoadResult } from "./result.ts";
import { OHA_DEADLINE_ERROR, parseOhaJson } from "./summary.ts";

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
