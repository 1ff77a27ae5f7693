// Hostile and heavy traffic against the real server process.
import assert from "node:assert/strict";
import { startServer } from "./support/server_process.ts";

const encoder = new TextEncoder();

/** The server's resident set size, as it reports it in /metrics. */
async function residentBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(
    /^kvcache_process_resident_memory_bytes (\d+)$/m.exec(text)![1],
  );
}

/** Opens a raw TCP connection to the server. */
function connect(url: string): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  return Deno.connect({ hostname, port: Number(port) });
}

/**
 * Reads one HTTP response from `conn` (head and a Content-Length body), or
 * what arrived before the server closed the connection; returns its text.
 */
async function readResponse(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65_536);
  let length = 0;
  const text = () => new TextDecoder().decode(buffer.subarray(0, length));
  try {
    while (length < buffer.length) {
      const n = await conn.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
      const received = text();
      const headEnd = received.indexOf("\r\n\r\n");
      const declared = /content-length: (\d+)/i.exec(received);
      if (
        headEnd >= 0 && declared &&
        length >= headEnd + 4 + Number(declared[1])
      ) break;
    }
  } catch {
    // Reset by the server: what arrived before counts.
  }
  return text();
}

/** Writes `total` bytes of filler, stopping quietly when the peer closes. */
async function writeFiller(conn: Deno.Conn, total: number): Promise<number> {
  const chunk = new Uint8Array(1 << 16).fill(0x20);
  let sent = 0;
  try {
    while (sent < total) sent += await conn.write(chunk);
  } catch {
    // The server closed the connection: exactly what a refusal should do.
  }
  return sent;
}

