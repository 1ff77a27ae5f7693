/**
 * The queries of the Grafana dashboard (deploy/grafana/kv-cache.json): panels
 * with their targets, Grafana's variables filled in, and the metric names a
 * query uses. Shared by the dashboard test and the preview.
 *
 * @module
 */

/** Where the dashboard lives. */
export const DASHBOARD_JSON = new URL(
  "../deploy/grafana/kv-cache.json",
  import.meta.url,
);

/** One query of a panel. */
export interface DashboardTarget {
  /** PromQL, with Grafana variables (`$instance`, `$__rate_interval`). */
  expr: string;
  /** Grafana's legend template, e.g. `{{route}}`. */
  legendFormat: string;
}

/** A panel that draws queries (rows left out). */
export interface DashboardPanel {
  /** Panel id, unique in the dashboard. */
  id: number;
  /** `timeseries` or `stat`. */
  type: string;
  /** The title shown on the panel. */
  title: string;
  /** Grafana unit id (`bytes`, `s`, `reqps`, `percentunit`, …). */
  unit: string;
  /** The panel's queries. */
  targets: DashboardTarget[];
}

/** Reads the panels that draw queries from the dashboard's JSON text. */
export function dashboardPanels(json: string): DashboardPanel[] {
  const dashboard = JSON.parse(json);
  // deno-lint-ignore no-explicit-any
  return dashboard.panels.filter((p: any) => p.type !== "row").map((
    // deno-lint-ignore no-explicit-any
    p: any,
  ) => ({
    id: p.id,
    type: p.type,
    title: p.title,
    unit: p.fieldConfig?.defaults?.unit ?? "short",
    targets: p.targets.map((t: DashboardTarget) => ({
      expr: t.expr,
      legendFormat: t.legendFormat ?? "",
    })),
  }));
}

/**
 * Fills in Grafana's variables as "All" selections do: `$job` and
 * `$instance` match everything, `$__rate_interval` is `rateInterval`.
 */
export function expandVariables(expr: string, rateInterval: string): string {
  return expr.replaceAll("$__rate_interval", rateInterval)
    .replaceAll("$instance", ".*").replaceAll("$job", ".*");
}

/** The kv-cache metric names (`kvcache_…`) that a PromQL expression reads. */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bkvcache_[a-zA-Z0-9_:]*/g) ?? [])];
}

/** Fills a legend template (`{{route}} {{status}}`) from series labels. */
export function legend(format: string, labels: Record<string, string>): string {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => labels[name] ?? "")
    .trim();
}
