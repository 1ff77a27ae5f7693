/**
 * Latency of the Redis probe's timed other requests (`others.ts`) by
 * window: those whose flight overlapped a command, and those that started
 * in a quiet window and overlapped no command.
 *
 * @module
 */

import type { OtherRequests } from "./others.ts";

/** Latency figures of the timed other requests in one window, ms. */
export interface LatencySummary {
  /** Timed requests counted. */
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The `q`-quantile (0..1) of ascending `sorted` by nearest rank; NaN if empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summarizes `durations` (ms, any order). */
export function summarize(durations: number[]): LatencySummary {
  const sorted = Float64Array.from(durations).sort();
  const list = Array.from(sorted);
  return {
    n: list.length,
    p50Ms: quantile(list, 0.5),
    p99Ms: quantile(list, 0.99),
    maxMs: list.length ? list[list.length - 1] : NaN,
  };
}

/** An interval, epoch ms. */
export interface Span {
  start: number;
  end: number;
}

const overlaps = (s: number, d: number, span: Span) =>
  s < span.end && s + d > span.start;

/**
 * The `k` slowest timed requests whose flight overlapped `span`: when each
 * started, ms after `span.start` (negative: before it), and its duration.
 */
export function slowestDuring(
  requests: OtherRequests,
  span: Span,
  k = 5,
): { atMs: number; ms: number }[] {
  const picked: { atMs: number; ms: number }[] = [];
  for (let i = 0; i < requests.starts.length; i++) {
    const s = requests.starts[i], d = requests.durations[i];
    if (overlaps(s, d, span)) {
      picked.push({ atMs: Math.round(s - span.start), ms: d });
    }
  }
  return picked.sort((a, b) => b.ms - a.ms).slice(0, k);
}

/** The timed requests whose flight overlapped `span`. */
export function during(requests: OtherRequests, span: Span): LatencySummary {
  const picked: number[] = [];
  for (let i = 0; i < requests.starts.length; i++) {
    if (overlaps(requests.starts[i], requests.durations[i], span)) {
      picked.push(requests.durations[i]);
    }
  }
  return summarize(picked);
}

/**
 * The timed requests that started inside one of `windows` and overlapped
 * none of `busy`.
 */
export function outside(
  requests: OtherRequests,
  windows: Span[],
  busy: Span[],
): LatencySummary {
  const picked: number[] = [];
  for (let i = 0; i < requests.starts.length; i++) {
    const s = requests.starts[i], d = requests.durations[i];
    if (!windows.some((w) => s >= w.start && s < w.end)) continue;
    if (busy.some((b) => overlaps(s, d, b))) continue;
    picked.push(d);
  }
  return summarize(picked);
}
