/**
 * The snapshot scenario of the memory benchmark (issue 15), on a fresh server
 * with `SNAPSHOT_FILE` in a temporary directory:
 *
 * 1. fill one shape past `MAX_CACHE_BYTES`, as the fill-and-churn scenario;
 * 2. mixed GET/PUT load at full cache while `SNAPSHOT_INTERVAL_S` writes
 *    snapshots in the background; for each write that starts and ends inside
 *    the mixed phase: its time, MB/s, the writer's longest synchronous slice
 *    and the slowest `/health` probe during it (the stall), beside the
 *    slowest probe of the same phase outside writes;
 * 3. SIGTERM: the final write after the drain (time, MB/s);
 * 4. a new server loads that snapshot: time to load (from its log) and to
 *    answer `/health`, entries restored, the newest keys read back.
 *
 * @module
 */

import { readStats } from "../client.ts";
import { START_FLAGS } from "../../scripts/start_flags.ts";
import {
  MAIN_TS,
  type ServerProcess,
  startServer,
} from "../../tests/support/server_process.ts";
import type { LoadResult } from "../load/generator.ts";
import { nextKeyAfter, startLoad } from "./load.ts";
import { probeMax, type ProbeWindow, startProbe } from "./probe.ts";
import { markdownTable } from "./report.ts";
import { type CpuUse, RssSampler } from "./sampler.ts";
import {
  cacheServerArgv,
  cacheServerEnv,
  checkKeys,
  codeVersion,
  type Context,
  type ServerSettings,
  type ShapeOptions,
} from "./scenario.ts";

const SNAPSHOT_FILE = "snapshots/bench.snapshot";
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Options of {@linkcode runSnapshot}. */
export interface SnapshotScenarioOptions extends ShapeOptions {
  /** SNAPSHOT_INTERVAL_S of the server. */
  intervalSeconds: number;
  /** Where to make the server's working directory (system temp if unset). */
  parentDir?: string;
}

/** One snapshot write, from the server's "snapshot written" log line. */
export interface SnapshotWrite {
  /** Seconds from the start of the mixed phase to the start of the write. */
  startS: number;
  durationMs: number;
  bytes: number;
  entries: number;
  mbPerSecond: number;
  /** The writer's longest synchronous work between two yields, ms. */
  longestSliceMs: number;
  /** Slowest /health probe while it ran, ms. */
  probeMaxMs: number;
  /** Probe answers while it ran. */
  probeAnswers: number;
  /**
   * Share of the server's core taken by other processes while it ran, percent
   * (noise: above ~5% the probe mostly measures the neighbours).
   */
  othersPercent?: number | null;
}

/** Result of {@linkcode runSnapshot}. */
export interface SnapshotScenarioResult {
  store: "arena" | "map";
  shape: string;
  code: string;
  maxBytes: number;
  intervalSeconds: number;
  /** Entries in the cache at the end of the fill. */
  entries: number;
  /** wrk's figures for the mixed phase (latency in µs). */
  mixed?: LoadResult;
  /** Background writes that ran wholly inside the mixed phase. */
  writes: SnapshotWrite[];
  /** Slowest probe in the mixed phase outside any write, ms. */
  probeMaxOutsideWritesMs: number;
  /** Others' share of the server's core over the mixed phase, percent. */
  mixedOthersPercent?: number | null;
  /** The first background write after the mixed phase, with no load. */
  idleWrite?: SnapshotWrite;
  /** Slowest probe with no load, outside that write, ms. */
  probeMaxIdleNoWriteMs?: number;
  /** The write after SIGTERM, and the time from SIGTERM to exit. */
  shutdown?: { durationMs: number; bytes: number; mbPerSecond: number };
  stopMs?: number;
  /** The next server's load, and its time from spawn to answering /health. */
  load?: {
    durationMs: number;
    bytes: number;
    restored: number;
    mbPerSecond: number;
    readyMs: number;
  };
  /** The 20 newest keys after the load: hits with the exact value, misses. */
  newestAfterLoad?: { hits: number; misses: number; wrong: string[] };
  failure?: string;
}

/** A server's log line, parsed as JSON. */
type LogLine = Record<string, unknown>;

/**
 * Starts main.ts as `deno task start` runs it (its flags, snapshots/ included)
 * from `cwd`, through the launcher of the tests and benchmarks; resolves once
 * `/health` answers (within `readyTimeoutMs`). Its log lines are kept; no
 * SIGKILL follows a SIGTERM, so the shutdown write may take its time.
 */
