/**
 * The two scenarios of the memory benchmark, each on a fresh server:
 *
 * - fill and churn ({@linkcode runShape}): PUT new keys of one shape until
 *   the store has evicted and `fillExtra` more PUTs went in, then a timed
 *   mixed GET/PUT load at full cache (GETs over every key written, so hits
 *   and misses; PUTs of new keys, so eviction stays active);
 * - sweep ({@linkcode runSweep}): write entries with ttl=1, then let the
 *   first periodic sweep remove them all while a probe watches for stalls.
 *
 * With `redisProbe`, the fill-and-churn scenario ends with the Redis probe
 * (`redis_probe.ts`) on its full cache, under the same mixed load.
 *
 * Throughout, a probe process times `GET /health` back to back and a sampler
 * reads the server's VmRSS every 200 ms.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readStats } from "../client.ts";
import { type RunningServer, startBenchServer } from "../servers.ts";
import { SERVER_RUN_FLAGS } from "../../tests/support/server_process.ts";
import type { LoadResult } from "../load/generator.ts";
import {
  type MemoryLoadResult,
  type MemoryLoadSpec,
  nextKeyAfter,
  startLoad,
} from "./load.ts";
import { probeMax, type ProbeWindow, startProbe } from "./probe.ts";
import {
  type RedisProbeOptions,
  type RedisProbeResult,
  runRedisProbe,
} from "./redis_probe.ts";
import { type CpuUse, readMemory, RssSampler } from "./sampler.ts";
import { keyFor, type Shape, valueFor } from "./shapes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The server code a run measured: the git commit, plus `+dirty-<hash>` (a
 * hash of `git diff HEAD` of main.ts, lib/ and routes/) when the working tree
 * differs from it. Read when the server starts: the tree may change between
 * runs. "unknown" without git.
 */
