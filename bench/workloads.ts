/**
 * The load-test workloads: what each sends, whether it needs prefilled keys,
 * and the server environment it runs under.
 *
 * @module
 */

import {
  type BodySpelling,
  type Entry,
  makeEntries,
  makeUnicodeEntries,
  spellPutBody,
} from "./data.ts";
import { type LoadSpec, PIPELINE_GETS } from "./load/generator.ts";

/** One workload of the load test. */
export interface Workload {
  /** Name used on the command line (`--only`) and in results. */
  name: string;
  /** One-line description for the report. */
  description: string;
  /** wrk mode and GET share. */
  load: Pick<LoadSpec, "mode" | "getPercent">;
  /** Whether the 10,000 keys are PUT before the run. */
  prefill: boolean;
  /** Extra server environment for this workload. */
  env: Record<string, string>;
  /** How the load's PUT bodies are spelled (default `compact`). */
  spelling?: BodySpelling;
  /** The keys' values: printable ASCII (default) or non-ASCII text. */
  data?: "ascii" | "unicode";
  /**
   * Redis commands in each request (the Redis REST workloads: 1, or 16 for
   * a pipeline); set only on those, which the naive server does not serve.
   */
  commandsPerRequest?: number;
  /**
   * The workload this one's server CPU per command is compared with, same
   * run (the Redis workloads: `get-hit`, the JSON API's GET of the same keys).
   */
  compareWith?: string;
}

/** All workloads, in run order. */
export const WORKLOADS: Workload[] = [
  {
    name: "mix",
    description: "50% GET / 50% PUT over 10,000 prefilled keys",
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
  },
  {
    name: "read-heavy",
    description: "90% GET / 10% PUT over 10,000 prefilled keys",
    load: { mode: "mix", getPercent: 90 },
    prefill: true,
    env: {},
  },
  {
    name: "fill",
    description: "PUT only, every key new",
    load: { mode: "fill", getPercent: 0 },
    prefill: false,
    env: {},
  },
  {
    name: "miss",
    description:
      "GET only, keys never written (NOT_FOUND_STATUS=200: misses are 2xx, counted from /stats)",
    load: { mode: "miss", getPercent: 100 },
    prefill: false,
    env: { NOT_FOUND_STATUS: "200" },
  },
  // The mix again, with the PUT bodies of other clients (see BodySpelling).
  {
    name: "mix-python",
    description:
      'mix, PUTs as Python\'s json.dumps: {"key": "k", "value": "v"}',
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
    spelling: "python",
  },
  {
    name: "mix-escaped",
    description: "mix, PUTs with JSON's escapes as \\u00XX and / as \\/",
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
    spelling: "escaped",
  },
  {
    name: "mix-unicode",
    description: "mix, non-ASCII values, PUTs as JSON.stringify (raw UTF-8)",
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
    data: "unicode",
  },
  {
    name: "mix-unicode-python",
    description: "mix, non-ASCII values, PUTs as json.dumps (\\uxxxx escapes)",
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
    spelling: "python",
    data: "unicode",
  },
  // The Redis REST protocol (issue 22) against the JSON API's GET of the
  // same prefilled keys; run them together: --only get-hit,redis-get,redis-pipeline16
  {
    name: "get-hit",
    description: "GET /get?key= only, hits of 10,000 prefilled keys",
    load: { mode: "mix", getPercent: 100 },
    prefill: true,
    env: {},
  },
  {
    name: "put-hit",
    description:
      "POST /put only, overwriting the same keys (the JSON API's POST with a body)",
    load: { mode: "mix", getPercent: 0 },
    prefill: true,
    env: {},
    compareWith: "get-hit",
  },
  {
    name: "redis-get",
    description:
      'POST / ["get",key] with the headers @upstash/redis sends (base64, sync token, telemetry), hits of the same keys',
    load: { mode: "redis-get", getPercent: 100 },
    prefill: true,
    env: {},
    commandsPerRequest: 1,
    compareWith: "get-hit",
  },
  {
    name: "redis-set",
    description:
      'POST / ["set",key,value] with the client\'s headers, overwriting the same keys',
    load: { mode: "redis-set", getPercent: 0 },
    prefill: true,
    env: {},
    commandsPerRequest: 1,
    compareWith: "put-hit",
  },
  {
    name: "redis-pipeline16",
    description:
      `POST /pipeline of ${PIPELINE_GETS} GETs with the client's headers, hits of the same keys`,
    load: { mode: "redis-pipeline", getPercent: 100 },
    prefill: true,
    env: {},
    commandsPerRequest: PIPELINE_GETS,
    compareWith: "get-hit",
  },
  {
    name: "mix-ttl",
    description: 'mix, PUTs with a ttl: {"key":"k","value":"v","ttl":3600}',
    load: { mode: "mix", getPercent: 50 },
    prefill: true,
    env: {},
    spelling: "ttl",
  },
];

/** Returns the workloads named in `names` (all when empty); throws on an unknown name. */
export function selectWorkloads(names: string[]): Workload[] {
  if (names.length === 0) return WORKLOADS;
  return names.map((n) => {
    const w = WORKLOADS.find((w) => w.name === n);
    if (!w) {
      throw new Error(
        `unknown workload "${n}" (known: ${
          WORKLOADS.map((w) => w.name).join(", ")
        })`,
      );
    }
    return w;
  });
}

/** Whether `workload` speaks the Redis REST protocol (the naive server does not). */
export function isRedis(workload: Workload): boolean {
  return workload.commandsPerRequest !== undefined;
}

/**
 * Whether only wrk can send `workload`'s load: spelled bodies, the Redis
 * REST requests, and GETs or PUTs only (oha's mix gives each side at least
 * one connection).
 */
export function needsWrk(workload: Workload): boolean {
  return isSpelled(workload) || isRedis(workload) ||
    (workload.load.mode === "mix" &&
      (workload.load.getPercent === 100 || workload.load.getPercent === 0));
}

/** Whether `workload` sends other data or bodies than the compact mix's. */
export function isSpelled(workload: Workload): boolean {
  return workload.spelling !== undefined || workload.data !== undefined;
}

/** The entries `workload` prefills and reads (built anew: keep the result). */
export function entriesFor(workload: Workload): Entry[] {
  return workload.data === "unicode" ? makeUnicodeEntries() : makeEntries();
}

/** Each entry's PUT body as `workload` spells it. */
export function putBodiesFor(workload: Workload, entries: Entry[]): string[] {
  const spelling = workload.spelling ?? "compact";
  return entries.map((e) => spellPutBody(e, spelling));
}
