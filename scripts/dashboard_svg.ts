/**
 * Draws dashboard panels as one SVG in Grafana's dark colours: a row of
 * single-value "stat" panels, then a grid of time series. No dependencies;
 * used by the dashboard preview (`deno task dashboard:preview`).
 *
 * @module
 */

import { escapeXml, niceCeil } from "../bench/svg.ts";

/** One line of a time series panel. */
export interface LineSeries {
  /** Legend text. */
  name: string;
  /** `[seconds since the start, value]`; NaN breaks the line. */
  points: [number, number][];
}

/** A panel with its data, ready to draw. */
export type DrawnPanel =
  | { type: "stat"; title: string; unit: string; value: number }
  | { type: "timeseries"; title: string; unit: string; series: LineSeries[] };

/** A span of the run to mark on every chart (a load phase). */
export interface Phase {
  /** Seconds since the start. */
  start: number;
  /** Short label. */
  label: string;
}

const THEME = {
  background: "#111217",
  panel: "#181b1f",
  border: "#2c3235",
  text: "#ccccdc",
  muted: "#8e8e9f",
  grid: "#2c3235",
};
const PALETTE = [
  "#73bf69",
  "#f2cc0c",
  "#8ab8ff",
  "#ff780a",
  "#f2495c",
  "#5794f2",
  "#b877d9",
  "#fade2a",
];
const WIDTH = 1200;
const COLUMNS = 3;
const GAP = 10;
const CHART_HEIGHT = 230;
const STAT_HEIGHT = 72;

function scaled(value: number, steps: [number, string][]): string {
  for (const [size, suffix] of steps) {
    if (Math.abs(value) >= size) return `${short(value / size)} ${suffix}`;
  }
  const last = steps[steps.length - 1];
  return `${short(value / last[0])} ${last[1]}`;
}

function short(n: number): string {
  if (n === 0) return "0";
  const abs = Math.abs(n);
  return abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Formats `value` in a Grafana unit (`bytes`, `s`, `reqps`, …). */
export function formatUnit(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "–";
  switch (unit) {
    case "bytes":
      return scaled(value, [[2 ** 30, "GiB"], [2 ** 20, "MiB"], [
        2 ** 10,
        "KiB",
      ], [
        1,
        "B",
      ]]).replace(/^0 .*/, "0 B");
    case "s":
      return value === 0
        ? "0 s"
        : scaled(value, [[1, "s"], [1e-3, "ms"], [1e-6, "µs"]]);
    case "percentunit":
      return `${(value * 100).toFixed(value >= 0.1 || value === 0 ? 0 : 1)}%`;
    case "reqps":
      return `${compact(value)} req/s`;
    case "ops":
      return `${compact(value)}/s`;
    default:
      return compact(value);
  }
}

function compact(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e3) return String(value);
  return Math.abs(value) >= 1e6
    ? `${short(value / 1e6)}M`
    : Math.abs(value) >= 1e3
    ? `${short(value / 1e3)}k`
    : short(value);
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${
    escapeXml(s)
  }</text>`;
}

function frame(x: number, y: number, w: number, h: number, title: string) {
  return [
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="3" fill="${THEME.panel}" stroke="${THEME.border}"/>`,
    text(x + 8, y + 17, title, `font-weight="bold" fill="${THEME.text}"`),
  ];
}

function statPanel(
  x: number,
  y: number,
  w: number,
  panel: Extract<DrawnPanel, { type: "stat" }>,
): string[] {
  return [
    ...frame(x, y, w, STAT_HEIGHT, panel.title),
    text(
      x + w / 2,
      y + 54,
      formatUnit(panel.value, panel.unit),
      `text-anchor="middle" font-size="24" font-weight="bold" fill="${
        PALETTE[0]
      }"`,
    ),
  ];
}

