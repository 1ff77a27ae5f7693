import assert from "node:assert/strict";
import { BodyReader } from "../server/body_reader.ts";
import { testApp } from "./support/app.ts";

function post(body: BodyInit, headers: HeadersInit = {}): Request {
  return new Request("http://localhost/put", { method: "POST", body, headers });
}

/** The text of a read's bytes, or its failure as it is. */
function text(result: Uint8Array | string): string {
  return typeof result === "string" ? result : new TextDecoder().decode(result);
}

Deno.test("reads bodies in one chunk or many", async () => {
  const reader = new BodyReader({ maxBytes: 100, timeoutMs: 0 });
  assert.equal(text(await reader.read(post("héllo"))), "héllo");
  const parts = ['{"key"', ':"€', '"}'].map((p) => new TextEncoder().encode(p));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      // Split a multi-byte character across chunks, too.
      controller.enqueue(parts[0]);
      controller.enqueue(parts[1].subarray(0, 3));
      controller.enqueue(parts[1].subarray(3));
      controller.enqueue(parts[2]);
      controller.close();
    },
  });
  assert.equal(text(await reader.read(post(stream))), '{"key":"€"}');
  assert.equal(reader.active, 0);
});

Deno.test("a declared length over the limit is refused without reading", async () => {
  const reader = new BodyReader({ maxBytes: 10, timeoutMs: 0 });
  const request = post("x".repeat(11), { "content-length": "11" });
  assert.equal(await reader.read(request), "too-large");
  assert.equal(request.bodyUsed, false);
});

Deno.test("a body that stops arriving times out and the reader is idle again", async () => {
  const reader = new BodyReader({ maxBytes: 100, timeoutMs: 40 });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"key":'));
    },
  });
  const idle = reader.whenIdle();
  assert.equal(await idle, undefined);
  const result = reader.read(post(stream));
  assert.equal(reader.active, 1);
  let drained = false;
  reader.whenIdle().then(() => (drained = true));
  assert.equal(await result, "timed-out");
  await Promise.resolve();
  assert.equal(drained, true);
  assert.equal(reader.active, 0);
});

Deno.test("a broken body stream is reported as unreadable", async () => {
  const reader = new BodyReader({ maxBytes: 100, timeoutMs: 0 });
  const stream = new ReadableStream({
    pull(controller) {
      controller.error(new Error("connection reset"));
    },
  });
  assert.equal(await reader.read(post(stream)), "unreadable");
});

Deno.test("PUT answers 408 when the body times out, and stores nothing", async () => {
  const { app, cache } = testApp({ bodyTimeoutMs: 30 });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"key":"k","value":'));
    },
  });
  const response = await app.request("/put", { method: "POST", body: stream });
  assert.equal(response.status, 408);
  assert.deepEqual(await response.json(), {
    status: "ERROR",
    message: "Request body did not arrive within 30 ms.",
  });
  assert.equal(response.headers.get("connection"), "close");
  assert.equal(cache.stats().puts, 0);
});

Deno.test("without a timeout, reads are still tracked for shutdown", async () => {
  const reader = new BodyReader({ maxBytes: 100, timeoutMs: 0 });
  let send!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => (send = c) });
  const result = reader.read(post(stream));
  assert.equal(reader.active, 1);
  let idle = false;
  reader.whenIdle().then(() => (idle = true));
  send.enqueue(new TextEncoder().encode("done"));
  send.close();
  assert.equal(text(await result), "done");
  await Promise.resolve();
  assert.equal(idle, true);
});
