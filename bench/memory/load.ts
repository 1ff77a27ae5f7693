/**
 * Runs wrk with `wrk/memory.lua` through the harness's wrk runner
 * (`bench/load/wrk.ts`): a fill (PUTs of new keys, stopped with
 * SIGINT when the harness has seen enough) or a timed mixed GET/PUT load.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { LoadResult } from "../load/generator.ts";
import { startWrk, wrkBaseArgs } from "../load/wrk.ts";
import type { Shape } from "./shapes.ts";

/** Absolute path of the Lua script. */
export const MEMORY_LUA = fileURLToPath(
  new URL("./wrk/memory.lua", import.meta.url),
);

/** wrk figures plus the PUTs each thread sent (to know which keys exist). */
export interface MemoryLoadResult extends LoadResult {
  /** PUTs generated per wrk thread. */
  counters: number[];
}

/** What one wrk run sends. */
export interface MemoryLoadSpec {
  mode: "fill" | "mixed";
  shape: Shape;
  /** Path of the values file (`valuesFileText`). */
  valuesFile: string;
  /** First new key number for PUTs. */
  start: number;
  /** GETs draw key numbers from [0, filled) (mixed mode). */
  filled: number;
  /** Share of GETs in percent (mixed mode). */
  getPercent: number;
  /** TTL in seconds sent with every PUT; undefined: none (server default). */
  ttlSeconds?: number;
  connections: number;
  threads: number;
  /** Run length; a fill is usually stopped earlier by SIGINT. */
  durationSeconds: number;
}

/** Returns wrk's argument list for `spec` against `url`. */
export function memoryWrkArgs(spec: MemoryLoadSpec, url: string): string[] {
  return [
    ...wrkBaseArgs(spec, MEMORY_LUA, url),
    spec.valuesFile,
    spec.shape.keyScheme,
    spec.mode,
    String(spec.start),
    String(spec.filled),
    String(spec.getPercent),
    spec.ttlSeconds === undefined ? "" : String(spec.ttlSeconds),
    String(spec.threads),
  ];
}

/**
 * One past the highest key number a run wrote: thread `i` wrote
 * `start + i + k * threads` for `k < counters[i]`.
 */
export function nextKeyAfter(
  start: number,
  threads: number,
  counters: number[],
): number {
  let next = start;
  counters.forEach((c, i) => {
    if (c > 0) next = Math.max(next, start + i + (c - 1) * threads + 1);
  });
  return next;
}

/** A wrk process that can be stopped early. */
export interface RunningLoad {
  /** Resolves with wrk's figures when it exits (at its duration or after stop()). */
  result: Promise<MemoryLoadResult>;
  /** Asks wrk to stop now (SIGINT: it reports as if its duration had ended). */
  stop(): void;
}

/** Starts wrk (through `prefix`, e.g. `["taskset", "-c", "1"]`), untimed so that stop() reaches it. */
export function startLoad(
  spec: MemoryLoadSpec,
  url: string,
  prefix: string[] = [],
): RunningLoad {
  const wrk = startWrk(memoryWrkArgs(spec, url), { prefix });
  return {
    result: wrk.result as Promise<MemoryLoadResult>,
    stop: wrk.stop,
  };
}
