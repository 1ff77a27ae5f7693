/**
 * Issue 21, with real processes: `deno task cluster` itself (not the library)
 * keeps its nodes and HAProxy running through `kill -9`, leaves nothing
 * behind when it is killed itself, and refuses taken ports at once. Ignored,
 * with the reason, where haproxy is not installed. Prints the measured times
 * (to detect a death, to serve again).
 */
import assert from "node:assert/strict";
import { freePortRange } from "../scripts/cluster.ts";
import { findOnPath } from "../scripts/cluster_haproxy.ts";
import { nodeSnapshotFile } from "../scripts/cluster_node.ts";
import { ROOT } from "../scripts/start_flags.ts";
import {
  type ClusterTask,
  HAPROXY,
  startClusterTask,
} from "./support/cluster_task.ts";
import { allGone } from "./support/process_tree.ts";
import { eachLimited } from "./support/each_limited.ts";

const NO_HAPROXY = HAPROXY
  ? ""
  : " (ignored: haproxy is not installed; apt-get install haproxy)";
/** HAProxy stops with a killed launcher only under setpriv (util-linux). */
const NO_SETPRIV = findOnPath("setpriv")
  ? ""
  : " (ignored: setpriv is not installed; apt-get install util-linux)";
/** Generous: the CI machine is shared, and a node takes ~0.5 s to start. */
const READY_MS = 60_000;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `key`: status and value (undefined unless 200). */
async function get(url: string, key: string) {
  const response = await fetch(`${url}/get?key=${encodeURIComponent(key)}`);
  const body = await response.text();
  return {
    status: response.status,
    value: response.status === 200 ? JSON.parse(body).value : undefined,
  };
}

/** Index of the node holding each key, asking each node directly. */
async function owners(ports: number[], keys: string[]): Promise<number[]> {
  const found = keys.map(() => -1);
  for (const [n, port] of ports.entries()) {
    await eachLimited(keys, 16, async (key, i) => {
      if ((await get(`http://127.0.0.1:${port}`, key)).status === 200) {
        assert.equal(found[i], -1, `${key} is on two nodes`);
        found[i] = n;
      }
    });
  }
  assert.ok(found.every((n) => n >= 0), "every key is on a node");
  return found;
}

/**
 * Reads every key through the proxy, over and over, until stopped: counts
 * answers by status and records anything that is not a 200 with the right
 * value for a key of a live node, or a 200/404 for the dead node's keys.
 */
function keepReading(
  url: string,
  keys: string[],
  isDeadNodeKey: (index: number) => boolean,
) {
  const statuses: Record<string, number> = {};
  const wrong: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      await eachLimited(keys, 8, async (key, i) => {
        if (!running) return;
        let answer;
        try {
          answer = await get(url, key);
        } catch (error) {
          statuses.error = (statuses.error ?? 0) + 1;
          wrong.push(`${key}: ${(error as Error).message}`);
          return;
        }
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        const hit = answer.status === 200 && answer.value === `v-${key}`;
        if (isDeadNodeKey(i) ? !(hit || answer.status === 404) : !hit) {
          wrong.push(`${key}: ${answer.status} ${answer.value}`);
        }
      });
    }
  })();
  return {
    statuses,
    wrong,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Polls `check` every 50 ms until true; rejects after `timeoutMs`. */
async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) {
      throw new Error(`${what} not within ${timeoutMs} ms`);
    }
    await delay(50);
  }
}

