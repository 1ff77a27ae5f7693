// The cluster's Redis front (server/cluster_front.ts) against stand-ins
// for HAProxy and the nodes: with the nodes' URLs, each node's part of a
// request goes straight to that node, and HAProxy is only asked where keys
// go; without them, parts go through HAProxy by name. The real cluster
// (HAProxy, real nodes) is tests/cluster_redis_test.ts.
import assert from "node:assert/strict";
import { clusterFront } from "../server/cluster_front.ts";
import { HaproxyRing } from "../server/haproxy_ring.ts";
import { parseConfig } from "../lib/config.ts";

const NODES = ["node1", "node2", "node3"];
const SECRET = "front-secret-for-the-test";

/** A request a stand-in received. */
interface Seen {
  path: string;
  node: string | null;
  body: string;
}

/** Stand-ins for HAProxy and three nodes, each recording what it gets. */
function standIns() {
  const ring = new HaproxyRing(NODES.length);
  const proxySeen: Seen[] = [];
  const nodeSeen: Seen[][] = NODES.map(() => []);
  const decoder = new TextDecoder();
  const servers: Deno.HttpServer[] = [];
  const serve = (handler: (request: Request) => Promise<Response>) => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      handler,
    );
    servers.push(server);
    return `http://127.0.0.1:${server.addr.port}`;
  };
  // A node answers each GET of a pipeline with the key it was asked for.
  const nodeUrls = NODES.map((_, n) =>
    serve(async (request) => {
      const body = await request.text();
      nodeSeen[n].push({
        path: new URL(request.url).pathname,
        node: request.headers.get("x-kv-node"),
        body,
      });
      const commands: string[][] = JSON.parse(body);
      return Response.json(
        commands.map(([, key]) => ({ result: `${NODES[n]}:${key}` })),
      );
    })
  );
  // HAProxy: /health routed by a key answers with the key's node (its
  // ring); a POST named for a node is relayed to that node.
  const proxyUrl = serve(async (request) => {
    const path = new URL(request.url).pathname;
    const routeKey = request.headers.get("x-kv-route-key");
    if (path === "/health" && routeKey !== null) {
      const key = decoder.decode(
        Uint8Array.from(atob(routeKey), (c) => c.charCodeAt(0)),
      );
      return new Response('{"status":"OK"}', {
        headers: { "x-kv-node": NODES[ring.nodeOf(key)] },
      });
    }
    const node = request.headers.get("x-kv-node");
    const body = await request.text();
    proxySeen.push({ path, node, body });
    const at = NODES.indexOf(node ?? "");
    if (at < 0) return new Response("no route", { status: 503 });
    return await fetch(nodeUrls[at] + path, {
      method: "POST",
      headers: request.headers,
      body,
    });
  });
  return {
    ring,
    proxyUrl,
    nodeUrls,
    proxySeen,
    nodeSeen,
    close: () => Promise.all(servers.map((server) => server.shutdown())),
  };
}

/** Keys spread over the three nodes by the ring, two per node. */
function keysOnEveryNode(ring: HaproxyRing): string[] {
  const byNode: string[][] = NODES.map(() => []);
  for (let i = 0; byNode.some((keys) => keys.length < 2); i++) {
    const key = `key:${i}`;
    const node = ring.nodeOf(key);
    if (byNode[node].length < 2) byNode[node].push(key);
  }
  return byNode.flat();
}

/** The front under test, over the stand-ins, given the nodes' URLs or not. */
function frontOf(
  stand: ReturnType<typeof standIns>,
  nodeUrls?: string[],
): (request: Request) => Promise<Response> {
  return clusterFront({
    proxyUrl: stand.proxyUrl,
    nodes: NODES,
    nodeUrls,
    secret: SECRET,
    config: parseConfig({}),
  });
}

/** What the stand-in nodes answer to GETs of `keys`, in order. */
function answersOf(ring: HaproxyRing, keys: string[]): { result: string }[] {
  return keys.map((key) => ({ result: `${NODES[ring.nodeOf(key)]}:${key}` }));
}

async function pipeline(
  front: (request: Request) => Promise<Response>,
  keys: string[],
): Promise<unknown> {
  const response = await front(
    new Request("http://front/pipeline", {
      method: "POST",
      body: JSON.stringify(keys.map((key) => ["get", key])),
    }),
  );
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test("with the nodes' URLs, a pipeline's parts go straight to their nodes", async () => {
  const stand = standIns();
  try {
    const front = frontOf(stand, stand.nodeUrls);
    const keys = keysOnEveryNode(stand.ring);
    assert.deepEqual(await pipeline(front, keys), answersOf(stand.ring, keys));
    assert.deepEqual(stand.proxySeen, [], "no part went through HAProxy");
    for (const [n, seen] of stand.nodeSeen.entries()) {
      assert.equal(seen.length, 1, `${NODES[n]} got one part`);
      assert.equal(seen[0].path, "/pipeline");
      assert.deepEqual(
        JSON.parse(seen[0].body),
        keys.filter((key) => stand.ring.nodeOf(key) === n).map((key) => [
          "get",
          key,
        ]),
      );
    }
  } finally {
    await stand.close();
  }
});

Deno.test("without the nodes' URLs, the parts go through HAProxy by name", async () => {
  const stand = standIns();
  try {
    const front = frontOf(stand);
    const keys = keysOnEveryNode(stand.ring);
    assert.deepEqual(await pipeline(front, keys), answersOf(stand.ring, keys));
    assert.deepEqual(
      stand.proxySeen.map((seen) => seen.node).sort(),
      [...NODES],
      "one part per node, named for it",
    );
  } finally {
    await stand.close();
  }
});

Deno.test("a node that is down fails its own commands only, also when reached directly", async () => {
  const stand = standIns();
  try {
    const keys = keysOnEveryNode(stand.ring);
    const down = stand.ring.nodeOf(keys[0]);
    // A port nothing listens on: the stand-in of a dead node.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadUrl = `http://127.0.0.1:${listener.addr.port}`;
    listener.close();
    const nodeUrls = stand.nodeUrls.map((url, n) => n === down ? deadUrl : url);
    const front = frontOf(stand, nodeUrls);
    const answers = await pipeline(front, keys) as Record<string, string>[];
    const expected = answersOf(stand.ring, keys);
    for (const [i, key] of keys.entries()) {
      if (stand.ring.nodeOf(key) === down) {
        assert.match(answers[i].error, /^ERR cluster node node\d failed: /);
      } else {
        assert.deepEqual(answers[i], expected[i]);
      }
    }
  } finally {
    await stand.close();
  }
});

Deno.test("a front refuses node URLs that do not match its node names one for one", () => {
  assert.throws(
    () =>
      clusterFront({
        proxyUrl: "http://127.0.0.1:1",
        nodes: NODES,
        nodeUrls: ["http://127.0.0.1:2"],
        secret: SECRET,
        config: parseConfig({}),
      }),
    /The front has 3 node names but 1 node URLs/,
  );
});
