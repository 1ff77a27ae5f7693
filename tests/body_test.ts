import assert from "node:assert/strict";
import { BodyReader, JsonFailure } from "../server/body_reader.ts";
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

Deno.test("readText reads declared and chunked bodies as text; failures are objects", async () => {
  const reader = new BodyReader({ maxBytes: 20, timeoutMs: 40 });
  // A body whose text is a failure's name is still text.
  assert.equal(await reader.readText(post("too-large")), "too-large");
  assert.equal(
    await reader.readText(post("héllo", { "content-length": "6" })),
    "héllo",
  );
  const euro = new TextEncoder().encode("a€b");
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      // A character split across chunks, and an invalid byte: U+FFFD.
      controller.enqueue(euro.subarray(0, 2));
      controller.enqueue(euro.subarray(2));
      controller.enqueue(new Uint8Array([0xff]));
      controller.close();
    },
  });
  assert.equal(await reader.readText(post(chunked)), "a€b\ufffd");
  const declared = post("x".repeat(21), { "content-length": "21" });
  assert.deepEqual(await reader.readText(declared), { failure: "too-large" });
  assert.equal(declared.bodyUsed, false);
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(8).fill(0x61));
    },
  });
  assert.deepEqual(await reader.readText(post(endless)), {
    failure: "too-large",
  });
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('["get"'));
    },
  });
  assert.deepEqual(await reader.readText(post(stalled)), {
    failure: "timed-out",
  });
  const broken = new ReadableStream({
    pull(controller) {
      controller.error(new Error("connection reset"));
    },
  });
  assert.deepEqual(await reader.readText(post(broken)), {
    failure: "unreadable",
  });
  assert.equal(reader.active, 0);
  reader.close();
});

Deno.test("many reads at once: each gets its own body, slots are reused", async () => {
  const reader = new BodyReader({ maxBytes: 100, timeoutMs: 1000 });
  for (let round = 0; round < 3; round++) {
    const texts = Array.from({ length: 50 }, (_, i) => `body ${round}-${i}`);
    const results = await Promise.all(
      texts.map((t, i) =>
        i % 2 === 0 ? reader.readText(post(t)) : reader.read(post(t)).then(text)
      ),
    );
    assert.deepEqual(results, texts);
    assert.equal(reader.active, 0);
  }
  reader.close();
});

Deno.test("readJson parses declared and chunked bodies; failures are JsonFailures", async () => {
  const reader = new BodyReader({ maxBytes: 30, timeoutMs: 40 });
  const failure = (value: unknown) =>
    value instanceof JsonFailure ? value.failure : "a value";
  // A body shaped like a failure is still a value.
  const lookalike = await reader.readJson(post('{"failure":"too-large"}'));
  assert.deepEqual(lookalike, { failure: "too-large" });
  assert.equal(failure(lookalike), "a value");
  assert.deepEqual(
    await reader.readJson(post('["get","é"]', { "content-length": "12" })),
    ["get", "é"],
  );
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('["ge'));
      controller.enqueue(new TextEncoder().encode('t","k"]'));
      controller.close();
    },
  });
  assert.deepEqual(await reader.readJson(post(chunked)), ["get", "k"]);
  assert.equal(failure(await reader.readJson(post("not json"))), "not-json");
  assert.equal(failure(await reader.readJson(post(""))), "not-json");
  const notJsonChunked = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("[1,"));
      controller.close();
    },
  });
  assert.equal(
    failure(await reader.readJson(post(notJsonChunked))),
    "not-json",
  );
  const declared = post("[" + "1,".repeat(20) + "1]", {
    "content-length": "43",
  });
  assert.equal(failure(await reader.readJson(declared)), "too-large");
  assert.equal(declared.bodyUsed, false);
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(8).fill(0x20));
    },
  });
  assert.equal(failure(await reader.readJson(post(endless))), "too-large");
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('["get"'));
    },
  });
  assert.equal(failure(await reader.readJson(post(stalled))), "timed-out");
  const broken = new ReadableStream({
    pull(controller) {
      controller.error(new Error("connection reset"));
    },
  });
  assert.equal(failure(await reader.readJson(post(broken))), "unreadable");
  assert.equal(reader.active, 0);
  reader.close();
});
