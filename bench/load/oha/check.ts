/**
 * Whether the oha on PATH can drive the workloads: asks it (`--version`,
 * `--help`) instead of comparing version numbers, since hatoo/oha's
 * changelog does not record when `-Z`, `--urls-from-file` and
 * `--output-format` came (see bench/README.md, "Load generator").
 *
 * @module
 */

import { probe } from "../../probe_command.ts";

/** Flags of oha the harness passes; an oha whose `--help` lacks one is refused. */
export const OHA_REQUIRED_FLAGS = [
  "--no-tui",
  "-z",
  "-c",
  "-t",
  "-m",
  "-T",
  "-Z",
  "--urls-from-file",
  "--disable-compression",
] as const;

/** Whether an oha can be used, and how to ask it for JSON. */
export interface OhaCheck {
  /** True when every required flag and a JSON output flag are there. */
  ok: boolean;
  /** "oha X.Y.Z" as printed by `oha --version`, if it printed that. */
  version?: string;
  /** Why it can or cannot be used, for the log. */
  reason: string;
  /** Arguments selecting JSON output (empty when not ok). */
  jsonArgs: string[];
}

/** Returns "oha X.Y.Z" from `oha --version` output, or undefined. */
export function parseOhaVersion(text: string): string | undefined {
  return text.match(/^oha (\d+\.\d+\.\d+\S*)/m)?.[0];
}

/** Whether `help` (oha's `--help`) lists `flag` as an option. */
export function helpHasFlag(help: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`(^|[\\s,])${escaped}(?=[\\s,=<]|$)`, "m").test(help);
}

/** The arguments asking `help`'s oha for JSON, or undefined if it has none. */
export function ohaJsonArgs(help: string): string[] | undefined {
  if (helpHasFlag(help, "--output-format") && /\bjson\b/.test(help)) {
    return ["--output-format", "json"];
  }
  if (helpHasFlag(help, "--json")) return ["-j"];
  return undefined;
}

/**
 * Decides from `oha --version` and `oha --help` output (undefined when the
 * command could not run) whether this oha can drive the workloads.
 */
export function checkOha(
  versionText: string | undefined,
  helpText: string | undefined,
): OhaCheck {
  const refuse = (reason: string, version?: string): OhaCheck => ({
    ok: false,
    version,
    reason,
    jsonArgs: [],
  });
  if (versionText === undefined) return refuse("oha is not on PATH");
  const version = parseOhaVersion(versionText);
  if (!version) {
    return refuse(
      `"oha --version" printed ${
        JSON.stringify(versionText.slice(0, 80))
      }, not "oha X.Y.Z" (another program named oha?)`,
    );
  }
  const help = helpText ?? "";
  const missing = OHA_REQUIRED_FLAGS.filter((f) => !helpHasFlag(help, f));
  if (missing.length) {
    return refuse(
      `${version} is too old: its --help lacks ${missing.join(", ")} ` +
        "(-Z and --urls-from-file are needed for per-request keys and bodies)",
      version,
    );
  }
  const jsonArgs = ohaJsonArgs(help);
  if (!jsonArgs) {
    return refuse(
      `${version} has neither --output-format json nor -j/--json`,
      version,
    );
  }
  return {
    ok: true,
    version,
    reason: `${version} has -Z, --urls-from-file and ${jsonArgs.join(" ")}`,
    jsonArgs,
  };
}

/** Probes the oha on PATH (`env` may set PATH) with `--version` and `--help`. */
export async function probeOha(
  env?: Record<string, string>,
): Promise<OhaCheck> {
  const version = await probe("oha", ["--version"], env);
  const help = version === undefined
    ? undefined
    : await probe("oha", ["--help"], env);
  return checkOha(version, help);
}
