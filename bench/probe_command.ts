/**
 * Running the tools the harnesses need: checking that one is there, and
 * running one to completion.
 *
 * @module
 */

const decoder = new TextDecoder();

/**
 * Runs `cmd args` (with `env` added, if given) and returns its trimmed
 * stdout+stderr, or undefined if it cannot run.
 */
export async function probe(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    return out.success || text ? text.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `argv` to completion and returns its stdout; throws with its exit
 * code, stderr and stdout, named after `tool`, if it fails.
 */
export async function runToCompletion(
  tool: string,
  argv: string[],
  env?: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = decoder.decode(out.stdout);
  if (!out.success) {
    const stderr = decoder.decode(out.stderr);
    throw new Error(`${tool} failed (exit ${out.code}): ${stderr}\n${stdout}`);
  }
  return stdout;
}