function chartPanel(
  x: number,
  y: number,
  w: number,
  panel: Extract<DrawnPanel, { type: "timeseries" }>,
  duration: number,
  phases: Phase[],
): string[] {
  const out = frame(x, y, w, CHART_HEIGHT, panel.title);
  const left = x + 62;
  const right = x + w - 10;
  const top = y + 28;
  const bottom = y + CHART_HEIGHT - 62;
  const values = panel.series.flatMap((s) =>
    s.points.map(([, v]) => v).filter(Number.isFinite)
  );
  let max = niceCeil(Math.max(0, ...values));
  if (panel.unit === "percentunit" && max > 1) max = 1;
  const sx = (t: number) => left + (right - left) * (t / duration);
  const sy = (v: number) => bottom - (bottom - top) * (v / max);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    out.push(
      `<line x1="${left}" y1="${sy(v).toFixed(1)}" x2="${right}" y2="${
        sy(v).toFixed(1)
      }" stroke="${THEME.grid}"/>`,
      text(
        left - 5,
        sy(v) + 4,
        formatUnit(v, panel.unit),
        `text-anchor="end" font-size="10" fill="${THEME.muted}"`,
      ),
    );
  }
  for (const phase of phases) {
    if (phase.start === 0) continue;
    out.push(
      `<line x1="${sx(phase.start).toFixed(1)}" y1="${top}" x2="${
        sx(phase.start).toFixed(1)
      }" y2="${bottom}" stroke="${THEME.muted}" stroke-dasharray="3 3"/>`,
    );
  }
  for (let t = 0; t <= duration; t += 30) {
    out.push(
      text(
        sx(t),
        bottom + 13,
        `${t}s`,
        `text-anchor="middle" font-size="10" fill="${THEME.muted}"`,
      ),
    );
  }
  if (values.length === 0) {
    out.push(
      text(
        (left + right) / 2,
        (top + bottom) / 2,
        "No data",
        `text-anchor="middle" fill="${THEME.muted}"`,
      ),
    );
  }
  panel.series.forEach((series, i) => {
    const color = PALETTE[i % PALETTE.length];
    let d = "";
    let pen = "M";
    for (const [t, v] of series.points) {
      if (!Number.isFinite(v)) {
        pen = "M";
        continue;
      }
      d += `${pen}${sx(t).toFixed(1)},${sy(Math.min(v, max)).toFixed(1)}`;
      pen = "L";
    }
    if (d) {
      out.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`,
      );
    }
  });
  // Legend: as many entries as fit on two lines.
  let lx = left;
  let ly = bottom + 30;
  panel.series.forEach((series, i) => {
    const width = 16 + series.name.length * 6.2;
    if (lx + width > right) {
      lx = left;
      ly += 15;
    }
    if (ly > y + CHART_HEIGHT - 5) return;
    out.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${
        PALETTE[i % PALETTE.length]
      }"/>`,
      text(lx + 14, ly - 3, series.name, `font-size="10" fill="${THEME.text}"`),
    );
    lx += width + 10;
  });
  return out;
}

/** Renders `panels` as one SVG document. */
export function renderDashboardSvg(
  panels: DrawnPanel[],
  options: {
    title: string;
    subtitle: string[];
    duration: number;
    phases: Phase[];
  },
): string {
  const stats = panels.filter((p) => p.type === "stat");
  const charts = panels.filter((p) => p.type === "timeseries");
  const phaseLine = 44 + options.subtitle.length * 15;
  const header = phaseLine + 12;
  const statsTop = header;
  const chartsTop = statsTop + STAT_HEIGHT + GAP;
  const chartWidth = (WIDTH - GAP * (COLUMNS + 1)) / COLUMNS;
  const rows = Math.ceil(charts.length / COLUMNS);
  const height = chartsTop + rows * (CHART_HEIGHT + GAP);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="${THEME.background}"/>`,
    text(
      GAP,
      24,
      options.title,
      `font-size="17" font-weight="bold" fill="${THEME.text}"`,
    ),
    ...options.subtitle.map((line, i) =>
      text(GAP, 44 + i * 15, line, `font-size="11" fill="${THEME.muted}"`)
    ),
    text(
      GAP,
      phaseLine,
      "Load phases (dashed lines): " +
        options.phases.map((p) => `${p.start}s ${p.label}`).join(" · "),
      `font-size="11" fill="${THEME.text}"`,
    ),
  ];
  const statWidth = (WIDTH - GAP * (stats.length + 1)) / stats.length;
  stats.forEach((panel, i) => {
    out.push(
      ...statPanel(
        GAP + i * (statWidth + GAP),
        statsTop,
        statWidth,
        panel as Extract<DrawnPanel, { type: "stat" }>,
      ),
    );
  });
  charts.forEach((panel, i) => {
    const x = GAP + (i % COLUMNS) * (chartWidth + GAP);
    const y = chartsTop + Math.floor(i / COLUMNS) * (CHART_HEIGHT + GAP);
    out.push(
      ...chartPanel(
        x,
        y,
        chartWidth,
        panel as Extract<DrawnPanel, { type: "timeseries" }>,
        options.duration,
        options.phases,
      ),
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
