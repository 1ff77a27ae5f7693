import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import {
  COMMAND_LABELS,
  LATENCY_SAMPLE_EVERY,
  Metrics,
  metricsRegionSlots,
  UNKNOWN_COMMAND,
} from "../routes/metrics.ts";
import { LoopLagMonitor } from "../lib/loop_lag.ts";
import { ROUTE_LABELS } from "../routes/app.ts";
import { COMMANDS } from "../routes/redis/commands.ts";
import { testApp } from "./support/app.ts";
import { startServer } from "./support/server_process.ts";

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

const NO_GAUGES = {
  eventLoopLagMaxMs: 0,
  residentBytes: 0,
  heapUsedBytes: 0,
  openConnections: 0,
  idleClosedConnections: 0,
};

const READONLY_TOKEN = "read-only-token-0123456789";
const FULL_TOKEN = "full-token-0123456789abcdef";

/** POSTs `body` as JSON to the app; returns the status. */
async function post(
  app: ReturnType<typeof testApp>["app"],
  path: string,
  body: unknown,
  token = FULL_TOKEN,
): Promise<number> {
  const response = await app.request(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** Per `command` label: [answered, errors], from a scrape. */
function commandCounts(text: string): Map<string, [number, number]> {
  const families = scrape(text);
  const answered = families.get("kvcache_redis_commands_total")!;
  const errors = families.get("kvcache_redis_command_errors_total")!;
  assert.equal(answered.type, "COUNTER");
  assert.equal(errors.type, "COUNTER");
  const counts = new Map<string, [number, number]>();
  for (const m of answered.metrics) {
    counts.set(m.labels!.command, [Number(m.value), 0]);
  }
  for (const m of errors.metrics) {
    counts.get(m.labels!.command)![1] = Number(m.value);
  }
  return counts;
}

/** The non-zero entries of `counts`, as an object to compare. */
const nonZero = (counts: Map<string, [number, number]>) =>
  Object.fromEntries(
    [...counts].filter(([, [answered, errors]]) => answered + errors > 0),
  );

Deno.test("Redis commands are counted by command, with their errors, alone, in pipelines and in transactions", async () => {
  const metrics = new Metrics(ROUTE_LABELS);
  const { app } = testApp({
    metrics,
    redisApi: true,
    authToken: FULL_TOKEN,
    authReadonlyToken: READONLY_TOKEN,
  });
  // Alone: answers, a wrong arity, an error while running, an unknown name
  // (in upper case), a write with the read-only token.
  assert.equal(await post(app, "/", ["set", "k", "v"]), 200);
  assert.equal(await post(app, "/", ["GET", "k"]), 200);
  assert.equal(await post(app, "/", ["get", "k"], READONLY_TOKEN), 200);
  assert.equal(await post(app, "/", ["get"]), 400);
  assert.equal(await post(app, "/", ["incr", "k"]), 400);
  assert.equal(await post(app, "/", ["HSET", "h", "f", "v"]), 400);
  assert.equal(await post(app, "/", ["del", "k"], READONLY_TOKEN), 403);
  // A pipeline answers each command in place.
  assert.equal(
    await post(app, "/pipeline", [["incr", "n"], ["nosuch"], ["get", "k"], [
      "incr",
      "k",
    ]]),
    200,
  );
  // A transaction: both run, one fails while running.
  assert.equal(
    await post(app, "/multi-exec", [["incr", "n"], ["incrby", "k", "2"]]),
    200,
  );
  // Refused whole before anything ran: not counted as commands.
  assert.equal(await post(app, "/multi-exec", [["incr", "n"], ["hset"]]), 400);
  assert.equal(
    await post(
      app,
      "/pipeline",
      [["get", "k"], ["set", "k", "w"]],
      READONLY_TOKEN,
    ),
    403,
  );
  assert.equal(await post(app, "/", "not json"), 400);
  assert.equal(await post(app, "/pipeline", []), 400);

  const text = await (await app.request("/metrics", {
    headers: { authorization: `Bearer ${FULL_TOKEN}` },
  })).text();
  const counts = commandCounts(text);
  assert.deepEqual(nonZero(counts), {
    set: [1, 0],
    get: [4, 1],
    incr: [4, 2],
    incrby: [1, 1],
    del: [1, 1],
    [UNKNOWN_COMMAND]: [2, 2],
  });
  // Every command of the table has its series from the start, and nothing
  // else does: the labels are the table's names and "unknown".
  assert.deepEqual([...counts.keys()], [...COMMANDS.keys(), UNKNOWN_COMMAND]);
  assert.deepEqual(COMMAND_LABELS, [...counts.keys()]);

  // The three endpoints keep their route labels.
  const requests = scrape(text).get("kvcache_http_requests_total")!;
  const routeCount = (route: string, status: string) =>
    Number(
      requests.metrics.find((m) =>
        m.labels?.route === route && m.labels?.status === status
      )?.value ?? 0,
    );
  assert.equal(routeCount("redis", "200"), 3);
  assert.equal(routeCount("redis", "400"), 4);
  assert.equal(routeCount("redis", "403"), 1);
  assert.equal(routeCount("redis_pipeline", "200"), 1);
  assert.equal(routeCount("redis_pipeline", "400"), 1);
  assert.equal(routeCount("redis_pipeline", "403"), 1);
  assert.equal(routeCount("redis_multi_exec", "200"), 1);
  assert.equal(routeCount("redis_multi_exec", "400"), 1);
});

Deno.test("where the Redis API is off (501), no command is counted", async () => {
  const metrics = new Metrics(ROUTE_LABELS);
  const { app } = testApp({ metrics, redisApi: false });
  assert.equal(await post(app, "/", ["get", "k"]), 501);
  assert.equal(await post(app, "/pipeline", [["get", "k"]]), 501);
  const text = await (await app.request("/metrics")).text();
  assert.deepEqual(nonZero(commandCounts(text)), {});
  assert.ok(
    text.includes('kvcache_http_requests_total{route="redis",status="501"} 1'),
  );
});

Deno.test("isolates sharing metrics memory render each other's command counts", () => {
  const regions = 3;
  const buffer = new SharedArrayBuffer(
    8 * regions * metricsRegionSlots(ROUTE_LABELS.length),
  );
  const isolates = Array.from(
    { length: regions },
    (_, region) => new Metrics(ROUTE_LABELS, { buffer, region, regions }),
  );
  const get = COMMANDS.get("get")!;
  const echo = COMMANDS.get("echo")!; // the table's last command
  isolates[1].countCommand(get, false);
  isolates[2].countCommand(get, true);
  isolates[2].countCommand(echo, false);
  isolates[2].countCommand(undefined, true);
  isolates[1].countRequest(ROUTE_LABELS.indexOf("redis"), 200);
  const { cache } = testApp();
  for (const metrics of isolates) {
    const text = metrics.render(cache.stats(), NO_GAUGES);
    assert.deepEqual(nonZero(commandCounts(text)), {
      get: [2, 1],
      echo: [1, 0],
      [UNKNOWN_COMMAND]: [1, 1],
    });
    assert.ok(
      text.includes(
        'kvcache_http_requests_total{route="redis",status="200"} 1',
      ),
    );
  }
  // The last region's last slot is inside the buffer.
  assert.equal(
    buffer.byteLength,
    8 * regions * metricsRegionSlots(ROUTE_LABELS.length),
  );
});

Deno.test("a server with WORKERS=2 counts the commands every worker answered", async () => {
  const server = await startServer({
    env: { WORKERS: "2" },
  });
  try {
    // A new connection per request, until both workers have answered some.
    let sent = 0;
    let errors = 0;
    for (let round = 0; round < 200; round++) {
      const client = Deno.createHttpClient({});
      try {
        for (const body of [["incr", "n"], ["get", "n", "extra"]]) {
          const response = await fetch(`${server.url}/`, {
            method: "POST",
            body: JSON.stringify(body),
            client,
          });
          await response.body?.cancel();
          sent++;
          if (response.status === 400) errors++;
        }
      } finally {
        client.close();
      }
      const stats = await (await fetch(`${server.url}/stats`)).json();
      if (round >= 4 && stats.workerRequests.every((n: number) => n > 2)) break;
    }
    const stats = await (await fetch(`${server.url}/stats`)).json();
    assert.equal(stats.workers, 2);
    assert.ok(
      stats.workerRequests.every((n: number) => n > 2),
      `both workers answered: ${stats.workerRequests}`,
    );
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const counts = commandCounts(text);
    assert.deepEqual(nonZero(counts), {
      incr: [sent / 2, 0],
      get: [sent / 2, errors],
    });
    assert.equal(errors, sent / 2);
  } finally {
    await server.stop();
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
    const { app } = testApp({
      metrics: new Metrics(ROUTE_LABELS),
      redisApi: true,
    });
    await app.request("/get?key=a");
    await app.request("/put", {
      method: "POST",
      body: '{"key":"a","value":"1"}',
    });
    await app.request("/pipeline", {
      method: "POST",
      body: '[["get","a"],["incr","a"],["nosuch"]]',
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
