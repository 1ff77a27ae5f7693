import assert from "node:assert/strict";
import {
  DASHBOARD_JSON,
  dashboardPanels,
  expandVariables,
  metricNames,
} from "../scripts/dashboard_queries.ts";
import { formatUnit, renderDashboardSvg } from "../scripts/dashboard_svg.ts";
import {
  prometheusInstalled,
  startPrometheus,
} from "../scripts/prometheus_process.ts";
import {
  BUSY_SERVER_ENV,
  busyTraffic,
  scrapeLiveServer,
} from "./support/live_metrics.ts";
import { startServer } from "./support/server_process.ts";

const text = await Deno.readTextFile(DASHBOARD_JSON);
const NO_PROMETHEUS = !(await prometheusInstalled());

Deno.test("the dashboard is valid JSON with the panels the issue asks for", () => {
  const dashboard = JSON.parse(text);
  assert.equal(dashboard.uid, "kv-cache");
  const panels = dashboardPanels(text);
  const ids = dashboard.panels.map((p: { id: number }) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const panel of panels) {
    assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
  }
  // Every panel reads through the data source variable, so that the
  // dashboard imports onto any Prometheus data source.
  for (
    const p of dashboard.panels.filter((p: { type: string }) =>
      p.type !== "row"
    )
  ) {
    assert.equal(p.datasource.uid, "${datasource}", p.title);
  }
  const variables = dashboard.templating.list.map((v: { name: string }) =>
    v.name
  );
  assert.deepEqual(variables, ["datasource", "job", "instance"]);
  const queries = panels.flatMap((p) => p.targets.map((t) => t.expr)).join(
    "\n",
  );
  for (
    const metric of [
      "kvcache_http_requests_total",
      "kvcache_http_request_duration_seconds_bucket",
      "kvcache_hits_total",
      "kvcache_entries",
      "kvcache_estimated_bytes",
      "kvcache_max_bytes",
      "kvcache_evictions_total",
      "kvcache_expired_total",
      "kvcache_sweep_duration_seconds_sum",
      "kvcache_event_loop_lag_max_seconds",
      "kvcache_process_resident_memory_bytes",
      "kvcache_http_connections_open",
      "kvcache_redis_commands_total",
      "kvcache_redis_command_errors_total",
    ]
  ) assert.ok(queries.includes(metric), `a panel shows ${metric}`);
  // Per node: every time series legend names the instance or is one line
  // per route/status or Redis command summed over the selected nodes.
  for (const panel of panels.filter((p) => p.type === "timeseries")) {
    for (const target of panel.targets) {
      assert.match(
        target.legendFormat,
        /\{\{(instance|route|command)\}\}/,
        panel.title,
      );
    }
  }
});

Deno.test("every metric the dashboard reads is one a live server exports", async () => {
  const exported = await scrapeLiveServer();
  for (const panel of dashboardPanels(text)) {
    for (const { expr } of panel.targets) {
      const names = metricNames(expr);
      assert.ok(
        names.length > 0 || /\bup\{/.test(expr),
        `${panel.title} reads nothing`,
      );
      for (const name of names) {
        assert.ok(
          exported.has(name),
          `${panel.title} reads ${name}, not exported`,
        );
      }
    }
  }
});

Deno.test({
  name:
    `a real Prometheus scraping a real server evaluates every query to data${
      NO_PROMETHEUS
        ? " (ignored: prometheus is not installed; apt-get install prometheus)"
        : ""
    }`,
  ignore: NO_PROMETHEUS,
  async fn() {
    const server = await startServer({ env: BUSY_SERVER_ENV });
    const prometheus = await startPrometheus({
      targets: [new URL(server.url).host],
      scrapeInterval: "1s",
    });
    try {
      // Traffic until Prometheus has scraped five times since it started.
      let seed = 1;
      for (;;) {
        await busyTraffic(server, seed++);
        await redisTraffic(server.url);
        const [scrapes] = await prometheus.query("count_over_time(up[1m])");
        if ((scrapes?.values[0]?.[1] ?? 0) >= 5) break;
      }
      const time = Date.now() / 1000;
      for (const panel of dashboardPanels(text)) {
        for (const { expr } of panel.targets) {
          const query = expandVariables(expr, "5s");
          const series = await prometheus.query(query, time);
          assert.ok(
            series.some((s) => s.values.some(([, v]) => Number.isFinite(v))),
            `${panel.title}: no data for ${query}`,
          );
        }
      }
    } finally {
      await prometheus.stop();
      await server.stop();
    }
  },
});

/**
 * A few Redis commands, one of them unknown, so that the Redis panels (which
 * leave out commands without traffic) have data.
 */
async function redisTraffic(url: string): Promise<void> {
  const response = await fetch(`${url}/pipeline`, {
    method: "POST",
    body: JSON.stringify([
      ["set", "redis:n", "1"],
      ["incr", "redis:n"],
      ["get", "redis:n"],
      ["hset", "redis:h", "f", "v"],
    ]),
  });
  assert.equal(response.status, 200, await response.text());
}

Deno.test("the preview draws every panel with its title, values and legend", () => {
  assert.equal(formatUnit(3 * 2 ** 20, "bytes"), "3.00 MiB");
  assert.equal(formatUnit(0.00025, "s"), "250 µs");
  assert.equal(formatUnit(0.165, "percentunit"), "17%");
  assert.equal(formatUnit(5080, "reqps"), "5.08k req/s");
  const svg = renderDashboardSvg([
    { type: "stat", title: "Entries", unit: "short", value: 2560 },
    {
      type: "timeseries",
      title: "Event-loop lag",
      unit: "s",
      series: [{ name: "node-a", points: [[0, 0.01], [1, NaN], [2, 0.1]] }],
    },
  ], {
    title: "t",
    subtitle: ["s"],
    duration: 2,
    phases: [{ start: 0, label: "p" }],
  });
  for (
    const part of ["Entries", "2.56k", "Event-loop lag", "node-a", "100 ms"]
  ) {
    assert.ok(svg.includes(part), part);
  }
  // NaN breaks the line: two separate moves, no point at NaN.
  assert.equal(svg.match(/<path d="M[^"]*"/g)?.[0].split("M").length, 3);
});
