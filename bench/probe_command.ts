/**
 * Checking for the tools the harnesses need.
 *
 * @module
 */

/** Runs `cmd args` and returns its trimmed stdout+stderr, or undefined if it cannot run. */
export async function probe(
  cmd: string,
  args: string[],
): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    return out.success || text ? text.trim() : undefined;
  } catch {
    return undefined;
  }
}