function startSnapshotServer(
  s: ServerSettings,
  ctx: Context,
  cwd: string,
  env: Record<string, string>,
  readyTimeoutMs: number,
): Promise<ServerProcess> {
  const argv = cacheServerArgv(s, ctx, START_FLAGS, MAIN_TS);
  return startServer({
    name: "snapshot server",
    command: argv[0],
    args: argv.slice(1),
    cwd,
    env: {
      ...cacheServerEnv(s),
      LOG_LEVEL: "info",
      // One isolate, as measured (workers would read lib/ from cwd).
      WORKERS: "1",
      SNAPSHOT_FILE,
      ...env,
    },
    stderr: "inherit",
    ready: "health",
    readyTimeoutMs,
  });
}

/** Sends `signal` to `server`; resolves with the ms until it exited. */
async function stopAndWait(
  server: ServerProcess,
  signal: Deno.Signal,
): Promise<number> {
  const started = Date.now();
  await server.stop(signal);
  return Date.now() - started;
}

/** Resolves with `server`'s first log line `msg`; rejects after `timeoutMs`. */
function logLine(
  server: ServerProcess,
  msg: string,
  timeoutMs: number,
): Promise<LogLine> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    server.waitForLog(msg),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** Others' share of the server's core in `cpu` (see `PhaseResult`). */
function othersPercent(cpu: CpuUse | null, ctx: Context): number | null {
  const core = ctx.serverCore === null ? undefined : cpu?.cores[ctx.serverCore];
  return core && cpu ? Math.max(0, core.proc + core.irq - cpu.server) : null;
}

/** Background writes wholly inside [from, to] (epoch ms), with their stalls. */
export function writesBetween(
  logs: LogLine[],
  windows: ProbeWindow[],
  from: number,
  to: number,
): SnapshotWrite[] {
  const writes: SnapshotWrite[] = [];
  for (const line of logs) {
    if (line.msg !== "snapshot written" || line.reason !== "periodic") continue;
    const end = Date.parse(String(line.time));
    const durationMs = Number(line.durationMs);
    const start = end - durationMs;
    if (start < from || end > to) continue;
    const probe = probeMax(windows, start, end + 250);
    writes.push({
      startS: (start - from) / 1000,
      durationMs,
      bytes: Number(line.bytes),
      entries: Number(line.entries),
      mbPerSecond: mbps(Number(line.bytes), durationMs),
      longestSliceMs: Number(line.longestSliceMs),
      probeMaxMs: probe.maxMs,
      probeAnswers: probe.answers,
    });
  }
  return writes;
}

/** Slowest probe in [from, to] in windows that overlap no write at all. */
function probeMaxOutside(
  logs: LogLine[],
  windows: ProbeWindow[],
  from: number,
  to: number,
): number {
  const busy = logs
    .filter((line) => line.msg === "snapshot written")
    .map((line) => {
      const end = Date.parse(String(line.time));
      return [end - Number(line.durationMs), end + 250];
    });
  let max = 0;
  for (const w of windows) {
    if (w.t < from || w.t > to) continue;
    if (busy.some(([start, end]) => w.t >= start && w.t <= end)) continue;
    max = Math.max(max, w.maxMs);
  }
  return max;
}

