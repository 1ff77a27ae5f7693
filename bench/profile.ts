/**
 * Where does the server's time go? Runs the server under `--cpu-prof` with a
 * workload from the load test, then prints the functions with the most self
 * time and the share of time spent in our own code (`main.ts`, `lib/`,
 * `routes/`), Hono, and Deno's runtime and HTTP stack.
 *
 *   deno task bench:profile [--only mix] [--duration 10s] [--top 25]
 *     [--max-cache-bytes N] [--store arena|map] [--connections 100]
 *     [--entry bench/naive_server.ts]
 *
 * Shares are of the busy samples; µs/req is a share times the busy time over
 * the requests the load answered (the prefill's PUTs are in the profile
 * too, so it is a few percent high), comparable between servers.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { prefill } from "./client.ts";
import { makeMissKeys } from "./data.ts";
import { startPinnedServer } from "./servers.ts";
import { runWrk, writeWrkData } from "./load/wrk.ts";
import { entriesFor, putBodiesFor, WORKLOADS } from "./workloads.ts";
import { parseDuration } from "./args.ts";

/** A node of a V8 `.cpuprofile`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** A V8 `.cpuprofile`. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since each sample's predecessor. */
  timeDeltas?: number[];
}

/** Buckets a script URL into who owns the code. */
export function owner(url: string): string {
  if (/\/(main|edge)\.ts$|\/lib\/|\/routes\//.test(url)) return "kv-cache";
  if (url.includes("/hono/")) return "hono";
  if (url.startsWith("ext:") || url.startsWith("node:")) return "deno runtime";
  if (url === "") return "native/gc/idle";
  return "other";
}

/** Sums self samples by function and by owner. */
export function summarizeProfile(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let busyUs = 0;
  for (const [i, id] of profile.samples.entries()) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    total++;
    busyUs += profile.timeDeltas?.[i] ?? 0;
    const where = frame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "");
    const name = `${frame.functionName || "(anonymous)"} ${where}:${
      frame.lineNumber + 1
    }`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
    const who = owner(frame.url);
    byOwner.set(who, (byOwner.get(who) ?? 0) + 1);
  }
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / total] as const);
  return {
    total,
    busyUs,
    functions: sorted(byFunction),
    owners: sorted(byOwner),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: "mix" },
      duration: { type: "string", default: "10s" },
      top: { type: "string", default: "25" },
      connections: { type: "string", default: "100" },
      "max-cache-bytes": { type: "string" },
      store: { type: "string" },
      entry: { type: "string", default: "main.ts" },
    },
  });
  const workload = WORKLOADS.find((w) => w.name === values.only);
  if (!workload) throw new Error(`Unknown workload "${values.only}"`);
  const dir = Deno.makeTempDirSync({ prefix: "kv-profile-" });
  const entries = entriesFor(workload);
  const dataFile = `${dir}/wrk-data.txt`;
  await writeWrkData(
    dataFile,
    entries,
    makeMissKeys(),
    putBodiesFor(workload, entries),
  );
  const server = await startPinnedServer(
    {
      ...workload.env,
      ...(values["max-cache-bytes"]
        ? { MAX_CACHE_BYTES: values["max-cache-bytes"] }
        : {}),
      ...(values.store ? { CACHE_STORE: values.store } : {}),
    },
    ["--cpu-prof", `--cpu-prof-dir=${dir}`],
    values.entry,
  );
  if (workload.prefill) await prefill(server.url, entries);
  console.log(`profiling ${workload.name} for ${values.duration}...`);
  const load = await runWrk(
    {
      ...workload.load,
      connections: Number(values.connections),
      threads: 2,
      durationSeconds: parseDuration(values.duration!),
    },
    server.url,
    dataFile,
    ["taskset", "-c", "1"],
  );
  await server.stop();
  const file = [...Deno.readDirSync(dir)].find((e) =>
    e.name.endsWith(".cpuprofile")
  );
  if (!file) throw new Error(`No profile written in ${dir}`);
  const summary = summarizeProfile(
    JSON.parse(Deno.readTextFileSync(`${dir}/${file.name}`)),
  );
  const usPerRequest = summary.busyUs / load.requests;
  console.log(
    `${values.entry}: ${load.requests} requests, ${summary.total} busy ` +
      `samples, ${usPerRequest.toFixed(2)} busy us/req`,
  );
  const row = (share: number, what: string) =>
    `  ${(share * 100).toFixed(1).padStart(5)}%  ${
      (share * usPerRequest).toFixed(2).padStart(6)
    } us/req  ${what}`;
  console.log("\nself time by owner:");
  for (const [who, share] of summary.owners) console.log(row(share, who));
  console.log("\nself time by function:");
  for (const [name, share] of summary.functions.slice(0, Number(values.top))) {
    console.log(row(share, name));
  }
  console.log(`\nprofile: ${dir}/${file.name}`);
}
