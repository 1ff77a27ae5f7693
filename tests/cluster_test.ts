/**
 * The cluster (issue 13) end to end: real kv-cache nodes behind a real
 * HAProxy, started by scripts/cluster.ts. Ignored, with the reason, where
 * haproxy is not installed (.ci/run installs it when root).
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import {
  type Cluster,
  freePortRange,
  startCluster,
} from "../scripts/cluster.ts";
import {
  findOnPath,
  KV_KEY_LUA,
  startHaproxy,
} from "../scripts/cluster_haproxy.ts";
import {
  nodeEnv,
  nodeSnapshotFile,
  startNode,
} from "../scripts/cluster_node.ts";
import fc from "fast-check";
import {
  configFromArgs,
  deployFiles,
  haproxyConfig,
  haproxyWord,
  KUBERNETES_ARGS,
  PLAIN_QUERY,
  REDIS_REST_PATHS,
} from "../scripts/haproxy_config.ts";
import { parseOptions } from "../bench/args.ts";
import { attachServer } from "../bench/target.ts";
import { ROOT } from "../scripts/start_flags.ts";
import { eachLimited } from "./support/each_limited.ts";

const HAPROXY = findOnPath("haproxy") ??
  (existsFile("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : undefined);
const NO_HAPROXY = HAPROXY
  ? ""
  : " (ignored: haproxy is not installed; apt-get install haproxy)";
if (!HAPROXY) {
  console.warn("haproxy not installed: skipping the cluster tests");
}
const CLUSTER_TS = new URL("../scripts/cluster.ts", import.meta.url).pathname;
const DEPLOY = new URL("../deploy/", import.meta.url).pathname;
const NODE_CONFIG = {
  maxBodyBytes: 16_384,
  bodyTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
};
/** Fast health checks, so that a killed node is noticed within ~100 ms. */
const FAST_CHECKS = { checkIntervalMs: 100, checkFall: 1, checkRise: 1 };

function existsDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function startTestCluster(
  nodes: number,
  env?: Record<string, string>,
  redisFront?: boolean,
): Promise<Cluster> {
  return startCluster({
    redisFront,
    nodes,
    port: 0,
    host: "127.0.0.1",
    haproxy: HAPROXY!,
    nodeConfig: NODE_CONFIG,
    haproxyOptions: FAST_CHECKS,
    env,
  });
}

async function put(url: string, key: string, value: string) {
  const response = await fetch(`${url}/put`, {
    method: "POST",
    body: JSON.stringify({ key, value }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** GET `key` from `url`: its value, `null` on 404; throws on anything else. */
async function getValue(url: string, key: string): Promise<string | null> {
  const response = await fetch(`${url}/get?key=${encodeURIComponent(key)}`);
  const body = await response.json();
  if (response.status === 404) return null;
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.value;
}

/** Index of each key's node, asking every node directly. */
async function owners(cluster: Cluster, keys: string[]): Promise<number[]> {
  const found = keys.map(() => [] as number[]);
  for (const [n, node] of cluster.nodes.entries()) {
    await eachLimited(keys, 16, async (key, i) => {
      if (await getValue(node.url, key) !== null) found[i].push(n);
    });
  }
  for (const [i, nodes] of found.entries()) {
    assert.equal(nodes.length, 1, `"${keys[i]}" is on nodes ${nodes}`);
  }
  return found.map((nodes) => nodes[0]);
}

/** The status column of `show stat` for each server of backend "nodes". */
async function serverStates(socket: string): Promise<Record<string, string>> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode("show stat\n"));
  const text = await new Response(conn.readable).text();
  const [header, ...rows] = text.trim().split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const states: Record<string, string> = {};
  for (const row of rows.map((line) => line.split(","))) {
    const server = row[columns.indexOf("svname")];
    if (row[columns.indexOf("pxname")] !== "nodes") continue;
    if (server === "BACKEND") continue;
    states[server] = row[columns.indexOf("status")];
  }
  return states;
}

/** One request of the contract, sent alike to a node and to the proxy. */
interface Exchange {
  method?: string;
  path: string;
  body?: string | (() => ReadableStream<Uint8Array>);
  headers?: Record<string, string>;
}

/** The parts of an answer a client sees: status, type, Allow and body. */
async function answer(url: string, exchange: Exchange) {
  const body = typeof exchange.body === "function"
    ? exchange.body()
    : exchange.body;
  const response = await fetch(`${url}${exchange.path}`, {
    method: exchange.method ?? "GET",
    body,
    headers: exchange.headers,
  });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    allow: response.headers.get("allow"),
    body: await response.text(),
  };
}

const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';
const TOO_LARGE =
  '{"status":"ERROR","message":"Request body is larger than 16384 bytes."}';

/** A valid PUT body of exactly `size` bytes (trailing spaces). */
function padded(size: number): string {
  const body = '{"key":"padded","value":"v"}';
  return body + " ".repeat(size - body.length);
}

/** A body of `size` bytes sent chunked (no Content-Length). */
function chunked(size: number): () => ReadableStream<Uint8Array> {
  return () =>
    new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(size).fill(0x61));
        controller.close();
      },
    });
}

