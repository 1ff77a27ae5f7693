/**
 * Hand-rolled SVG chart of the summaries: per workload, latency percentiles
 * and CPU microseconds per request, server against the naive server (when it
 * ran) and the floor. No dependencies.
 *
 * @module
 */

import type { ServerSummary, WorkloadSummary } from "./report.ts";

const COLORS = { server: "#d9480f", naive: "#1c7ed6", floor: "#868e96" };
const ROW_HEIGHT = 200;
const WIDTH = 900;
const TOP = 80;

/** Escapes text for use in SVG content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Rounds `v` up to 1, 2 or 5 times a power of ten (an axis maximum). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

const fmt = (n: number) =>
  n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

function text(
  x: number,
  y: number,
  s: string,
  attrs = "",
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${
    escapeXml(s)
  }</text>`;
}

/** Grouped bars: one group per label, one bar per series; returns SVG elements. */
function barPanel(
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  labels: string[],
  series: { color: string; values: number[] }[],
): string {
  const out: string[] = [];
  const max = niceCeil(Math.max(...series.flatMap((s) => s.values)));
  const plotTop = y + 20;
  const plotH = h - 45;
  const base = plotTop + plotH;
  out.push(text(x, y + 10, title, 'font-weight="bold"'));
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const gy = base - (plotH * i) / 4;
    out.push(
      `<line x1="${x + 40}" y1="${gy}" x2="${
        x + w
      }" y2="${gy}" stroke="#dee2e6"/>`,
      text(x + 36, gy + 4, fmt(v), 'text-anchor="end" font-size="10"'),
    );
  }
  const groupW = (w - 50) / labels.length;
  const barW = Math.min(28, (groupW - 10) / series.length);
  labels.forEach((label, g) => {
    const gx = x + 45 + g * groupW;
    series.forEach((s, i) => {
      const v = s.values[g];
      const bh = Number.isFinite(v) ? (plotH * v) / max : 0;
      const bx = gx + 5 + i * barW;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${(base - bh).toFixed(1)}" width="${
          (barW - 2).toFixed(1)
        }" height="${bh.toFixed(1)}" fill="${s.color}"/>`,
        text(
          bx + barW / 2 - 1,
          base - bh - 3,
          fmt(v),
          'text-anchor="middle" font-size="9"',
        ),
      );
    });
    out.push(
      text(
        gx + 5 + (series.length * barW) / 2,
        base + 14,
        label,
        'text-anchor="middle" font-size="11"',
      ),
    );
  });
  return out.join("\n");
}

function latencies(s: ServerSummary): number[] {
  return [s.p50, s.p90, s.p99, s.p999].map((us) => us / 1000);
}

/** Renders the chart for `summaries`; `subtitle` describes the run. */
export function renderSvg(
  summaries: WorkloadSummary[],
  subtitle: string,
): string {
  const height = TOP + summaries.length * ROW_HEIGHT + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(
      10,
      22,
      "kv-cache load test: server vs naive Hono + Map vs floor (medians over rounds)",
      'font-size="16" font-weight="bold"',
    ),
    text(10, 40, subtitle, 'font-size="11" fill="#495057"'),
    `<rect x="10" y="50" width="12" height="12" fill="${COLORS.server}"/>`,
    text(28, 60, "server (main.ts)"),
    `<rect x="160" y="50" width="12" height="12" fill="${COLORS.naive}"/>`,
    text(178, 60, "naive (Hono + Map, bench/naive_server.ts)"),
    `<rect x="460" y="50" width="12" height="12" fill="${COLORS.floor}"/>`,
    text(478, 60, "floor (bare Deno.serve, no cache)"),
  ];
  summaries.forEach((s, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const toNaive = s.ratioToNaive
      ? `CPU/req srv/naive x${s.ratioToNaive.cpuUsPerRequest.toFixed(2)}, `
      : "";
    const p99Naive = s.ratioToNaive
      ? ` (srv/naive x${s.ratioToNaive.p99.toFixed(2)})`
      : "";
    const series = (values: (x: ServerSummary) => number[]) => [
      { color: COLORS.server, values: values(s.server) },
      ...(s.naive ? [{ color: COLORS.naive, values: values(s.naive) }] : []),
      { color: COLORS.floor, values: values(s.floor) },
    ];
    parts.push(
      text(
        10,
        y + 10,
        `${s.workload}: ${toNaive}srv/floor x${
          s.ratio.cpuUsPerRequest.toFixed(2)
        }; p99 srv/floor x${s.ratio.p99.toFixed(2)}${p99Naive}; ${
          Math.round(s.server.rps)
        } req/s`,
        'font-size="13" font-weight="bold"',
      ),
      barPanel(
        10,
        y + 22,
        560,
        ROW_HEIGHT - 28,
        "latency (ms)",
        ["p50", "p90", "p99", "p99.9"],
        series(latencies),
      ),
      barPanel(
        600,
        y + 22,
        WIDTH - 610,
        ROW_HEIGHT - 28,
        "server CPU per request (us)",
        ["cpu us/req"],
        series((x) => [x.cpuUsPerRequest]),
      ),
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
