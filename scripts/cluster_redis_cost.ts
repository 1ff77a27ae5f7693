/**
 * What the cluster's Redis route costs per command (docs/cluster.md): starts
 * `deno task cluster` (3 nodes, `WORKERS=1`) and, one request at a time for
 * `--seconds` each (default 3), measures requests per second, the median
 * latency and the CPU time of every process of the cluster (launcher with
 * the Redis front, HAProxy, nodes, from /proc) per request, for:
 *
 * - JSON `GET /get?key=` through the proxy (the JSON API's route);
 * - Redis `GET` through the proxy, and straight to the node that holds it;
 * - a `/pipeline` of 16 GETs whose keys span the 3 nodes, through the proxy,
 *   and one of 16 GETs of one node's keys, straight to that node.
 *
 * ```sh
 * flock /tmp/kv-bench.lock deno run -A scripts/cluster_redis_cost.ts --seconds 3
 * ```
 *
 * @module
 */

import { ROOT } from "./start_flags.ts";

const seconds = Number(
  Deno.args[Deno.args.indexOf("--seconds") + 1] ?? 3,
) || 3;
const TICK_MS = 1000 / 100; // USER_HZ

/** Pids of `pid` and every descendant. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry.name));
      children.set(ppid, list);
    } catch { /* gone */ }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children.get(all[i]) ?? []);
  return all;
}

/** The part of the cluster a process is: HAProxy, a node, or the launcher. */
type Role = "launcher" | "haproxy" | "nodes";
const ROLES: Role[] = ["launcher", "haproxy", "nodes"];

function roleOf(pid: number): Role {
  try {
    const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    if (/(^|\/)haproxy\0/.test(cmdline)) return "haproxy";
    if (cmdline.includes("main.ts")) return "nodes";
  } catch { /* gone */ }
  return "launcher"; // `deno task`, the launcher with the front, setpriv
}

/** CPU ms (user + system) used so far by `pids`, in all and per role. */
function cpuMs(pids: number[]): { all: number } & Record<Role, number> {
  const ms = { all: 0, launcher: 0, haproxy: 0, nodes: 0 };
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const used = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      ms.all += used;
      ms[roleOf(pid)] += used;
    } catch { /* gone */ }
  }
  return ms;
}

const task = new Deno.Command(Deno.execPath(), {
  args: ["task", "cluster"],
  cwd: ROOT,
  env: { PORT: "0", HOST: "127.0.0.1", CLUSTER_NODES: "3", NO_COLOR: "1" },
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = task.stdout.pipeThrough(new TextDecoderStream()).getReader();
let out = "";
while (!/cluster ready.*\n/.test(out)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`the cluster did not start:\n${out}`);
  out += value;
}
const url = out.match(/\((http:\/\/[^)]+)\)/)![1];
const first = Number(out.match(/127\.0\.0\.1:(\d+)-/)![1]);
const nodes = [first, first + 1, first + 2].map((p) => `http://127.0.0.1:${p}`);

const post = async (base: string, path: string, body: unknown) => {
  const response = await fetch(base + path, {
    method: "POST",
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${text}`);
  return JSON.parse(text);
};

// Keys of each node, placed through the proxy and found on the nodes.
const byNode: string[][] = nodes.map(() => []);
for (let i = 0; byNode.some((keys) => keys.length < 16); i++) {
  await post(url, "/put", { key: `cost:${i}`, value: "v".repeat(100) });
  for (const [n, node] of nodes.entries()) {
    const response = await fetch(`${node}/get?key=cost:${i}`);
    await response.body?.cancel();
    if (response.status === 200) byNode[n].push(`cost:${i}`);
  }
}
const spanning = Array.from({ length: 16 }, (_, i) => byNode[i % 3][i]);
const local = byNode[0].slice(0, 16);

interface Case {
  name: string;
  commands: number;
  send: () => Promise<unknown>;
}
const cases: Case[] = [
  {
    name: "JSON GET /get via proxy",
    commands: 1,
    send: async () => (await fetch(`${url}/get?key=${local[0]}`)).text(),
  },
  {
    name: "Redis GET via proxy",
    commands: 1,
    send: () => post(url, "/", ["get", local[0]]),
  },
  {
    name: "Redis GET direct to its node",
    commands: 1,
    send: () => post(nodes[0], "/", ["get", local[0]]),
  },
  {
    name: "pipeline 16 GETs over 3 nodes via proxy",
    commands: 16,
    send: () => post(url, "/pipeline", spanning.map((k) => ["get", k])),
  },
  {
    name: "pipeline 16 GETs direct to one node",
    commands: 16,
    send: () => post(nodes[0], "/pipeline", local.map((k) => ["get", k])),
  },
];

console.log(
  "| case | req/s | p50 µs | cluster CPU µs/req | CPU µs/command | of which launcher (front) / HAProxy / nodes µs/req |\n| --- | --- | --- | --- | --- | --- |",
);
for (const c of cases) {
  for (let i = 0; i < 200; i++) await c.send(); // warm up
  const pids = tree(task.pid);
  const cpu0 = cpuMs(pids);
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await c.send();
    times.push(performance.now() - t0);
  }
  const cpu1 = cpuMs(pids);
  times.sort((a, b) => a - b);
  const perReq = (ms: number) => (ms * 1000) / times.length;
  const all = perReq(cpu1.all - cpu0.all);
  const roles = ROLES.map((role) => perReq(cpu1[role] - cpu0[role]).toFixed(0))
    .join(" / ");
  console.log(
    `| ${c.name} | ${Math.round(times.length / seconds)} | ${
      Math.round(times[times.length >> 1] * 1000)
    } | ${all.toFixed(0)} | ${(all / c.commands).toFixed(1)} | ${roles} |`,
  );
}
task.kill("SIGTERM");
await task.status;
