/**
 * Command-line options of `bench/memory/run.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseProbeCommands, type ProbeCommand } from "./redis_probe.ts";
import { parseShapes, type ShapeName } from "./shapes.ts";

/** Options of one memory-benchmark run. */
export interface MemoryOptions {
  /** MAX_CACHE_BYTES of every server. */
  maxBytes: number;
  /** Shapes to run, in order. */
  shapes: ShapeName[];
  /** Stores to run, in order. */
  stores: ("arena" | "map")[];
  /** Seconds of mixed load at full cache. */
  mixedSeconds: number;
  /** Share of GETs in the mixed load, percent. */
  getPercent: number;
  /** Open connections (fill and mixed load). */
  connections: number;
  /** wrk threads. */
  threads: number;
  /** After the first eviction, keep filling until this fraction more PUTs were made. */
  fillExtra: number;
  /** Longest fill, seconds (a fill that never evicts stops here). */
  fillTimeoutSeconds: number;
  /** Run the sweep scenario (once per store). */
  sweep: boolean;
  /** Entries written with ttl=1 for the sweep scenario. */
  sweepEntries: number;
  /** SWEEP_INTERVAL_MS of the sweep scenario: must exceed the time to fill. */
  sweepIntervalMs: number;
  /** Run the snapshot scenario (once per store): background writes, shutdown write, load. */
  snapshot: boolean;
  /** Shape the snapshot scenario fills with. */
  snapshotShape: ShapeName;
  /** SNAPSHOT_INTERVAL_S of the snapshot scenario. */
  snapshotIntervalSeconds: number;
  /** Directory for the snapshot scenario's working directory (system temp if unset). */
  snapshotDir?: string;
  /**
   * Redis commands to probe after each shape's mixed phase (empty: no
   * probe); see `redis_probe.ts`.
   */
  redisProbe: ProbeCommand[];
  /** Seconds of load without commands before each probed command. */
  redisProbeQuietSeconds: number;
  /** Connections of the probe's timed other requests. */
  redisProbeConnections: number;
  /** --max-old-space-size (MB) for the map store. */
  mapHeapMb: number;
  /** Output path of the JSON results. */
  json: string;
  /** Quick mode was asked for (sets the defaults of maxBytes and mixedSeconds). */
  quick: boolean;
  /**
   * Pin nothing, so that the server's WORKERS=auto sees every core (pinned
   * to one core, it serves from one isolate).
   */
  unpinned: boolean;
  /** Show help and exit. */
  help: boolean;
}

/** Usage text for `--help`. */
export const USAGE = `Usage: deno task bench:memory [options]
  --quick                 quick run: --max-bytes 200000000 --mixed-seconds 10
  --max-bytes N           MAX_CACHE_BYTES of the servers (1500000000)
  --shapes a,b            tiny, uuid256, 256x256, unicode (all; none: sweep only)
  --store S               arena, map or both (arena)
  --mixed-seconds N       mixed GET/PUT load at full cache (30)
  --get-percent N         share of GETs in the mixed load (50)
  --connections N         open connections (100)
  --threads N             wrk threads (1)
  --fill-extra F          keep filling until F x more PUTs than at the first eviction (0.1)
  --fill-timeout N        longest fill, seconds (1800)
  --no-sweep              skip the sweep scenario
  --unpinned              pin nothing (the server's WORKERS=auto then uses
                          every core)
  --sweep-entries N       entries written with ttl=1 for the sweep scenario (1000000)
  --sweep-interval-ms N   SWEEP_INTERVAL_MS there; must exceed the fill time (60000)
  --snapshot              also run the snapshot scenario (fill, background writes
                          during the mixed load, shutdown write, load on restart)
  --snapshot-shape S      its shape (uuid256)
  --snapshot-interval-s N SNAPSHOT_INTERVAL_S there (10)
  --snapshot-dir PATH     where its server's working directory and the
                          snapshot go (the system temp directory)
  --redis-probe LIST      after each shape's mixed phase, under the same load:
                          KEYS, a full SCAN, DBSIZE, RANDOMKEY, FLUSHDB, each
                          timed with the latency of the other requests during
                          it; LIST is all or some of
                          keys,scan,dbsize,randomkey,flushdb
  --redis-probe-quiet-s N load without commands before each of them (5)
  --redis-probe-connections N
                          connections of the timed other requests (8)
  --map-heap-mb N         --max-old-space-size for the map store (6000)
  --json PATH             results file (bench/memory/results/latest.json)`;

