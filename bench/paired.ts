/**
 * Paired runs (`deno task bench --paired`): a workload that is compared with
 * another (`compareWith`, e.g. `redis-get` with `get-hit`) runs at the same
 * time as that one, each on its own server process, both servers on the
 * server core and both load generators on the other, the connections split.
 * On a machine whose speed drifts by 2x over minutes, two runs minutes apart
 * disagree by more than what is measured; two runs at the same moment share
 * the drift, and it cancels out of their ratio. The ratio is taken in each
 * round and the median of the rounds reported, with its spread.
 *
 * @module
 */

import type { RunResult } from "./measure.ts";
import type { Comparison } from "./report.ts";
import { formatTable } from "./report.ts";

/** A workload as the pairing sees it. */
export interface PairableWorkload {
  /** Its name. */
  name: string;
  /** Commands per request (1 when omitted). */
  commandsPerRequest?: number;
  /** The workload it is compared with. */
  compareWith?: string;
}

/** One paired run: the workload and its baseline, measured together. */
export interface PairRun {
  /** The round it ran in (1-based). */
  round: number;
  /** The compared workload's result. */
  subject: RunResult;
  /** The baseline's result, from the same moment. */
  baseline: RunResult;
  /** Subject's server CPU per command over the baseline's per request. */
  ratio: number;
}

/** A paired comparison: a {@linkcode Comparison} with the rounds' spread. */
export interface PairedComparison extends Comparison {
  /** The smallest and largest per-round ratio. */
  ratioRange: [number, number];
  /** Rounds the median is over. */
  rounds: number;
}

/**
 * The pairs to run among `workloads`: each one with a `compareWith` that is
 * also selected, with that one, in the selection's order.
 */
export function pairsOf<W extends PairableWorkload>(
  workloads: W[],
): [subject: W, baseline: W][] {
  return workloads.flatMap((w) => {
    const base = workloads.find((b) => b.name === w.compareWith);
    return base === undefined ? [] : [[w, base] as [W, W]];
  });
}

/** The ratio of one paired run: subject CPU per command over baseline per request. */
export function pairRatio(
  subject: RunResult,
  baseline: RunResult,
  commandsPerRequest: number,
): number {
  return subject.cpuUsPerRequest / commandsPerRequest /
    baseline.cpuUsPerRequest;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]
    : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The comparisons of paired runs: per workload, the median over rounds of
 * the per-round ratio (and of both CPU figures), with the ratios' range.
 */
export function pairedComparisons(
  runs: PairRun[],
  workloads: PairableWorkload[],
): PairedComparison[] {
  return pairsOf(workloads).flatMap(([w, base]) => {
    const own = runs.filter((r) =>
      r.subject.workload === w.name && r.baseline.workload === base.name
    );
    if (own.length === 0) return [];
    const n = w.commandsPerRequest ?? 1;
    const ratios = own.map((r) => r.ratio);
    const cpu = median(own.map((r) => r.subject.cpuUsPerRequest));
    return [{
      workload: w.name,
      baseline: base.name,
      commandsPerRequest: n,
      cpuUsPerRequest: cpu,
      cpuUsPerCommand: cpu / n,
      baselineCpuUsPerRequest: median(
        own.map((r) => r.baseline.cpuUsPerRequest),
      ),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
      rounds: own.length,
    }];
  });
}

/** Table of every paired run: both CPU figures and their ratio, per round. */
export function pairRunsTable(runs: PairRun[]): string {
  return formatTable(
    [
      "round",
      "workload",
      "cpu us/req",
      "baseline",
      "cpu us/req",
      "per command / baseline",
    ],
    runs.map((r) => [
      String(r.round),
      r.subject.workload,
      r.subject.cpuUsPerRequest.toFixed(1),
      r.baseline.workload,
      r.baseline.cpuUsPerRequest.toFixed(1),
      r.ratio.toFixed(3),
    ]),
  );
}

/** Table of {@linkcode pairedComparisons}: medians with the rounds' range. */
export function pairedComparisonTable(rows: PairedComparison[]): string {
  return formatTable(
    [
      "workload",
      "commands/req",
      "cpu us/command",
      "baseline",
      "baseline cpu us/req",
      "per command / baseline (median)",
      "range over rounds",
      "rounds",
    ],
    rows.map((c) => [
      c.workload,
      String(c.commandsPerRequest),
      c.cpuUsPerCommand.toFixed(2),
      c.baseline,
      c.baselineCpuUsPerRequest.toFixed(1),
      c.ratio.toFixed(3),
      `${c.ratioRange[0].toFixed(3)}-${c.ratioRange[1].toFixed(3)}`,
      String(c.rounds),
    ]),
  );
}
