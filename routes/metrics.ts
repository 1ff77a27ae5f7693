/**
 * Service metrics in the Prometheus text exposition format. Recording a
 * request touches a few preallocated counters and allocates nothing, so that
 * metrics cost next to nothing on the hot path; the text is built only when
 * scraped.
 *
 * @module
 */

import type { CacheStats } from "../lib/cache.ts";
import { COMMANDS, type CommandSpec } from "./redis/commands.ts";

/** Upper bounds of the request latency histogram, in seconds. */
export const LATENCY_BUCKETS = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/**
 * One request in this many is timed for the latency histogram (all are
 * counted). Reading the clock twice costs about 5% of a request here, so the
 * histogram is a sample: its `_count` is about 1/16 of the requests.
 */
export const LATENCY_SAMPLE_EVERY = 16;

/** What a sweep pass reports to the metrics. */
export interface SweepObservation {
  /** Expired entries the pass removed. */
  removed: number;
  /** Wall time of the pass, in milliseconds. */
  durationMs: number;
}

/** Runtime gauges read at scrape time. */
export interface RuntimeGauges {
  /** Longest event-loop delay since the last scrape, in milliseconds. */
  eventLoopLagMaxMs: number;
  /** Resident set size of the process, in bytes. */
  residentBytes: number;
  /** Bytes of the V8 heap in use. */
  heapUsedBytes: number;
  /** HTTP connections open now (0 when the server does not track them). */
  openConnections: number;
  /** Connections closed by the idle timeout since start. */
  idleClosedConnections: number;
}

/** Statuses counted per route: 100 to 599, one slot each. */
const FIRST_STATUS = 100;
const STATUS_SLOTS = 500;
const BUCKET_SLOTS = LATENCY_BUCKETS.length + 1;
/** Per route: status counts, latency buckets, latency sum and count. */
const ROUTE_SLOTS = STATUS_SLOTS + BUCKET_SLOTS + 2;
// After the routes: sweep count, sweep seconds, last sweep seconds, then the
// gauges an isolate publishes (`RuntimeGauges` but resident memory).
const SWEEP_SLOTS = 3;
const GAUGE_SLOTS = 4;

/** The `command` label of Redis commands that are not in the command table. */
export const UNKNOWN_COMMAND = "unknown";

/**
 * The `command` labels of the Redis command counters: the names of the
 * command table (routes/redis/commands.ts), in its order, then
 * {@linkcode UNKNOWN_COMMAND}. A bounded set, so a client sending made-up
 * command names cannot grow the series.
 */
export const COMMAND_LABELS: readonly string[] = [
  ...COMMANDS.keys(),
  UNKNOWN_COMMAND,
];

/** Each table entry's position in {@linkcode COMMAND_LABELS}. */
const COMMAND_POSITION = new Map<CommandSpec, number>(
  [...COMMANDS.values()].map((spec, i) => [spec, i]),
);
const UNKNOWN_POSITION = COMMAND_LABELS.length - 1;
/** Per command label: commands answered, and those answered with an error. */
const COMMAND_SLOTS = 2;

/** Float64 slots one isolate's metrics take for `routes` route labels. */
export function metricsRegionSlots(routes: number): number {
  return routes * ROUTE_SLOTS + SWEEP_SLOTS + GAUGE_SLOTS +
    COMMAND_LABELS.length * COMMAND_SLOTS;
}

/**
 * Where metrics are kept when several isolates serve one process: a
 * `SharedArrayBuffer` of `regions` equal regions (see
 * {@linkcode metricsRegionSlots}), each written by one isolate only and read
 * by all, so that any of them renders the whole process.
 */
export interface SharedMetricsMemory {
  /** Buffer of `regions * metricsRegionSlots(routes) * 8` bytes. */
  buffer: SharedArrayBuffer;
  /** The region this isolate writes. */
  region: number;
  /** Regions in the buffer. */
  regions: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}

