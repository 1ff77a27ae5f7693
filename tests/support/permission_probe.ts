/**
 * Test support: run with the server's permission flags, tries what the server
 * must not be able to do and prints one JSON object saying what happened.
 *
 * @module
 */

function attempt(action: () => unknown): string {
  try {
    action();
    return "allowed";
  } catch (error) {
    return (error as Error).name;
  }
}

console.log(JSON.stringify({
  readEnvFile: attempt(() => Deno.readTextFileSync(".env")),
  readOtherFile: attempt(() => Deno.readTextFileSync(Deno.args[0])),
  readProc: attempt(() => Deno.readTextFileSync("/proc/self/status")),
  writeFile: attempt(() => Deno.writeTextFileSync(Deno.args[1], "x")),
  writeSnapshot: attempt(() =>
    Deno.writeTextFileSync(`${Deno.args[2]}/kv.snapshot.tmp`, "x")
  ),
  readSnapshot: attempt(() => {
    Deno.renameSync(
      `${Deno.args[2]}/kv.snapshot.tmp`,
      `${Deno.args[2]}/kv.snapshot`,
    );
    Deno.readTextFileSync(`${Deno.args[2]}/kv.snapshot`);
    Deno.openSync(Deno.args[2]).syncSync();
  }),
  renameOutOfSnapshots: attempt(() =>
    Deno.renameSync(`${Deno.args[2]}/kv.snapshot`, Deno.args[1])
  ),
  runProgram: attempt(() =>
    new Deno.Command("true", { stdout: "null" }).outputSync()
  ),
  readEnvVariable: attempt(() => Deno.env.get("PATH")),
  ffi: attempt(() => Deno.dlopen("libc.so.6", {})),
}));
