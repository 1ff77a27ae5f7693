/**
 * The Redis probe of the memory benchmark (issue 22: "no command stalls the
 * store"): on the full cache the fill-and-churn scenario leaves behind, and
 * under its mixed GET/PUT load (wrk, as in the mixed phase), it sends the
 * commands that walk or reset the whole store, one after the other with
 * quiet time between them:
 *
 * 1. `KEYS nomatch:*` (matches nothing, looks at every key);
 * 2. `KEYS <block>`, a pattern matching a block of 10,000 recently written
 *    keys (uuid and 256-char key schemes; skipped for `tiny`);
 * 3. a full `SCAN 0 COUNT 1000` … iteration, one request per call;
 * 4. `DBSIZE` and 5. `RANDOMKEY`, each sent {@linkcode REPEAT} times in a row;
 * 6. `FLUSHDB`, last (it empties the cache).
 *
 * Each command's own duration is the time its HTTP answer took, as the
 * harness sees it. The latency of the OTHER requests comes from a separate
 * process (`others.ts`) that sends the same kind of requests as wrk on a few
 * connections and times each one: for every command, the p50/p99/max of
 * the timed requests whose flight overlapped the command's; "outside" is the
 * same figures for the timed requests that overlapped no command, in the
 * quiet windows before FLUSHDB. The `/health` stall probe's slowest answer
 * in each window is kept too.
 *
 * @module
 */

import { readStats } from "../client.ts";
import type { LoadResult } from "../load/generator.ts";
import { startLoad } from "./load.ts";
import { type OtherRequests, type Others, startOthers } from "./others.ts";
import { probeMax, type ProbeWindow } from "./probe.ts";
import { markdownTable } from "./report.ts";
import type { CpuUse, RssSampler } from "./sampler.ts";
import { keyFor, type Shape } from "./shapes.ts";
import {
  during,
  type LatencySummary,
  outside,
  slowestDuring,
  type Span,
  summarize,
} from "./windows.ts";

/** The commands the probe can send, in the order it sends them. */
export const PROBE_COMMANDS = [
  "keys",
  "scan",
  "dbsize",
  "randomkey",
  "flushdb",
] as const;

/** One of {@linkcode PROBE_COMMANDS}. */
export type ProbeCommand = typeof PROBE_COMMANDS[number];

/** Times DBSIZE and RANDOMKEY are sent back to back (each is one short critical section). */
export const REPEAT = 100;

/** COUNT of each SCAN call. */
export const SCAN_COUNT = 1000;

/** First key number the other requests' PUTs write (far above wrk's). */
export const OTHERS_PUT_START = 100_000_000_000;

/**
 * Parses `--redis-probe`'s list ("all": every command), returned in the
 * order the probe sends them.
 */
export function parseProbeCommands(text: string): ProbeCommand[] {
  const names = text.split(",").map((s) => s.trim().toLowerCase()).filter((
    s,
  ) => s);
  if (names.includes("all")) return [...PROBE_COMMANDS];
  for (const n of names) {
    if (!(PROBE_COMMANDS as readonly string[]).includes(n)) {
      throw new Error(
        `--redis-probe: unknown command "${n}"; expected all or some of ${
          PROBE_COMMANDS.join(",")
        }`,
      );
    }
  }
  if (names.length === 0) {
    throw new Error(
      `--redis-probe needs all or some of ${PROBE_COMMANDS.join(",")}`,
    );
  }
  return PROBE_COMMANDS.filter((c) => names.includes(c));
}

/**
 * A glob pattern matching exactly the keys numbered `[from, from + size)`
 * of `scheme`, with `from` rounded down to a multiple of `size`: 10,000 keys
 * (four `?` in place of the last four digits); undefined for `tiny`, whose
 * base-62 keys of varying length no glob bounds that way.
 */
export function blockPattern(
  scheme: Shape["keyScheme"],
  near: number,
): { pattern: string; from: number; size: number } | undefined {
  const size = 10_000;
  const from = Math.max(0, Math.floor(near / size) * size);
  const key = keyFor(scheme, from);
  switch (scheme) {
    case "uuid":
      return { pattern: key.slice(0, -4) + "????", from, size };
    case "long":
      return { pattern: key.slice(0, 8) + "????" + key.slice(12), from, size };
    case "tiny":
      return undefined;
  }
}

