/**
 * Turns the parsed output of one oha run (one process, or the two of a mix)
 * into the harness's {@linkcode LoadResult}, keeping oha's own figures
 * beside it.
 *
 * @module
 */

import type { LoadResult } from "../generator.ts";
import { cdfKnots, mixtureQuantile } from "./latency.ts";
import {
  OHA_DEADLINE_ERROR,
  OHA_TIMEOUT_ERROR,
  type OhaSummary,
} from "./summary.ts";

/** One finished oha process with its parsed output. */
export interface OhaPart {
  /** GETs or PUTs. */
  kind: "get" | "put";
  /** Its connections. */
  connections: number;
  /** Its parsed JSON. */
  summary: OhaSummary;
}

/** How the latency figures of a result were obtained. */
export const LATENCY_SINGLE = "oha's own figures (one process)";

/** How the latency figures of a two-process result were obtained. */
export const LATENCY_MIXTURE =
  "approximation: quantiles of the request-weighted mixture of the two " +
  "processes' latency CDFs, each interpolated linearly between oha's " +
  "fastest, p10..p99.99 and slowest; mean request-weighted, min/max exact";

/** oha's figures beyond {@linkcode LoadResult}, kept in the results JSON. */
export interface OhaDetails {
  /** How latency was obtained: {@linkcode LATENCY_SINGLE} or {@linkcode LATENCY_MIXTURE}. */
  latencyMerge: string;
  /** Requests cut off by the end of `-z` (not errors; wrk does not count them either). */
  abortedAtDeadline: number;
  /** Per process: kind, connections and oha's own figures (seconds). */
  processes: (OhaSummary & { kind: "get" | "put"; connections: number })[];
  /** Fill only: size of the `-Z` file and the expected share of new keys. */
  fill?: {
    bodyLines: number;
    picksBefore: number;
    expectedNewKeyShare: number;
  };
}

/** A {@linkcode LoadResult} made by oha, with its details. */
export interface OhaLoadResult extends LoadResult {
  /** Always "oha". */
  generator: "oha";
  /** oha-specific figures. */
  oha: OhaDetails;
}

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

function errorCounts(parts: OhaPart[]) {
  let timeout = 0, deadline = 0, other = 0;
  for (const p of parts) {
    for (const [message, n] of Object.entries(p.summary.errors)) {
      if (message === OHA_DEADLINE_ERROR) deadline += n;
      else if (message === OHA_TIMEOUT_ERROR) timeout += n;
      else other += n;
    }
  }
  return { timeout, deadline, other };
}

function failedStatuses(parts: OhaPart[]): number {
  return sum(parts.flatMap((p) =>
    Object.entries(p.summary.statusCodes)
      .filter(([code]) => Number(code) > 399)
      .map(([, n]) => n)
  ));
}

function attempts(parts: OhaPart[], kind: "get" | "put"): number {
  return sum(
    parts.filter((p) => p.kind === kind).map((p) =>
      p.summary.requests + sum(Object.values(p.summary.errors))
    ),
  );
}

/** Latency of the parts in microseconds, in LoadResult's shape. */
function latencyUs(parts: OhaPart[]): LoadResult["latencyUs"] {
  const us = (s: number) => Math.round(s * 1e6);
  const answered = parts.filter((p) =>
    p.summary.requests > 0 && p.summary.fastest !== null &&
    p.summary.slowest !== null
  );
  const requests = sum(answered.map((p) => p.summary.requests));
  const percentiles: Record<string, number> = {};
  const wanted: [string, string, number][] = [
    ["50", "p50", 0.5],
    ["90", "p90", 0.9],
    ["99", "p99", 0.99],
    ["99.9", "p99.9", 0.999],
  ];
  if (answered.length === 0) {
    for (const [key] of wanted) percentiles[key] = NaN;
    return { min: NaN, mean: NaN, max: NaN, stdev: NaN, percentiles };
  }
  for (const [key, ohaKey, q] of wanted) {
    percentiles[key] = answered.length === 1
      ? us(answered[0].summary.percentiles[ohaKey] ?? NaN)
      : us(mixtureQuantile(
        answered.map((p) => ({
          weight: p.summary.requests,
          knots: cdfKnots(p.summary),
        })),
        q,
      ));
  }
  const mean =
    sum(answered.map((p) => (p.summary.average ?? 0) * p.summary.requests)) /
    requests;
  return {
    min: us(Math.min(...answered.map((p) => p.summary.fastest ?? Infinity))),
    mean: Math.round(mean * 1e7) / 10,
    max: us(Math.max(...answered.map((p) => p.summary.slowest ?? -Infinity))),
    stdev: NaN, // oha's JSON has no standard deviation
    percentiles,
  };
}

/**
 * Turns the parts of one run (one process, or the GET and PUT processes of a
 * mix that ran at the same time) into a LoadResult: requests, bytes, errors
 * and statuses summed; duration the longest; latency as in
 * {@linkcode LATENCY_MIXTURE} when there are two; `cpuSeconds` from `times`.
 */
export function toLoadResult(
  parts: OhaPart[],
  cpuSeconds: number,
): OhaLoadResult {
  if (parts.length === 0) throw new Error("toLoadResult: no oha output");
  const errors = errorCounts(parts);
  return {
    durationUs: Math.round(
      Math.max(...parts.map((p) => p.summary.durationSeconds)) * 1e6,
    ),
    requests: sum(parts.map((p) => p.summary.requests)),
    bytes: sum(parts.map((p) => p.summary.bodyBytes)),
    errors: {
      connect: 0,
      read: errors.other,
      write: 0,
      status: failedStatuses(parts),
      timeout: errors.timeout,
    },
    latencyUs: latencyUs(parts),
    sent: { get: attempts(parts, "get"), put: attempts(parts, "put") },
    cpuSeconds,
    generator: "oha",
    oha: {
      latencyMerge: parts.length > 1 ? LATENCY_MIXTURE : LATENCY_SINGLE,
      abortedAtDeadline: errors.deadline,
      processes: parts.map((p) => ({
        kind: p.kind,
        connections: p.connections,
        ...p.summary,
      })),
    },
  };
}

/**
 * A warning for the log when an oha fill run rewrote many keys (its `-Z`
 * picks repeat), or undefined when `result` is not such a run.
 */
export function fillNote(result: LoadResult): string | undefined {
  const fill = (result as Partial<OhaLoadResult>).oha?.fill;
  if (!fill || fill.expectedNewKeyShare >= 0.9) return undefined;
  return `note: about ${
    Math.round(100 * (1 - fill.expectedNewKeyShare))
  }% of this fill's PUTs rewrote a key oha had already sent (-Z picks ` +
    `random lines of ${fill.bodyLines}); --load-generator wrk sends only new keys`;
}
