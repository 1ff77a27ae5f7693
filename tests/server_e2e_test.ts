import assert from "node:assert/strict";
import { MAIN_TS, START_ARGS, startServer } from "./support/server_process.ts";

Deno.test("the real server answers over HTTP and exits 0 on SIGTERM", async () => {
  const server = await startServer({});
  try {
    const put = await fetch(`${server.url}/put`, {
      method: "POST",
      body: JSON.stringify({ key: "e2e key", value: 'tab\there "quoted" 😀' }),
    });
    assert.equal(put.status, 200);
    assert.equal(
      await put.text(),
      '{"status":"OK","message":"Key inserted/updated successfully."}',
    );
    const get = await fetch(`${server.url}/get?key=e2e+key`);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("content-type"), "application/json");
    assert.equal(
      await get.text(),
      '{"status":"OK","key":"e2e key","value":"tab\\there \\"quoted\\" 😀"}',
    );
    const miss = await fetch(`${server.url}/get?key=absent`);
    assert.equal(miss.status, 404);
    assert.equal(
      await miss.text(),
      '{"status":"ERROR","message":"Key not found."}',
    );
  } finally {
    const status = await server.stop("SIGTERM");
    assert.equal(status.code, 0);
    assert.ok(server.logs.some((line) => line.msg === "stopped"));
  }
});

Deno.test("SIGTERM lets an in-flight request finish before exiting", async () => {
  const server = await startServer({});
  let send!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (send = c) });
  const encoder = new TextEncoder();
  send.enqueue(encoder.encode('{"key":"slow","va'));
  const response = fetch(`${server.url}/put`, { method: "POST", body });
  // Let the request reach the server before the signal.
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.process.kill("SIGTERM");
  await server.waitForLog("shutting down");
  send.enqueue(encoder.encode('lue":"v"}'));
  send.close();
  const answer = await response;
  assert.equal(answer.status, 200);
  assert.equal(
    await answer.text(),
    '{"status":"OK","message":"Key inserted/updated successfully."}',
  );
  const status = await server.stop();
  assert.equal(status.code, 0);
});

Deno.test(".env in the working directory is read; the environment wins over it", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(
      `${dir}/.env`,
      "MAX_KEY_SIZE=4\nNOT_FOUND_STATUS=200\n",
    );
    const server = await startServer({
      cwd: dir,
      env: { NOT_FOUND_STATUS: "404" },
    });
    try {
      const tooLong = await fetch(`${server.url}/get?key=12345`);
      assert.equal(tooLong.status, 400);
      assert.equal(
        (await tooLong.json()).message,
        'Query parameter "key" is 5 characters long; the maximum is 4.',
      );
      const miss = await fetch(`${server.url}/get?key=1234`);
      assert.equal(miss.status, 404);
      await miss.body?.cancel();
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an invalid variable stops startup with exit 1 and names it", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: START_ARGS,
    env: { PORT: "0", MAX_CACHE_BYTES: "lots", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  assert.equal(
    new TextDecoder().decode(output.stderr).trim(),
    'kv-cache: Invalid MAX_CACHE_BYTES "lots": expected a whole number from 1310720 to 9007199254740991.',
  );
  assert.equal(output.stdout.length, 0);
  assert.ok(MAIN_TS.endsWith("main.ts"));
});
