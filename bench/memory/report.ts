/**
 * Markdown tables and target checks of the memory benchmark.
 *
 * @module
 */

import type { ShapeResult, SweepScenarioResult } from "./scenario.ts";

/** Issue 4's targets. */
export const TARGETS = {
  p99Ms: 10,
  maxMs: 50,
  rssHeadroom: 0.15,
  ratioMin: 0.85,
  ratioMax: 1.15,
  sweepStallMs: 10,
  tinyKeys: 20_000_000,
};

const mb = (b: number) => Number.isFinite(b) ? (b / 1e6).toFixed(0) : "–";
const ms = (us: number | undefined) =>
  us === undefined || !Number.isFinite(us) ? "–" : (us / 1000).toFixed(
    us >= 100_000 ? 0 : us >= 10_000 ? 1 : 2,
  );
const fixed = (n: number | undefined, d: number) =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(d);
const count = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
    ? `${(n / 1e3).toFixed(0)}k`
    : String(n);

/** Renders rows as a Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}

/** Total wrk errors of a run (fill and mixed) plus wrong read-backs. */
export function errorCount(r: ShapeResult): number {
  return (r.fill?.errors ?? 0) + (r.mixed?.errors ?? 0) +
    r.checks.wrong.length + (r.failure ? 1 : 0);
}

/** The fill-and-churn table, one row per store and shape. */
export function shapeTable(results: ShapeResult[]): string {
  const header = [
    "store",
    "shape",
    "max MB",
    "entries",
    "est. MB",
    "RSS MB (end / peak)",
    "base MB",
    "(RSS−base)/est (fill / mixed)",
    "RSS−base−est MB",
    "fill put/s",
    "mixed req/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "stall ms (fill / mixed)",
    "evicted",
    "errors",
    "others% (fill / mixed)",
    "code",
  ];
  const rows = results.map((r) => {
    const m = r.mixed;
    const p = m?.wrk.latencyUs.percentiles;
    return [
      r.store,
      r.shape,
      mb(r.maxBytes),
      count(m?.stats.entries ?? r.fill?.stats.entries),
      mb(m?.stats.estimatedBytes ?? r.fill?.stats.estimatedBytes ?? NaN),
      `${mb(m?.rss ?? r.fill?.rss ?? NaN)} / ${mb(r.peakRss)}`,
      mb(r.baselineRss),
      `${fixed(r.fill?.ratio, 2)} / ${fixed(m?.ratio, 2)}`,
      mb(
        (m?.rss ?? r.fill?.rss ?? NaN) - r.baselineRss -
          (m?.stats.estimatedBytes ?? r.fill?.stats.estimatedBytes ?? NaN),
      ),
      count(r.fill?.requestsPerSecond),
      count(m?.requestsPerSecond),
      ms(p?.["50"]),
      ms(p?.["99"]),
      ms(p?.["99.9"]),
      ms(m?.wrk.latencyUs.max),
      `${fixed(r.fill?.probeMaxMs, 1)} / ${fixed(m?.probeMaxMs, 1)}`,
      count(m?.stats.evicted ?? r.fill?.stats.evicted),
      r.failure ? `FAILED: ${r.failure}` : String(errorCount(r)),
      `${fixed(r.fill?.othersPercent ?? NaN, 0)} / ${
        fixed(m?.othersPercent ?? NaN, 0)
      }`,
      r.code,
    ];
  });
  return markdownTable(header, rows);
}

/** The sweep table, one row per store. */
export function sweepTable(results: SweepScenarioResult[]): string {
  return markdownTable(
    [
      "store",
      "written (ttl=1)",
      "expiredBySweep",
      "entries after",
      "pass ≈ ms",
      "longest stall ms (pass / idle)",
      "probes (pass)",
      "code",
    ],
    results.map((r) => [
      r.store,
      count(r.written),
      count(r.expiredBySweep),
      count(r.entriesAfter),
      fixed(r.passMs, 0),
      `${fixed(r.probeMaxMs, 1)} / ${fixed(r.idleProbeMaxMs, 1)}`,
      count(r.probeAnswers),
      r.code,
    ]),
  );
}

/** One line per target and run: met or not, with the figure. */
export function targetLines(
  results: ShapeResult[],
  sweeps: SweepScenarioResult[],
): string[] {
  const t = TARGETS;
  const lines: string[] = [];
  const mark = (ok: boolean) => ok ? "met    " : "NOT MET";
  for (const r of results) {
    const id = `${r.store}/${r.shape}`;
    const m = r.mixed;
    if (m) {
      const p99 = m.wrk.latencyUs.percentiles["99"] / 1000;
      const max = m.wrk.latencyUs.max / 1000;
      lines.push(
        `${mark(p99 <= t.p99Ms)} ${id}: p99 ${p99.toFixed(2)} ms <= ${t.p99Ms}`,
      );
      lines.push(
        `${mark(max <= t.maxMs)} ${id}: max ${max.toFixed(1)} ms <= ${t.maxMs}`,
      );
    }
    lines.push(
      `${mark(r.peakRss <= r.rssLimit)} ${id}: peak RSS ${
        mb(r.peakRss)
      } MB <= ${mb(r.rssLimit)} MB (max + ${t.rssHeadroom * 100}% + baseline ${
        mb(r.baselineRss)
      })`,
    );
    for (const [name, ph] of [["fill", r.fill], ["mixed", m]] as const) {
      if (!ph) continue;
      lines.push(
        `${
          mark(ph.ratio >= t.ratioMin && ph.ratio <= t.ratioMax)
        } ${id}: (RSS−base)/est after ${name} ${
          ph.ratio.toFixed(3)
        } in [${t.ratioMin}, ${t.ratioMax}]`,
      );
    }
    lines.push(
      `${mark(errorCount(r) === 0)} ${id}: no crash, errors or wrong answers (${
        r.failure ?? `${errorCount(r)} errors`
      })`,
    );
    if (r.shape === "tiny") {
      lines.push(
        `${mark(r.distinctKeys >= t.tinyKeys && !r.failure)} ${id}: ${
          count(r.distinctKeys)
        } distinct tiny keys written >= ${count(t.tinyKeys)}`,
      );
    }
  }
  for (const s of sweeps) {
    lines.push(
      `${
        mark(
          s.probeMaxMs <= t.sweepStallMs && s.expiredBySweep >= 1_000_000 &&
            !s.failure,
        )
      } ${s.store}/sweep: ${
        count(s.expiredBySweep)
      } expired entries swept, longest stall ${
        fixed(s.probeMaxMs, 1)
      } ms <= ${t.sweepStallMs}`,
    );
  }
  return lines;
}