export async function codeVersion(): Promise<string> {
  const git = async (args: string[]) => {
    const out = await new Deno.Command("git", {
      args: ["-C", ROOT, ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error(`git ${args[0]} failed`);
    return out.stdout;
  };
  try {
    const head = new TextDecoder().decode(
      await git(["rev-parse", "--short", "HEAD"]),
    ).trim();
    const diff = await git(["diff", "HEAD", "--", "main.ts", "lib", "routes"]);
    if (diff.length === 0) return head;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", diff));
    const hex = [...digest.slice(0, 4)]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${head}+dirty-${hex}`;
  } catch {
    return "unknown";
  }
}

/** Where things run and how the harness talks. */
export interface Context {
  /** Command prefix pinning the server (e.g. `taskset -c 0`), or empty. */
  serverPin: string[];
  /** Command prefix pinning wrk and the probe, or empty. */
  loadPin: string[];
  /** Core the server is pinned to (and the `others%` noise gauge reads), or null. */
  serverCore: number | null;
  /** Clock ticks per second of /proc CPU times. */
  ticksPerSecond?: number;
  log: (line: string) => void;
}

/** Server settings shared by the scenarios. */
export interface ServerSettings {
  store: "arena" | "map";
  maxBytes: number;
  mapHeapMb: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

/**
 * The server's command line for `s`: pinned, with the map store's heap
 * limit, then `permissions` and `entry`.
 */
export function cacheServerArgv(
  s: ServerSettings,
  ctx: Context,
  permissions: readonly string[] = SERVER_RUN_FLAGS,
  entry = "main.ts",
): string[] {
  return [
    ...ctx.serverPin,
    Deno.execPath(),
    "run",
    ...(s.store === "map"
      ? [`--v8-flags=--max-old-space-size=${s.mapHeapMb}`]
      : []),
    ...permissions,
    entry,
  ];
}

/** The server's environment for `s` (`s.env` wins). */
export function cacheServerEnv(s: ServerSettings): Record<string, string> {
  return {
    CACHE_STORE: s.store,
    MAX_CACHE_BYTES: String(s.maxBytes),
    NOT_FOUND_STATUS: "200",
    LOG_LEVEL: "warn",
    DEFAULT_TTL_SECONDS: "0",
    ...s.env,
  };
}

async function startCacheServer(
  s: ServerSettings,
  ctx: Context,
  name: string,
): Promise<RunningServer & { code: string }> {
  const code = await codeVersion();
  const argv = cacheServerArgv(s, ctx);
  const server = await startBenchServer({
    name,
    command: argv[0],
    args: argv.slice(1),
    env: cacheServerEnv(s),
  });
  return { ...server, code };
}

/** GETs key numbers `ns` and counts exact hits and misses; lists anything else. */
export async function checkKeys(
  url: string,
  shape: Shape,
  ns: number[],
): Promise<{ hits: number; misses: number; wrong: string[] }> {
  let hits = 0, misses = 0;
  const wrong: string[] = [];
  for (const n of ns) {
    const key = keyFor(shape.keyScheme, n);
    const res = await fetch(`${url}/get?key=${encodeURIComponent(key)}`);
    const text = await res.text();
    let body: {
      status?: string;
      key?: string;
      value?: string;
      message?: string;
    };
    try {
      body = JSON.parse(text);
    } catch {
      wrong.push(`${key}: ${res.status} ${text.slice(0, 80)}`);
      continue;
    }
    if (res.status === 200 && body.status === "OK") {
      if (body.key === key && body.value === valueFor(shape, n)) hits++;
      else wrong.push(`${key}: wrong value ${text.slice(0, 80)}`);
    } else if (body.message === "Key not found.") misses++;
    else wrong.push(`${key}: ${res.status} ${text.slice(0, 80)}`);
  }
  return { hits, misses, wrong };
}

function range(from: number, count: number): number[] {
  const out: number[] = [];
  for (let n = Math.max(0, from); n < from + count; n++) out.push(n);
  return out;
}

/** Figures of one phase (fill or mixed). */
export interface PhaseResult {
  /** Wall time, seconds. */
  seconds: number;
  /** wrk's figures (latency in µs). */
  wrk: LoadResult;
  /** Completed requests per second. */
  requestsPerSecond: number;
  /** wrk errors of all kinds, statuses > 399 included. */
  errors: number;
  /** /stats at the end of the phase. */
  stats: Record<string, number>;
  /** VmRSS at the end of the phase, bytes. */
  rss: number;
  /** Highest VmRSS sampled during the phase. */
  peakRss: number;
  /** (rss - baseline) / estimatedBytes at the end of the phase. */
  ratio: number;
  /** Slowest /health probe during the phase, ms. */
  probeMaxMs: number;
  /** Probe answers and failures during the phase. */
  probeAnswers: number;
  probeErrors: number;
  /**
   * Percent of the server core's time used by other processes (noise
   * gauge): busy ticks of the core (user, system, steal, irq, softirq)
   * minus the server's own, which include the softirq work (loopback
   * network stack) done in its context.
   */
  othersPercent: number | null;
  /** CPU use over the whole phase. */
  cpu: CpuUse | null;
  /**
   * The 5 slowest probe windows: seconds since the phase start, slowest
   * probe ms, and CPU use over the second before (server process, cores).
   */
  worstProbes: { atS: number; maxMs: number; cpu: CpuUse | null }[];
}

/** Result of {@linkcode runShape}. */
export interface ShapeResult {
  store: "arena" | "map";
  shape: string;
  /** Server code measured (see {@linkcode codeVersion}). */
  code: string;
  maxBytes: number;
  /** VmRSS of the fresh, empty server. */
  baselineRss: number;
  /** Peak RSS: the higher of the sampled VmRSS and the kernel's VmHWM. */
  peakRss: number;
  /** MAX_CACHE_BYTES × 1.15 + baseline: the RSS target. */
  rssLimit: number;
  /** PUTs made when the first eviction showed in /stats (-1: never). */
  firstEvictionPuts: number;
  /** Distinct keys written over the run (fill + mixed PUTs). */
  distinctKeys: number;
  fill?: PhaseResult;
  mixed?: PhaseResult;
  /** Read-back checks: newest keys must hit with the exact value, oldest must miss. */
  checks: {
    newestAfterFill?: { hits: number; misses: number };
    oldestAfterFill?: { hits: number; misses: number };
    newestAfterMixed?: { hits: number; misses: number };
    wrong: string[];
  };
  /** VmRSS once a second over the whole run: seconds since the baseline, MB. */
  rssTimeline: [number, number][];
  /** The Redis probe after the mixed phase, when asked for (`redis_probe.ts`). */
  redisProbe?: RedisProbeResult;
  /** Set when the server died or stopped answering. */
  failure?: string;
}

async function phase(
  name: string,
  server: RunningServer,
  spec: MemoryLoadSpec,
  ctx: Context,
  sampler: RssSampler,
  probeWindows: () => ProbeWindow[],
  baseline: number,
  /** Called every ~250 ms with fresh /stats; returning true stops wrk. */
  watch: (stats: Record<string, number>, elapsedS: number) => boolean,
): Promise<PhaseResult & { result: MemoryLoadResult }> {
  await sampler.sample();
  const started = Date.now();
  const load = startLoad(spec, server.url, ctx.loadPin);
  let exited = false;
  load.result.then(() => exited = true, () => exited = true);
  let silent = 0;
  while (!exited) {
    await delay(250);
    if (exited) break;
    const stats = await readStats(server.url);
    if (!("entries" in stats)) {
      if (++silent >= 40) {
        load.stop();
        throw new Error(`${name}: server stopped answering /stats for 10 s`);
      }
      continue;
    }
    silent = 0;
    if (watch(stats, (Date.now() - started) / 1000)) {
      load.stop();
      break;
    }
  }
  const result = await load.result;
  const ended = Date.now();
  await sampler.sample();
  const tps = ctx.ticksPerSecond ?? 100;
  const cpu = sampler.cpuBefore(ended, ended - started, tps);
  const core = ctx.serverCore === null ? undefined : cpu?.cores[ctx.serverCore];
  // The server's own ticks include the softirq work done in its context.
  const othersPercent = core && cpu
    ? Math.max(0, core.proc + core.irq - cpu.server)
    : null;
  await delay(500);
  const stats = await readStats(server.url);
  const rss = await sampler.sample();
  const probe = probeMax(probeWindows(), started, ended + 250);
  const e = result.errors;
  return {
    result,
    seconds: (ended - started) / 1000,
    wrk: result,
    requestsPerSecond: result.requests / (result.durationUs / 1e6),
    errors: e.connect + e.read + e.write + e.status + e.timeout,
    stats,
    rss,
    peakRss: sampler.peakBetween(started, Date.now()),
    ratio: (rss - baseline) / stats.estimatedBytes,
    probeMaxMs: probe.maxMs,
    probeAnswers: probe.answers,
    probeErrors: probe.errors,
    othersPercent,
    cpu,
    worstProbes: probeWindows()
      .filter((w) => w.t >= started && w.t <= ended + 250)
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 5)
      .map((w) => ({
        atS: (w.t - started) / 1000,
        maxMs: w.maxMs,
        cpu: sampler.cpuBefore(w.t, 1000, tps),
      })),
  };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Options of {@linkcode runShape}. */
export interface ShapeOptions extends ServerSettings {
  shape: Shape;
  valuesFile: string;
  connections: number;
  threads: number;
  getPercent: number;
  mixedSeconds: number;
  fillExtra: number;
  fillTimeoutSeconds: number;
  /** Run the Redis probe after the mixed phase (on the full cache, under the same load). */
  redisProbe?: RedisProbeOptions;
}

/** Fill-and-churn of one shape on a fresh server; see the module docs. */
export async function runShape(
  o: ShapeOptions,
  ctx: Context,
): Promise<ShapeResult> {
  const label = `${o.store}/${o.shape.name}`;
  const server = await startCacheServer(o, ctx, label);
  const probe = startProbe(server.url, ctx.loadPin);
  const out: ShapeResult = {
    store: o.store,
    shape: o.shape.name,
    code: server.code,
    maxBytes: o.maxBytes,
    baselineRss: NaN,
    peakRss: NaN,
    rssLimit: NaN,
    firstEvictionPuts: -1,
    distinctKeys: 0,
    checks: { wrong: [] },
    rssTimeline: [],
  };
  let sampler: RssSampler | undefined;
  try {
    await delay(1000);
    out.baselineRss = (await readMemory(server.pid)).rss;
    out.rssLimit = o.maxBytes * 1.15 + out.baselineRss;
    sampler = new RssSampler(server.pid, 200);
    ctx.log(
      `[${label}] code ${server.code}, pid ${server.pid}, baseline RSS ${
        mb(out.baselineRss)
      }; filling past ${mb(o.maxBytes)}`,
    );

    const base = {
      shape: o.shape,
      valuesFile: o.valuesFile,
      connections: o.connections,
      threads: o.threads,
      getPercent: o.getPercent,
    };
    let lastLog = 0;
    let target = Infinity;
    const fill = await phase(
      "fill",
      server,
      {
        ...base,
        mode: "fill",
        start: 0,
        filled: 0,
        durationSeconds: o.fillTimeoutSeconds,
      },
      ctx,
      sampler,
      () => probe.windows,
      out.baselineRss,
      (stats, elapsed) => {
        if (out.firstEvictionPuts < 0 && stats.evicted > 0) {
          out.firstEvictionPuts = stats.puts;
          target = Math.ceil(stats.puts * (1 + o.fillExtra));
          ctx.log(
            `[${label}] first eviction after ${stats.puts} PUTs (${
              elapsed.toFixed(0)
            } s); filling to ${target}`,
          );
        }
        if (elapsed - lastLog >= 10) {
          lastLog = elapsed;
          ctx.log(
            `[${label}] fill ${elapsed.toFixed(0)} s: ${stats.puts} PUTs (${
              (stats.puts / elapsed / 1000).toFixed(1)
            }k/s), ${stats.entries} entries, est ${
              mb(stats.estimatedBytes)
            }, RSS ${
              mb(sampler!.samples.at(-1)?.rss ?? NaN)
            }, evicted ${stats.evicted}`,
          );
        }
        return stats.puts >= target;
      },
    );
    out.fill = fill;
    const filled = nextKeyAfter(0, o.threads, fill.result.counters);
    out.distinctKeys = filled;
    ctx.log(
      `[${label}] fill done: ${fill.stats.puts} PUTs in ${
        fill.seconds.toFixed(0)
      } s (${
        (fill.requestsPerSecond / 1000).toFixed(1)
      }k/s), ${fill.stats.entries} entries, est ${
        mb(fill.stats.estimatedBytes)
      }, RSS ${mb(fill.rss)} (ratio ${
        fill.ratio.toFixed(3)
      }), evicted ${fill.stats.evicted}, errors ${fill.errors}, probe max ${
        fill.probeMaxMs.toFixed(1)
      } ms, others on server core ${fill.othersPercent}%`,
    );
    if (out.firstEvictionPuts < 0) {
      ctx.log(`[${label}] WARNING: the fill never evicted`);
    }

    // Newest keys must read back exactly; the oldest must have been evicted.
    const newest = await checkKeys(
      server.url,
      o.shape,
      range(filled - 1000, 20),
    );
    const oldest = await checkKeys(server.url, o.shape, range(0, 20));
    out.checks.newestAfterFill = { hits: newest.hits, misses: newest.misses };
    out.checks.oldestAfterFill = { hits: oldest.hits, misses: oldest.misses };
    out.checks.wrong.push(...newest.wrong, ...oldest.wrong);

    ctx.log(
      `[${label}] mixed: ${o.mixedSeconds} s, ${o.getPercent}% GET over ${filled} keys, PUTs of new keys, ${o.connections} connections`,
    );
    const mixedStart = filled + 1000;
    const mixed = await phase(
      "mixed",
      server,
      {
        ...base,
        mode: "mixed",
        start: mixedStart,
        filled,
        durationSeconds: o.mixedSeconds,
      },
      ctx,
      sampler,
      () => probe.windows,
      out.baselineRss,
      () => false,
    );
    out.mixed = mixed;
    const mixedNext = nextKeyAfter(
      mixedStart,
      o.threads,
      mixed.result.counters,
    );
    out.distinctKeys += mixedNext - mixedStart;
    const after = await checkKeys(
      server.url,
      o.shape,
      range(mixedNext - 1000, 20),
    );
    out.checks.newestAfterMixed = { hits: after.hits, misses: after.misses };
    out.checks.wrong.push(...after.wrong);
    const p = mixed.wrk.latencyUs.percentiles;
    ctx.log(
      `[${label}] mixed done: ${
        (mixed.requestsPerSecond / 1000).toFixed(1)
      }k req/s, p50 ${(p["50"] / 1000).toFixed(2)} p99 ${
        (p["99"] / 1000).toFixed(2)
      } p99.9 ${(p["99.9"] / 1000).toFixed(2)} max ${
        (mixed.wrk.latencyUs.max / 1000).toFixed(1)
      } ms, errors ${mixed.errors}, RSS ${mb(mixed.rss)} (ratio ${
        mixed.ratio.toFixed(3)
      }), evicted ${mixed.stats.evicted}, probe max ${
        mixed.probeMaxMs.toFixed(1)
      } ms, others on server core ${mixed.othersPercent}%`,
    );
    if (out.checks.wrong.length) {
      ctx.log(`[${label}] WRONG ANSWERS: ${out.checks.wrong.join("; ")}`);
    }
    if (o.redisProbe && o.redisProbe.commands.length > 0) {
      out.redisProbe = await runRedisProbe(o.redisProbe, {
        url: server.url,
        ...base,
        filled: mixedNext,
        putStart: mixedNext + 1000,
        probeWindows: () => probe.windows,
        sampler,
        ticksPerSecond: ctx.ticksPerSecond ?? 100,
        loadPin: ctx.loadPin,
        log: (line) => ctx.log(`[${label}] ${line}`),
      });
    }
  } catch (e) {
    out.failure = (e as Error).message;
    ctx.log(`[${label}] FAILED: ${out.failure}`);
  } finally {
    sampler?.stop();
    const hwm = (await readMemory(server.pid)).hwm;
    out.peakRss = Math.max(sampler?.sampledPeak ?? 0, hwm || 0);
    const t0 = sampler?.samples[0]?.t ?? 0;
    let lastS = -1;
    for (const { t, rss } of sampler?.samples ?? []) {
      const sec = Math.floor((t - t0) / 1000);
      if (sec > lastS) {
        lastS = sec;
        out.rssTimeline.push([sec, Math.round(rss / 1e5) / 10]);
      }
    }
    await probe.stop();
    await server.stop();
  }
  ctx.log(
    `[${label}] peak RSS ${mb(out.peakRss)} (limit ${
      mb(out.rssLimit)
    }), ${out.distinctKeys} distinct keys written`,
  );
  return out;
}

/** Result of {@linkcode runSweep}. */
export interface SweepScenarioResult {
  store: "arena" | "map";
  /** Server code measured (see {@linkcode codeVersion}). */
  code: string;
  /** PUTs with ttl=1 made. */
  written: number;
  /** Seconds the writes took. */
  fillSeconds: number;
  /** Entries before the sweep and after it. */
  entriesBefore: number;
  entriesAfter: number;
  /** expiredBySweep after the first pass. */
  expiredBySweep: number;
  /** Approximate duration of the pass (first /stats showing removals to sweepsRun ≥ 1), ms. */
  passMs: number;
  /** Slowest /health probe during the pass (±250 ms), ms. */
  probeMaxMs: number;
  /** Probe answers in that window. */
  probeAnswers: number;
  /** Slowest probe between the end of the writes and the pass (idle server), ms. */
  idleProbeMaxMs: number;
  /** Whether a sweep pass started before the writes were done (interval too short). */
  sweptDuringFill: boolean;
  /** Peak RSS of the process. */
  peakRss: number;
  /** The 5 slowest probe windows around the pass, as in {@linkcode PhaseResult}. */
  worstProbes: { atS: number; maxMs: number; cpu: CpuUse | null }[];
  failure?: string;
}

/** Options of {@linkcode runSweep}. */
export interface SweepOptions extends ServerSettings {
  shape: Shape;
  valuesFile: string;
  entries: number;
  intervalMs: number;
  connections: number;
  threads: number;
}

/** The sweep scenario; see the module docs. */
export async function runSweep(
  o: SweepOptions,
  ctx: Context,
): Promise<SweepScenarioResult> {
  const label = `${o.store}/sweep`;
  const server = await startCacheServer(
    { ...o, env: { SWEEP_INTERVAL_MS: String(o.intervalMs) } },
    ctx,
    label,
  );
  const serverStarted = Date.now();
  const probe = startProbe(server.url, ctx.loadPin);
  const out: SweepScenarioResult = {
    store: o.store,
    code: server.code,
    written: 0,
    fillSeconds: 0,
    entriesBefore: 0,
    entriesAfter: 0,
    expiredBySweep: 0,
    passMs: NaN,
    probeMaxMs: NaN,
    probeAnswers: 0,
    idleProbeMaxMs: NaN,
    sweptDuringFill: false,
    peakRss: NaN,
    worstProbes: [],
  };
  const sampler = new RssSampler(server.pid, 200);
  try {
    ctx.log(
      `[${label}] writing ${o.entries} ${o.shape.name} entries with ttl=1; first sweep ${
        o.intervalMs / 1000
      } s after start`,
    );
    const started = Date.now();
    const load = startLoad(
      {
        mode: "fill",
        shape: o.shape,
        valuesFile: o.valuesFile,
        start: 0,
        filled: 0,
        getPercent: 0,
        ttlSeconds: 1,
        connections: o.connections,
        threads: o.threads,
        durationSeconds: Math.ceil(o.intervalMs / 1000) + 600,
      },
      server.url,
      ctx.loadPin,
    );
    let exited = false;
    load.result.then(() => exited = true, () => exited = true);
    while (!exited) {
      await delay(100);
      const stats = await readStats(server.url);
      if ((stats.puts ?? 0) >= o.entries) break;
    }
    load.stop();
    const fill = await load.result;
    const fillEnded = Date.now();
    out.fillSeconds = (fillEnded - started) / 1000;
    let stats = await readStats(server.url);
    out.written = stats.puts;
    out.entriesBefore = stats.entries;
    out.sweptDuringFill = stats.sweepsRun > 0 || stats.expiredBySweep > 0;
    ctx.log(
      `[${label}] wrote ${stats.puts} in ${
        out.fillSeconds.toFixed(1)
      } s (errors ${
        fill.errors.status + fill.errors.timeout + fill.errors.read
      }); ${stats.entries} entries; waiting for the sweep`,
    );
    if (out.sweptDuringFill) {
      ctx.log(
        `[${label}] WARNING: a sweep ran during the writes; raise --sweep-interval-ms`,
      );
    }
    let firstRemoval = NaN;
    const deadline = serverStarted + o.intervalMs + 120_000;
    while (Date.now() < deadline) {
      await delay(100);
      stats = await readStats(server.url);
      if (Number.isNaN(firstRemoval) && stats.expiredBySweep > 0) {
        firstRemoval = Date.now();
      }
      if (stats.sweepsRun >= 1) break;
    }
    const passEnded = Date.now();
    await delay(500);
    stats = await readStats(server.url);
    out.entriesAfter = stats.entries;
    out.expiredBySweep = stats.expiredBySweep;
    // /stats is polled every 100 ms: the pass began at most that much before
    // the first poll that saw removals.
    const passStarted = Number.isNaN(firstRemoval)
      ? serverStarted + o.intervalMs
      : firstRemoval - 100;
    out.passMs = passEnded - passStarted;
    const during = probeMax(probe.windows, passStarted - 250, passEnded + 250);
    const idle = probeMax(probe.windows, fillEnded + 500, passStarted - 500);
    out.probeMaxMs = during.maxMs;
    out.probeAnswers = during.answers;
    out.idleProbeMaxMs = idle.maxMs;
    out.worstProbes = probe.windows
      .filter((w) => w.t >= passStarted - 250 && w.t <= passEnded + 250)
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 5)
      .map((w) => ({
        atS: (w.t - passStarted) / 1000,
        maxMs: w.maxMs,
        cpu: sampler.cpuBefore(w.t, 1000, ctx.ticksPerSecond ?? 100),
      }));
    ctx.log(
      `[${label}] sweep: expiredBySweep ${stats.expiredBySweep}, entries ${out.entriesBefore} -> ${stats.entries}, pass ~${out.passMs} ms, probe max ${
        during.maxMs.toFixed(1)
      } ms over ${during.answers} probes during the pass (idle before it: ${
        idle.maxMs.toFixed(1)
      } ms over ${idle.answers})`,
    );
  } catch (e) {
    out.failure = (e as Error).message;
    ctx.log(`[${label}] FAILED: ${out.failure}`);
  } finally {
    sampler.stop();
    out.peakRss = (await readMemory(server.pid)).hwm;
    await probe.stop();
    await server.stop();
  }
  return out;
}