/**
 * Records requests into {@linkcode Metrics}: {@linkcode RequestRecorder.wrap}
 * wraps a route's handler once, at registration; `start()` and `finish()`
 * record answers given outside a route (404, 405, errors). Counts every
 * request and times one in {@linkcode LATENCY_SAMPLE_EVERY}.
 */
export class RequestRecorder {
  readonly #metrics: Metrics | undefined;
  #requests = 0;

  /** Records into `metrics`; without them, does nothing. */
  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
  }

  /**
   * Wraps `handler` so that each answer it gives is recorded under `label`;
   * without metrics, returns `handler` itself.
   */
  wrap<C>(
    label: string,
    handler: (c: C) => Response | Promise<Response>,
  ): (c: C) => Response | Promise<Response> {
    const metrics = this.#metrics;
    if (metrics === undefined) return handler;
    const route = metrics.routeIndex(label);
    return (c) => {
      const started = this.start();
      const answer = handler(c);
      return answer instanceof Response
        ? this.#record(metrics, route, answer, started)
        : answer.then((response) =>
          this.#record(metrics, route, response, started)
        );
    };
  }

  /** Returns the start time if this request is timed, else 0. */
  start(): number {
    if (this.#metrics === undefined) return 0;
    return ++this.#requests % LATENCY_SAMPLE_EVERY === 0
      ? performance.now()
      : 0;
  }

  /** Records the answer to a request begun with `start()`; returns it. */
  finish<T extends { status: number }>(
    label: string,
    response: T,
    started: number,
  ): T {
    const metrics = this.#metrics;
    if (metrics === undefined) return response;
    return this.#record(metrics, metrics.routeIndex(label), response, started);
  }

  #record<T extends { status: number }>(
    metrics: Metrics,
    route: number,
    response: T,
    started: number,
  ): T {
    metrics.countRequest(route, response.status);
    if (started !== 0) {
      metrics.observeLatency(route, (performance.now() - started) / 1000);
    }
    return response;
  }
}

/** Request, Redis command, sweep and cache metrics, rendered for Prometheus. */
export class Metrics {
  readonly #routes: string[];
  /** Every region's slots; this isolate writes `#own`. */
  readonly #all: Float64Array;
  readonly #own: Float64Array;
  readonly #regionSlots: number;
  readonly #regions: number;
  /** Where the Redis command counters start in a region. */
  readonly #commands: number;

  /**
   * Creates metrics for requests labelled with one of `routes`, private to
   * this isolate or in `shared` memory.
   */
  constructor(routes: readonly string[], shared?: SharedMetricsMemory) {
    this.#routes = [...routes];
    this.#regionSlots = metricsRegionSlots(routes.length);
    this.#regions = shared?.regions ?? 1;
    this.#commands = routes.length * ROUTE_SLOTS + SWEEP_SLOTS + GAUGE_SLOTS;
    this.#all = shared === undefined
      ? new Float64Array(this.#regionSlots)
      : new Float64Array(shared.buffer);
    const region = shared?.region ?? 0;
    this.#own = this.#all.subarray(
      region * this.#regionSlots,
      (region + 1) * this.#regionSlots,
    );
  }

  /** Index of `route` for {@linkcode Metrics.countRequest}; throws if unknown. */
  routeIndex(route: string): number {
    const index = this.#routes.indexOf(route);
    if (index < 0) throw new RangeError(`Unknown route label "${route}"`);
    return index;
  }

  /** Counts one request to route number `route` with its status. */
  countRequest(route: number, status: number): void {
    const slot = status - FIRST_STATUS;
    if (slot >= 0 && slot < STATUS_SLOTS) {
      this.#own[route * ROUTE_SLOTS + slot]++;
    }
  }

