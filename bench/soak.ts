/**
 * Soak run: the mixed workload at 200 connections with short TTLs and a small
 * memory budget, so that the sweep and eviction run all the time. Checks
 * every answer, samples the server's memory, and at the end reads back every
 * key whose TTL has not passed.
 *
 *   deno task bench:soak [--duration 10m] [--connections 200]
 *     [--max-cache-bytes 33554432] [--json bench/results/soak.json]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration } from "./args.ts";
import { runCheckedLoad, verifyKeys } from "./checked_client.ts";
import { startPinnedServer } from "./servers.ts";

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : NaN;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      duration: { type: "string", default: "10m" },
      connections: { type: "string", default: "200" },
      "max-cache-bytes": { type: "string", default: String(32 * 1024 * 1024) },
      "keys-per-worker": { type: "string", default: "1500" },
      json: { type: "string", default: "bench/results/soak.json" },
    },
  });
  const durationMs = parseDuration(values.duration!) * 1000;
  const server = await startPinnedServer({
    MAX_CACHE_BYTES: values["max-cache-bytes"]!,
    SWEEP_INTERVAL_MS: "1000",
    DEFAULT_TTL_SECONDS: "5",
  });
  console.log(
    `soak: ${values.duration} at ${values.connections} connections, ` +
      `MAX_CACHE_BYTES=${
        values["max-cache-bytes"]
      }, server ${server.url} on core 0`,
  );
  const samples: { seconds: number; rss: number; entries: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(async () => {
    try {
      const rss = await metric(
        server.url,
        "kvcache_process_resident_memory_bytes",
      );
      const entries = await metric(server.url, "kvcache_entries");
      const seconds = Math.round((Date.now() - started) / 1000);
      samples.push({ seconds, rss, entries });
      console.log(
        `  ${seconds}s rss ${(rss / 1e6).toFixed(1)} MB, ${entries} entries`,
      );
    } catch {
      // The next sample will do.
    }
  }, 15_000);
  const { tally, keys } = await runCheckedLoad({
    url: server.url,
    connections: Number(values.connections),
    keysPerWorker: Number(values["keys-per-worker"]),
    getShare: 0.5,
    ttls: [1, 2, 5, 10, 30, 0],
    valueLength: 256,
    until: new Promise((resolve) => setTimeout(resolve, durationMs)),
  });
  clearInterval(sampler);
  const stats = await (await fetch(`${server.url}/stats`)).json();
  const check = await verifyKeys(server.url, keys);
  const p99 = await metric(server.url, "kvcache_event_loop_lag_max_seconds");
  await server.stop();
  const afterWarmup = samples.filter((s) => s.seconds >= durationMs / 5000);
  const rss = afterWarmup.map((s) => s.rss);
  const report = {
    duration: values.duration,
    connections: Number(values.connections),
    maxCacheBytes: Number(values["max-cache-bytes"]),
    requestsPerSecond: Math.round(tally.requests / (durationMs / 1000)),
    tally,
    stats,
    verification: check,
    rssAfterWarmupMb: rss.length
      ? {
        first: +(rss[0] / 1e6).toFixed(1),
        last: +(rss.at(-1)! / 1e6).toFixed(1),
        min: +(Math.min(...rss) / 1e6).toFixed(1),
        max: +(Math.max(...rss) / 1e6).toFixed(1),
      }
      : null,
    lastLoopLagMaxSeconds: p99,
    samples,
  };
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    values.json!,
    JSON.stringify(report, null, 2) + "\n",
  );
  console.log(JSON.stringify({ ...report, samples: undefined }, null, 2));
  const failures = Object.values(tally.failures).reduce((a, b) => a + b, 0);
  // Evicted keys must be the oldest writes; the client only knows the order
  // in which it saw acknowledgements, so allow it 2 s of reordering.
  const ok = failures === 0 && tally.badAnswers === 0 &&
    tally.wrongValues === 0 && check.wrong === 0 && check.inversionMs <= 2000;
  console.log(ok ? "soak: PASS" : "soak: FAIL");
  if (!ok) Deno.exit(1);
}
