// The server runs with least privilege, the same way everywhere: the task,
// the compiled binary and the container get only net, env, read of .env and
// of the modules serving workers load, and read and write of snapshots/
// (SNAPSHOT_FILE's directory: a snapshot is written to a temporary file
// there, renamed, and the directory synced); all of them allow the workers'
// reusePort (--unstable-net).
import assert from "node:assert/strict";
import { compileArgs, PERMISSION_FLAGS } from "../scripts/compile.ts";
import { START_ARGS } from "./support/server_process.ts";

const root = new URL("..", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));
const allowFlags = (args: string[]) =>
  args.filter((arg) => arg.startsWith("--allow-"));

Deno.test("task, binary, container and tests use the same permission flags", () => {
  const tasks = JSON.parse(read("deno.json")).tasks;
  const fromTask = allowFlags(tasks.start.split(/\s+/));
  assert.deepEqual(fromTask, [
    "--allow-net",
    "--allow-env",
    "--allow-read=.env,lib,routes,server,snapshots",
    "--allow-write=snapshots",
  ]);
  assert.deepEqual([...PERMISSION_FLAGS], fromTask);
  assert.deepEqual(allowFlags(START_ARGS), fromTask);
  // The default (last) stage runs main.ts; the binary stage has them baked in.
  const entrypoints = [
    ...read("Dockerfile").matchAll(/^ENTRYPOINT (\[.*\])$/gm),
  ];
  assert.ok(entrypoints.length > 0, "Dockerfile has an exec-form ENTRYPOINT");
  const server = JSON.parse(entrypoints.at(-1)![1]);
  assert.ok(server.includes("main.ts"));
  assert.deepEqual(allowFlags(server), fromTask);
  // The image keeps snapshots/ on a volume, owned by the server's user.
  assert.match(read("Dockerfile"), /^VOLUME \["\/app\/snapshots"\]$/m);
  // Serving workers share the port with reusePort, an unstable API.
  for (
    const args of [
      tasks.start.split(/\s+/),
      START_ARGS,
      server,
      compileArgs({ output: "x", heapMb: 64 }),
    ]
  ) {
    assert.ok(args.includes("--unstable-net"), args.join(" "));
  }
});

Deno.test("with those flags the process cannot read other files, write or run programs", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/.env`, "PORT=1\n");
    const secret = `${dir}/secret.txt`;
    Deno.writeTextFileSync(secret, "top secret");
    Deno.mkdirSync(`${dir}/snapshots`);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...allowFlags(START_ARGS),
        new URL("./support/permission_probe.ts", import.meta.url).pathname,
        secret,
        `${dir}/written.txt`,
        "snapshots",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), {
      readEnvFile: "allowed",
      readOtherFile: "NotCapable",
      readProc: "NotCapable",
      writeFile: "NotCapable",
      writeSnapshot: "allowed",
      readSnapshot: "allowed",
      renameOutOfSnapshots: "NotCapable",
      runProgram: "NotCapable",
      readEnvVariable: "allowed",
      ffi: "NotCapable",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
