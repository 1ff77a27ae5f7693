/**
 * Fixtures shared by the tests of the oha driver: `--help` texts of oha
 * releases, load specs and expected argument lists, and oha JSON outputs
 * following hatoo/oha's schema.json.
 *
 * @module
 */

import type { LoadSpec } from "../generator.ts";
import { type OhaSummary, parseOhaJson } from "./summary.ts";

/** `oha --help` of a release with -Z and --output-format (abridged, clap layout). */
export const HELP_CURRENT = `Usage: oha [OPTIONS] <URL>

Options:
  -n <N_REQUESTS>
          Number of requests to run. [default: 200]
  -c <N_CONNECTIONS>
          Number of connections to run concurrently. [default: 50]
  -z <DURATION>
          Duration of application to send requests.
      --urls-from-file
          Read the URLs to query from a file
      --no-tui
          No realtime tui
  -m, --method <METHOD>
          HTTP method [default: GET]
  -t <TIMEOUT>
          Timeout for each request. Default to infinite.
  -d <BODY_STRING>
          HTTP request body.
  -Z <BODY_PATH_LINES>
          HTTP request body from file line by line.
  -T <CONTENT_TYPE>
          Content-Type.
      --disable-compression
          Disable compression.
      --output-format <OUTPUT_FORMAT>
          Output format [default: text] [possible values: text, json, csv, quiet]
  -V, --version
          Print version
`;

/** `oha --help` of a release with --urls-from-file and -j but no -Z. */
export const HELP_NO_BODY_LINES = HELP_CURRENT
  .replace(/ {2}-Z <BODY_PATH_LINES>\n.*\n/, "")
  .replace(
    /--output-format <OUTPUT_FORMAT>\n.*\n/,
    "-j, --json\n          Print results as JSON\n",
  );

/** Input file paths of the argument-list tests. */
export const FILES = {
  getUrls: "/d/get.txt",
  missUrls: "/d/miss.txt",
  putBodies: "/d/put.txt",
  fillBodies: "/d/fill.txt",
};
/** The JSON output arguments of a current oha. */
export const JSON_ARGS = ["--output-format", "json"];
/** A load spec of `mode`, `getPercent` and `connections`, 10 s. */
export const spec = (
  mode: LoadSpec["mode"],
  getPercent: number,
  connections = 100,
): LoadSpec => ({
  mode,
  getPercent,
  connections,
  threads: 1,
  durationSeconds: 10,
});
/** The options every oha process of a 10 s spec gets with `c` connections. */
export const common = (c: number) => [
  "--no-tui",
  "--output-format",
  "json",
  "-z",
  "10s",
  "-c",
  String(c),
  "-t",
  "5s",
  "--disable-compression",
];
/** The tail of a PUT process's arguments reading bodies from `file`. */
export const putTail = (file: string) => [
  "-m",
  "POST",
  "-T",
  "application/json",
  "-Z",
  file,
  "http://h:1/put",
];

/** An oha JSON output following hatoo/oha schema.json (values invented). */
export function sampleJson(opts: {
  ok: number;
  status404?: number;
  errors?: Record<string, number>;
  pct: number[]; // p10..p99.99, seconds
  fastest: number;
  slowest: number;
  average: number;
  total?: number;
}): string {
  const keys = ["p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9"];
  const percentiles = Object.fromEntries(
    [...keys, "p99.99"].map((k, i) => [k, opts.pct[i]]),
  );
  return JSON.stringify({
    summary: {
      successRate: 1,
      total: opts.total ?? 10.0005,
      slowest: opts.slowest,
      fastest: opts.fastest,
      average: opts.average,
      requestsPerSec: opts.ok / 10,
      totalData: opts.ok * 300,
      sizePerRequest: 300,
      sizePerSec: opts.ok * 30,
    },
    responseTimeHistogram: { "0.001": opts.ok },
    latencyPercentiles: percentiles,
    rps: {
      mean: 1000,
      stddev: null,
      max: 1200,
      min: 800,
      percentiles: { ...percentiles },
    },
    details: {
      DNSDialup: { average: 0.0001, fastest: 0.0001, slowest: 0.0002 },
      DNSLookup: { average: 0.00001, fastest: 0.00001, slowest: 0.00002 },
    },
    statusCodeDistribution: {
      "200": opts.ok,
      ...(opts.status404 ? { "404": opts.status404 } : {}),
    },
    errorDistribution: opts.errors ?? {},
  });
}

/** One millisecond, in seconds. */
export const MS = 0.001;

/** A summary whose every request took `seconds`. */
export function pointMass(requests: number, seconds: number): OhaSummary {
  return parseOhaJson(sampleJson({
    ok: requests,
    pct: Array(9).fill(seconds),
    fastest: seconds,
    slowest: seconds,
    average: seconds,
  }));
}
