/**
 * The launcher's keeper (scripts/keeper.ts) over small real processes (`sh`):
 * a child that dies is restarted after a pause, one that cannot start is
 * tried a few times and then given up on with its own last words, and a stop
 * ends the watch.
 */
import assert from "node:assert/strict";
import { Keeper, type RestartPolicy } from "../scripts/keeper.ts";
import { spawnServed } from "../scripts/served.ts";

const FAST: RestartPolicy = {
  delaysMs: [10, 30],
  maxFailedStarts: 3,
  stableMs: 60_000,
};

/** A child running `script` under sh, ready as soon as it runs. */
function shChild(script: string) {
  return spawnServed({
    what: "sh",
    command: "sh",
    args: ["-c", script],
    url: "http://unused.invalid",
    probe: () => Promise.resolve(undefined),
  });
}

/** A child that writes `words` on standard error and exits 1 at once. */
function failing(words: string) {
  return spawnServed({
    what: "sh",
    command: "sh",
    args: ["-c", `echo "${words}" >&2; exit 1`],
    url: "http://unused.invalid",
    // Never ready: it exits first, which is the reason given.
    probe: () => Promise.resolve("not yet"),
  });
}

Deno.test("a kept child that is killed is started again, and said so", async () => {
  const lines: { line: string; good: boolean }[] = [];
  const keeper = new Keeper(
    "worker",
    () => shChild("exec sleep 30"),
    (line, good) => lines.push({ line, good }),
    FAST,
  );
  const first = await keeper.begin();
  first.process.kill("SIGKILL");
  const deadline = Date.now() + 5_000;
  while (!lines.some((l) => l.good)) {
    assert.ok(Date.now() < deadline, JSON.stringify(lines));
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.match(
    lines[0].line,
    /^worker stopped \(killed by SIGKILL\); restarting it in 0 s\.$/,
  );
  assert.match(lines[1].line, /^worker serves again, [\d.]+ s after/);
  const second = keeper.current!;
  assert.notEqual(second.process.pid, first.process.pid);
  const status = await keeper.stop("SIGTERM");
  assert.equal(status?.signal, "SIGTERM");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(keeper.current, second, "not restarted after stop()");
});

Deno.test("a child that cannot start again is given up on with its last words", async () => {
  let starts = 0;
  const lines: string[] = [];
  const keeper = new Keeper(
    "node2 (127.0.0.1:1)",
    () =>
      starts++ === 0
        ? shChild("exit 0")
        : failing("kv-cache: Invalid snapshot file: truncated."),
    (line) => lines.push(line),
    FAST,
  );
  await keeper.begin();
  const reason = await keeper.gaveUp;
  assert.equal(
    reason,
    "node2 (127.0.0.1:1) could not be restarted after 3 tries: it exited (exit code 1): kv-cache: Invalid snapshot file: truncated",
  );
  assert.equal(starts, 4, "the first start and 3 tries");
  assert.deepEqual(lines, [
    "node2 (127.0.0.1:1) stopped (exit code 0); restarting it in 0 s.",
    "node2 (127.0.0.1:1) did not start: it exited (exit code 1): kv-cache: Invalid snapshot file: truncated; trying again in 0 s (try 2 of 3).",
    "node2 (127.0.0.1:1) did not start: it exited (exit code 1): kv-cache: Invalid snapshot file: truncated; trying again in 0 s (try 3 of 3).",
  ]);
  await keeper.stop();
});

Deno.test("a first start that fails is reported, not retried", async () => {
  let starts = 0;
  const keeper = new Keeper(
    "node1",
    () => {
      starts++;
      return failing("kv-cache: Cannot listen on 127.0.0.1:7172: taken.");
    },
    () => {},
    FAST,
  );
  await assert.rejects(
    keeper.begin(),
    {
      message:
        "node1 could not start: it exited (exit code 1): kv-cache: Cannot listen on 127.0.0.1:7172: taken.",
    },
  );
  assert.equal(starts, 1);
});

Deno.test("a precheck that fails counts as a failed start, without spawning", async () => {
  let starts = 0;
  const keeper = new Keeper(
    "HAProxy",
    () => {
      starts++;
      return shChild("exit 0");
    },
    () => {},
    FAST,
    () =>
      starts > 0
        ? "Port 7171 (HAProxy, on 0.0.0.0) is already in use."
        : undefined,
  );
  await keeper.begin();
  assert.equal(
    await keeper.gaveUp,
    "HAProxy could not be restarted after 3 tries: Port 7171 (HAProxy, on 0.0.0.0) is already in use",
  );
  assert.equal(starts, 1);
});
