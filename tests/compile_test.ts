import assert from "node:assert/strict";
import {
  compile,
  compileArgs,
  DEFAULT_HEAP_MB,
  DEFAULT_OUTPUT,
  ENTRY,
  parseArgs,
  PERMISSION_FLAGS,
} from "../scripts/compile.ts";
import { MAIN_TS, START_ARGS, startServer } from "./support/server_process.ts";

Deno.test("the binary gets the permissions of `deno task start` and a heap limit", () => {
  assert.equal(ENTRY, MAIN_TS);
  assert.deepEqual(
    [...PERMISSION_FLAGS],
    START_ARGS.filter((arg) => arg.startsWith("--allow-")),
  );
  const args = compileArgs({ output: "out/bin", heapMb: 3000 });
  assert.deepEqual(args, [
    "compile",
    "--allow-net",
    "--allow-env",
    "--allow-read=.env,lib,routes,server,snapshots",
    "--allow-write=snapshots",
    "--unstable-net",
    "--include",
    new URL("../server/worker.ts", import.meta.url).pathname,
    "--v8-flags=--max-old-space-size=3000",
    "--output",
    "out/bin",
    MAIN_TS,
  ]);
  // The worker module is the only file included: no .env is baked in.
  const included = args.filter((_, i) => args[i - 1] === "--include");
  assert.deepEqual(included.map((path) => path.split("/").at(-1)), [
    "worker.ts",
  ]);
});

Deno.test("compile options: defaults, overrides and sentence-case errors", () => {
  assert.deepEqual(parseArgs([]), {
    output: DEFAULT_OUTPUT,
    heapMb: DEFAULT_HEAP_MB,
  });
  assert.deepEqual(parseArgs(["--heap-mb=1024", "--output=/tmp/kv"]), {
    output: "/tmp/kv",
    heapMb: 1024,
  });
  assert.throws(() => parseArgs(["--heap-mb=lots"]), /^TypeError: Unknown or/);
  assert.throws(() => parseArgs(["--heap-mb=8"]), /below 64 MiB/);
  assert.throws(() => parseArgs(["--verbose"]), /expected --heap-mb=N/);
});

// Building the binary needs denort (from dl.deno.land or DENORT_BIN), so it is
// attempted once, here; the end-to-end test below is skipped, with deno
// compile's own reason, when denort cannot be had.
const dir = Deno.makeTempDirSync({ prefix: "kv-cache-compile-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
const binary = `${dir}/kv-cache`;
const build = await compile({ output: binary, heapMb: DEFAULT_HEAP_MB });
const skipReason = build.denortMissing
  ? (build.log.match(/error sending request[^\n]*/)?.[0] ??
    build.log.match(/Setting up base binary[^\n]*/)?.[0] ??
    "denort unavailable").slice(0, 240)
  : undefined;
if (skipReason) {
  console.warn(
    `compile_test: SKIPPING the binary end-to-end test: deno compile cannot ` +
      `get denort (${skipReason}). Set DENORT_BIN=/path/to/denort to run it.`,
  );
}

Deno.test({
  name: skipReason
    ? "compiled binary end to end: SKIPPED, deno compile cannot get denort " +
      "(set DENORT_BIN)"
    : `compiled binary end to end (built with DENORT_BIN=${
      Deno.env.get("DENORT_BIN") ?? "(downloaded)"
    }): PUT, GET, .env from the working directory, SIGTERM`,
  ignore: skipReason !== undefined,
  async fn() {
    assert.ok(build.success, `deno compile failed:\n${build.log}`);
    const { size } = Deno.statSync(binary);
    console.log(`binary size: ${(size / 2 ** 20).toFixed(1)} MiB`);
    const cwd = `${dir}/run`;
    Deno.mkdirSync(cwd);
    Deno.writeTextFileSync(`${cwd}/.env`, "NOT_FOUND_STATUS=200\n");
    const server = await startServer({ command: binary, args: [], cwd });
    try {
      const put = await fetch(`${server.url}/put`, {
        method: "POST",
        body: '{"key":"bin","value":"ary"}',
      });
      assert.equal(
        await put.text(),
        '{"status":"OK","message":"Key inserted/updated successfully."}',
      );
      const get = await fetch(`${server.url}/get?key=bin`);
      assert.equal(
        await get.text(),
        '{"status":"OK","key":"bin","value":"ary"}',
      );
      const miss = await fetch(`${server.url}/get?key=absent`);
      assert.equal(miss.status, 200, ".env in the working directory not read");
      await miss.body?.cancel();
    } finally {
      const status = await server.stop("SIGTERM");
      assert.equal(status.code, 0);
      assert.ok(server.logs.some((line) => line.msg === "stopped"));
    }
  },
});