/** Requests with the status and body a single node gives them. */
const CONTRACT: [Exchange, number, string | undefined][] = [
  [
    { method: "POST", path: "/put", body: '{"key":"user:42","value":"Ada"}' },
    200,
    PUT_OK,
  ],
  [
    { path: "/get?key=user%3A42" },
    200,
    '{"status":"OK","key":"user:42","value":"Ada"}',
  ],
  [
    { path: "/get?key=user:42" },
    200,
    '{"status":"OK","key":"user:42","value":"Ada"}',
  ],
  [{ method: "HEAD", path: "/get?key=user:42" }, 200, ""],
  [{ path: "/get?key=absent" }, 404, NOT_FOUND],
  [
    {
      method: "POST",
      path: "/put",
      body: '{"key":"user:42","value":"Grace","ttl":60}',
    },
    200,
    PUT_OK,
  ],
  [
    { path: "/get?key=user:42" },
    200,
    '{"status":"OK","key":"user:42","value":"Grace"}',
  ],
  // One key, many spellings: escaped in JSON, percent-encoded or '+' in the URL.
  [
    {
      method: "POST",
      path: "/put",
      body:
        '{"key":"caf\\u00e9 \\u20ac\\ud83d\\ude00","value":"tab\\there \\"quoted\\""}',
    },
    200,
    PUT_OK,
  ],
  [
    { path: "/get?key=caf%C3%A9+%E2%82%AC%F0%9F%98%80" },
    200,
    '{"status":"OK","key":"café €😀","value":"tab\\there \\"quoted\\""}',
  ],
  [
    { path: `/get?key=${encodeURIComponent("café €😀")}` },
    200,
    '{"status":"OK","key":"café €😀","value":"tab\\there \\"quoted\\""}',
  ],
  [
    {
      method: "POST",
      path: "/put",
      body: '{ "value" : "v2" , "key" : "a\\/b\\\\c" }',
    },
    200,
    PUT_OK,
  ],
  [
    { path: "/get?key=a%2Fb%5Cc" },
    200,
    '{"status":"OK","key":"a/b\\\\c","value":"v2"}',
  ],
  [{ method: "DELETE", path: "/delete?key=a%2Fb%5Cc" }, 200, undefined],
  [{ path: "/get?key=a%2Fb%5Cc" }, 404, NOT_FOUND],
  [{ method: "DELETE", path: "/delete?key=a%2Fb%5Cc" }, 404, NOT_FOUND],
  // Bad input: the node's 400s, whichever node answers.
  [{ method: "POST", path: "/put", body: "not json" }, 400, undefined],
  [
    { method: "POST", path: "/put", body: '{"key":"","value":"v"}' },
    400,
    undefined,
  ],
  [
    { method: "POST", path: "/put", body: '{"key":7,"value":"v"}' },
    400,
    undefined,
  ],
  [{ method: "POST", path: "/put", body: '{"value":"v"}' }, 400, undefined],
  [{ path: "/get" }, 400, undefined],
  [{ path: `/get?key=${"k".repeat(257)}` }, 400, undefined],
  [{ method: "PUT", path: "/put", body: "{}" }, 405, undefined],
  [{ path: "/nowhere" }, 404, undefined],
  [{ path: "/health" }, 200, '{"status":"OK"}'],
  // At the body limit it is stored; one byte over: the node's 413, declared
  // or chunked.
  [{ method: "POST", path: "/put", body: padded(16_384) }, 200, PUT_OK],
  [
    { path: "/get?key=padded" },
    200,
    '{"status":"OK","key":"padded","value":"v"}',
  ],
  [{ method: "POST", path: "/put", body: padded(16_385) }, 413, TOO_LARGE],
  [{ method: "POST", path: "/put", body: "a".repeat(16_385) }, 413, TOO_LARGE],
  [{ method: "POST", path: "/put", body: chunked(40_000) }, 413, TOO_LARGE],
  [
    {
      method: "POST",
      path: "/put",
      body: `{"key":"big","value":"${"x".repeat(16_000)}"}`,
    },
    400,
    undefined,
  ],
];

