// The supervisor of serving workers: it drains them all on a shutdown signal
// (exit code 0), and a worker that dies, at startup or later, stops the
// process with exit code 1 and a message instead of leaving it half-working.
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config.ts";
import { createLogger, type LogLevel } from "../lib/logger.ts";
import { superviseWorkers } from "../server/supervisor.ts";

const DYING = new URL("./support/dying_worker.ts", import.meta.url);

function setup(env: Record<string, string> = {}) {
  const full = {
    HOST: "127.0.0.1",
    PORT: "0",
    MAX_CACHE_BYTES: "4000000",
    ...env,
  };
  const lines: { level: LogLevel; line: string }[] = [];
  const logger = createLogger("debug", (level, line) => {
    lines.push({ level, line });
  });
  return { config: parseConfig(full), env: full, logger, lines };
}

Deno.test("a worker that dies after startup stops the process with exit 1 and says why", async () => {
  const { config, env, logger, lines } = setup();
  let port = 0;
  const code = await superviseWorkers({
    config,
    env,
    workers: 2,
    logger,
    workerModule: DYING,
    onListen: (p) => port = p,
    shutdownSignal: new Promise(() => {}),
  });
  assert.equal(code, 1);
  assert.equal(port, 4321, "it was serving before the failure");
  const errors = lines.filter((l) => l.level === "error").map((l) => l.line);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /worker \d failed: .*a bug in the worker.*exiting/);
});

Deno.test("a worker that cannot start stops startup with exit 1", async () => {
  const { config, env, logger, lines } = setup({ PORT: "1" });
  let listened = false;
  const code = await superviseWorkers({
    config,
    env,
    workers: 2,
    logger,
    workerModule: DYING,
    onListen: () => listened = true,
    shutdownSignal: new Promise(() => {}),
  });
  assert.equal(code, 1);
  assert.equal(listened, false);
  assert.match(
    lines.find((l) => l.level === "error")!.line,
    /worker 0 failed: .*cannot start/,
  );
});

Deno.test("a shutdown signal drains every real worker and resolves with 0", async () => {
  const { config, env, logger, lines } = setup();
  let stop!: (signal: string) => void;
  const listening = Promise.withResolvers<number>();
  const done = superviseWorkers({
    config,
    env,
    workers: 2,
    logger,
    onListen: listening.resolve,
    shutdownSignal: new Promise((resolve) => stop = resolve),
  });
  const port = await listening.promise;
  // A write through one worker is read through a fresh connection.
  const put = await fetch(`http://127.0.0.1:${port}/put`, {
    method: "POST",
    body: JSON.stringify({ key: "k", value: "v" }),
  });
  assert.equal(put.status, 200);
  await put.body?.cancel();
  const client = Deno.createHttpClient({});
  const got = await fetch(`http://127.0.0.1:${port}/get?key=k`, { client });
  assert.deepEqual(await got.json(), { status: "OK", key: "k", value: "v" });
  client.close();
  stop("SIGTERM");
  assert.equal(await done, 0);
  assert.ok(lines.some((l) => /"msg":"stopped"/.test(l.line)));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
});
