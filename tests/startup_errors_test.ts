/**
 * Issue 21: whatever stops the single server at start-up is one sentence on
 * standard error naming the variable and what to do, exit code 1, no stack
 * trace, on every `WORKERS` setting (one serving isolate, or the supervisor
 * of several): a taken port, a port without the privilege, a bad `HOST`. And
 * `EXIT_ON_STDIN_EOF=1`, with which `deno task cluster` ties its nodes to it:
 * the end of standard input shuts the server down gracefully.
 */
import assert from "node:assert/strict";
import { ROOT } from "../scripts/start_flags.ts";
import { describeListenError, listenProblem } from "../server/listen_error.ts";
import { parseExitOnStdinEof } from "../server/stop_request.ts";
import { freePort, START_ARGS } from "./support/server_process.ts";
import { readLines } from "./support/lines.ts";

/** Runs `deno task start` with `env`; its exit code, both outputs, time. */
async function start(env: Record<string, string>) {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: { NO_COLOR: "1", HOST: "127.0.0.1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A server that started anyway is stopped, and fails the test.
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const output = await child.output();
  clearTimeout(timer);
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    ms: performance.now() - started,
    stdout: text(output.stdout),
    // What the server said: all but deno task's own "Task start ..." line.
    said: text(output.stderr).split("\n")
      .filter((line) => line !== "" && !line.startsWith("Task start ")),
  };
}

for (const workers of ["1", "auto", "2"]) {
  Deno.test(`WORKERS=${workers}: a taken port is one line naming PORT, exit 1, no stack trace`, async () => {
    const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (holder.addr as Deno.NetAddr).port;
    try {
      const result = await start({ WORKERS: workers, PORT: String(port) });
      assert.equal(result.code, 1);
      assert.deepEqual(result.said, [
        `kv-cache: Cannot listen on 127.0.0.1:${port}: port ${port} is already in use. Stop what holds it or set PORT to a free port.`,
      ]);
      assert.equal(result.stdout, "");
      assert.ok(result.ms < 10_000, `took ${result.ms} ms`);
    } finally {
      holder.close();
    }
  });

  Deno.test(`WORKERS=${workers}: a HOST that is not this machine's, or does not resolve, is one line naming HOST`, async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
    const foreign = await start({
      WORKERS: workers,
      HOST: "192.0.2.1",
      PORT: String(freePort()),
    });
    assert.equal(foreign.code, 1);
    assert.equal(foreign.said.length, 1, foreign.said.join("\n"));
    assert.match(
      foreign.said[0],
      /^kv-cache: Cannot listen on 192\.0\.2\.1:\d+: HOST 192\.0\.2\.1 is not an address of this machine\. Set HOST to /,
    );
    // .invalid never resolves (RFC 2606).
    const unknown = await start({
      WORKERS: workers,
      HOST: "kv-cache.invalid",
      PORT: "0",
    });
    assert.equal(unknown.code, 1);
    assert.deepEqual(unknown.said, [
      'kv-cache: Cannot listen on kv-cache.invalid:0: HOST "kv-cache.invalid" does not resolve to an address. Set HOST to an address of this machine, 0.0.0.0 (every interface) or 127.0.0.1 (this machine only).',
    ]);
  });
}

const PRIVILEGED =
  "Cannot listen on 0.0.0.0:80: ports below 1024 need a privilege this process does not have. Set PORT to 1024 or above, or grant the privilege (CAP_NET_BIND_SERVICE).";

