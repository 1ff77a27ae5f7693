/**
 * oha's argument lists: one process for `miss` and `fill`, a GET and a PUT
 * process sharing the connections for the mixes.
 *
 * @module
 */

import type { LoadSpec } from "../generator.ts";

/** One oha process of a run. */
export interface OhaProcess {
  /** What it sends: GETs or PUTs. */
  kind: "get" | "put";
  /** Its connections. */
  connections: number;
  /** Its arguments (after `oha`). */
  args: string[];
}

/** Files a run's processes read. */
export interface OhaFiles {
  /** `--urls-from-file` file of GETs of the prefilled keys. */
  getUrls: string;
  /** `--urls-from-file` file of GETs of the miss keys. */
  missUrls: string;
  /** `-Z` file of the mixes' PUT bodies. */
  putBodies: string;
  /** `-Z` file of fill bodies. */
  fillBodies: string;
}

/**
 * Splits `connections` between the GET and the PUT process of a mix in the
 * workload's GET share, at least one each; throws below two connections.
 */
export function splitConnections(
  connections: number,
  getPercent: number,
): { get: number; put: number } {
  if (!Number.isInteger(connections) || connections < 2) {
    throw new Error(
      `oha mixes run one GET and one PUT process, so they need --connections >= 2, got ${connections}`,
    );
  }
  const get = Math.min(
    connections - 1,
    Math.max(1, Math.round(connections * getPercent / 100)),
  );
  return { get, put: connections - get };
}

/** Options every oha process gets: no TUI, JSON, duration, connections, 5 s timeout. */
export function ohaCommonArgs(
  durationSeconds: number,
  connections: number,
  jsonArgs: string[],
): string[] {
  return [
    "--no-tui",
    ...jsonArgs,
    "-z",
    `${durationSeconds}s`,
    "-c",
    String(connections),
    "-t",
    "5s",
    "--disable-compression",
  ];
}

/** Arguments of a process GETting random URLs of `urlFile`. */
function getArgs(common: string[], urlFile: string): string[] {
  return [...common, "--urls-from-file", urlFile];
}

/** Arguments of a process PUTting random lines of `bodyFile` to `url`/put. */
function putArgs(common: string[], bodyFile: string, url: string): string[] {
  return [
    ...common,
    "-m",
    "POST",
    "-T",
    "application/json",
    "-Z",
    bodyFile,
    `${url}/put`,
  ];
}

/** The oha processes that run `spec` against the server at `url`. */
export function ohaProcesses(
  spec: LoadSpec,
  url: string,
  files: OhaFiles,
  jsonArgs: string[],
): OhaProcess[] {
  const common = (c: number) =>
    ohaCommonArgs(spec.durationSeconds, c, jsonArgs);
  const c = spec.connections;
  switch (spec.mode) {
    case "miss":
      return [{
        kind: "get",
        connections: c,
        args: getArgs(common(c), files.missUrls),
      }];
    case "fill":
      if (!files.fillBodies) {
        throw new Error("fill with oha needs fill bodies (fillLines > 0)");
      }
      return [{
        kind: "put",
        connections: c,
        args: putArgs(common(c), files.fillBodies, url),
      }];
    case "redis-get":
    case "redis-pipeline":
    case "redis-set":
      throw new Error(
        `the ${spec.mode} load is sent by wrk only; use --load-generator wrk`,
      );
    case "mix": {
      const split = splitConnections(c, spec.getPercent);
      return [
        {
          kind: "get",
          connections: split.get,
          args: getArgs(common(split.get), files.getUrls),
        },
        {
          kind: "put",
          connections: split.put,
          args: putArgs(common(split.put), files.putBodies, url),
        },
      ];
    }
  }
}