  /** Adds one latency observation for route number `route`. */
  observeLatency(route: number, seconds: number): void {
    let bucket = 0;
    while (
      bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]
    ) bucket++;
    const at = route * ROUTE_SLOTS + STATUS_SLOTS;
    this.#own[at + bucket]++;
    this.#own[at + BUCKET_SLOTS] += seconds;
    this.#own[at + BUCKET_SLOTS + 1]++;
  }

  /**
   * Counts one Redis command answered on its own (alone, in a pipeline or in
   * a transaction): `spec` is its entry in the command table, undefined for
   * a name the table does not have; `failed` when the answer is an error.
   */
  countCommand(spec: CommandSpec | undefined, failed: boolean): void {
    const at = this.#commands + COMMAND_SLOTS *
        (spec === undefined
          ? UNKNOWN_POSITION
          : COMMAND_POSITION.get(spec) ?? UNKNOWN_POSITION);
    this.#own[at]++;
    if (failed) this.#own[at + 1]++;
  }

  /** Records one completed sweep pass. */
  observeSweep(pass: SweepObservation): void {
    const at = this.#routes.length * ROUTE_SLOTS;
    this.#own[at]++;
    this.#own[at + 1] += pass.durationMs / 1000;
    this.#own[at + 2] = pass.durationMs / 1000;
  }

  /**
   * Publishes this isolate's runtime gauges for the others to render
   * (resident memory is the process's, so it is not summed).
   */
  publishGauges(runtime: RuntimeGauges): void {
    const at = this.#routes.length * ROUTE_SLOTS + SWEEP_SLOTS;
    this.#own[at] = runtime.eventLoopLagMaxMs;
    this.#own[at + 1] = runtime.heapUsedBytes;
    this.#own[at + 2] = runtime.openConnections;
    this.#own[at + 3] = runtime.idleClosedConnections;
  }

  /** Slot `slot` of a region summed over every region. */
  #sum(slot: number): number {
    let total = 0;
    for (let r = 0; r < this.#regions; r++) {
      total += this.#all[r * this.#regionSlots + slot];
    }
    return total;
  }

  /** Slot `slot` of a region, the largest over every region. */
  #max(slot: number): number {
    let most = 0;
    for (let r = 0; r < this.#regions; r++) {
      most = Math.max(most, this.#all[r * this.#regionSlots + slot]);
    }
    return most;
  }

  /** Renders every metric in the Prometheus text format (version 0.0.4). */
  render(cache: CacheStats, runtime: RuntimeGauges): string {
    this.publishGauges(runtime);
    const sweeps = this.#routes.length * ROUTE_SLOTS;
    const gauges = sweeps + SWEEP_SLOTS;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };

    metric(
      "kvcache_http_requests_total",
      "counter",
      "HTTP requests by route and status.",
    );
    this.#routes.forEach((route, i) => {
      const label = escapeLabel(route);
      for (let slot = 0; slot < STATUS_SLOTS; slot++) {
        const count = this.#sum(i * ROUTE_SLOTS + slot);
        if (count === 0) continue;
        lines.push(
          `kvcache_http_requests_total{route="${label}",status="${
            FIRST_STATUS + slot
          }"} ${count}`,
        );
      }
    });

    metric(
      "kvcache_http_request_duration_seconds",
      "histogram",
      `Time in the handler, by route; every ${LATENCY_SAMPLE_EVERY}th request is timed.`,
    );
    this.#routes.forEach((route, i) => {
      const at = i * ROUTE_SLOTS + STATUS_SLOTS;
      const count = this.#sum(at + BUCKET_SLOTS + 1);
      if (count === 0) return;
      const label = escapeLabel(route);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, b) => {
        cumulative += this.#sum(at + b);
        lines.push(
          `kvcache_http_request_duration_seconds_bucket{route="${label}",le="${le}"} ${cumulative}`,
        );
      });
      lines.push(
        `kvcache_http_request_duration_seconds_bucket{route="${label}",le="+Inf"} ${count}`,
        `kvcache_http_request_duration_seconds_sum{route="${label}"} ${
          this.#sum(at + BUCKET_SLOTS)
        }`,
        `kvcache_http_request_duration_seconds_count{route="${label}"} ${count}`,
      );
    });

    const gauge = (name: string, help: string, value: number) => {
      metric(name, "gauge", help);
      lines.push(`${name} ${value}`);
    };
    const counter = (name: string, help: string, value: number) => {
      metric(name, "counter", help);
      lines.push(`${name} ${value}`);
    };
    gauge("kvcache_entries", "Entries in the cache.", cache.entries);
    gauge(
      "kvcache_estimated_bytes",
      "Memory the cache store holds, in bytes.",
      cache.estimatedBytes,
    );
    gauge("kvcache_live_bytes", "Bytes of live entries.", cache.liveBytes);
    gauge("kvcache_max_bytes", "Configured memory budget.", cache.maxBytes);
    counter("kvcache_hits_total", "Reads that found a live entry.", cache.hits);
    counter("kvcache_misses_total", "Reads that found nothing.", cache.misses);
    counter("kvcache_puts_total", "Inserts and overwrites.", cache.puts);
    counter("kvcache_deletes_total", "Deletes of live entries.", cache.deletes);
    metric(
      "kvcache_expired_total",
      "counter",
      "Expired entries removed, by how they were found.",
    );
    lines.push(
      `kvcache_expired_total{by="read"} ${cache.expiredOnRead}`,
      `kvcache_expired_total{by="sweep"} ${cache.expiredBySweep}`,
    );
    counter(
      "kvcache_evictions_total",
      "Entries evicted to stay within the memory budget.",
      cache.evicted,
    );
    counter(
      "kvcache_compactions_total",
      "Compactions that reclaimed space from dead records.",
      cache.compactions,
    );
    metric(
      "kvcache_sweep_duration_seconds",
      "summary",
      "Wall time of completed sweep passes.",
    );
    lines.push(
      `kvcache_sweep_duration_seconds_sum ${this.#sum(sweeps + 1)}`,
      `kvcache_sweep_duration_seconds_count ${this.#sum(sweeps)}`,
    );
    gauge(
      "kvcache_sweep_last_duration_seconds",
      "Wall time of the last sweep pass.",
      this.#max(sweeps + 2),
    );
    gauge(
      "kvcache_event_loop_lag_max_seconds",
      "Longest event-loop delay since the previous scrape.",
      this.#max(gauges) / 1000,
    );
    gauge(
      "kvcache_process_resident_memory_bytes",
      "Resident set size of the process.",
      runtime.residentBytes,
    );
    gauge(
      "kvcache_heap_used_bytes",
      "Bytes of the V8 heaps in use, over every isolate.",
      this.#sum(gauges + 1),
    );
    gauge(
      "kvcache_http_connections_open",
      "HTTP connections open now, over every serving isolate.",
      this.#sum(gauges + 2),
    );
    counter(
      "kvcache_http_idle_connections_closed_total",
      "Connections closed because no request started on them for IDLE_TIMEOUT_MS.",
      this.#sum(gauges + 3),
    );
    // Every command label, zeros included: a bounded set, and a series that
    // exists from the first scrape lets rate() see the first increase.
    metric(
      "kvcache_redis_commands_total",
      "counter",
      "Redis commands answered (alone, in pipelines and in transactions), by command; a request refused whole before any command ran is counted only in kvcache_http_requests_total.",
    );
    COMMAND_LABELS.forEach((command, i) => {
      lines.push(
        `kvcache_redis_commands_total{command="${command}"} ${
          this.#sum(this.#commands + COMMAND_SLOTS * i)
        }`,
      );
    });
    metric(
      "kvcache_redis_command_errors_total",
      "counter",
      "Redis commands answered with an error, by command (unknown commands, wrong arguments, errors while running, writes with the read-only token).",
    );
    COMMAND_LABELS.forEach((command, i) => {
      lines.push(
        `kvcache_redis_command_errors_total{command="${command}"} ${
          this.#sum(this.#commands + COMMAND_SLOTS * i + 1)
        }`,
      );
    });
    gauge(
      "kvcache_uptime_seconds",
      "Seconds since start.",
      cache.uptimeSeconds,
    );
    return lines.join("\n") + "\n";
  }
}