Deno.test("a 100 MB body is refused with 413 without growing the process", async () => {
  const server = await startServer({});
  try {
    // Warm up so that the baseline includes the code paths used.
    await (await fetch(`${server.url}/put`, {
      method: "POST",
      body: '{"key":"a","value":"b"}',
    })).text();
    const before = await residentBytes(server.url);

    // Declared length: answered before the body is read.
    const declared = await connect(server.url);
    await declared.write(encoder.encode(
      "POST /put HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${100 * 1024 * 1024}\r\n\r\n`,
    ));
    const filling = writeFiller(declared, 100 * 1024 * 1024);
    const answer = await readResponse(declared);
    declared.close();
    await filling;
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /Request body is larger than 16384 bytes\./);

    // Chunked: read only until the limit is passed.
    const chunked = await connect(server.url);
    await chunked.write(encoder.encode(
      "POST /put HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ));
    const chunk = "x".repeat(60_000);
    const chunkFrame = encoder.encode(
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    const sending = (async () => {
      try {
        for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) {
          await chunked.write(chunkFrame);
        }
      } catch {
        // Closed by the server.
      }
    })();
    const chunkedAnswer = await readResponse(chunked);
    assert.match(chunkedAnswer, /^HTTP\/1\.1 413 /);
    chunked.close();
    await sending;

    const grown = await residentBytes(server.url) - before;
    assert.ok(grown < 8 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    // The server still serves.
    const health = await fetch(`${server.url}/health`);
    assert.equal(await health.text(), '{"status":"OK"}');
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

Deno.test("a body that never finishes gets 408; other clients are not held up", async () => {
  const server = await startServer({ env: { BODY_TIMEOUT_MS: "400" } });
  try {
    const slow = await connect(server.url);
    await slow.write(encoder.encode(
      'POST /put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"key":',
    ));
    const started = performance.now();
    const answer = readResponse(slow);
    // Meanwhile another client is served at once.
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${server.url}/get?key=absent`);
      assert.equal(response.status, 404);
      await response.text();
    }
    assert.ok(performance.now() - started < 400, "other clients waited");
    const text = await answer;
    const waited = performance.now() - started;
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /Request body did not arrive within 400 ms\./);
    assert.ok(waited >= 350 && waited < 3000, `answered after ${waited} ms`);
    slow.close();
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

Deno.test("2,000 concurrent keep-alive connections are all served", async () => {
  const server = await startServer({});
  const connections: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 2000; i++) connections.push(await connect(server.url));
    const request = (i: number) =>
      encoder.encode(
        `GET /get?key=k${i} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`,
      );
    // Two rounds on the same connections: the second proves keep-alive.
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(connections.map(async (conn, i) => {
        await conn.write(request(i));
        const buffer = new Uint8Array(4096);
        let text = "";
        while (!text.includes("Key not found.")) {
          const n = await conn.read(buffer);
          if (n === null) break;
          text += new TextDecoder().decode(buffer.subarray(0, n));
        }
        return text;
      }));
      const failed = answers.filter((a) => !a.startsWith("HTTP/1.1 404 "));
      assert.equal(failed.length, 0, `round ${round}: ${failed[0]}`);
    }
  } finally {
    for (const conn of connections) conn.close();
    assert.equal((await server.stop()).code, 0);
  }
});

/** Waits for the server to close `conn`; returns the ms waited, or Infinity. */
async function closedAfter(conn: Deno.Conn, limitMs: number): Promise<number> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), limitMs);
  try {
    while ((await conn.read(buffer)) !== null) { /* discard */ }
    return performance.now() - started;
  } catch {
    // Reset by the server also counts as closed, unless our timer fired.
    const waited = performance.now() - started;
    return waited >= limitMs ? Infinity : waited;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("silent, half-sent and idle connections are closed after IDLE_TIMEOUT_MS; busy ones are not", async () => {
  const server = await startServer({ env: { IDLE_TIMEOUT_MS: "500" } });
  try {
    const startup = server.logs.find((line) => "idleTimeoutMs" in line);
    assert.equal(startup?.idleTimeoutMs, 500);
    const silent = await connect(server.url);
    const partial = await connect(server.url);
    await partial.write(
      encoder.encode("GET /get?key=a HTTP/1.1\r\nHost: x\r\n"),
    );
    const idle = await connect(server.url);
    await idle.write(encoder.encode("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.match(await readResponse(idle), /^HTTP\/1\.1 200 /);
    // A body that takes longer than the idle timeout (but less than the body
    // timeout): its request is in progress, so the connection stays.
    const slowBody = await connect(server.url);
    const body = '{"key":"slow","value":"body"}';
    await slowBody.write(encoder.encode(
      `POST /put HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 10),
    ));
    const slowAnswer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 900));
      await slowBody.write(encoder.encode(body.slice(10)));
      return await readResponse(slowBody);
    })();
    // A client that sends a request every 150 ms keeps its connection.
    const busy = await connect(server.url);
    const busyRounds = (async () => {
      for (let i = 0; i < 10; i++) {
        await busy.write(encoder.encode(
          "GET /get?key=absent HTTP/1.1\r\nHost: x\r\n\r\n",
        ));
        assert.match(
          await readResponse(busy),
          /^HTTP\/1\.1 404 /,
          `round ${i}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();

    const [silentMs, partialMs, idleMs] = await Promise.all(
      [silent, partial, idle].map((conn) => closedAfter(conn, 5000)),
    );
    for (
      const [name, ms] of [["silent", silentMs], ["partial", partialMs], [
        "idle",
        idleMs,
      ]] as const
    ) {
      assert.ok(ms >= 400 && ms < 2000, `${name} closed after ${ms} ms`);
    }
    assert.match(await slowAnswer, /^HTTP\/1\.1 200 /);
    await busyRounds;
    busy.close();
    slowBody.close();
    assert.equal(
      (await (await fetch(`${server.url}/get?key=slow`)).json()).value,
      "body",
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const closed = /^kvcache_http_idle_connections_closed_total (\d+)$/m
      .exec(metrics);
    assert.ok(Number(closed?.[1]) >= 3, `idle closed: ${closed?.[1]}`);
    assert.match(metrics, /^kvcache_http_connections_open \d+$/m);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});
