/**
 * Renders what the Grafana dashboard shows, without Grafana (not installable
 * here): starts a real kv-cache and a real Prometheus scraping it every
 * second, drives four phases of scripted load (the JSON API, and Redis
 * pipelines beside it), evaluates each panel's own
 * query from deploy/grafana/kv-cache.json over the run and draws the results
 * into docs/img/dashboard-preview.svg.
 *
 * Usage: deno task dashboard:preview [--phase-seconds=25] [--out=PATH]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startBenchServer } from "../bench/servers.ts";
import {
  DASHBOARD_JSON,
  dashboardPanels,
  expandVariables,
  legend,
} from "./dashboard_queries.ts";
import {
  type DrawnPanel,
  type Phase,
  renderDashboardSvg,
} from "./dashboard_svg.ts";
import { startPrometheus } from "./prometheus_process.ts";
import { sendTraffic, type TrafficOptions } from "./traffic.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    "phase-seconds": { type: "string", default: "25" },
    out: {
      type: "string",
      default: new URL("../docs/img/dashboard-preview.svg", import.meta.url)
        .pathname,
    },
  },
});
const phaseSeconds = Number(args["phase-seconds"]);

/** The server's settings: a 4 MB budget that the load fills and evicts from. */
const SERVER_ENV = {
  MAX_CACHE_BYTES: "4000000",
  MAX_VALUE_SIZE: "2000",
  SWEEP_INTERVAL_MS: "2000",
  LOG_LEVEL: "warn",
};

const base = { valueSize: 1000, seed: 7 };
/** The load, phase by phase. */
const PHASES:
  (Omit<Phase, "start"> & { traffic: Omit<TrafficOptions, "requests"> })[] = [
    {
      label: "fill: 2 clients, 80% writes, 30% with TTL 1-3 s",
      traffic: {
        ...base,
        concurrency: 2,
        keySpace: 20000,
        readShare: 0.2,
        shortTtlShare: 0.3,
      },
    },
    {
      label: "mixed: 8 clients, 50% reads, evicting",
      traffic: {
        ...base,
        concurrency: 8,
        keySpace: 8000,
        readShare: 0.5,
        shortTtlShare: 0.05,
      },
    },
    {
      label: "read-heavy: 8 clients, 90% reads, 8% bad requests",
      traffic: {
        ...base,
        concurrency: 8,
        keySpace: 8000,
        readShare: 0.82,
        badShare: 0.08,
      },
    },
    {
      label: "quiet: 1 client",
      traffic: { ...base, concurrency: 1, keySpace: 8000, readShare: 0.5 },
    },
  ];

/**
 * One Redis pipeline beside each batch of JSON traffic, for the Redis
 * panels: reads, writes and counters over a few keys, with as many unknown
 * commands as the phase has bad requests.
 */
async function redisPipeline(
  url: string,
  seed: number,
  badShare: number,
): Promise<void> {
  const commands: (string | number)[][] = [];
  for (let i = 0; i < 16; i++) {
    const key = `redis:${(seed * 16 + i) % 64}`;
    const pick = ((seed * 16 + i) * 2654435761 % 1000) / 1000;
    if (pick < badShare) commands.push(["hset", key, "f", "v"]);
    else if (pick < 0.5) commands.push(["get", key]);
    else if (pick < 0.7) commands.push(["set", key, "v", "ex", 30]);
    else if (pick < 0.9) commands.push(["incr", `${key}:n`]);
    else commands.push(["mget", key, `${key}:n`]);
  }
  const response = await fetch(`${url}/pipeline`, {
    method: "POST",
    body: JSON.stringify(commands),
  });
  await response.body?.cancel();
}

const root = new URL("..", import.meta.url).pathname;
const server = await startBenchServer({
  name: "kv-cache",
  cwd: root,
  env: SERVER_ENV,
});
const prometheus = await startPrometheus({
  targets: [`127.0.0.1:${server.port}`],
  scrapeInterval: "1s",
});
try {
  const start = Math.floor(Date.now() / 1000);
  const phases: Phase[] = [];
  for (const [i, phase] of PHASES.entries()) {
    phases.push({ start: i * phaseSeconds, label: phase.label.split(":")[0] });
    const until = (start + (i + 1) * phaseSeconds) * 1000;
    let seed = phase.traffic.seed ?? 1;
    while (Date.now() < until) {
      await sendTraffic(server.url, {
        ...phase.traffic,
        requests: 200,
        seed,
      });
      await redisPipeline(server.url, seed++, phase.traffic.badShare ?? 0);
    }
    console.log(`phase ${i + 1}/${PHASES.length} done: ${phase.label}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const end = start + PHASES.length * phaseSeconds;

  const drawn: DrawnPanel[] = [];
  for (
    const panel of dashboardPanels(await Deno.readTextFile(DASHBOARD_JSON))
  ) {
    if (panel.type === "stat") {
      const [first] = await prometheus.query(
        expandVariables(panel.targets[0].expr, "5s"),
        end,
      );
      drawn.push({
        type: "stat",
        title: panel.title,
        unit: panel.unit,
        value: first?.values[0]?.[1] ?? NaN,
      });
      continue;
    }
    const series = [];
    for (const target of panel.targets) {
      const result = await prometheus.queryRange(
        expandVariables(target.expr, "5s"),
        start,
        end,
        1,
      );
      for (const s of result) {
        series.push({
          name: legend(target.legendFormat, s.metric) || panel.title,
          points: s.values.map(([t, v]) => [t - start, v] as [number, number]),
        });
      }
    }
    drawn.push({
      type: "timeseries",
      title: panel.title,
      unit: panel.unit,
      series,
    });
  }
  const svg = renderDashboardSvg(drawn, {
    title: "kv-cache dashboard preview (deploy/grafana/kv-cache.json)",
    subtitle: [
      "Not a Grafana screenshot: Grafana is not installable here. Each panel is the dashboard's own PromQL, evaluated by a real Prometheus",
      `(1 s scrapes, $__rate_interval = 5s) over a real kv-cache (MAX_CACHE_BYTES=4000000, 1000-character values) under ${
        PHASES.length * phaseSeconds
      } s of scripted load. Drawn by deno task dashboard:preview.`,
    ],
    duration: end - start,
    phases,
  });
  await Deno.mkdir(new URL(".", `file://${args.out}`), { recursive: true });
  await Deno.writeTextFile(args.out, svg);
  console.log(`wrote ${args.out}`);
} finally {
  await prometheus.stop();
  await server.stop();
}