Deno.test({
  name:
    `deno task cluster restarts a killed node (with its snapshot) and HAProxy, and a killed launcher leaves nothing${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async (t) => {
    const directory = `${ROOT}snapshots`;
    const created = !existsDirectory(directory);
    if (created) await Deno.mkdir(directory);
    const file =
      `snapshots/cluster-supervision-${crypto.randomUUID()}.snapshot`;
    const port = freePortRange(3);
    const url = `http://127.0.0.1:${port}`;
    const ports = [port + 1, port + 2, port + 3];
    const task = startClusterTask({
      PORT: String(port),
      CLUSTER_NODES: "3",
      SNAPSHOT_FILE: file,
      SNAPSHOT_INTERVAL_S: "1",
    });
    try {
      await task.waitFor(/^kv-cache cluster ready/, READY_MS);
      const keys = Array.from({ length: 3_000 }, (_, i) => `key-${i}`);
      await eachLimited(keys, 16, async (key) => {
        const response = await fetch(`${url}/put`, {
          method: "POST",
          body: JSON.stringify({ key, value: `v-${key}` }),
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
      });
      const written = Date.now();
      const nodeOf = await owners(ports, keys);
      const node2Keys = keys.filter((_, i) => nodeOf[i] === 1);
      assert.ok(node2Keys.length > 500, `node2 holds ${node2Keys.length}`);
      // A snapshot of node2 written wholly after the last write.
      const snapshot = `${ROOT}${nodeSnapshotFile(file, "node2")}`;
      await until("node2's snapshot after the writes", 15_000, async () => {
        const mtime = (await Deno.stat(snapshot)).mtime!.getTime();
        return mtime > written + 1_200;
      });

      await t.step(
        "kill -9 of a node: no 5xx, restarted, its keys back from its snapshot",
        async () => {
          const victim = (await task.nodes()).get(port + 2);
          assert.ok(victim, "node2 runs");
          const reader = keepReading(url, keys, (i) => nodeOf[i] === 1);
          await delay(200);
          const killedAt = performance.now();
          Deno.kill(victim.pid, "SIGKILL");
          const noticed = await task.waitFor(
            /node2 \(127\.0\.0\.1:\d+\) stopped \(killed by SIGKILL\); restarting it/,
            10_000,
            killedAt,
          );
          // Back: HAProxy sends node2's keys to it again, which has them.
          await until("node2's keys served again", 20_000, async () => {
            const sample = node2Keys.filter((_, i) => i % 25 === 0);
            const answers = await Promise.all(sample.map((k) => get(url, k)));
            return answers.every((a, i) => a.value === `v-${sample[i]}`);
          });
          const servedAt = performance.now();
          await delay(300);
          await reader.stop();
          const restarted = (await task.nodes()).get(port + 2);
          assert.ok(restarted && restarted.pid !== victim.pid, "a new node2");
          assert.deepEqual(reader.wrong.slice(0, 5), [], "wrong answers");
          assert.ok(
            Object.keys(reader.statuses).every((s) =>
              s === "200" || s === "404"
            ),
            `answers ${JSON.stringify(reader.statuses)}`,
          );
          for (const key of node2Keys) {
            assert.equal((await get(url, key)).value, `v-${key}`, key);
          }
          console.log(
            `node kill -9: launcher noticed in ${
              Math.round(noticed.at - killedAt)
            } ms, node2's keys served again (from its snapshot) after ${
              Math.round(servedAt - killedAt)
            } ms; answers meanwhile ${JSON.stringify(reader.statuses)}`,
          );
        },
      );

      await t.step(
        "kill -9 of HAProxy: restarted, every key answers again",
        async () => {
          const victim = await task.haproxy();
          assert.ok(victim, "HAProxy runs");
          const killedAt = performance.now();
          Deno.kill(victim.pid, "SIGKILL");
          const noticed = await task.waitFor(
            /HAProxy \(127\.0\.0\.1:\d+\) stopped \(killed by SIGKILL\); restarting it/,
            10_000,
            killedAt,
          );
          await until("HAProxy answering", 20_000, async () => {
            const response = await fetch(`${url}/health`);
            await response.body?.cancel();
            return response.ok;
          });
          const servedAt = performance.now();
          const again = await task.haproxy();
          assert.ok(again && again.pid !== victim.pid, "a new HAProxy");
          await eachLimited(keys, 16, async (key) => {
            assert.equal((await get(url, key)).value, `v-${key}`, key);
          });
          console.log(
            `HAProxy kill -9: launcher noticed in ${
              Math.round(noticed.at - killedAt)
            } ms, serving again after ${Math.round(servedAt - killedAt)} ms`,
          );
        },
      );

      await t.step({
        name:
          `kill -9 of the launcher: every process it started stops${NO_SETPRIV}`,
        ignore: NO_SETPRIV !== "",
        fn: async () => {
          const launcher = await task.launcher();
          assert.ok(launcher, "the launcher runs");
          const children = [
            ...(await task.nodes()).values(),
            (await task.haproxy())!,
          ];
          assert.equal(children.length, 4);
          for (const child of children) assert.equal(child.ppid, launcher.pid);
          Deno.kill(launcher.pid, "SIGKILL");
          const goneMs = await allGone(children.map((c) => c.pid), 10_000);
          console.log(
            `launcher kill -9: its 3 nodes and HAProxy (pids ${
              children.map((c) => c.pid).join(", ")
            }) all gone after ${Math.round(goneMs)} ms`,
          );
          await task.status;
          for (const p of [port, ...ports]) {
            await assert.rejects(fetch(`http://127.0.0.1:${p}/health`));
          }
        },
      });
    } finally {
      await task.killAll();
      for (const name of ["node1", "node2", "node3"]) {
        await Deno.remove(`${ROOT}${nodeSnapshotFile(file, name)}`)
          .catch(() => {});
      }
      if (created) await Deno.remove(directory).catch(() => {});
    }
  },
});

Deno.test({
  name: `kill -9 of deno task itself stops the launcher and what it started${
    NO_HAPROXY || NO_SETPRIV
  }`,
  ignore: !HAPROXY || NO_SETPRIV !== "",
  fn: async () => {
    const port = freePortRange(1);
    const task = startClusterTask({ PORT: String(port), CLUSTER_NODES: "1" });
    try {
      await task.waitFor(/^kv-cache cluster ready/, READY_MS);
      const launcher = (await task.launcher())!;
      const children = [
        ...(await task.nodes()).values(),
        (await task.haproxy())!,
      ];
      assert.equal(children.length, 2);
      Deno.kill(task.process.pid, "SIGKILL");
      const goneMs = await allGone(
        [launcher.pid, ...children.map((c) => c.pid)],
        10_000,
      );
      console.log(
        `deno task kill -9: launcher, node and HAProxy gone after ${
          Math.round(goneMs)
        } ms`,
      );
    } finally {
      await task.killAll();
    }
  },
});

/** Runs the task to its end (SIGKILL after 20 s); its exit code, output, time. */
async function runToEnd(task: ClusterTask) {
  const started = performance.now();
  const timer = setTimeout(() => task.killAll(), 20_000);
  const status = await task.status;
  clearTimeout(timer);
  return {
    code: status.code,
    ms: performance.now() - started,
    stderr: task.lines.filter((l) => l.stream === "stderr").map((l) => l.text),
    stdout: task.lines.filter((l) => l.stream === "stdout").map((l) => l.text),
  };
}

Deno.test({
  name:
    `a taken node port or proxy port: exit 1 naming it, nothing started, under 10 s${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    for (const [offset, name] of [[2, "node2"], [0, "HAProxy"]] as const) {
      const port = freePortRange(3);
      const holder = Deno.listen({
        hostname: "127.0.0.1",
        port: port + offset,
      });
      try {
        const task = startClusterTask({ PORT: String(port) });
        const result = await runToEnd(task);
        assert.equal(result.code, 1);
        assert.ok(result.ms < 10_000, `took ${result.ms} ms`);
        const said = result.stderr.filter((l) => !l.startsWith("Task "));
        assert.deepEqual(said, [
          `kv-cache cluster: Port ${
            port + offset
          } (${name}, on 127.0.0.1) is already in use. Stop what holds it, or set PORT so that PORT to PORT+3 are free (HAProxy takes PORT, the nodes PORT+1 to PORT+3).`,
        ]);
        assert.deepEqual(result.stdout, []);
        // Nothing listens on the other ports: nothing was started.
        for (let p = port; p <= port + 3; p++) {
          if (p !== port + offset) {
            Deno.listen({ hostname: "127.0.0.1", port: p }).close();
          }
        }
      } finally {
        holder.close();
      }
    }
  },
});

Deno.test({
  name:
    `a node that cannot be restarted stops the cluster with exit 1, naming it and why${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const port = freePortRange(2);
    const task = startClusterTask({ PORT: String(port), CLUSTER_NODES: "2" });
    let holder: Deno.Listener | undefined;
    try {
      await task.waitFor(/^kv-cache cluster ready/, READY_MS);
      const victim = (await task.nodes()).get(port + 2)!;
      const children = [
        ...(await task.nodes()).values(),
        (await task.haproxy())!,
      ];
      Deno.kill(victim.pid, "SIGKILL");
      // Take its port before the launcher restarts it (0.1 s later).
      const deadline = performance.now() + 2_000;
      while (!holder) {
        try {
          holder = Deno.listen({ hostname: "127.0.0.1", port: port + 2 });
        } catch {
          assert.ok(performance.now() < deadline, "the port was never freed");
          await delay(2);
        }
      }
      const result = await runToEnd(task);
      assert.equal(result.code, 1);
      const last = result.stderr.at(-1)!;
      assert.equal(
        last,
        `kv-cache cluster: node2 (127.0.0.1:${
          port + 2
        }) could not be restarted after 4 tries: Port ${
          port + 2
        } (node2, on 127.0.0.1) is already in use. Stop what holds it, or set PORT so that PORT to PORT+2 are free (HAProxy takes PORT, the nodes PORT+1 to PORT+2); stopped the cluster.`,
      );
      const tries = result.stderr.filter((l) =>
        l.includes("node2") && l.includes("did not start")
      );
      assert.equal(tries.length, 3, result.stderr.join("\n"));
      console.log(
        `node2's port taken: the cluster stopped ${
          Math.round(result.ms)
        } ms later, after 4 tries`,
      );
      await allGone(children.map((c) => c.pid), 5_000);
    } finally {
      holder?.close();
      await task.killAll();
    }
  },
});

function existsDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
