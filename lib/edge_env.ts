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
 * The binding `name` of `bindings` as text: a non-blank string as it is, a
 * number or boolean written out (wrangler passes `[vars]` written without
 * quotes as JSON values), anything else undefined.
 */
export function bindingText(
  bindings: unknown,
  name: string,
): string | undefined {
  if (typeof bindings !== "object" || bindings === null) return undefined;
  const value = (bindings as Record<string, unknown>)[name];
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/**
 * Keeps the configuration variables of `bindings` (see
 * {@linkcode bindingText}). Platforms pass other things in the same argument
 * (secrets, Durable Object namespaces, `deno serve`'s connection info,
 * Vercel's context), which are ignored.
 */
export function bindingsEnv(bindings: unknown): EdgeEnv {
  const env: EdgeEnv = {};
  for (const name of CONFIG_VARIABLES) {
    const value = bindingText(bindings, name);
    if (value !== undefined) env[name] = value;
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
