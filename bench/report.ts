/**
 * Turns run results into per-workload summaries (medians over rounds,
 * server/floor ratios) and plain-text tables.
 *
 * @module
 */

import type { RunResult } from "./measure.ts";

/** Median figures of one server on one workload. */
export interface ServerSummary {
  /** Requests per second. */
  rps: number;
  /** Latency percentiles and max in microseconds. */
  p50: number;
  /** 90th percentile latency, microseconds. */
  p90: number;
  /** 99th percentile latency, microseconds. */
  p99: number;
  /** 99.9th percentile latency, microseconds. */
  p999: number;
  /** Maximum latency, microseconds. */
  max: number;
  /** Server CPU microseconds per request. */
  cpuUsPerRequest: number;
  /** Socket errors summed over rounds. */
  errors: number;
  /** Responses > 399 summed over rounds. */
  non2xx: number;
  /** Misses counted by the server summed over rounds, or null if not reported. */
  notFound: number | null;
}

/** Ratios of the server's medians to another server's. */
export interface Ratios {
  /** Throughput (lower is worse). */
  rps: number;
  /** CPU per request (higher is worse). */
  cpuUsPerRequest: number;
  /** p99 latency (higher is worse). */
  p99: number;
}

/** One workload's medians for each server and the server's ratios. */
export interface WorkloadSummary {
  /** Workload name. */
  workload: string;
  /** Server under test. */
  server: ServerSummary;
  /** Floor server. */
  floor: ServerSummary;
  /** server / floor ratios. */
  ratio: Ratios;
  /** The naive Hono + Map server, when it ran. */
  naive: ServerSummary | null;
  /** server / naive ratios, when the naive server ran. */
  ratioToNaive: Ratios | null;
}

function ratios(a: ServerSummary, b: ServerSummary): Ratios {
  return {
    rps: a.rps / b.rps,
    cpuUsPerRequest: a.cpuUsPerRequest / b.cpuUsPerRequest,
    p99: a.p99 / b.p99,
  };
}

/** Median of `xs` (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarizeServer(runs: RunResult[]): ServerSummary {
  const med = (f: (r: RunResult) => number) => median(runs.map(f));
  const sum = (f: (r: RunResult) => number) =>
    runs.reduce((a, r) => a + f(r), 0);
  const notFound = runs.every((r) => r.notFound === null)
    ? null
    : sum((r) => r.notFound ?? 0);
  return {
    rps: med((r) => r.rps),
    p50: med((r) => r.latencyUs.p50),
    p90: med((r) => r.latencyUs.p90),
    p99: med((r) => r.latencyUs.p99),
    p999: med((r) => r.latencyUs.p999),
    max: Math.max(...runs.map((r) => r.latencyUs.max)),
    cpuUsPerRequest: med((r) => r.cpuUsPerRequest),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    notFound,
  };
}

/** Groups results by workload and summarizes the server against the others. */
export function summarize(results: RunResult[]): WorkloadSummary[] {
  const names = [...new Set(results.map((r) => r.workload))];
  return names.map((workload) => {
    const runsOf = (server: string) =>
      results.filter((r) => r.workload === workload && r.server === server);
    const server = summarizeServer(runsOf("server"));
    const floor = summarizeServer(runsOf("floor"));
    const naiveRuns = runsOf("naive");
    const naive = naiveRuns.length > 0 ? summarizeServer(naiveRuns) : null;
    return {
      workload,
      server,
      floor,
      ratio: ratios(server, floor),
      naive,
      ratioToNaive: naive ? ratios(server, naive) : null,
    };
  });
}

/**
 * For each workload measured with a variant (`name [label]`), the server's
 * figures over the variant's: throughput, CPU per request and p99.
 */
export function variantTable(
  summaries: WorkloadSummary[],
  label: string,
): string {
  const rows = summaries.flatMap((base) => {
    const variant = summaries.find((s) =>
      s.workload === `${base.workload} [${label}]`
    );
    if (variant === undefined) return [];
    return [[
      base.workload,
      `${base.server.rps.toFixed(0)} / ${variant.server.rps.toFixed(0)}`,
      (base.server.rps / variant.server.rps).toFixed(2),
      (base.server.cpuUsPerRequest / variant.server.cpuUsPerRequest).toFixed(2),
      (base.server.p99 / variant.server.p99).toFixed(2),
    ]];
  });
  return formatTable(
    ["workload", "req/s server / variant", "req/s x", "cpu us/req x", "p99 x"],
    rows,
  );
}