Deno.test({
  name:
    `through the proxy every answer is the one a single node gives${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cluster = await startTestCluster(3);
    const single = await startNode(freePortRange(0));
    try {
      for (const [exchange, status, body] of CONTRACT) {
        const direct = await answer(single.url, exchange);
        const proxied = await answer(cluster.url, exchange);
        const what = `${exchange.method ?? "GET"} ${exchange.path}`;
        assert.equal(direct.status, status, `${what} on one node`);
        if (body !== undefined) assert.equal(direct.body, body, what);
        assert.deepEqual(proxied, direct, `${what} through the proxy`);
        if (exchange.method !== "HEAD") {
          assert.equal(proxied.type, "application/json", what);
        }
      }
    } finally {
      await single.stop();
      assert.equal(await cluster.stop(), undefined);
    }
  },
});

Deno.test({
  name:
    `each spelling of a key reaches the one node that holds it${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cluster = await startTestCluster(3);
    try {
      // Keys whose spellings differ most: non-ASCII, astral, escapes, spaces.
      // Half need JSON escapes ("q"\), which HAProxy reads through Lua; the
      // rest it reads natively when sent plainly. Both must agree.
      const keys = Array.from(
        { length: 80 },
        (_, i) => i % 2 ? `clé ${i} €/😀 "q"\\` : `clé ${i} €/😀 ;+%`,
      );
      const spellings = (key: string, i: number) => [
        // Escapes in the value only: HAProxy may still read the key natively.
        JSON.stringify({ key, value: `plain\t"${i}"\\\u00e9` }),
        // Every character escaped as \uXXXX (surrogate pairs for astral ones).
        `{"key":"${
          Array.from(
            { length: key.length },
            (_, j) => `\\u${key.charCodeAt(j).toString(16).padStart(4, "0")}`,
          ).join("")
        }","value":"escaped ${i}"}`,
        // Two "key" members: JSON.parse keeps the last.
        `{"key":"decoy","value":"twice ${i}","key":${JSON.stringify(key)}}`,
        // Spaced, a decoy, and the last key named with an escape.
        ` { "key" : "decoy" , "value" : "reordered ${i}" , "k\\u0065y" : ${
          JSON.stringify(key).replaceAll("/", "\\/")
        } } `,
      ];
      for (const [i, key] of keys.entries()) {
        for (const body of spellings(key, i)) {
          const response = await fetch(`${cluster.url}/put`, {
            method: "POST",
            body,
          });
          assert.equal(response.status, 200, body);
          await response.body?.cancel();
        }
      }
      const nodeOf = await owners(cluster, keys);
      assert.equal(new Set(nodeOf).size, 3, "keys spread over all nodes");
      for (const [i, key] of keys.entries()) {
        // The last spelling written wins, whichever way the GET spells it.
        const encoded = encodeURIComponent(key);
        const queries = [
          `key=${encoded}`,
          `key=${encoded.replaceAll("%20", "+")}`,
          `key=${encoded.replaceAll("%2F", "/").replaceAll("%22", '"')}`,
          `k%65y=${encoded}`, // the name escaped too
          `x=1&key=${encoded}&key=other`, // the first "key" counts
        ];
        for (const query of queries) {
          const response = await fetch(`${cluster.url}/get?${query}`);
          assert.deepEqual(await response.json(), {
            status: "OK",
            key,
            value: `reordered ${i}`,
          }, query);
        }
      }
      // Escapes the node keeps as written: invalid UTF-8, '%' without hex.
      for (let n = 0; n < 30; n++) {
        await put(cluster.url, `%C3 ${n}%zz`, `kept ${n}`);
        const response = await fetch(`${cluster.url}/get?key=%C3+${n}%zz`);
        assert.equal((await response.json()).value, `kept ${n}`);
      }
    } finally {
      assert.equal(await cluster.stop(), undefined);
    }
  },
});

