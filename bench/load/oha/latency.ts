/**
 * Latency of one oha process, or of the GET and PUT processes of a mix
 * together: quantiles of the request-weighted mixture of their latency CDFs,
 * each known only at oha's nine percentiles, its fastest and its slowest.
 *
 * @module
 */

import { OHA_QUANTILES, type OhaSummary } from "./summary.ts";

/** A point of a latency CDF: a share `q` of the requests took at most `x` seconds. */
export interface Knot {
  /** Latency, seconds. */
  x: number;
  /** Share of requests at or below `x`, 0..1. */
  q: number;
}

/**
 * The CDF knots oha reports for one process: fastest (q=0), its percentiles
 * and slowest (q=1), sorted; empty when it got no response.
 */
export function cdfKnots(s: OhaSummary): Knot[] {
  if (s.requests === 0 || s.fastest === null || s.slowest === null) return [];
  const knots: Knot[] = [{ x: s.fastest, q: 0 }];
  for (const [key, q] of OHA_QUANTILES) {
    if (key in s.percentiles) knots.push({ x: s.percentiles[key], q });
  }
  knots.push({ x: s.slowest, q: 1 });
  knots.sort((a, b) => a.x - b.x || a.q - b.q);
  // Rounding in oha could put a percentile below `fastest`: keep q monotone.
  for (let i = 1; i < knots.length; i++) {
    knots[i].q = Math.max(knots[i].q, knots[i - 1].q);
  }
  return knots;
}

/** CDF at `x` (right-continuous), linear between knots. */
function cdfAt(knots: Knot[], x: number): number {
  if (x < knots[0].x) return 0;
  let i = 0;
  while (i + 1 < knots.length && knots[i + 1].x <= x) i++;
  if (i + 1 === knots.length) return knots[i].q;
  const a = knots[i], b = knots[i + 1];
  return a.q + (b.q - a.q) * (x - a.x) / (b.x - a.x);
}

/** CDF just below `x` (left limit), linear between knots. */
function cdfBelow(knots: Knot[], x: number): number {
  if (x <= knots[0].x) return 0;
  let i = 0;
  while (i + 1 < knots.length && knots[i + 1].x < x) i++;
  if (i + 1 === knots.length) return knots[i].q;
  const a = knots[i], b = knots[i + 1];
  return a.q + (b.q - a.q) * (x - a.x) / (b.x - a.x);
}

/**
 * The `q` quantile of the mixture of several latency CDFs, each weighted by
 * its request count: exact when every CDF is linear between its knots, an
 * approximation otherwise (oha reports nine percentiles, not its samples).
 */
export function mixtureQuantile(
  parts: { weight: number; knots: Knot[] }[],
  q: number,
): number {
  const used = parts.filter((p) => p.weight > 0 && p.knots.length > 0);
  if (used.length === 0) return NaN;
  const total = used.reduce((a, p) => a + p.weight, 0);
  const mix = (f: (k: Knot[], x: number) => number, x: number) =>
    used.reduce((a, p) => a + p.weight * f(p.knots, x), 0) / total;
  const xs = [...new Set(used.flatMap((p) => p.knots.map((k) => k.x)))]
    .sort((a, b) => a - b);
  let prevX = xs[0], prevF = 0;
  for (const x of xs) {
    const below = mix(cdfBelow, x);
    if (below >= q && below > prevF) {
      return prevX + (x - prevX) * (q - prevF) / (below - prevF);
    }
    const at = mix(cdfAt, x);
    if (at >= q) return x;
    prevX = x;
    prevF = at;
  }
  return xs[xs.length - 1];
}