/** Formats rows as a left-aligned first column and right-aligned others. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ");
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

const ms = (us: number) => (us / 1000).toFixed(2);
const int = (n: number) => Math.round(n).toString();

/** Table of every run: one row per workload, server and round. */
export function runsTable(results: RunResult[]): string {
  return formatTable(
    [
      "workload",
      "server",
      "round",
      "req/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
      "cpu us/req",
      "errors",
      "non-2xx",
      "not-found",
      "rss MiB",
      "srv cpu%",
      "others%",
      "wrk cpu%",
      "others%",
    ],
    results.map((r) => [
      r.workload,
      r.server,
      String(r.round),
      int(r.rps),
      ms(r.latencyUs.p50),
      ms(r.latencyUs.p90),
      ms(r.latencyUs.p99),
      ms(r.latencyUs.p999),
      ms(r.latencyUs.max),
      r.cpuUsPerRequest.toFixed(1),
      String(r.errors),
      String(r.non2xx),
      r.notFound === null ? "-" : String(r.notFound),
      r.rssMiB.toFixed(0),
      r.serverCpuPercent.toFixed(0),
      r.otherOnServerCorePercent?.toFixed(0) ?? "-",
      r.wrkCpuPercent.toFixed(0),
      r.otherOnLoadCorePercent?.toFixed(0) ?? "-",
    ]),
  );
}

const ratio = (r: number | undefined) => r === undefined ? "-" : r.toFixed(2);

/**
 * Table of medians over rounds with the server's ratios to the floor and,
 * when it ran, to the naive server (srv/naive, srv/floor).
 */
export function summaryTable(summaries: WorkloadSummary[]): string {
  const withNaive = summaries.some((s) => s.naive !== null);
  const naiveCells = (
    s: WorkloadSummary,
    figure: (n: ServerSummary) => string,
    r: keyof Ratios,
  ) =>
    withNaive
      ? [s.naive ? figure(s.naive) : "-", ratio(s.ratioToNaive?.[r])]
      : [];
  const naiveHeader = (name: string) => withNaive ? [name, "srv/naive"] : [];
  return formatTable(
    [
      "workload",
      "req/s server",
      ...naiveHeader("naive"),
      "floor",
      "srv/floor",
      "cpu us/req server",
      ...naiveHeader("naive"),
      "floor",
      "srv/floor",
      "p99 ms server",
      ...naiveHeader("naive"),
      "floor",
      "srv/floor",
    ],
    summaries.map((s) => [
      s.workload,
      int(s.server.rps),
      ...naiveCells(s, (n) => int(n.rps), "rps"),
      int(s.floor.rps),
      s.ratio.rps.toFixed(2),
      s.server.cpuUsPerRequest.toFixed(1),
      ...naiveCells(s, (n) => n.cpuUsPerRequest.toFixed(1), "cpuUsPerRequest"),
      s.floor.cpuUsPerRequest.toFixed(1),
      s.ratio.cpuUsPerRequest.toFixed(2),
      ms(s.server.p99),
      ...naiveCells(s, (n) => ms(n.p99), "p99"),
      ms(s.floor.p99),
      s.ratio.p99.toFixed(2),
    ]),
  );
}

/** One workload's server CPU per command against its `compareWith` workload's per request. */
export interface Comparison {
  /** The workload (e.g. `redis-pipeline16`). */
  workload: string;
  /** What it is compared with (e.g. `get-hit`). */
  baseline: string;
  /** Commands per request of the workload. */
  commandsPerRequest: number;
  /** Server CPU µs per request of the workload (median over rounds). */
  cpuUsPerRequest: number;
  /** Server CPU µs per command of the workload. */
  cpuUsPerCommand: number;
  /** Server CPU µs per request of the baseline (median over rounds). */
  baselineCpuUsPerRequest: number;
  /** Per command over the baseline's per request (the figure issue 22 bounds). */
  ratio: number;
}

/**
 * The comparisons of the workloads that name a `compareWith` whose summary
 * is in the same run (server figures, medians over rounds).
 */
export function comparisons(
  summaries: WorkloadSummary[],
  workloads: {
    name: string;
    commandsPerRequest?: number;
    compareWith?: string;
  }[],
): Comparison[] {
  return workloads.flatMap((w) => {
    const own = summaries.find((s) => s.workload === w.name);
    const base = summaries.find((s) => s.workload === w.compareWith);
    if (!own || !base || !w.compareWith) return [];
    const n = w.commandsPerRequest ?? 1;
    const perCommand = own.server.cpuUsPerRequest / n;
    return [{
      workload: w.name,
      baseline: w.compareWith,
      commandsPerRequest: n,
      cpuUsPerRequest: own.server.cpuUsPerRequest,
      cpuUsPerCommand: perCommand,
      baselineCpuUsPerRequest: base.server.cpuUsPerRequest,
      ratio: perCommand / base.server.cpuUsPerRequest,
    }];
  });
}

/** Table of {@linkcode comparisons}: CPU per request and per command side by side. */
export function comparisonTable(rows: Comparison[]): string {
  return formatTable(
    [
      "workload",
      "commands/req",
      "cpu us/req",
      "cpu us/command",
      "baseline",
      "baseline cpu us/req",
      "per command / baseline",
    ],
    rows.map((c) => [
      c.workload,
      String(c.commandsPerRequest),
      c.cpuUsPerRequest.toFixed(1),
      c.cpuUsPerCommand.toFixed(2),
      c.baseline,
      c.baselineCpuUsPerRequest.toFixed(1),
      c.ratio.toFixed(3),
    ]),
  );
}