Deno.test({
  name:
    `keys split evenly, one node each; a killed node loses only its keys${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cluster = await startTestCluster(3);
    try {
      const keys = Array.from({ length: 3_000 }, (_, i) => `key-${i}`);
      await eachLimited(keys, 16, (key) => put(cluster.url, key, `v-${key}`));
      const nodeOf = await owners(cluster, keys);
      const counts = [0, 1, 2].map((n) => nodeOf.filter((o) => o === n).length);
      for (const count of counts) {
        assert.ok(
          count >= 700 && count <= 1_300,
          `split ${counts} is not within ±30% of 1000 per node`,
        );
      }

      await cluster.nodes[1].stop("SIGKILL");
      const socket = `${cluster.dir}/haproxy.sock`;
      const deadline = Date.now() + 5_000;
      while ((await serverStates(socket)).node2 !== "DOWN") {
        assert.ok(Date.now() < deadline, "HAProxy never marked node2 DOWN");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const lost: string[] = [];
      await eachLimited(keys, 16, async (key, i) => {
        const value = await getValue(cluster.url, key); // throws on 5xx
        if (nodeOf[i] === 1) {
          assert.equal(value, null, `${key} of the dead node`);
          lost.push(key);
        } else {
          assert.equal(value, `v-${key}`, `${key} of a live node`);
        }
      });
      assert.equal(lost.length, counts[1]);
      // Its keys are writable again, on the surviving nodes.
      await eachLimited(lost, 16, (key) => put(cluster.url, key, "again"));
      assert.equal(await getValue(cluster.url, lost[0]), "again");
    } finally {
      await cluster.stop();
    }
  },
});

Deno.test({
  name: `adding a fourth node moves about a quarter of the keys${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const three = await startTestCluster(3);
    const fourth = await startNode(freePortRange(0));
    let four;
    try {
      const keys = Array.from({ length: 2_000 }, (_, i) => `grow-${i}`);
      await eachLimited(keys, 16, (key) => put(three.url, key, "v"));
      const port = freePortRange(0);
      four = await startHaproxy({
        haproxy: HAPROXY!,
        dir: three.dir,
        url: `http://127.0.0.1:${port}`,
        config: {
          ...three.config,
          nodes: [
            ...three.config.nodes,
            { name: "node4", address: fourth.url.slice("http://".length) },
          ],
          bind: `127.0.0.1:${port}`,
          statsSocket: undefined,
        },
      });
      const moved: string[] = [];
      await eachLimited(keys, 16, async (key) => {
        if (await getValue(four!.url, key) === null) moved.push(key);
      });
      const share = moved.length / keys.length;
      assert.ok(share > 0.15 && share < 0.35, `${share} of the keys moved`);
      // The moved keys now belong to the new node, and only to it.
      await eachLimited(moved, 16, (key) => put(four!.url, key, "moved"));
      await eachLimited(moved, 16, async (key) => {
        assert.equal(await getValue(fourth.url, key), "moved", key);
      });
    } finally {
      await four?.stop();
      await fourth.stop();
      await three.stop();
    }
  },
});

