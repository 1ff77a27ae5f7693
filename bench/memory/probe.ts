/**
 * Event-loop stall probe: a separate process that sends `GET /health` to the
 * server back to back, one at a time, and reports the slowest answer per
 * window. A request that waits on a blocked event loop answers late, so the
 * slowest probe bounds the longest stall from above (under load it also
 * includes the wait behind the requests already queued, about one batch).
 *
 * As a program (`deno run --allow-net probe.ts URL [windowMs]`) it prints one
 * JSON line per window: `{"t":endEpochMs,"n":answers,"maxMs":…,"errors":…}`.
 * {@linkcode startProbe} runs it as a child process and collects the lines.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readLines } from "../../tests/support/lines.ts";

/** One window of probe answers. */
export interface ProbeWindow {
  /** End of the window, epoch milliseconds. */
  t: number;
  /** Answers received in the window. */
  n: number;
  /** Slowest answer in the window (including one still pending at its end), ms. */
  maxMs: number;
  /** Failed requests in the window. */
  errors: number;
}

/** A running probe. */
export interface Probe {
  /** Windows received so far. */
  windows: ProbeWindow[];
  /** Stops the probe and waits for its last window. */
  stop(): Promise<void>;
}

/** Slowest answer and counts over the windows ending in `[from, to]` (epoch ms). */
export function probeMax(
  windows: ProbeWindow[],
  from: number,
  to: number,
): { maxMs: number; answers: number; errors: number } {
  let maxMs = 0, answers = 0, errors = 0;
  for (const w of windows) {
    if (w.t < from || w.t > to) continue;
    maxMs = Math.max(maxMs, w.maxMs);
    answers += w.n;
    errors += w.errors;
  }
  return { maxMs, answers, errors };
}

const PROBE_FILE = fileURLToPath(import.meta.url);

/** Starts the probe program against `url`, through `prefix` (e.g. taskset). */
export function startProbe(
  url: string,
  prefix: string[] = [],
  windowMs = 250,
): Probe {
  const argv = [
    ...prefix,
    Deno.execPath(),
    "run",
    "--allow-net",
    PROBE_FILE,
    url,
    String(windowMs),
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const windows: ProbeWindow[] = [];
  const reading = (async () => {
    for await (const line of readLines(child.stdout)) {
      if (line.startsWith("{")) windows.push(JSON.parse(line));
    }
  })();
  return {
    windows,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await reading.catch(() => {});
    },
  };
}

async function runProbe(url: string, windowMs: number): Promise<void> {
  let n = 0, errors = 0, maxMs = 0;
  let pendingSince = -1;
  let stopped = false;
  const flush = () => {
    const now = performance.now();
    // A request still pending at the window's end counts with its age so far.
    const pending = pendingSince >= 0 ? now - pendingSince : 0;
    console.log(JSON.stringify({
      t: Date.now(),
      n,
      maxMs: Math.round(Math.max(maxMs, pending) * 1000) / 1000,
      errors,
    }));
    n = 0;
    errors = 0;
    maxMs = 0;
  };
  const timer = setInterval(flush, windowMs);
  Deno.addSignalListener("SIGTERM", () => {
    stopped = true;
  });
  while (!stopped) {
    pendingSince = performance.now();
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (!res.ok) errors++;
    } catch {
      errors++;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = performance.now() - pendingSince;
    pendingSince = -1;
    n++;
    if (ms > maxMs) maxMs = ms;
  }
  clearInterval(timer);
  flush();
  Deno.exit(0);
}

if (import.meta.main) {
  const [url, windowMs = "250"] = Deno.args;
  if (!url) {
    console.error("usage: probe.ts URL [windowMs]");
    Deno.exit(2);
  }
  await runProbe(url, Number(windowMs));
}