/** The snapshot scenario; see the module docs. */
export async function runSnapshot(
  o: SnapshotScenarioOptions,
  ctx: Context,
): Promise<SnapshotScenarioResult> {
  const label = `${o.store}/${o.shape.name}/snapshot`;
  const dir = await Deno.makeTempDir({
    dir: o.parentDir,
    prefix: "kv-snapshot-bench-",
  });
  await Deno.mkdir(`${dir}/snapshots`);
  const out: SnapshotScenarioResult = {
    store: o.store,
    shape: o.shape.name,
    code: await codeVersion(),
    maxBytes: o.maxBytes,
    intervalSeconds: o.intervalSeconds,
    entries: 0,
    writes: [],
    probeMaxOutsideWritesMs: NaN,
  };
  let server: ServerProcess | undefined;
  let probe = undefined as Awaited<ReturnType<typeof startProbe>> | undefined;
  let sampler: RssSampler | undefined;
  const ticks = ctx.ticksPerSecond ?? 100;
  try {
    server = await startSnapshotServer(o, ctx, dir, {
      SNAPSHOT_INTERVAL_S: String(o.intervalSeconds),
    }, 20_000);
    sampler = new RssSampler(server.pid, 200);
    probe = startProbe(server.url, ctx.loadPin);
    const base = {
      shape: o.shape,
      valuesFile: o.valuesFile,
      connections: o.connections,
      threads: o.threads,
      getPercent: o.getPercent,
    };
    ctx.log(
      `[${label}] code ${out.code}; filling past ${o.maxBytes} bytes (background snapshots every ${o.intervalSeconds} s)`,
    );
    const fill = startLoad(
      {
        ...base,
        mode: "fill",
        start: 0,
        filled: 0,
        durationSeconds: o.fillTimeoutSeconds,
      },
      server.url,
      ctx.loadPin,
    );
    let target = Infinity;
    let exited = false;
    fill.result.then(() => exited = true, () => exited = true);
    while (!exited) {
      await delay(250);
      const stats = await readStats(server.url);
      if (target === Infinity && stats.evicted > 0) {
        target = Math.ceil(stats.puts * (1 + o.fillExtra));
      }
      if (stats.puts >= target) break;
    }
    fill.stop();
    const filled = nextKeyAfter(0, o.threads, (await fill.result).counters);
    out.entries = (await readStats(server.url)).entries;
    ctx.log(
      `[${label}] filled: ${out.entries} entries; mixed ${o.mixedSeconds} s`,
    );

    const mixedStart = Date.now();
    const mixedKeys = filled + 1000;
    const mixed = await startLoad(
      {
        ...base,
        mode: "mixed",
        start: mixedKeys,
        filled,
        durationSeconds: o.mixedSeconds,
      },
      server.url,
      ctx.loadPin,
    ).result;
    const mixedEnd = Date.now();
    out.mixed = mixed;
    await delay(500);
    await sampler.sample();
    out.mixedOthersPercent = othersPercent(
      sampler.cpuBefore(mixedEnd, mixedEnd - mixedStart, ticks),
      ctx,
    );
    out.writes = writesBetween(
      server.logs,
      probe.windows,
      mixedStart,
      mixedEnd,
    );
    for (const write of out.writes) {
      const end = mixedStart + write.startS * 1000 + write.durationMs;
      write.othersPercent = othersPercent(
        sampler.cpuBefore(end, write.durationMs, ticks),
        ctx,
      );
    }
    out.probeMaxOutsideWritesMs = probeMaxOutside(
      server.logs,
      probe.windows,
      mixedStart,
      mixedEnd,
    );
    for (const w of out.writes) {
      ctx.log(
        `[${label}] background write at +${w.startS.toFixed(1)} s: ${
          (w.bytes / 1e6).toFixed(0)
        } MB in ${w.durationMs} ms (${
          w.mbPerSecond.toFixed(0)
        } MB/s), longest slice ${w.longestSliceMs} ms, probe max ${
          w.probeMaxMs.toFixed(1)
        } ms over ${w.probeAnswers} probes, others on server core ${w.othersPercent}%`,
      );
    }
    ctx.log(
      `[${label}] probe max outside writes: ${
        out.probeMaxOutsideWritesMs.toFixed(1)
      } ms; others on server core ${out.mixedOthersPercent}% over the phase; mixed p99 ${
        (mixed.latencyUs.percentiles["99"] / 1000).toFixed(2)
      } ms, max ${(mixed.latencyUs.max / 1000).toFixed(1)} ms`,
    );
    // A write with no load: the stall the write itself causes, without the
    // wait behind wrk's queued requests that the probe sees under load.
    const idleFrom = Date.now();
    const idleDeadline = idleFrom + (o.intervalSeconds + 120) * 1000;
    while (Date.now() < idleDeadline) {
      await delay(250);
      const written = writesBetween(
        server.logs,
        probe.windows,
        idleFrom,
        Date.now(),
      );
      if (written.length > 0) {
        await delay(500);
        const idleTo = Date.now();
        out.idleWrite = writesBetween(
          server.logs,
          probe.windows,
          idleFrom,
          idleTo,
        )[0];
        out.probeMaxIdleNoWriteMs = probeMaxOutside(
          server.logs,
          probe.windows,
          idleFrom,
          idleTo,
        );
        const w = out.idleWrite;
        await sampler.sample();
        w.othersPercent = othersPercent(
          sampler.cpuBefore(
            idleFrom + w.startS * 1000 + w.durationMs,
            w.durationMs,
            ticks,
          ),
          ctx,
        );
        ctx.log(
          `[${label}] idle write: ${
            (w.bytes / 1e6).toFixed(0)
          } MB in ${w.durationMs} ms (${
            w.mbPerSecond.toFixed(0)
          } MB/s), longest slice ${w.longestSliceMs} ms, probe max ${
            w.probeMaxMs.toFixed(1)
          } ms over ${w.probeAnswers} probes (idle, no write: ${
            out.probeMaxIdleNoWriteMs.toFixed(1)
          } ms), others on server core ${w.othersPercent}%`,
        );
        break;
      }
    }
    await probe.stop();
    probe = undefined;
    sampler.stop();
    const newestKeys = nextKeyAfter(mixedKeys, o.threads, mixed.counters);

    // Shutdown: the drain, then the final write.
    out.stopMs = await stopAndWait(server, "SIGTERM");
    const final = server.logs.find((line) =>
      line.msg === "snapshot written" && line.reason === "shutdown"
    );
    if (!final) throw new Error("no shutdown snapshot was written");
    out.shutdown = {
      durationMs: Number(final.durationMs),
      bytes: Number(final.bytes),
      mbPerSecond: mbps(Number(final.bytes), Number(final.durationMs)),
    };
    ctx.log(
      `[${label}] shutdown write: ${
        (out.shutdown.bytes / 1e6).toFixed(0)
      } MB in ${out.shutdown.durationMs} ms (${
        out.shutdown.mbPerSecond.toFixed(0)
      } MB/s); SIGTERM to exit ${out.stopMs} ms`,
    );

    // Warm restart.
    const spawned = Date.now();
    server = await startSnapshotServer(o, ctx, dir, {}, 600_000);
    const readyMs = Date.now() - spawned;
    const loaded = await logLine(server, "snapshot loaded", 1000);
    out.load = {
      durationMs: Number(loaded.durationMs),
      bytes: Number(loaded.bytes),
      restored: Number(loaded.restored),
      mbPerSecond: mbps(Number(loaded.bytes), Number(loaded.durationMs)),
      readyMs,
    };
    const newest = [];
    for (let n = newestKeys - 1000; n < newestKeys - 980; n++) newest.push(n);
    out.newestAfterLoad = await checkKeys(server.url, o.shape, newest);
    ctx.log(
      `[${label}] load: ${out.load.restored} entries, ${
        (out.load.bytes / 1e6).toFixed(0)
      } MB in ${out.load.durationMs} ms (${
        out.load.mbPerSecond.toFixed(0)
      } MB/s); answering after ${readyMs} ms; newest keys ${out.newestAfterLoad.hits}/20 hit`,
    );
  } catch (e) {
    out.failure = (e as Error).message;
    ctx.log(`[${label}] FAILED: ${out.failure}`);
  } finally {
    sampler?.stop();
    await probe?.stop();
    if (server) await stopAndWait(server, "SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return out;
}

/** Markdown table of snapshot results. */
export function snapshotTable(results: SnapshotScenarioResult[]): string {
  const f = (n: number | undefined, digits = 0) =>
    n === undefined || Number.isNaN(n) ? "—" : n.toFixed(digits);
  const rows = results.map((r) => {
    const longest = r.writes.reduce((m, w) => Math.max(m, w.probeMaxMs), 0);
    const slice = r.writes.reduce((m, w) => Math.max(m, w.longestSliceMs), 0);
    const write = r.writes.at(-1);
    return [
      `${r.store}/${r.shape}`,
      r.code,
      `${f(r.entries / 1e6, 2)} M`,
      String(r.writes.length),
      write
        ? `${f(write.durationMs / 1000, 1)} s, ${f(write.mbPerSecond)} MB/s`
        : "—",
      r.writes.length ? `${f(longest, 1)} ms` : "—",
      r.writes.length ? `${f(slice, 1)} ms` : "—",
      `${f(r.probeMaxOutsideWritesMs, 1)} ms`,
      `${r.mixedOthersPercent ?? "—"}`,
      r.idleWrite
        ? `${f(r.idleWrite.probeMaxMs, 1)} ms (${
          f(r.probeMaxIdleNoWriteMs, 1)
        } ms)`
        : "—",
      r.shutdown
        ? `${f(r.shutdown.durationMs / 1000, 1)} s, ${
          f(r.shutdown.mbPerSecond)
        } MB/s`
        : "—",
      r.load
        ? `${f(r.load.durationMs / 1000, 1)} s, ${f(r.load.mbPerSecond)} MB/s`
        : "—",
      r.newestAfterLoad ? `${r.newestAfterLoad.hits}/20` : "—",
      r.failure ?? "",
    ];
  });
  return markdownTable([
    "store/shape",
    "code",
    "entries",
    "writes in mixed",
    "last write (MB/s)",
    "longest stall (probe)",
    "longest slice",
    "probe max, no write",
    "others% (mixed)",
    "idle write stall (no write)",
    "shutdown write",
    "load",
    "newest after load",
    "failure",
  ], rows);
}