Deno.test({
  name:
    `deno task cluster prints one line, serves, and exits 0 on SIGTERM${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const port = freePortRange(2);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLUSTER_TS],
      env: {
        PORT: String(port),
        HOST: "127.0.0.1",
        CLUSTER_NODES: "2",
        PATH: `${Deno.env.get("PATH")}:/usr/sbin`,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const first = await lines.read();
    assert.match(
      first.value ?? "",
      new RegExp(
        `^kv-cache cluster ready: haproxy on 127\\.0\\.0\\.1:${port} .*2 node\\(s\\) on 127\\.0\\.0\\.1:${
          port + 1
        }-${port + 2}`,
      ),
    );
    await put(`http://127.0.0.1:${port}`, "through", "the task");
    assert.equal(
      await getValue(`http://127.0.0.1:${port}`, "through"),
      "the task",
    );
    child.kill("SIGTERM");
    const status = await child.status;
    const rest = await lines.read();
    lines.releaseLock();
    await new Response(child.stderr).text();
    assert.equal(status.code, 0);
    assert.match(rest.value ?? "", /stopped \(SIGTERM\)/);
    for (const p of [port, port + 1, port + 2]) {
      await assert.rejects(fetch(`http://127.0.0.1:${p}/health`));
    }
  },
});

Deno.test({
  name:
    `nodes run with deno task start's flags: WORKERS=2 serves, each node writes and reloads its own snapshot${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    // As with deno task start, SNAPSHOT_FILE is a file in the repository's
    // snapshots/ (the only directory its flags let a node write).
    const directory = `${ROOT}snapshots`;
    const created = !existsDirectory(directory);
    if (created) await Deno.mkdir(directory);
    const file = `snapshots/cluster-test-${crypto.randomUUID()}.snapshot`;
    const env = { WORKERS: "2", SNAPSHOT_FILE: file };
    const keys = Array.from({ length: 40 }, (_, i) => `kept-${i}`);
    let cluster: Cluster | undefined;
    try {
      cluster = await startTestCluster(2, env);
      for (const node of cluster.nodes) {
        const stats = await (await fetch(`${node.url}/stats`)).json();
        assert.equal(stats.workers, 2, `${node.url} serves from 2 isolates`);
      }
      await eachLimited(keys, 8, (key) => put(cluster!.url, key, `v-${key}`));
      const before = await owners(cluster, keys);
      assert.equal(new Set(before).size, 2, "keys on both nodes");
      assert.equal(await cluster.stop(), undefined, "nodes exit cleanly");
      cluster = undefined;
      for (const name of ["node1", "node2"]) {
        const path = `${ROOT}${nodeSnapshotFile(file, name)}`;
        assert.ok(existsFile(path), `${name} wrote ${path}`);
      }
      assert.ok(!existsFile(`${ROOT}${file}`), "no file shared by the nodes");

      cluster = await startTestCluster(2, env);
      for (const key of keys) {
        assert.equal(await getValue(cluster.url, key), `v-${key}`, key);
      }
      // Each node loaded its own keys only.
      assert.deepEqual(await owners(cluster, keys), before);
    } finally {
      await cluster?.stop();
      for (const name of ["node1", "node2"]) {
        await Deno.remove(`${ROOT}${nodeSnapshotFile(file, name)}`)
          .catch(() => {});
      }
      if (created) await Deno.remove(directory).catch(() => {});
    }
  },
});

Deno.test("deno task cluster gives each node its own snapshot file, one isolate and warn logs by default", () => {
  assert.equal(
    nodeSnapshotFile("snapshots/kv.snapshot", "node1"),
    "snapshots/kv.node1.snapshot",
  );
  assert.equal(
    nodeSnapshotFile("snapshots/kv", "node2"),
    "snapshots/kv.node2",
  );
  assert.equal(
    nodeSnapshotFile("snapshots.d/.kv", "node3"),
    "snapshots.d/.kv.node3",
  );
  assert.deepEqual(nodeEnv({}), { LOG_LEVEL: "warn", WORKERS: "1" });
  assert.deepEqual(nodeEnv({ SNAPSHOT_FILE: "" }), {
    LOG_LEVEL: "warn",
    WORKERS: "1",
  });
  assert.deepEqual(
    nodeEnv({
      LOG_LEVEL: "info",
      WORKERS: "auto",
      SNAPSHOT_FILE: "snapshots/kv.snapshot",
      PORT: "7171",
    }),
    {
      LOG_LEVEL: "info",
      WORKERS: "auto",
      SNAPSHOT_FILE: "snapshots/kv.snapshot",
    },
  );
});

Deno.test("deno task cluster stops with a message on a bad CLUSTER_NODES or no haproxy", async () => {
  const run = async (env: Record<string, string>) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLUSTER_TS],
      env: { NO_COLOR: "1", HOME: Deno.env.get("HOME") ?? "/", ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: output.code,
      stderr: new TextDecoder().decode(output.stderr).trim(),
      stdout: new TextDecoder().decode(output.stdout),
    };
  };
  const bad = await run({ CLUSTER_NODES: "three", PATH: "/usr/sbin" });
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    'kv-cache cluster: Invalid CLUSTER_NODES "three": expected a whole number from 1 to 64.',
  );
  assert.equal((await run({ CLUSTER_NODES: "0" })).code, 1);
  const missing = await run({ PATH: "/nonexistent" });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /haproxy is not on PATH.*apt-get install haproxy/,
  );
  assert.equal(missing.stdout, "");
});

/** `text` with its lua-load line pointed at this checkout's kv_key.lua. */
function withLocalLua(text: string): string {
  return text.replace(/lua-load \S+/, `lua-load ${KV_KEY_LUA}`);
}

/** Asserts that `haproxy -c` accepts the configuration `text`. */
async function assertHaproxyAccepts(text: string): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".cfg" });
  try {
    await Deno.writeTextFile(path, withLocalLua(text));
    const output = await new Deno.Command(HAPROXY!, {
      args: ["-c", "-f", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, log);
    assert.doesNotMatch(log, /ALERT/);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test({
  name:
    `deploy/: compose and Kubernetes files parse; their haproxy.cfg is generated and valid${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cfg = await Deno.readTextFile(`${DEPLOY}haproxy/haproxy.cfg`);
    const lua = await Deno.readTextFile(`${DEPLOY}haproxy/kv_key.lua`);
    // What `deno run scripts/haproxy_config.ts --update-deploy` writes.
    for (const [path, text] of Object.entries(deployFiles())) {
      assert.equal(await Deno.readTextFile(`${DEPLOY}${path}`), text, path);
    }
    await assertHaproxyAccepts(cfg);

    const compose = parse(await Deno.readTextFile(`${DEPLOY}compose.yaml`));
    const services = Object.keys(compose.services);
    assert.deepEqual(services, ["kv1", "kv2", "kv3", "haproxy"]);
    for (const name of ["kv1", "kv2", "kv3"]) {
      assert.ok(cfg.includes(`server ${name} ${name}:7171 `), name);
      assert.equal(compose.services[name].environment.PORT, "7171");
    }
    for (const volume of compose.services.haproxy.volumes as string[]) {
      const [source, target] = volume.split(":");
      assert.ok(existsFile(`${DEPLOY}${source}`), source);
      assert.ok(cfg.includes(target) || target.endsWith("haproxy.cfg"));
    }

    const documents = parseAllDocuments(
      await Deno.readTextFile(`${DEPLOY}kubernetes/kv-cache.yaml`),
    ).map((document) => document.toJS());
    const byKind = (kind: string) => documents.filter((d) => d.kind === kind);
    const [statefulSet] = byKind("StatefulSet");
    const headless = byKind("Service").find((s) => s.spec.clusterIP === "None");
    assert.equal(headless.metadata.name, statefulSet.spec.serviceName);
    const [configMap] = byKind("ConfigMap");
    const k8sCfg = configMap.data["haproxy.cfg"];
    assert.equal(k8sCfg, configFromArgs(KUBERNETES_ARGS));
    assert.equal(configMap.data["kv_key.lua"], lua);
    await assertHaproxyAccepts(k8sCfg);
    const servers = k8sCfg.match(/^ {2}server /gm) ?? [];
    assert.equal(servers.length, statefulSet.spec.replicas);
    const [deployment] = byKind("Deployment");
    assert.equal(
      deployment.spec.template.spec.volumes[0].configMap.name,
      configMap.metadata.name,
    );
  },
});

