import assert from "node:assert/strict";
import { shutDown } from "../server/shutdown.ts";
import { MapCache } from "../lib/map_cache.ts";
import { Sweeper } from "../lib/sweeper.ts";
import { SnapshotService } from "../lib/snapshot_service.ts";
import { createLogger, type LogLevel } from "../lib/logger.ts";

/** A logger that keeps its lines, and a record of the steps taken. */
function setup() {
  const lines: {
    level: LogLevel;
    msg: string;
    fields: Record<string, unknown>;
  }[] = [];
  const logger = createLogger("debug", (level, line) => {
    const { msg, ...fields } = JSON.parse(line);
    lines.push({ level, msg, fields });
  });
  const cache = new MapCache({ maxBytes: 1_000_000, defaultTtlSeconds: 0 });
  const sweeper = new Sweeper(cache, { intervalMs: 60_000 });
  sweeper.start();
  const steps: string[] = [];
  return { lines, logger, cache, sweeper, steps };
}

function snapshotsAt(
  path: string,
  cache: MapCache,
  logger: ReturnType<typeof createLogger>,
) {
  return new SnapshotService(cache, {
    path,
    intervalSeconds: 0,
    maxKeySize: 256,
    maxValueSize: 256,
    logger,
  });
}

Deno.test("shutDown drains, stops the sweeper, closes, writes the final snapshot and exits 0", async () => {
  const { lines, logger, cache, sweeper, steps } = setup();
  const dir = await Deno.makeTempDir();
  try {
    cache.set("k", "v");
    const code = await shutDown({
      logger,
      timeoutMs: 10_000,
      fields: { signal: "SIGTERM" },
      drain: async () => {
        steps.push("drain");
        await new Promise((resolve) => setTimeout(resolve, 5));
        steps.push("drained");
      },
      sweeper: {
        stop: async () => {
          steps.push("sweeper");
          await sweeper.stop();
        },
      },
      close: () => steps.push("close"),
      snapshots: snapshotsAt(`${dir}/kv.snapshot`, cache, logger),
    });
    assert.equal(code, 0);
    assert.deepEqual(steps, ["drain", "drained", "sweeper", "close"]);
    assert.ok((await Deno.stat(`${dir}/kv.snapshot`)).size > 0);
    const first = lines[0];
    assert.equal(first.msg, "shutting down");
    assert.deepEqual(first.fields.signal, "SIGTERM");
    assert.equal(first.fields.timeoutMs, 10_000);
    assert.equal(lines.at(-1)!.msg, "stopped");
    assert.ok(!lines.some((l) => l.level === "warn"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shutDown gives up on a drain past its timeout, says so, and still exits 0", async () => {
  const { lines, logger, sweeper, steps } = setup();
  const code = await shutDown({
    logger,
    timeoutMs: 5,
    drain: () => new Promise(() => {}),
    sweeper,
    close: () => steps.push("close"),
    snapshots: undefined,
  });
  assert.equal(code, 0);
  assert.deepEqual(steps, ["close"]);
  const warning = lines.find((l) => l.level === "warn");
  assert.equal(
    warning?.msg,
    "in-flight requests did not finish in time; exiting anyway",
  );
  assert.equal(warning?.fields.timeoutMs, 5);
});

Deno.test("shutDown exits 1 when the final snapshot cannot be written", async () => {
  const { lines, logger, cache, sweeper } = setup();
  const dir = await Deno.makeTempDir();
  try {
    const code = await shutDown({
      logger,
      timeoutMs: 1_000,
      drain: () => Promise.resolve(),
      sweeper,
      close: () => {},
      snapshots: snapshotsAt(`${dir}/missing/kv.snapshot`, cache, logger),
    });
    assert.equal(code, 1);
    assert.ok(lines.some((l) => l.level === "error"));
    assert.equal(lines.at(-1)!.msg, "stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
