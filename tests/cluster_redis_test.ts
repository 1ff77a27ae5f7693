/**
 * The Redis REST API through `deno task cluster` (3 nodes, the task itself,
 * real processes): the real `@upstash/redis` client gets the answers a
 * single kv-cache gives; keys written by either API are read by the other
 * through the proxy, on the node HAProxy hashes the key to; pipelines, MGET,
 * DEL and SCAN span every node; what is atomic only on one node is refused
 * across nodes and changes nothing; a killed node gives misses or clear
 * errors, never another node's answer. See docs/cluster.md.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "./support/server_process.ts";
import { HAPROXY, startClusterTask } from "./support/cluster_task.ts";
import { parseConfig } from "../lib/config.ts";
import { clusterFront } from "../server/cluster_front.ts";
import { HaproxyRing } from "../server/haproxy_ring.ts";
import { assertSameAnswers, redisClient } from "./support/edge_redis_client.ts";

const NO_HAPROXY = HAPROXY ? "" : " (ignored: haproxy is not installed)";
const TOKEN = "cluster-token-0123456789";
const READONLY = "cluster-readonly-0123456789";
const ENV = { AUTH_TOKEN: TOKEN, AUTH_READONLY_TOKEN: READONLY };
const auth = { authorization: `Bearer ${TOKEN}` };

/** Which node (by port) holds `key`, asking each one directly. */
async function holders(ports: number[], key: string): Promise<number[]> {
  const found: number[] = [];
  for (const port of ports) {
    const response = await fetch(
      `http://127.0.0.1:${port}/get?key=${encodeURIComponent(key)}`,
      { headers: auth },
    );
    await response.body?.cancel();
    if (response.status === 200) found.push(port);
  }
  return found;
}

async function jsonPut(url: string, key: string, value: string) {
  const response = await fetch(`${url}/put`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ key, value, ttl: 600 }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function jsonGet(url: string, key: string): Promise<string | null> {
  const response = await fetch(
    `${url}/get?key=${encodeURIComponent(key)}`,
    { headers: auth },
  );
  const body = await response.json();
  return response.status === 200 ? body.value : null;
}

/** Requests HAProxy has sent to the Redis front so far (runtime API). */
async function frontRequests(socket: string): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode("show stat\n"));
  const text = await new Response(conn.readable).text();
  const [header, ...rows] = text.trim().split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const row = rows.map((line) => line.split(",")).find((row) =>
    row[columns.indexOf("pxname")] === "redis_front" &&
    row[columns.indexOf("svname")] === "BACKEND"
  )!;
  return Number(row[columns.indexOf("stot")]);
}

/** Every key of every node, asked directly. */
async function allKeys(ports: number[]): Promise<string[]> {
  const keys: string[] = [];
  for (const port of ports) {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: auth,
      body: '["keys","*"]',
    });
    keys.push(...(await response.json()).result);
  }
  return keys.sort();
}

