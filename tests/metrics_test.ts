import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { LATENCY_SAMPLE_EVERY, Metrics } from "../routes/metrics.ts";
import { LoopLagMonitor } from "../lib/loop_lag.ts";
import { ROUTE_LABELS } from "../routes/app.ts";
import { testApp } from "./support/app.ts";

type Family = {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
};

function scrape(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[];
  return new Map(families.map((family) => [family.name, family]));
}

Deno.test("/metrics scrapes cleanly and counts requests by route and status", async () => {
  const metrics = new Metrics(ROUTE_LABELS);
  const { app } = testApp({
    metrics,
    runtimeGauges: () => ({
      eventLoopLagMaxMs: 12,
      residentBytes: 1234,
      heapUsedBytes: 99,
      openConnections: 7,
      idleClosedConnections: 3,
    }),
  });
  // 3 × 16 GETs first: exactly 3 of them are timed.
  for (let i = 0; i < 3 * LATENCY_SAMPLE_EVERY; i++) {
    await app.request("/get?key=b");
  }
  await app.request("/put", {
    method: "POST",
    body: '{"key":"a","value":"1"}',
  });
  await app.request("/put", { method: "POST", body: "oops" });
  await app.request("/get?key=a");
  await app.request("/get?key=a");
  await app.request("/put"); // 405
  await app.request("/nowhere");
  const response = await app.request("/metrics");
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  const text = await response.text();
  const families = scrape(text);

  const requests = families.get("kvcache_http_requests_total")!;
  assert.equal(requests.type, "COUNTER");
  const count = (route: string, status: string) =>
    Number(
      requests.metrics.find((m) =>
        m.labels?.route === route && m.labels?.status === status
      )?.value ?? 0,
    );
  assert.equal(count("put", "200"), 1);
  assert.equal(count("put", "400"), 1);
  assert.equal(count("put", "405"), 1);
  assert.equal(count("get", "200"), 2);
  assert.equal(count("get", "404"), 3 * LATENCY_SAMPLE_EVERY);
  assert.equal(count("other", "404"), 1);

  // This parser folds labelled histograms together; check those lines as text.
  assert.equal(
    families.get("kvcache_http_request_duration_seconds")!.type,
    "HISTOGRAM",
  );
  const line = (prefix: string) =>
    text.split("\n").find((l) => l.startsWith(prefix + " "))?.split(" ")[1];
  assert.equal(
    line('kvcache_http_request_duration_seconds_count{route="get"}'),
    "3",
  );
  assert.equal(
    line('kvcache_http_request_duration_seconds_bucket{route="get",le="+Inf"}'),
    "3",
  );
  assert.equal(
    line('kvcache_http_request_duration_seconds_bucket{route="get",le="1"}'),
    "3",
  );

  const value = (name: string) => Number(families.get(name)!.metrics[0].value);
  assert.equal(value("kvcache_entries"), 1);
  assert.equal(value("kvcache_hits_total"), 2);
  assert.equal(value("kvcache_misses_total"), 3 * LATENCY_SAMPLE_EVERY);
  assert.equal(value("kvcache_puts_total"), 1);
  assert.equal(value("kvcache_event_loop_lag_max_seconds"), 0.012);
  assert.equal(value("kvcache_process_resident_memory_bytes"), 1234);
  assert.equal(value("kvcache_http_connections_open"), 7);
  assert.equal(value("kvcache_http_idle_connections_closed_total"), 3);
  assert.ok(value("kvcache_estimated_bytes") > 0);
  for (
    const name of [
      "kvcache_expired_total",
      "kvcache_evictions_total",
      "kvcache_sweep_duration_seconds",
      "kvcache_live_bytes",
    ]
  ) {
    assert.ok(families.has(name), name);
  }
});

Deno.test("sweep passes are summarised", () => {
  const metrics = new Metrics(ROUTE_LABELS);
  metrics.observeSweep({ removed: 3, durationMs: 250 });
  metrics.observeSweep({ removed: 0, durationMs: 750 });
  const { cache } = testApp();
  const families = scrape(
    metrics.render(cache.stats(), {
      eventLoopLagMaxMs: 0,
      residentBytes: 0,
      heapUsedBytes: 0,
      openConnections: 0,
      idleClosedConnections: 0,
    }),
  );
  const sweep = families.get("kvcache_sweep_duration_seconds")!.metrics[0];
  assert.equal(Number(sweep.count), 2);
  assert.equal(Number(sweep.sum), 1);
  assert.equal(
    Number(
      families.get("kvcache_sweep_last_duration_seconds")!.metrics[0].value,
    ),
    0.75,
  );
});

Deno.test("without metrics there is no /metrics route", async () => {
  const { app } = testApp();
  assert.equal((await app.request("/metrics")).status, 404);
});

Deno.test("the loop-lag monitor reports the longest delay and resets", () => {
  let now = 0;
  const monitor = new LoopLagMonitor(20, () => now);
  monitor.start();
  monitor.stop();
  now = 20;
  monitor.tick(); // on time
  now = 140;
  monitor.tick(); // expected at 40: 100 ms late
  now = 165;
  monitor.tick(); // 5 ms late
  assert.equal(monitor.takeMaxLagMs(), 100);
  assert.equal(monitor.takeMaxLagMs(), 0);
});

Deno.test({
  name: "promtool accepts the /metrics output",
  ignore: !hasPromtool(),
  fn: async () => {
    const { app } = testApp({ metrics: new Metrics(ROUTE_LABELS) });
    await app.request("/get?key=a");
    await app.request("/put", {
      method: "POST",
      body: '{"key":"a","value":"1"}',
    });
    const text = await (await app.request("/metrics")).text();
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const output = await child.output();
    const messages = new TextDecoder().decode(output.stderr) +
      new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, messages);
    assert.equal(messages.trim(), "");
  },
});

function hasPromtool(): boolean {
  try {
    new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return true;
  } catch {
    console.log(
      "promtool not installed: skipping (apt-get install prometheus)",
    );
    return false;
  }
}
