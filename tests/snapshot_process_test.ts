// Snapshots with real server processes, run with the permissions of
// `deno task start` in a directory holding snapshots/.
import assert from "node:assert/strict";
import { MapCache } from "../lib/map_cache.ts";
import { loadSnapshot } from "../lib/snapshot_loader.ts";
import { temporaryPathFor } from "../lib/snapshot_writer.ts";
import { START_ARGS, startServer } from "./support/server_process.ts";

const FILE = "snapshots/kv.snapshot";

async function withWorkDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/snapshots`);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function put(url: string, key: string, value: string, ttl?: number) {
  const response = await fetch(`${url}/put`, {
    method: "POST",
    body: JSON.stringify({ key, value, ttl }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function get(url: string, key: string): Promise<string | undefined> {
  const response = await fetch(`${url}/get?key=${encodeURIComponent(key)}`);
  const body = await response.json();
  return response.status === 200 ? body.value : undefined;
}

/** Runs the server to completion (it is expected to refuse to start). */
async function runToExit(dir: string, env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: START_ARGS,
    cwd: dir,
    env: { HOST: "127.0.0.1", PORT: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

for (const store of ["arena", "map"]) {
  Deno.test(`${store}: SIGTERM writes the snapshot and the next start serves it`, () =>
    withWorkDir(async (dir) => {
      const env = { SNAPSHOT_FILE: FILE, CACHE_STORE: store };
      const first = await startServer({ cwd: dir, env });
      await put(first.url, "a", "1");
      await put(first.url, "b key", 'two "quoted" 😀');
      await put(first.url, "short-lived", "x", 1);
      await put(first.url, "a", "1 again");
      assert.equal((await first.stop("SIGTERM")).code, 0);
      const written = first.logs.find((line) =>
        line.msg === "snapshot written"
      );
      assert.equal(written?.entries, 3);
      assert.equal(written?.reason, "shutdown");

      await new Promise((resolve) => setTimeout(resolve, 1100)); // "short-lived" expires
      const second = await startServer({ cwd: dir, env });
      try {
        const loaded = await second.waitForLog("snapshot loaded");
        assert.equal(loaded.restored, 2);
        assert.equal(loaded.expired, 1);
        assert.equal(await get(second.url, "a"), "1 again");
        assert.equal(await get(second.url, "b key"), 'two "quoted" 😀');
        assert.equal(await get(second.url, "short-lived"), undefined);
      } finally {
        assert.equal((await second.stop("SIGINT")).code, 0);
      }
    }));
}

Deno.test("a broken snapshot stops startup with exit code 1, naming the file and the problem", () =>
  withWorkDir(async (dir) => {
    const server = await startServer({
      cwd: dir,
      env: { SNAPSHOT_FILE: FILE },
    });
    await put(server.url, "k", "v");
    assert.equal((await server.stop()).code, 0);
    const path = `${dir}/${FILE}`;
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 10] ^= 0x40;
    await Deno.writeFile(path, bytes);

    const run = await runToExit(dir, { SNAPSHOT_FILE: FILE });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^kv-cache: Snapshot file "snapshots\/kv.snapshot" is corrupt: .* fails its checksum\. .*move it away/m,
    );
    assert.doesNotMatch(run.stdout, /listening/);
    assert.deepEqual(await Deno.readFile(path), bytes, "left untouched");

    await Deno.writeTextFile(path, "hello");
    const foreign = await runToExit(dir, { SNAPSHOT_FILE: FILE });
    assert.equal(foreign.code, 1);
    assert.match(
      foreign.stderr,
      /"snapshots\/kv.snapshot" is not a kv-cache snapshot/,
    );
  }));

Deno.test("a snapshot outside the allowed directory, or in a missing one, stops startup naming SNAPSHOT_FILE", () =>
  withWorkDir(async (dir) => {
    const outside = await runToExit(dir, { SNAPSHOT_FILE: "kv.snapshot" });
    assert.equal(outside.code, 1);
    assert.match(
      outside.stderr,
      /Invalid SNAPSHOT_FILE "kv.snapshot": this process may not read its directory "\."/,
    );
    await Deno.remove(`${dir}/snapshots`);
    const missing = await runToExit(dir, { SNAPSHOT_FILE: FILE });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /Invalid SNAPSHOT_FILE "snapshots\/kv.snapshot": its directory "snapshots" does not exist/,
    );
    const interval = await runToExit(dir, { SNAPSHOT_INTERVAL_S: "5" });
    assert.equal(interval.code, 1);
    assert.match(
      interval.stderr,
      /SNAPSHOT_INTERVAL_S 5: it needs SNAPSHOT_FILE/,
    );
  }));

Deno.test("kill -9 during periodic writes always leaves a loadable snapshot", () =>
  withWorkDir(async (dir) => {
    const env = {
      SNAPSHOT_FILE: FILE,
      SNAPSHOT_INTERVAL_S: "1",
      MAX_VALUE_SIZE: "100000",
    };
    const path = `${dir}/${FILE}`;
    const temporary = temporaryPathFor(path);
    const value = "v".repeat(100_000);
    const entries = 400; // 40 MB: a write long enough to be caught in the act
    let server = await startServer({ cwd: dir, env });
    for (let i = 0; i < entries; i += 8) {
      await Promise.all(
        Array.from(
          { length: 8 },
          (_, j) => put(server.url, `k${i + j}`, value),
        ),
      );
    }
    await server.waitForLog("snapshot written");
    // Kill at different moments of a write (paced at 100 MB/s, one takes
    // about 400 ms here): as its temporary file appears, into the blocks,
    // about the sync and rename.
    for (const delayMs of [0, 5, 100, 250, 390, 420, 460]) {
      while (!(await exists(temporary))) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      const status = await server.stop("SIGKILL");
      assert.equal(status.signal, "SIGKILL");
      // The next write starts a fresh temporary file; the test waits for it.
      await Deno.remove(temporary).catch(() => {});

      const cache = new MapCache({ maxBytes: 1e9, defaultTtlSeconds: 0 });
      const report = await loadSnapshot(cache, path, {
        maxKeySize: 256,
        maxValueSize: 100_000,
      });
      assert.equal(report.restored, entries, `after a kill at +${delayMs} ms`);
      assert.equal(cache.get("k0"), value);
      // The next real process starts from it.
      server = await startServer({ cwd: dir, env });
      const loaded = await server.waitForLog("snapshot loaded");
      assert.equal(loaded.restored, entries);
    }
    assert.equal(await get(server.url, "k0"), value);
    assert.equal((await server.stop()).code, 0);
  }));

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("WORKERS=2: the supervisor loads and writes the shared store's snapshot", async () => {
  // Serving workers read their modules from the repository, so this server
  // runs there, with a file of its own in the repository's snapshots/.
  const root = new URL("../", import.meta.url).pathname;
  const created = !(await exists(`${root}snapshots`));
  await Deno.mkdir(`${root}snapshots`, { recursive: true });
  const file = `snapshots/test-${crypto.randomUUID()}.snapshot`;
  const env = { SNAPSHOT_FILE: file, WORKERS: "2" };
  try {
    const first = await startServer({ env });
    assert.equal(first.logs.at(-1)?.workers, 2);
    for (let i = 0; i < 50; i++) await put(first.url, `k${i}`, `v${i}`);
    assert.equal((await first.stop("SIGTERM")).code, 0);
    const written = first.logs.find((line) => line.msg === "snapshot written");
    assert.equal(written?.entries, 50);

    const second = await startServer({ env });
    try {
      assert.equal((await second.waitForLog("snapshot loaded")).restored, 50);
      for (let i = 0; i < 50; i += 7) {
        assert.equal(await get(second.url, `k${i}`), `v${i}`);
      }
    } finally {
      assert.equal((await second.stop("SIGTERM")).code, 0);
    }
  } finally {
    await Deno.remove(`${root}${file}`).catch(() => {});
    if (created) await Deno.remove(`${root}snapshots`).catch(() => {});
  }
});
