/**
 * Where edge runtimes keep configuration: Cloudflare Workers pass it as
 * bindings, the second argument of `fetch`; Node, Bun, Deno and Vercel's edge
 * runtime keep it in `process.env`. Only the variables named in
 * {@linkcode CONFIG_VARIABLES} are read, one by one, so that Deno can be
 * given `--allow-env` for just those.
 *
 * @module
 */

import { CONFIG_VARIABLES } from "./config.ts";

/** Configuration variables by name, as strings. */
export type EdgeEnv = Record<string, string>;

/**
 * Keeps the configuration variables of `bindings` that are non-blank strings.
 * Platforms pass other things in the same argument (secrets, Durable Object
 * namespaces, `deno serve`'s connection info, Vercel's context), which are
 * ignored.
 */
export function bindingsEnv(bindings: unknown): EdgeEnv {
  const env: EdgeEnv = {};
  if (typeof bindings !== "object" || bindings === null) return env;
  for (const name of CONFIG_VARIABLES) {
    const value = (bindings as Record<string, unknown>)[name];
    if (typeof value === "string" && value.trim() !== "") env[name] = value;
  }
  return env;
}

/** The part of Node's `process` read here; absent on Cloudflare Workers. */
interface ProcessLike {
  env?: Record<string, string | undefined>;
}

let warnedUnreadable = false;

/**
 * The configuration variables set in `process.env`, or none where there is
 * no `process` (Cloudflare Workers without `nodejs_compat`). Where reading is
 * refused (Deno without `--allow-env`), warns once and returns none, so that
 * the defaults apply.
 */
export function processEnv(): EdgeEnv {
  const process = (globalThis as { process?: ProcessLike }).process;
  if (process?.env === undefined) return {};
  try {
    return bindingsEnv(
      Object.fromEntries(
        CONFIG_VARIABLES.map((name) => [name, process.env![name]]),
      ),
    );
  } catch (error) {
    if (!warnedUnreadable) {
      warnedUnreadable = true;
      console.warn(
        `kv-cache: the environment cannot be read (${error}); using the defaults. Under Deno, allow it with --allow-env.`,
      );
    }
    return {};
  }
}

/**
 * The configuration for a request: the variables in `bindings` (Workers)
 * over those of the process environment (everywhere else).
 */
export function edgeEnv(bindings: unknown): EdgeEnv {
  return { ...processEnv(), ...bindingsEnv(bindings) };
}
