// The real server with several serving isolates over one shared store: many
// clients, each on two connections of its own (which the kernel spreads over
// the isolates), write keys of their own and read every write back on the
// other connection. Every acknowledged PUT must be visible to every later
// GET, exactly, on any connection; DELETE and TTL expiry likewise; a hot key
// written with two values by everyone is only ever read as one of them.
import assert from "node:assert/strict";
import { START_ARGS, startServer } from "./support/server_process.ts";

const CLIENTS = 24;
const ROUNDS = 120;
const HOT = ["A".repeat(700), "B".repeat(300)];

interface Answer {
  status: number;
  body: { value?: string; message?: string };
}

async function call(
  client: Deno.HttpClient,
  url: string,
  init?: RequestInit,
): Promise<Answer> {
  const response = await fetch(url, { ...init, client });
  return { status: response.status, body: await response.json() };
}

async function runClient(
  base: string,
  c: number,
  ttlKeys: Map<string, number>,
) {
  const writer = Deno.createHttpClient({});
  const reader = Deno.createHttpClient({});
  const put = (key: string, value: string, ttl?: number) =>
    call(writer, `${base}/put`, {
      method: "POST",
      body: JSON.stringify({ key, value, ttl }),
    });
  const get = (client: Deno.HttpClient, key: string) =>
    call(client, `${base}/get?key=${encodeURIComponent(key)}`);
  let acknowledged = 0;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const key = `c${c}-${i % 8}`;
      // Values of many sizes, so that records move in compactions.
      const value = `${key}=${i}:`.padEnd(
        100 + ((c * 37 + i * 101) % 1400),
        "xyz"[i % 3],
      );
      const written = await put(key, value);
      assert.equal(written.status, 200);
      acknowledged++;
      const read = await get(reader, key);
      assert.equal(read.status, 200, `${key} after its PUT`);
      assert.equal(read.body.value, value, `${key} read on another connection`);
      if (i % 10 === 9) {
        const removed = await call(
          writer,
          `${base}/delete?key=${encodeURIComponent(key)}`,
          { method: "DELETE" },
        );
        assert.equal(removed.status, 200);
        assert.equal((await get(reader, key)).status, 404, `${key} deleted`);
      }
      if (i % 30 === 0) {
        const ttlKey = `c${c}-ttl-${i}`;
        assert.equal((await put(ttlKey, "short-lived", 1)).status, 200);
        acknowledged++;
        ttlKeys.set(ttlKey, performance.now());
      }
      if (c % 2 === 0 && i % 4 === 0) {
        assert.equal((await put("hot", HOT[(c + i) % 2])).status, 200);
        acknowledged++;
      }
      if (i % 3 === 0) {
        const hot = await get(reader, "hot");
        if (hot.status === 200) {
          assert.ok(HOT.includes(hot.body.value!), "hot key is one value");
        }
      }
    }
  } finally {
    writer.close();
    reader.close();
  }
  return acknowledged;
}

async function check(workers: number) {
  const server = await startServer({
    env: {
      WORKERS: String(workers),
      MAX_VALUE_SIZE: "2000",
      // Eleven 256 KiB segments: overwrites fill them, and compactions move
      // live records while other isolates read them.
      MAX_CACHE_BYTES: "3000000",
      // The sweep runs in the main isolate meanwhile, under the same lock.
      SWEEP_INTERVAL_MS: "20",
      DEFAULT_TTL_SECONDS: "0",
    },
  });
  try {
    const ttlKeys = new Map<string, number>();
    const acknowledged = await Promise.all(
      Array.from(
        { length: CLIENTS },
        (_, c) => runClient(server.url, c, ttlKeys),
      ),
    );
    // Final values, read on fresh connections.
    const fresh = Deno.createHttpClient({});
    for (let c = 0; c < CLIENTS; c++) {
      for (let k = 0; k < 8; k++) {
        const key = `c${c}-${k}`;
        const last = ROUNDS - 8 + k;
        const answer = await call(fresh, `${server.url}/get?key=${key}`);
        if (last % 10 === 9) assert.equal(answer.status, 404, key);
        else assert.ok(answer.body.value?.startsWith(`${key}=${last}:`), key);
      }
    }
    // TTL keys expire for every isolate: wait out their second (real time:
    // the server's clock cannot be injected from here).
    const newest = Math.max(...ttlKeys.values());
    const wait = newest + 1100 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const key of ttlKeys.keys()) {
      const answer = await call(fresh, `${server.url}/get?key=${key}`);
      assert.equal(answer.status, 404, `${key} expired`);
    }
    const stats = (await call(fresh, `${server.url}/stats`)).body as Record<
      string,
      unknown
    >;
    fresh.close();
    assert.equal(stats.workers, workers);
    const perWorker = stats.workerRequests as number[];
    assert.equal(perWorker.length, workers);
    assert.ok(perWorker.every((n) => n > 0), `requests: ${perWorker}`);
    assert.equal(stats.puts, acknowledged.reduce((a, b) => a + b, 0));
    assert.ok((stats.compactions as number) > 0, "records were compacted");
    assert.equal(stats.evicted, 0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const puts = [...metrics.matchAll(
      /^kvcache_http_requests_total\{route="put",status="200"\} (\d+)$/gm,
    )];
    assert.equal(
      Number(puts[0][1]),
      stats.puts,
      "one scrape counts every isolate",
    );
  } finally {
    const status = await server.stop("SIGTERM");
    assert.equal(status.code, 0);
  }
}

Deno.test("WORKERS=2: every acknowledged write is read back exactly on any connection", async () => {
  await check(2);
});

Deno.test("WORKERS=4: every acknowledged write is read back exactly on any connection", async () => {
  await check(4);
});

Deno.test("without --unstable-net, WORKERS=2 stops startup naming WORKERS; auto serves from one isolate", async () => {
  const args = START_ARGS.filter((arg) => arg !== "--unstable-net");
  const refused = await new Deno.Command(Deno.execPath(), {
    args,
    env: { WORKERS: "2", HOST: "127.0.0.1", PORT: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(refused.code, 1);
  assert.match(
    new TextDecoder().decode(refused.stderr),
    /Cannot start WORKERS=2: serving workers need --unstable-net/,
  );
  const server = await startServer({ args, env: { WORKERS: "auto" } });
  try {
    const stats = await (await fetch(`${server.url}/stats`)).json();
    assert.equal(stats.workers, 1);
  } finally {
    assert.equal((await server.stop("SIGTERM")).code, 0);
  }
});

Deno.test("WORKERS=2 refuses a port another process listens on, even with reusePort", async () => {
  // A listener like the workers' own: without the check, they would join it
  // and split the traffic between two caches.
  const other = Deno.listen({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: true,
  });
  const port = (other.addr as Deno.NetAddr).port;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: START_ARGS,
      env: {
        WORKERS: "2",
        HOST: "127.0.0.1",
        PORT: String(port),
        NO_COLOR: "1",
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // A server that started anyway is stopped, and fails the test.
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const output = await child.output();
    clearTimeout(timer);
    assert.equal(output.code, 1);
    assert.match(
      new TextDecoder().decode(output.stderr),
      new RegExp(`Cannot listen on 127.0.0.1:${port}: .*set PORT`),
    );
  } finally {
    other.close();
  }
});
