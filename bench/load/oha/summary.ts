/**
 * Parsing oha's JSON output: the fields of hatoo/oha's `schema.json` the
 * harness uses (`--output-format json`, or `-j` on older releases).
 *
 * @module
 */

/** oha's `latencyPercentiles` keys (schema.json) with their quantiles. */
export const OHA_QUANTILES: [string, number][] = [
  ["p10", 0.1],
  ["p25", 0.25],
  ["p50", 0.5],
  ["p75", 0.75],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99],
  ["p99.9", 0.999],
  ["p99.99", 0.9999],
];

/** Error oha records for requests cut off by `-z` (src/client.rs `ClientError::Deadline`). */
export const OHA_DEADLINE_ERROR = "aborted due to deadline";

/** Error oha records when `-t` expires (src/client.rs `ClientError::Timeout`). */
export const OHA_TIMEOUT_ERROR = "timeout";

/** The parts of one oha JSON summary the harness uses. */
export interface OhaSummary {
  /** `summary.total`: run length, seconds. */
  durationSeconds: number;
  /** Responses received: the sum of `statusCodeDistribution`. */
  requests: number;
  /** `summary.totalData`: response body bytes (headers not counted). */
  bodyBytes: number;
  /** `statusCodeDistribution`: responses by status code. */
  statusCodes: Record<string, number>;
  /** `errorDistribution`: failed requests by error message. */
  errors: Record<string, number>;
  /** `summary.fastest`, seconds; null when no response. */
  fastest: number | null;
  /** `summary.slowest`, seconds; null when no response. */
  slowest: number | null;
  /** `summary.average`, seconds; null when no response. */
  average: number | null;
  /** `latencyPercentiles` ("p50", ...), seconds; absent keys were null. */
  percentiles: Record<string, number>;
}

function field(obj: unknown, name: string, path: string): unknown {
  if (!obj || typeof obj !== "object") {
    throw new Error(`oha JSON: ${path} is not an object`);
  }
  return (obj as Record<string, unknown>)[name];
}

function numberAt(obj: unknown, name: string, path: string): number {
  const v = field(obj, name, path);
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(
      `oha JSON: ${path}.${name} is not a number (got ${JSON.stringify(v)})`,
    );
  }
  return v;
}

function numberOrNull(obj: unknown, name: string, path: string): number | null {
  const v = field(obj, name, path);
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function counts(obj: unknown, name: string): Record<string, number> {
  const v = field(obj, name, "(top level)");
  if (!v || typeof v !== "object") {
    throw new Error(`oha JSON: ${name} is not an object`);
  }
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!Number.isInteger(n) || (n as number) < 0) {
      throw new Error(
        `oha JSON: ${name}["${k}"] is not a count (got ${JSON.stringify(n)})`,
      );
    }
    out[k] = n as number;
  }
  return out;
}

/** Parses oha's JSON output (the fields of its `schema.json` the harness uses). */
export function parseOhaJson(text: string): OhaSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `oha printed no JSON (${(e as Error).message}): ${text.slice(0, 300)}`,
    );
  }
  const summary = field(json, "summary", "(top level)");
  const pct = field(json, "latencyPercentiles", "(top level)") ?? {};
  const percentiles: Record<string, number> = {};
  for (const [key] of OHA_QUANTILES) {
    const v = numberOrNull(pct, key, "latencyPercentiles");
    if (v !== null) percentiles[key] = v;
  }
  const statusCodes = counts(json, "statusCodeDistribution");
  return {
    durationSeconds: numberAt(summary, "total", "summary"),
    requests: Object.values(statusCodes).reduce((a, b) => a + b, 0),
    bodyBytes: numberAt(summary, "totalData", "summary"),
    statusCodes,
    errors: counts(json, "errorDistribution"),
    fastest: numberOrNull(summary, "fastest", "summary"),
    slowest: numberOrNull(summary, "slowest", "summary"),
    average: numberOrNull(summary, "average", "summary"),
    percentiles,
  };
}
