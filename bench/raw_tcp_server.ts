/**
 * An experiment, not a server to run: {@linkcode MinimalKv}, as
 * `bench/minimal_server.ts` serves it, over `Deno.listen` and a hand-written
 * HTTP/1.1 reader instead of `Deno.serve`. It reads `Content-Length` bodies only (no chunked bodies, no
 * `Expect`, no limits, no pipelining checks beyond what the load test sends)
 * and builds no `Request` or `Response` objects.
 *
 * It answers how much of a request's CPU is `Deno.serve`'s stack (hyper,
 * the request and response objects, the ops between them) rather than the
 * kernel's sockets: measured as `--entry` in the same rounds as the naive
 * server and the floor (`deno task bench --entry bench/raw_tcp_server.ts`).
 *
 * Same contract as main.ts for the harness: env `PORT`, `HOST`,
 * `NOT_FOUND_STATUS`; `/health`; `/stats` counts misses; the exact bodies.
 *
 * @module
 */

import { MinimalKv } from "./minimal_kv.ts";

const port = Number(Deno.env.get("PORT") ?? "8080");
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const kv = new MinimalKv(
  Deno.env.get("NOT_FOUND_STATUS") === "200" ? 200 : 404,
);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
};

/** The bytes of the response to one request: its body encoded once. */
function handle(method: string, target: string, body: string): Uint8Array {
  const { status, body: answer } = kv.answer(method, target, body);
  const bytes = encoder.encode(answer);
  const head = encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
      `content-type: application/json\r\n` +
      `content-length: ${bytes.length}\r\n\r\n`,
  );
  const response = new Uint8Array(head.length + bytes.length);
  response.set(head);
  response.set(bytes, head.length);
  return response;
}

const HEAD_END = [13, 10, 13, 10];

function headEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (
      buffer[i] === HEAD_END[0] && buffer[i + 1] === HEAD_END[1] &&
      buffer[i + 2] === HEAD_END[2] && buffer[i + 3] === HEAD_END[3]
    ) return i + 4;
  }
  return -1;
}

async function serveConnection(conn: Deno.Conn): Promise<void> {
  let buffer = new Uint8Array(16384);
  let filled = 0;
  try {
    while (true) {
      const read = await conn.read(buffer.subarray(filled));
      if (read === null) return;
      filled += read;
      let start = 0;
      const out: Uint8Array[] = [];
      while (true) {
        const end = headEnd(buffer, start, filled);
        if (end < 0) break;
        const head = decoder.decode(buffer.subarray(start, end));
        const lineEnd = head.indexOf("\r\n");
        const [method, target] = head.slice(0, lineEnd).split(" ");
        const lengthAt = head.toLowerCase().indexOf("content-length:");
        const length = lengthAt < 0
          ? 0
          : parseInt(head.slice(lengthAt + 15, head.indexOf("\r", lengthAt)));
        if (end + length > filled) break;
        const body = decoder.decode(buffer.subarray(end, end + length));
        out.push(handle(method, target, body));
        start = end + length;
      }
      buffer.copyWithin(0, start, filled);
      filled -= start;
      if (filled === buffer.length) {
        const larger = new Uint8Array(buffer.length * 2);
        larger.set(buffer);
        buffer = larger;
      }
      for (const bytes of out) {
        let written = 0;
        while (written < bytes.length) {
          written += await conn.write(bytes.subarray(written));
        }
      }
    }
  } catch {
    // A reset connection ends here.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const listener = Deno.listen({ hostname, port });
console.log(
  `raw tcp server listening on http://${hostname}:${
    (listener.addr as Deno.NetAddr).port
  }`,
);
for await (const conn of listener) {
  conn.setNoDelay(true);
  serveConnection(conn);
}