/** One command of the probe (a KEYS, the SCAN iteration, the DBSIZE run...). */
export interface ProbeStep {
  /** What was sent, e.g. `KEYS nomatch:*`, `SCAN … COUNT 1000`, `DBSIZE ×100`. */
  command: string;
  /** First request sent to last answer read, epoch ms. */
  start: number;
  end: number;
  /** end - start, ms. */
  durationMs: number;
  /** HTTP requests it took. */
  calls: number;
  /** Slowest single request, ms. */
  slowestCallMs: number;
  /** What it answered, in short (key counts, not the keys). */
  answer: string;
  /** Error text, if a call answered one. */
  error?: string;
  /** The timed other requests that overlapped it. */
  others: LatencySummary;
  /**
   * The 10 slowest of those: start ms after the command's, duration ms
   * (several at the same start: a stall that every connection saw).
   */
  slowestOthers: { atMs: number; ms: number }[];
  /** The same for the quiet window right before it. */
  quietBefore: LatencySummary;
  /**
   * The store's lock over the command and over the quiet window before it
   * (`/stats` `lock.*` differences): acquisitions that found it held, and
   * those that then slept in `Atomics.wait` (1 ms at most each time).
   */
  lock?: { contended: number; slept: number };
  quietBeforeLock?: { contended: number; slept: number };
  /** Slowest `/health` probe in windows ending within it (+250 ms). */
  healthMaxMs: number;
  /**
   * The timed client's own worst event-loop lag in the same windows, ms: a
   * stall of the client (not scheduled on a busy machine) that large shows
   * in every request it had in flight.
   */
  clientLagMs: number;
}

/** Result of {@linkcode runRedisProbe}. */
export interface RedisProbeResult {
  /** Serving isolates of the server (`/stats` `workers`). */
  workers: number;
  /** /stats entries and estimatedBytes when the probe began. */
  entriesBefore: number;
  estimatedBytesBefore: number;
  /** Seconds of quiet load between commands. */
  quietSeconds: number;
  /** Connections of the timed other requests. */
  othersConnections: number;
  steps: ProbeStep[];
  /** Timed other requests in the quiet windows before FLUSHDB, overlapping no command. */
  outside: LatencySummary;
  /** Length of those windows together, seconds (absent in older results). */
  outsideSeconds?: number;
  /** The quiet window after FLUSHDB (an empty cache refilling). */
  afterFlush?: LatencySummary;
  /** Timed other requests: total, per second, failures. */
  othersRequests: number;
  othersPerSecond: number;
  othersErrors: number;
  /** Slowest `/health` probe in the quiet windows before FLUSHDB. */
  healthOutsideMaxMs: number;
  /** The timed client's worst lag in those windows, ms. */
  clientLagOutsideMs: number;
  /** wrk's figures over the whole probe (latency in µs). */
  wrk?: LoadResult;
  /** CPU use over the probe (server process, cores). */
  cpu: CpuUse | null;
  /**
   * /proc/loadavg's 1-minute figure when the probe began and ended: with the
   * server, wrk, the probes and the harness on a 2-core machine about 4;
   * more is other people's work competing for the cores.
   */
  loadAverage: [number, number];
  failure?: string;
}

/** Options of {@linkcode runRedisProbe}. */
export interface RedisProbeOptions {
  commands: ProbeCommand[];
  quietSeconds: number;
  /** Connections of the timed other requests. */
  othersConnections: number;
}

/** What {@linkcode runRedisProbe} needs of the scenario that filled the server. */
export interface RedisProbeContext {
  url: string;
  shape: Shape;
  valuesFile: string;
  connections: number;
  threads: number;
  getPercent: number;
  /** Keys [0, filled) were written; wrk's PUTs start at `putStart`. */
  filled: number;
  putStart: number;
  probeWindows: () => ProbeWindow[];
  sampler: RssSampler;
  ticksPerSecond: number;
  loadPin: string[];
  log: (line: string) => void;
}

