/**
 * The interface every load generator of the harness implements (wrk in
 * `wrk.ts`, oha in `oha/`), and the shapes of a load and of its figures.
 *
 * `deno task bench` (`bench/run.ts`, `bench/measure.ts`) picks one generator
 * (`choose.ts`) and calls it the same way whichever it is: `prepare` with
 * the data set (writes the generator's input files), then for every fresh
 * server the prepared load's `runner()`, and that runner for the warm-up and
 * the measured load. The memory harness
 * (`bench/memory/`) drives wrk only, with its own Lua script (its key
 * schemes live in Lua), through the same wrk process runner (`startWrk`);
 * `bench:profile` calls wrk's `runWrk` directly.
 *
 * @module
 */

import type { Entry } from "../data.ts";

/** GET commands in each request of the "redis-pipeline" mode (kv.lua's too). */
export const PIPELINE_GETS = 16;

/** What kind of requests one load run sends. */
export interface LoadSpec {
  /**
   * "mix": GETs and PUTs of prefilled keys; "fill": PUTs of new keys;
   * "miss": GETs of absent keys; "redis-get": the Redis REST protocol's
   * `POST /` `["get",key]` of prefilled keys (base64, as `@upstash/redis`
   * sends it); "redis-pipeline": `POST /pipeline` of
   * {@linkcode PIPELINE_GETS} such GETs; "redis-set": `POST /`
   * `["set",key,value]` overwriting prefilled keys (wrk only).
   */
  mode:
    | "mix"
    | "fill"
    | "miss"
    | "redis-get"
    | "redis-pipeline"
    | "redis-set";
  /** Share of GETs in percent (mix mode only). */
  getPercent: number;
  /** Open connections. */
  connections: number;
  /** wrk threads (oha picks its own). */
  threads: number;
  /** Run length in seconds. */
  durationSeconds: number;
}

/** The figures one load run reports, whichever generator made it. */
export interface LoadResult {
  /** Measured run length, microseconds. */
  durationUs: number;
  /** Completed requests. */
  requests: number;
  /** Response bytes read. */
  bytes: number;
  /** Socket errors and HTTP statuses > 399 (`status`) as counted by the generator. */
  errors: {
    connect: number;
    read: number;
    write: number;
    status: number;
    timeout: number;
  };
  /** Latency statistics in microseconds; percentile keys are "50", "90", "99", "99.9". */
  latencyUs: {
    min: number;
    mean: number;
    max: number;
    stdev: number;
    percentiles: Record<string, number>;
  };
  /** Requests generated, by kind (may exceed completed requests by the in-flight ones). */
  sent: { get: number; put: number };
  /** CPU seconds (user + system) the generator itself used, from bash's `times`; NaN if unknown. */
  cpuSeconds: number;
}

/** Runs one load of `spec` against the server at `url` and returns its figures. */
export type LoadRunner = (spec: LoadSpec, url: string) => Promise<LoadResult>;

/** The data set the loads send, written into the generator's input files once. */
export interface LoadData {
  /** Prefilled entries: GET targets and PUT bodies of the mixes, values of the fills. */
  entries: Entry[];
  /** Keys never written (GET targets of `miss`). */
  missKeys: string[];
  /** Seconds of fill load per server (warm-up included), 0 when no fill runs. */
  fillSeconds: number;
  /** Names the input files, for data of its own (a workload's); the shared files when absent. */
  name?: string;
  /**
   * Each entry's PUT body as the mixes send it, in a client's spelling
   * (wrk only); `{"key":K,"value":V}` when absent.
   */
  putBodies?: string[];
}

/** The loads of one data set, its input files written. */
export interface PreparedLoad {
  /**
   * A runner for one fresh server: make one per server started, so that
   * state a generator keeps per server (oha counts the fill's picks from the
   * warm-up on) starts anew.
   */
  runner(): LoadRunner;
}

/** Names of the load generators. */
export type GeneratorName = "wrk" | "oha";

/** A load generator, chosen once per harness run. */
export interface LoadGenerator {
  /** "wrk" or "oha". */
  readonly name: GeneratorName;
  /** First line of its version output ("oha 1.x.y", "wrk 4.x.y [epoll] ..."). */
  readonly version: string;
  /** Why it was chosen, for the log and the results. */
  readonly reason: string;
  /** Writes the input files of `data`; the result runs loads that send it. */
  prepare(data: LoadData): Promise<PreparedLoad>;
}
