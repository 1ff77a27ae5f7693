/**
 * Runs a real Prometheus server (Debian's `prometheus` package) that scrapes
 * given targets, and queries it over its HTTP API. Used by the dashboard
 * preview and by tests/dashboard_test.ts to evaluate the dashboard's queries.
 *
 * @module
 */

import { freePort } from "../tests/support/server_process.ts";

/** Options for {@linkcode startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` of each kv-cache to scrape (job `kv-cache`). */
  targets: string[];
  /** Scrape interval, e.g. `"1s"`. */
  scrapeInterval: string;
  /** Rule files to load (absolute paths), e.g. the alert rules. */
  ruleFiles?: string[];
}

/** A Prometheus process started by {@linkcode startPrometheus}. */
export interface PrometheusProcess {
  /** Base URL of its HTTP API. */
  url: string;
  /** Evaluates `expr` at `time` (Unix seconds; now when omitted). */
  query(expr: string, time?: number): Promise<PromSeries[]>;
  /** Evaluates `expr` from `start` to `end` every `step` seconds. */
  queryRange(
    expr: string,
    start: number,
    end: number,
    step: number,
  ): Promise<PromSeries[]>;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

/** One series of a query result: its labels and `[time, value]` points. */
export interface PromSeries {
  /** Labels of the series. */
  metric: Record<string, string>;
  /** Points, time in Unix seconds. */
  values: [number, number][];
}

/** Whether the `prometheus` binary is on PATH. */
export async function prometheusInstalled(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("prometheus", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Starts Prometheus and resolves once it reports ready. */
export async function startPrometheus(
  options: PrometheusOptions,
): Promise<PrometheusProcess> {
  const dir = await Deno.makeTempDir({ prefix: "kv-cache-prometheus-" });
  const ruleFiles = options.ruleFiles ?? [];
  const config = [
    "global:",
    `  scrape_interval: ${options.scrapeInterval}`,
    `  evaluation_interval: ${options.scrapeInterval}`,
    ...(ruleFiles.length === 0 ? [] : [
      "rule_files:",
      ...ruleFiles.map((file) => `  - ${JSON.stringify(file)}`),
    ]),
    "scrape_configs:",
    "  - job_name: kv-cache",
    "    static_configs:",
    `      - targets: ${JSON.stringify(options.targets)}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
  const port = freePort();
  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not start: ${await stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const api = async (path: string, params: Record<string, string>) => {
    const response = await fetch(
      `${url}/api/v1/${path}?${new URLSearchParams(params)}`,
    );
    const body = await response.json();
    if (body.status !== "success") {
      throw new Error(`Prometheus ${path} ${params.query}: ${body.error}`);
    }
    return body.data as {
      resultType: string;
      result: {
        metric: Record<string, string>;
        value?: [number, string];
        values?: [number, string][];
      }[];
    };
  };
  const points = (raw: [number, string][]): [number, number][] =>
    raw.map(([t, v]) => [t, Number(v)]);

  return {
    url,
    async query(expr, time) {
      const data = await api("query", {
        query: expr,
        ...(time === undefined ? {} : { time: String(time) }),
      });
      return data.result.map((r) => ({
        metric: r.metric,
        values: r.value ? points([r.value]) : [],
      }));
    },
    async queryRange(expr, start, end, step) {
      const data = await api("query_range", {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      return data.result.map((r) => ({
        metric: r.metric,
        values: points(r.values ?? []),
      }));
    },
    stop,
  };
}