/** Sends one command to `POST /`; returns its result or throws its error. */
export async function redisCommand(
  url: string,
  args: (string | number)[],
): Promise<unknown> {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  let body: { result?: unknown; error?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${args[0]}: ${res.status} ${text.slice(0, 120)}`);
  }
  if (!res.ok || body.error !== undefined || !("result" in body)) {
    throw new Error(
      `${args[0]}: ${res.status} ${body.error ?? text.slice(0, 120)}`,
    );
  }
  return body.result;
}

const now = () => performance.timeOrigin + performance.now();

/** A command's timing and answer, before the other requests are counted. */
export type TimedCommand = Omit<
  ProbeStep,
  | "others"
  | "slowestOthers"
  | "quietBefore"
  | "healthMaxMs"
  | "clientLagMs"
  | "lock"
  | "quietBeforeLock"
>;

/**
 * Runs the probe's commands against `url` (no load, no timing of others):
 * each step's timing and answer. Used by {@linkcode runRedisProbe} between
 * its quiet windows, and by the harness's tests against a small server.
 */
export async function runCommands(
  url: string,
  commands: ProbeCommand[],
  shape: Shape,
  filled: number,
  /** Called before each step; awaited (the quiet window before it). */
  before: (command: string) => Promise<void> = async () => {},
): Promise<TimedCommand[]> {
  const steps: TimedCommand[] = [];
  const step = async (
    command: string,
    run: (call: (args: (string | number)[]) => Promise<unknown>) => Promise<
      string
    >,
  ) => {
    await before(command);
    steps.push(await timedAt(url, command, run));
  };
  if (commands.includes("keys")) {
    await step("KEYS nomatch:*", async (call) => {
      const keys = await call(["keys", "nomatch:*"]) as string[];
      return `${keys.length} keys`;
    });
    const block = blockPattern(shape.keyScheme, Math.max(0, filled - 30_000));
    if (block !== undefined) {
      await step(`KEYS ${block.pattern}`, async (call) => {
        const keys = await call(["keys", block.pattern]) as string[];
        return `${keys.length} keys (of ${block.size} written)`;
      });
    }
  }
  if (commands.includes("scan")) {
    await step(`SCAN … COUNT ${SCAN_COUNT}`, async (call) => {
      // Counted, not kept: a set of millions of keys here pauses the harness
      // in GC for seconds, which is not the server's time.
      let returned = 0;
      let cursor = "0";
      do {
        const [next, keys] = await call([
          "scan",
          cursor,
          "count",
          SCAN_COUNT,
        ]) as [string, string[]];
        cursor = next;
        returned += keys.length;
      } while (cursor !== "0");
      return `${returned} keys returned`;
    });
  }
  if (commands.includes("dbsize")) {
    await step(`DBSIZE ×${REPEAT}`, async (call) => {
      let last = 0;
      for (let i = 0; i < REPEAT; i++) last = await call(["dbsize"]) as number;
      return `${last} entries`;
    });
  }
  if (commands.includes("randomkey")) {
    await step(`RANDOMKEY ×${REPEAT}`, async (call) => {
      let nil = 0;
      for (let i = 0; i < REPEAT; i++) {
        if (await call(["randomkey"]) === null) nil++;
      }
      return `${REPEAT - nil} keys, ${nil} nil`;
    });
  }
  if (commands.includes("flushdb")) {
    await step("FLUSHDB", async (call) => {
      const ok = await call(["flushdb"]);
      return String(ok);
    });
  }
  return steps;
}

/** Times `run`, whose calls go to `url`. */
async function timedAt(
  url: string,
  command: string,
  run: (call: (args: (string | number)[]) => Promise<unknown>) => Promise<
    string
  >,
): Promise<TimedCommand> {
  let calls = 0, slowest = 0;
  const call = async (args: (string | number)[]) => {
    const t0 = now();
    try {
      return await redisCommand(url, args);
    } finally {
      calls++;
      slowest = Math.max(slowest, now() - t0);
    }
  };
  const start = now();
  let answer = "", error: string | undefined;
  try {
    answer = await run(call);
  } catch (e) {
    error = (e as Error).message;
  }
  const end = now();
  return {
    command,
    start,
    end,
    durationMs: end - start,
    calls,
    slowestCallMs: slowest,
    answer,
    ...(error === undefined ? {} : { error }),
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client's worst lag in windows ending in `[from, to]`; NaN if none. */
function lagMax(requests: OtherRequests, from: number, to: number): number {
  let max = NaN;
  for (const { t, ms } of requests.lags ?? []) {
    if (t >= from && t <= to && !(ms <= max)) max = ms;
  }
  return max;
}

/** The 1-minute load average (/proc/loadavg); NaN where unreadable. */
async function loadAverage(): Promise<number> {
  try {
    return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
  } catch {
    return NaN;
  }
}

/**
 * The probe on a filled server, under wrk's mixed load and the timed other
 * requests; see the module docs.
 */
export async function runRedisProbe(
  o: RedisProbeOptions,
  c: RedisProbeContext,
): Promise<RedisProbeResult> {
  const stats = await readStats(c.url);
  const out: RedisProbeResult = {
    workers: stats.workers ?? NaN,
    entriesBefore: stats.entries ?? NaN,
    estimatedBytesBefore: stats.estimatedBytes ?? NaN,
    quietSeconds: o.quietSeconds,
    othersConnections: o.othersConnections,
    steps: [],
    outside: summarize([]),
    othersRequests: 0,
    othersPerSecond: NaN,
    othersErrors: 0,
    healthOutsideMaxMs: NaN,
    clientLagOutsideMs: NaN,
    cpu: null,
    loadAverage: [await loadAverage(), NaN],
  };
  c.log(
    `[redis-probe] ${
      o.commands.join(", ")
    } on ${out.entriesBefore} entries, WORKERS ${out.workers}; ${o.quietSeconds} s quiet between commands; ${o.othersConnections} timed connections beside wrk's ${c.connections}`,
  );
  const load = startLoad(
    {
      mode: "mixed",
      shape: c.shape,
      valuesFile: c.valuesFile,
      start: c.putStart,
      filled: c.filled,
      getPercent: c.getPercent,
      connections: c.connections,
      threads: c.threads,
      durationSeconds: 3600,
    },
    c.url,
    c.loadPin,
  );
  let others: Others | undefined;
  const quiet: (Span & { before: string })[] = [];
  // /stats lock counters at the start and end of every quiet window: the
  // end of one window to the start of the next is a command.
  const marks: { contended: number; slept: number }[] = [];
  const mark = async () => {
    const s = await readStats(c.url);
    marks.push({
      contended: s["lock.contended"] ?? NaN,
      slept: s["lock.slept"] ?? NaN,
    });
  };
  const started = Date.now();
  try {
    others = startOthers({
      url: c.url,
      shape: c.shape.name,
      connections: o.othersConnections,
      filled: c.filled,
      putStart: OTHERS_PUT_START,
      getPercent: c.getPercent,
    }, c.loadPin);
    await delay(1000); // connections open, the load steady
    const wait = async (before: string) => {
      await mark();
      const start = now();
      await delay(o.quietSeconds * 1000);
      quiet.push({ start, end: now(), before });
      await mark();
    };
    const timedSteps = await runCommands(
      c.url,
      o.commands,
      c.shape,
      c.filled,
      async (command) => {
        await wait(command);
        c.log(`[redis-probe] ${command}`);
      },
    );
    await wait("end");
    for (const t of timedSteps) {
      c.log(
        `[redis-probe] ${t.command}: ${
          t.durationMs.toFixed(1)
        } ms, ${t.calls} calls (slowest ${t.slowestCallMs.toFixed(1)} ms): ${
          t.error ?? t.answer
        }`,
      );
    }
    const delta = (from: number) =>
      marks[from + 1] === undefined ? undefined : {
        contended: marks[from + 1].contended - marks[from].contended,
        slept: marks[from + 1].slept - marks[from].slept,
      };
    out.steps = timedSteps.map((t, i) => ({
      ...t,
      others: summarize([]),
      slowestOthers: [],
      quietBefore: summarize([]),
      healthMaxMs: NaN,
      clientLagMs: NaN,
      quietBeforeLock: delta(2 * i),
      lock: delta(2 * i + 1),
    }));
  } catch (e) {
    out.failure = (e as Error).message;
    c.log(`[redis-probe] FAILED: ${out.failure}`);
  } finally {
    load.stop();
    out.wrk = await load.result.catch(() => undefined);
    await others?.stop();
  }
  const ended = Date.now();
  out.loadAverage[1] = await loadAverage();
  await c.sampler.sample();
  out.cpu = c.sampler.cpuBefore(ended, ended - started, c.ticksPerSecond);
  const requests = others?.requests ?? { starts: [], durations: [], errors: 0 };
  out.othersRequests = requests.starts.length;
  out.othersErrors = requests.errors;
  out.othersPerSecond = requests.starts.length / ((ended - started) / 1000);
  const busy = out.steps.map((s) => ({ start: s.start, end: s.end }));
  const windows = c.probeWindows();
  for (const s of out.steps) {
    s.others = during(requests, s);
    s.slowestOthers = slowestDuring(requests, s, 10);
    const q = quiet.find((w) => w.before === s.command);
    if (q) s.quietBefore = outside(requests, [q], busy);
    s.healthMaxMs = probeMax(windows, s.start, s.end + 250).maxMs;
    s.clientLagMs = lagMax(requests, s.start, s.end + 250);
  }
  const flush = out.steps.find((s) => s.command === "FLUSHDB");
  const beforeFlush = quiet.filter((w) => !flush || w.end <= flush.start);
  out.outside = outside(requests, beforeFlush, busy);
  out.outsideSeconds = beforeFlush.reduce((t, w) => t + w.end - w.start, 0) /
    1000;
  out.healthOutsideMaxMs = Math.max(
    0,
    ...beforeFlush.map((w) => probeMax(windows, w.start + 250, w.end).maxMs),
  );
  out.clientLagOutsideMs = Math.max(
    0,
    ...beforeFlush.map((w) => lagMax(requests, w.start + 250, w.end)),
  );
  if (flush) {
    const after = quiet.filter((w) => w.start >= flush.end);
    out.afterFlush = outside(requests, after, busy);
  }
  c.log(
    `[redis-probe] other requests: ${out.othersRequests} timed (${
      out.othersPerSecond.toFixed(0)
    }/s, ${out.othersErrors} failed); outside commands p50 ${
      out.outside.p50Ms.toFixed(2)
    } p99 ${out.outside.p99Ms.toFixed(2)} max ${
      out.outside.maxMs.toFixed(1)
    } ms over ${out.outside.n}; load average ${out.loadAverage.join(" -> ")}`,
  );
  for (const s of out.steps) {
    c.log(
      `[redis-probe] during ${s.command}: p50 ${
        s.others.p50Ms.toFixed(2)
      } p99 ${s.others.p99Ms.toFixed(2)} max ${
        s.others.maxMs.toFixed(1)
      } ms over ${s.others.n} (quiet before: p99 ${
        s.quietBefore.p99Ms.toFixed(2)
      } max ${s.quietBefore.maxMs.toFixed(1)}); /health max ${
        s.healthMaxMs.toFixed(1)
      } ms, client lag max ${
        s.clientLagMs.toFixed(1)
      } ms; slowest (start ms after the command's:ms) ${
        s.slowestOthers.map((w) => `${w.atMs}:${w.ms.toFixed(0)}`).join(" ")
      }; lock contended/slept ${s.lock?.contended}/${s.lock?.slept} (quiet before ${s.quietBeforeLock?.contended}/${s.quietBeforeLock?.slept})`,
    );
  }
  return out;
}