/** Sends `parts` over one raw connection, pausing between them; the answer. */
async function rawExchange(port: number, parts: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (const [i, part] of parts.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    await conn.write(new TextEncoder().encode(part));
  }
  return await new Response(conn.readable).text();
}

Deno.test({
  name:
    `without the Redis front (the deploy files), the proxy answers the Redis REST API with a JSON 501, and its own 400 in JSON${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cluster = await startTestCluster(1, undefined, false);
    try {
      for (const path of REDIS_REST_PATHS) {
        const response = await fetch(`${cluster.url}${path}`, {
          method: "POST",
          body: '["SET","k","v"]',
        });
        assert.equal(response.status, 501, path);
        assert.equal(response.headers.get("content-type"), "application/json");
        assert.deepEqual(await response.json(), {
          error:
            "The Redis REST API is not available through the cluster yet: HAProxy routes by the JSON API's key; send Redis commands to a node directly.",
        });
      }
      // Nothing reached the node: the key was not written.
      assert.equal(await getValue(cluster.url, "k"), null);
      // Other methods and paths still reach the node.
      const other = await fetch(`${cluster.url}/pipeline/x`, {
        method: "POST",
      });
      await other.body?.cancel();
      assert.notEqual(other.status, 501);

      // A malformed chunked body: HAProxy's own 400, in the node's shape.
      const port = Number(new URL(cluster.url).port);
      const badChunk = await rawExchange(port, [
        "POST /put HTTP/1.1\r\nHost: kv\r\nTransfer-Encoding: chunked\r\n\r\n",
        "zz\r\nabc\r\n0\r\n\r\n",
      ]);
      assert.match(badChunk, /^HTTP\/1\.1 400 /);
      assert.match(badChunk, /content-type: application\/json/i);
      assert.deepEqual(JSON.parse(badChunk.slice(badChunk.indexOf("{"))), {
        status: "ERROR",
        message:
          "Malformed HTTP request: the proxy could not read it (request line, headers or chunked body).",
      });
      // A request head HAProxy 2.6 cannot parse at all gets its built-in page:
      // its HTTP/1 layer answers before any rule or error setting applies
      // (docs/cluster.md). Still a 400, and the connection is closed.
      const garbled = await rawExchange(port, ["GARBAGE\r\n\r\n"]);
      assert.match(garbled, /^HTTP\/1\.1 400 /);
    } finally {
      await cluster.stop();
    }
  },
});

Deno.test("haproxyWord quotes any text as one configuration word", () => {
  assert.equal(haproxyWord('{"a":"b"}'), `'{"a":"b"}'`);
  assert.equal(
    haproxyWord(`it's "$HOME" \\ x`),
    `"it's \\"\\$HOME\\" \\\\ x"`,
  );
});

