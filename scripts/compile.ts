/**
 * Builds the standalone binary: `deno compile` of main.ts with the permissions
 * of `deno task start` and a V8 heap limit baked in. Run by
 * `deno task compile`; `--heap-mb=N` and `--output=PATH` override the
 * defaults. The tests build with the same arguments.
 *
 * `deno compile` needs the `denort` runtime: it downloads it from dl.deno.land
 * unless `DENORT_BIN` names a local copy.
 *
 * @module
 */

/**
 * Permissions baked into the binary: the same as `deno task start`. Serving
 * workers (`WORKERS`) load their modules, hence the read of the source dirs.
 */
export const PERMISSION_FLAGS = [
  "--allow-net",
  "--allow-env",
  "--allow-read=.env,lib,routes,server,snapshots",
  "--allow-write=snapshots",
] as const;

/**
 * Other flags of `deno task start` the binary needs: `--unstable-net` for the
 * workers' `reusePort`, and the worker module, which is not in main.ts's
 * static import graph.
 */
export const RUNTIME_FLAGS = [
  "--unstable-net",
  "--include",
  new URL("../server/worker.ts", import.meta.url).pathname,
] as const;

/**
 * Default V8 old-space limit, in MiB: room for the default 1.5 GB cache
 * (about 1430 MiB of estimated entries) plus garbage and request buffers.
 */
export const DEFAULT_HEAP_MB = 2048;

/** Default output path, relative to the working directory. */
export const DEFAULT_OUTPUT = "dist/kv-cache";

/** Absolute path of the entry point compiled into the binary. */
export const ENTRY = new URL("../main.ts", import.meta.url).pathname;

/** What to build. */
export interface CompileOptions {
  /** Where to write the binary. */
  output: string;
  /** V8 `--max-old-space-size`, in MiB. */
  heapMb: number;
}

/** Outcome of {@linkcode compile}. */
export interface CompileResult {
  /** Whether the binary was written. */
  success: boolean;
  /** True when it failed because `denort` could not be had. */
  denortMissing: boolean;
  /** `deno compile`'s standard error (its progress and errors). */
  log: string;
}

/** Returns the `deno` arguments that build the binary. */
export function compileArgs(options: CompileOptions): string[] {
  return [
    "compile",
    ...PERMISSION_FLAGS,
    ...RUNTIME_FLAGS,
    `--v8-flags=--max-old-space-size=${options.heapMb}`,
    "--output",
    options.output,
    ENTRY,
  ];
}

/** Runs `deno compile` with {@linkcode compileArgs}. */
export async function compile(options: CompileOptions): Promise<CompileResult> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(options),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(result.stderr);
  return {
    success: result.success,
    denortMissing: !result.success && /Setting up base binary/.test(log),
    log,
  };
}

/**
 * Parses `--heap-mb=N` and `--output=PATH`.
 *
 * @throws {TypeError} on an unknown argument or an invalid heap size.
 */
export function parseArgs(args: string[]): CompileOptions {
  const options = { output: DEFAULT_OUTPUT, heapMb: DEFAULT_HEAP_MB };
  for (const arg of args) {
    const [name, value] = arg.split(/=(.*)/s);
    if (name === "--output" && value) options.output = value;
    else if (name === "--heap-mb" && /^\d+$/.test(value ?? "")) {
      options.heapMb = Number(value);
      if (options.heapMb < 64) {
        throw new TypeError(`Heap size ${value} MiB is below 64 MiB.`);
      }
    } else {
      throw new TypeError(
        `Unknown or invalid argument ${
          JSON.stringify(arg)
        }; expected --heap-mb=N or --output=PATH.`,
      );
    }
  }
  return options;
}

if (import.meta.main) {
  let options: CompileOptions;
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(`compile: ${(error as Error).message}`);
    Deno.exit(2);
  }
  const result = await compile(options);
  console.error(result.log.trimEnd());
  if (result.denortMissing) {
    const url = result.log.match(/https:\/\/dl\.deno\.land\/\S+?\.zip/)?.[0] ??
      `the denort zip of Deno ${Deno.version.deno} for this platform`;
    console.error(
      `compile: deno compile could not get the denort runtime. Download ${url} ` +
        "on a machine with internet access, unzip it here and run again " +
        "with DENORT_BIN=/path/to/denort.",
    );
  }
  if (result.success) {
    const { size } = await Deno.stat(options.output);
    console.error(
      `compile: wrote ${options.output} (${
        (size / 2 ** 20).toFixed(1)
      } MiB, heap limit ${options.heapMb} MiB)`,
    );
  }
  Deno.exit(result.success ? 0 : 1);
}