const f = (n: number, d = 2) => Number.isFinite(n) ? n.toFixed(d) : "–";
/** n, n per second over `seconds` (the window's length), p50, p99, max. */
const lat = (l: LatencySummary, seconds?: number) => [
  String(l.n),
  seconds ? (l.n / seconds).toFixed(0) : "–",
  f(l.p50Ms),
  f(l.p99Ms),
  f(l.maxMs, 1),
];

/** The probe's table: one row per command, then outside and after FLUSHDB. */
export function redisProbeTable(
  rows: { label: string; probe: RedisProbeResult }[],
): string {
  const header = [
    "run",
    "window",
    "command ms (total / slowest call)",
    "calls",
    "answer",
    "others n",
    "others req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "quiet before p99 / max ms",
    "/health max ms",
    "client lag max ms",
  ];
  const body: string[][] = [];
  for (const { label, probe } of rows) {
    body.push([
      label,
      `outside commands (WORKERS ${probe.workers})`,
      "–",
      "–",
      `${probe.entriesBefore} entries before; load average ${
        probe.loadAverage.join(" → ")
      }`,
      ...lat(probe.outside, probe.outsideSeconds),
      "–",
      f(probe.healthOutsideMaxMs, 1),
      f(probe.clientLagOutsideMs, 1),
    ]);
    for (const s of probe.steps) {
      body.push([
        label,
        `\`${s.command}\``,
        `${f(s.durationMs, 1)} / ${f(s.slowestCallMs, 1)}`,
        String(s.calls),
        s.error ? `error: ${s.error.slice(0, 60)}` : s.answer,
        ...lat(s.others, s.durationMs / 1000),
        `${f(s.quietBefore.p99Ms)} / ${f(s.quietBefore.maxMs, 1)}`,
        f(s.healthMaxMs, 1),
        f(s.clientLagMs, 1),
      ]);
    }
    if (probe.afterFlush) {
      body.push([
        label,
        "after FLUSHDB (refilling)",
        "–",
        "–",
        "–",
        ...lat(probe.afterFlush, probe.quietSeconds),
        "–",
        "–",
        "–",
      ]);
    }
  }
  return markdownTable(header, body);
}