Deno.test("the generator refuses an empty node list and bad options", () => {
  assert.throws(
    () =>
      haproxyConfig({
        nodes: [],
        bind: ":1",
        luaPath: "x",
        maxBodyBytes: 10,
      }),
    /at least one node/,
  );
  assert.throws(() => configFromArgs(["--nodes", "kv1"]), /Invalid --nodes/);
  assert.throws(() => configFromArgs(["--nodes"]), /Invalid --nodes/);
  assert.throws(
    () => configFromArgs(["--nodes", "a:1", "--colour", "red"]),
    /Unknown option "--colour"/,
  );
});

Deno.test("bench --target and --baseline take http URLs, not with --variant", () => {
  const opts = parseOptions([
    "--target",
    "http://127.0.0.1:7171/",
    "--baseline",
    "http://127.0.0.1:7172",
  ]);
  assert.equal(opts.target, "http://127.0.0.1:7171");
  assert.equal(opts.baseline, "http://127.0.0.1:7172");
  assert.equal(parseOptions([]).target, undefined);
  assert.throws(
    () => parseOptions(["--baseline", "http://a:1"]),
    /--baseline needs --target/,
  );
  assert.throws(
    () => parseOptions(["--target", "ftp://a:1"]),
    /--target takes an http:\/\/ URL, not "ftp:\/\/a:1"/,
  );
  assert.throws(
    () => parseOptions(["--target", "http://a:1", "--variant", "METRICS=off"]),
    /cannot go with --target/,
  );
});

