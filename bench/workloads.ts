/**
 * The load-test workloads: what each sends, whether it needs prefilled keys,
 * and the server environment it runs under.
 *
 * @module
 */

import type { LoadSpec } from "./load/generator.ts";

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