function number(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) {
    throw new Error(`--${name} must be a number >= ${min}, got "${text}"`);
  }
  return n;
}

function integer(text: string, name: string, min: number): number {
  const n = number(text, name, min);
  if (!Number.isInteger(n)) {
    throw new Error(`--${name} must be a whole number, got "${text}"`);
  }
  return n;
}

function parseSnapshotShape(text: string): ShapeName {
  const shapes = parseShapes(text);
  if (shapes.length !== 1) {
    throw new Error(`--snapshot-shape must name one shape, got "${text}"`);
  }
  return shapes[0];
}

/** Parses the command line; throws on bad values. */
export function parseMemoryOptions(argv: string[]): MemoryOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      "max-bytes": { type: "string" },
      shapes: { type: "string", default: "all" },
      store: { type: "string", default: "arena" },
      "mixed-seconds": { type: "string" },
      "get-percent": { type: "string", default: "50" },
      connections: { type: "string", default: "100" },
      threads: { type: "string", default: "1" },
      "fill-extra": { type: "string", default: "0.1" },
      "fill-timeout": { type: "string", default: "1800" },
      "no-sweep": { type: "boolean", default: false },
      unpinned: { type: "boolean", default: false },
      "sweep-entries": { type: "string", default: "1000000" },
      "sweep-interval-ms": { type: "string", default: "60000" },
      snapshot: { type: "boolean", default: false },
      "snapshot-shape": { type: "string", default: "uuid256" },
      "snapshot-interval-s": { type: "string", default: "10" },
      "snapshot-dir": { type: "string" },
      "redis-probe": { type: "string" },
      "redis-probe-quiet-s": { type: "string", default: "5" },
      "redis-probe-connections": { type: "string", default: "8" },
      "map-heap-mb": { type: "string", default: "6000" },
      json: { type: "string", default: "bench/memory/results/latest.json" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const store = values.store;
  if (store !== "arena" && store !== "map" && store !== "both") {
    throw new Error(`--store must be arena, map or both, got "${store}"`);
  }
  const getPercent = integer(values["get-percent"], "get-percent", 0);
  if (getPercent > 100) throw new Error("--get-percent must be at most 100");
  return {
    maxBytes: integer(
      values["max-bytes"] ?? (values.quick ? "200000000" : "1500000000"),
      "max-bytes",
      1,
    ),
    shapes: parseShapes(values.shapes),
    stores: store === "both" ? ["arena", "map"] : [store],
    mixedSeconds: integer(
      values["mixed-seconds"] ?? (values.quick ? "10" : "30"),
      "mixed-seconds",
      1,
    ),
    getPercent,
    connections: integer(values.connections, "connections", 1),
    threads: integer(values.threads, "threads", 1),
    fillExtra: number(values["fill-extra"], "fill-extra", 0),
    fillTimeoutSeconds: integer(values["fill-timeout"], "fill-timeout", 1),
    sweep: !values["no-sweep"],
    sweepEntries: integer(values["sweep-entries"], "sweep-entries", 1),
    sweepIntervalMs: integer(
      values["sweep-interval-ms"],
      "sweep-interval-ms",
      1,
    ),
    snapshot: values.snapshot,
    snapshotShape: parseSnapshotShape(values["snapshot-shape"]),
    snapshotIntervalSeconds: integer(
      values["snapshot-interval-s"],
      "snapshot-interval-s",
      1,
    ),
    snapshotDir: values["snapshot-dir"],
    redisProbe: values["redis-probe"] === undefined
      ? []
      : parseProbeCommands(values["redis-probe"]),
    redisProbeQuietSeconds: number(
      values["redis-probe-quiet-s"],
      "redis-probe-quiet-s",
      0.1,
    ),
    redisProbeConnections: integer(
      values["redis-probe-connections"],
      "redis-probe-connections",
      1,
    ),
    mapHeapMb: integer(values["map-heap-mb"], "map-heap-mb", 16),
    json: values.json,
    quick: values.quick,
    unpinned: values.unpinned,
    help: values.help,
  };
}