Deno.test({
  name:
    `the bench attaches to a running cluster and measures HAProxy's process${NO_HAPROXY}`,
  ignore: !HAPROXY,
  fn: async () => {
    const cluster = await startTestCluster(1);
    try {
      assert.equal(await attachedPid(cluster.url), cluster.proxy.process.pid);
      assert.equal(
        await attachedPid(cluster.nodes[0].url),
        cluster.nodes[0].process.pid,
      );
      // Attaching and stopping leaves the target running.
      assert.equal(
        await attachedPid(cluster.url, true),
        cluster.proxy.process.pid,
      );
      await put(cluster.url, "still", "served");
    } finally {
      await cluster.stop();
    }
    await assert.rejects(
      attachServer("server", cluster.url),
      /\/health does not answer/,
    );
  },
});

/**
 * The pid `attachServer` finds for `url`, asked in a `deno eval` child:
 * reading /proc/<pid>/fd needs --allow-all, which `deno task bench` has and
 * `deno task test` does not.
 */
async function attachedPid(url: string, stop = false): Promise<number> {
  const target = new URL("../bench/target.ts", import.meta.url).href;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { attachServer } = await import(${JSON.stringify(target)});
       const server = await attachServer("server", ${JSON.stringify(url)});
       ${stop ? "await server.stop();" : ""}
       console.log(server.pid);`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return Number(new TextDecoder().decode(output.stdout).trim());
}

Deno.test("the native GET path takes exactly the queries url_dec reads as the node does", () => {
  const plain = new RegExp(PLAIN_QUERY);
  // Every key a client encodes with encodeURIComponent takes it (but %00).
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (key) => {
      fc.pre(!key.includes("\0"));
      return plain.test(`key=${encodeURIComponent(key)}`);
    }),
  );
  // Whatever it takes decodes without error and without NUL, ';' or '%'
  // left over: urlp(key),url_dec(1) then gives the node's key.
  const hex = fc.constantFrom(..."0123456789ABCDEFabcdef");
  const piece = fc.oneof(
    fc.constantFrom("a", "+", "&", ";", "%", "=", "é"),
    fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const query = `key=${pieces.join("")}`;
      if (!plain.test(query)) return true;
      const value = query.slice(4).split("&")[0];
      const key = decodeURIComponent(value.replaceAll("+", " "));
      return !key.includes("\0") && !value.includes(";");
    }),
    { numRuns: 2_000 },
  );
  for (const query of ["key=%C3", "key=%zz", "key=a;b", "key=%00", "k%65y=a"]) {
    assert.equal(plain.test(query), false, query);
  }
  assert.equal(plain.test("key=caf%C3%A9+%F0%9F%98%80&x=1"), true);
});