/** Whether this runs as root (who may bind any port): `id -u` is 0. */
async function isRoot(): Promise<boolean> {
  const output = await new Deno.Command("id", { args: ["-u"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout).trim() === "0";
}
/** Whether a user other than root is refused ports below 1024 here. */
async function privilegedPortsGuarded(): Promise<boolean> {
  const output = await new Deno.Command("cat", {
    args: ["/proc/sys/net/ipv4/ip_unprivileged_port_start"],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  const start = Number(new TextDecoder().decode(output?.stdout).trim());
  return !output?.success || start > 80;
}

Deno.test("a port below 1024 without the privilege is one line naming PORT", async (t) => {
  if (!(await privilegedPortsGuarded())) {
    await t.step({
      name: "(ignored: this kernel lets anyone bind ports below 1024)",
      ignore: true,
      fn: () => {},
    });
    return;
  }
  if (!(await isRoot())) {
    const result = await start({ WORKERS: "1", HOST: "0.0.0.0", PORT: "80" });
    assert.equal(result.code, 1);
    assert.deepEqual(result.said, [`kv-cache: ${PRIVILEGED}`]);
    return;
  }
  // Root may bind port 80: the real refusal is had as user nobody
  // (setpriv, util-linux), which reads the module that words it.
  const module = new URL("../server/listen_error.ts", import.meta.url).href;
  const denoDir = await Deno.makeTempDir({ prefix: "kv-cache-nobody-" });
  await Deno.chmod(denoDir, 0o777);
  const output = await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "eval",
      `import { listenProblem } from ${JSON.stringify(module)};
       console.log(listenProblem("0.0.0.0", 80));`,
    ],
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => undefined)
    .finally(() => Deno.remove(denoDir, { recursive: true }));
  if (!output) {
    await t.step({
      name: "(ignored: setpriv is not installed; util-linux)",
      ignore: true,
      fn: () => {},
    });
    return;
  }
  assert.equal(
    new TextDecoder().decode(output.stdout).trim(),
    PRIVILEGED,
    new TextDecoder().decode(output.stderr),
  );
});

Deno.test("the sentences: each listen error names the variable to change", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    assert.equal(
      listenProblem("127.0.0.1", port),
      `Cannot listen on 127.0.0.1:${port}: port ${port} is already in use. Stop what holds it or set PORT to a free port.`,
    );
  } finally {
    taken.close();
  }
  assert.equal(listenProblem("127.0.0.1", port), undefined);
  assert.equal(listenProblem("127.0.0.1", 0), undefined);
  assert.match(
    describeListenError(new Deno.errors.NotCapable("no"), "::1", 7171),
    /^Cannot listen on \[::1\]:7171: .*--allow-net/,
  );
  assert.equal(
    describeListenError(new Error("Something odd."), "h", 1),
    "Cannot listen on h:1: Something odd. Check HOST and PORT.",
  );
});

Deno.test("EXIT_ON_STDIN_EOF takes 1 or 0, and names itself otherwise", async () => {
  assert.equal(parseExitOnStdinEof({}), false);
  assert.equal(parseExitOnStdinEof({ EXIT_ON_STDIN_EOF: "0" }), false);
  assert.equal(parseExitOnStdinEof({ EXIT_ON_STDIN_EOF: " 1 " }), true);
  assert.throws(
    () => parseExitOnStdinEof({ EXIT_ON_STDIN_EOF: "yes" }),
    {
      message:
        'Invalid EXIT_ON_STDIN_EOF "yes": expected 1 (shut down when standard input closes) or 0.',
    },
  );
  const result = await start({ EXIT_ON_STDIN_EOF: "yes", PORT: "0" });
  assert.equal(result.code, 1);
  assert.deepEqual(result.said, [
    'kv-cache: Invalid EXIT_ON_STDIN_EOF "yes": expected 1 (shut down when standard input closes) or 0.',
  ]);
});

for (const workers of ["1", "2"]) {
  Deno.test(`WORKERS=${workers}, EXIT_ON_STDIN_EOF=1: the end of standard input shuts down gracefully, exit 0`, async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: START_ARGS,
      cwd: ROOT,
      env: {
        NO_COLOR: "1",
        HOST: "127.0.0.1",
        PORT: "0",
        WORKERS: workers,
        EXIT_ON_STDIN_EOF: "1",
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const logs: Record<string, unknown>[] = [];
    const lines = readLines(child.stdout);
    // Not `for await … break`: that would close the stream for the rest.
    while (!String(logs.at(-1)?.msg).startsWith("kv-cache listening")) {
      const next = await lines.next();
      assert.ok(!next.done, "it exited before listening");
      logs.push(JSON.parse(next.value));
    }
    const port = logs.at(-1)!.port;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    await child.stdin.close();
    for await (const line of lines) logs.push(JSON.parse(line));
    const status = await child.status;
    assert.equal(status.code, 0);
    const stopping = logs.find((l) => l.msg === "shutting down");
    assert.equal(stopping?.signal, "stdin closed");
    assert.equal(logs.at(-1)!.msg, "stopped");
  });
}