Deno.test({
  name: `the Redis REST API through deno task cluster${NO_HAPROXY}`,
  ignore: !HAPROXY,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const task = startClusterTask({ PORT: "0", CLUSTER_NODES: "3", ...ENV });
    let reference: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      reference = await startServer({ env: { ...ENV, WORKERS: "1" } });
      const ready = await task.waitFor(/cluster ready/, 30_000);
      const url = ready.text.match(/\((http:\/\/[^)]+)\)/)![1];
      const ports = ready.text.match(/127\.0\.0\.1:(\d+)-(\d+)/)!.slice(1)
        .map(Number);
      const nodePorts = [ports[0], ports[0] + 1, ports[0] + 2];
      assert.equal(ports[1], nodePorts[2]);

      // Keys placed by the JSON API: each on exactly one node.
      const placed = new Map<number, string[]>(nodePorts.map((p) => [p, []]));
      for (let i = 0; i < 40; i++) {
        const key = `place:${i}`;
        await jsonPut(url, key, `json ${i}`);
        const at = await holders(nodePorts, key);
        assert.equal(at.length, 1, key);
        placed.get(at[0])!.push(key);
      }
      const byNode = [...placed.values()];
      for (const keys of byNode) assert.ok(keys.length >= 3, "uneven split");

      await t.step(
        "one key: straight to its node; several: through the front",
        async () => {
          const dir =
            (await task.haproxy())!.cmdline.match(/-f (\S+)\/haproxy\.cfg/)![1];
          const socket = `${dir}/haproxy.sock`;
          const redis = redisClient(url, TOKEN);
          const before = await frontRequests(socket);
          const [a, b] = [byNode[0][0], byNode[1][0]];
          assert.equal(await redis.get(a), `json ${a.slice(6)}`);
          assert.deepEqual(
            await redis.pipeline().set(a, "x").get(a).ping().exec(),
            ["OK", "x", "PONG"],
          );
          assert.deepEqual(await redis.multi().set(b, "1").get(b).exec(), [
            "OK",
            "1",
          ]);
          assert.equal(await frontRequests(socket), before, "fast path");
          assert.deepEqual(await redis.mget(a, b), ["x", "1"]);
          await redis.pipeline().get(a).get(b).exec();
          await redis.dbsize();
          assert.equal(await frontRequests(socket), before + 3, "front");
          await jsonPut(url, a, `json ${a.slice(6)}`);
          await jsonPut(url, b, `json ${b.slice(6)}`);
        },
      );

      await t.step(
        "mixed clients: JSON writes read by Redis, and back",
        async () => {
          const redis = redisClient(url, TOKEN);
          for (const keys of byNode) {
            for (const key of keys) {
              assert.equal(await redis.get(key), `json ${key.slice(6)}`, key);
            }
          }
          const plain = redisClient(url, TOKEN, { autoPipelining: false });
          for (let i = 0; i < 30; i++) {
            const key = `redis:${i} ✓`;
            assert.equal(await plain.set(key, `v${i}`), "OK");
            assert.equal(await jsonGet(url, key), `v${i}`, key);
            assert.equal((await holders(nodePorts, key)).length, 1, key);
          }
          await plain.del(
            ...Array.from({ length: 30 }, (_, i) => `redis:${i} ✓`),
          );
          // Spellings HAProxy's fast path must decode as the node does.
          await jsonPut(url, 'ké "😀\\', "spelled");
          for (
            const body of [
              '["get","ké \\"😀\\\\"]',
              '["GET", "k\\u00e9 \\"\\ud83d\\ude00\\\\"]',
              '[["GeT","k\\u00E9 \\u0022😀\\\\"],["ping"]]',
            ]
          ) {
            const path = body.startsWith("[[") ? "/pipeline" : "/";
            const response = await fetch(url + path, {
              method: "POST",
              headers: auth,
              body,
            });
            const answer = await response.json();
            assert.deepEqual(
              path === "/" ? answer : answer[0],
              { result: "spelled" },
              body,
            );
          }
        },
      );

      const spread = [byNode[0][0], byNode[1][0], byNode[2][0], byNode[0][1]];
      const same = byNode[1].slice(0, 3);

      await t.step(
        "@upstash/redis gets a single server's answers",
        async () => {
          await assertSameAnswers(
            {
              url,
              token: TOKEN,
              readonlyToken: READONLY,
              shardKeys: spread,
              sameShardKeys: same,
            },
            {
              url: reference!.url,
              token: TOKEN,
              readonlyToken: READONLY,
              shardKeys: spread,
              sameShardKeys: same,
            },
          );
        },
      );

      await t.step(
        "the front's ring places keys where HAProxy does; without it, one part per key gives the same answers",
        async () => {
          const dir =
            (await task.haproxy())!.cmdline.match(/-f (\S+)\/haproxy\.cfg/)![1];
          const cfg = await Deno.readTextFile(`${dir}/haproxy.cfg`);
          const secret = cfg.match(/x-kv-front\) -m str '([^']+)'/)![1];
          const ring = new HaproxyRing(3);
          const encoder = new TextEncoder();
          for (let i = 0; i < 300; i++) {
            const key = i % 3 === 0 ? `ключ ${i} 😀` : `ring:${i}`;
            const response = await fetch(`${url}/health`, {
              headers: {
                "x-kv-front": secret,
                "x-kv-route-key": btoa(
                  String.fromCharCode(...encoder.encode(key)),
                ),
              },
            });
            await response.body?.cancel();
            assert.equal(
              response.headers.get("x-kv-node"),
              `node${ring.nodeOf(key) + 1}`,
              key,
            );
          }
          // A front that does not trust the ring: each key a part of its own,
          // transactions placed by asking HAProxy.
          const front = clusterFront({
            proxyUrl: url,
            nodes: ["node1", "node2", "node3"],
            secret,
            config: parseConfig(ENV),
            groupByRing: false,
          });
          const ask = async (path: string, body: unknown) => {
            const response = await front(
              new Request(`http://front${path}`, {
                method: "POST",
                headers: auth,
                body: JSON.stringify(body),
              }),
            );
            return [response.status, await response.json()];
          };
          const [a, b] = [byNode[0][5], byNode[2][5]];
          const [c, d] = byNode[1].slice(5, 7);
          assert.deepEqual(await ask("/", ["mset", a, "1", b, "2", c, "3"]), [
            200,
            { result: "OK" },
          ]);
          assert.deepEqual(await ask("/", ["mget", b, a, "absent", c]), [200, {
            result: ["2", "1", null, "3"],
          }]);
          assert.deepEqual(
            await ask("/multi-exec", [["incr", c], ["set", d, "x"]]),
            [200, [{ result: 4 }, { result: "OK" }]],
          );
          const [status, refused] = await ask("/multi-exec", [["incr", a], [
            "incr",
            b,
          ]]);
          assert.equal(status, 400);
          assert.match(refused.error, /^CROSSSLOT .*nothing was run$/);
          assert.deepEqual(
            await ask("/pipeline", [["msetnx", c, "9", d, "9"], ["get", a], [
              "exists",
              a,
              b,
              c,
              d,
            ]]),
            [200, [{ result: 0 }, { result: "1" }, { result: 4 }]],
          );
          assert.deepEqual(await ask("/", ["del", a, b, c, d]), [200, {
            result: 4,
          }]);
        },
      );

      await t.step(
        "a pipeline over every node, MGET and DEL across nodes, SCAN",
        async () => {
          const redis = redisClient(url, TOKEN, { autoPipelining: false });
          const keys = byNode.flatMap((keys) => keys.slice(0, 4));
          const pipe = redis.pipeline();
          keys.forEach((key, i) => pipe.set(key, `p${i}`));
          pipe.incr(keys[0]).mget(...keys).del(keys[1], keys[5], "absent");
          pipe.mget(keys[1], keys[5], keys[9]);
          const answers = await pipe.exec({ keepErrors: true });
          assert.equal(answers.length, keys.length + 4);
          const want = keys.map((_, i) => `p${i}`);
          assert.deepEqual(
            answers.slice(keys.length).map((a) => a.result ?? a.error),
            [
              "ERR value is not an integer or out of range",
              want,
              2,
              [null, null, "p9"],
            ],
          );
          // Each key on its node, as the JSON API reads it.
          for (const [i, key] of keys.entries()) {
            if (i !== 1 && i !== 5) {
              assert.equal(await jsonGet(url, key), `p${i}`);
            }
          }
          // SCAN over all nodes returns every key, the cursor a decimal string.
          for (let i = 0; i < 150; i++) await redis.set(`scan:${i}`, "x");
          const seen = new Set<string>();
          let cursor = "0";
          let calls = 0;
          do {
            const [next, found] = await redis.scan(cursor, { count: 10 });
            assert.match(String(next), /^\d+$/);
            found.forEach((key) => seen.add(key));
            cursor = String(next);
          } while (cursor !== "0" && ++calls < 500);
          assert.deepEqual([...seen].sort(), await allKeys(nodePorts));
          assert.equal(await redis.dbsize(), seen.size);
        },
      );

      await t.step(
        "across nodes, multi() and MSETNX are refused and change nothing",
        async () => {
          const redis = redisClient(url, TOKEN, { autoPipelining: false });
          const [a, b] = [byNode[0][2], byNode[2][2]];
          await redis.mset({ [a]: "A", [b]: "B" });
          await assert.rejects(
            () => redis.multi().set(a, "1").set(b, "2").exec(),
            /CROSSSLOT .*not all on one cluster node.*nothing was run/,
          );
          await assert.rejects(
            () => redis.msetnx({ [a + ":new"]: "1", [b + ":new"]: "2" }),
            /CROSSSLOT/,
          );
          assert.deepEqual(await redis.mget(a, b, a + ":new", b + ":new"), [
            "A",
            "B",
            null,
            null,
          ]);
          // On one node, both run: atomically there.
          const [c, d] = byNode[2].slice(3, 5);
          assert.deepEqual(
            await redis.multi().set(c, "1").incr(c).set(d, "x").exec(),
            ["OK", 2, "OK"],
          );
          assert.equal(await redis.msetnx({ [c + "!"]: "1", [c]: "2" }), 0);
        },
      );

      await t.step(
        "a killed node: misses or clear errors, never a wrong answer",
        async () => {
          const redis = redisClient(url, TOKEN, { autoPipelining: false });
          const victim = nodePorts[1];
          const survivors = [...byNode[0], ...byNode[2]];
          const theirs = byNode[1];
          for (const key of [...survivors, ...theirs]) {
            await redis.set(key, `k=${key}`);
          }
          const pid = (await task.nodes()).get(victim)!.pid;
          Deno.kill(pid, "SIGKILL");
          const bad: string[] = [];
          const end = performance.now() + 2_500;
          let errors = 0;
          while (performance.now() < end) {
            for (const key of [survivors[0], theirs[0], survivors[1]]) {
              try {
                const value = await redis.get(key);
                if (
                  value !== `k=${key}` &&
                  !(theirs.includes(key) && value === null)
                ) {
                  bad.push(`${key}: ${value}`);
                }
              } catch (error) {
                bad.push(`${key}: ${(error as Error).message}`);
              }
            }
            try {
              // Across nodes: the values, the dead node's as null, or an
              // error naming it.
              const values = await redis.mget(survivors[0], theirs[1]);
              if (
                values[0] !== `k=${survivors[0]}` ||
                (values[1] !== null && values[1] !== `k=${theirs[1]}`)
              ) bad.push(`mget: ${values}`);
            } catch (error) {
              errors++;
              if (!/cluster node node2/.test((error as Error).message)) {
                bad.push(`mget: ${(error as Error).message}`);
              }
            }
            try {
              await redis.dbsize();
            } catch (error) {
              errors++;
              if (
                !/^ERR cluster node|cluster node node2/.test(
                  (error as Error).message,
                )
              ) {
                bad.push(`dbsize: ${(error as Error).message}`);
              }
            }
          }
          assert.deepEqual(bad, []);
          await task.waitFor(/node2 .* serves again/, 10_000);
          console.log(`  MGET/DBSIZE errors while node2 was down: ${errors}`);
        },
      );

      await t.step(
        "after all that traffic through the front, SIGTERM stops the cluster cleanly: exit 0",
        async () => {
          // An idle connection of the front to HAProxy once kept HAProxy's
          // soft stop waiting until it was killed, and the launcher exited 1.
          task.process.kill("SIGTERM");
          const status = await task.status;
          assert.equal(
            status.code,
            0,
            task.lines.map((line) => line.text).join("\n"),
          );
        },
      );
    } finally {
      await reference?.stop();
      try {
        task.process.kill("SIGTERM");
      } catch {
        // Already stopped by the last step.
      }
      await Promise.race([
        task.status,
        new Promise((r) => setTimeout(r, 15_000)),
      ]);
      await task.killAll();
    }
  },
});
