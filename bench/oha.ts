/**
 * Drives oha (hatoo/oha) as the load generator: checks that the oha on PATH
 * can run our workloads, writes its input files, builds its argument lists,
 * runs it (two processes at once for the GET/PUT mixes) and turns its JSON
 * output into the harness's {@linkcode LoadResult}.
 *
 * What this relies on, from hatoo/oha (see bench/README.md, "oha"):
 * `--urls-from-file` picks a random line of the file for every request;
 * `-Z FILE` picks a random line as the body of every request (with
 * replacement); `--output-format json` (older releases: `-j`) prints the
 * summary described by oha's `schema.json`.
 *
 * @module
 */

import { type Entry, jsonEscape } from "./data.ts";
import { probe, runToCompletion } from "./probe_command.ts";
import { type LoadResult, type LoadSpec, parseTimes } from "./wrk.ts";

// ---------------------------------------------------------------------------
// Capability check

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

/** The load generator a run uses, and why. */
export interface GeneratorChoice {
  /** "oha" or "wrk". */
  name: "oha" | "wrk";
  /** First line of its version output ("oha 1.x.y", "wrk 4.x.y [epoll] ..."). */
  version: string;
  /** Why it was chosen, for the log and the results. */
  reason: string;
}

/**
 * Picks the load generator for `--load-generator requested` from the oha check
 * and `wrk -v` output (undefined when wrk cannot run); throws when the one
 * asked for, or both, are unusable.
 */
export function chooseLoadGenerator(
  requested: "auto" | "oha" | "wrk",
  oha: OhaCheck,
  wrkVersionText: string | undefined,
): GeneratorChoice {
  const wrkOk = wrkVersionText?.includes("wrk") ?? false;
  const wrk = (reason: string): GeneratorChoice => ({
    name: "wrk",
    version: (wrkVersionText ?? "").split("\n")[0],
    reason,
  });
  const noWrk = "wrk not found on PATH (apt-get install -y wrk)";
  if (requested === "wrk") {
    if (!wrkOk) throw new Error(noWrk);
    return wrk("--load-generator wrk");
  }
  if (oha.ok) {
    return {
      name: "oha",
      version: oha.version ?? "oha",
      reason: `${
        requested === "oha" ? "--load-generator oha" : "auto"
      }: ${oha.reason}`,
    };
  }
  if (requested === "oha") {
    throw new Error(`--load-generator oha: ${oha.reason}`);
  }
  if (!wrkOk) throw new Error(`no load generator: ${oha.reason}; ${noWrk}`);
  return wrk(`auto: oha not used (${oha.reason})`);
}

// ---------------------------------------------------------------------------
// Input files

/** Largest `-Z` file of fill bodies, in lines (about 330 bytes each). */
export const OHA_FILL_MAX_LINES = 1_000_000;

/** Fill requests per second assumed when sizing the fill file (above the floor's). */
export const OHA_FILL_RATE_ESTIMATE = 100_000;

/** Lines per expected request aimed at: 10 keeps repeats near 5% when not capped. */
export const OHA_FILL_LINES_PER_REQUEST = 10;

/**
 * Lines of the fill body file for `seconds` of fill load (warm-up included):
 * ten per expected request, between 10,000 and {@linkcode OHA_FILL_MAX_LINES}.
 */
export function ohaFillLines(seconds: number): number {
  const wanted = Math.ceil(
    seconds * OHA_FILL_RATE_ESTIMATE * OHA_FILL_LINES_PER_REQUEST,
  );
  return Math.min(OHA_FILL_MAX_LINES, Math.max(10_000, wanted));
}

/**
 * Expected share of `requests` random picks (with replacement) among `lines`
 * lines that hit a line never picked before, when `before` picks were already
 * made on the same server (the warm-up): the share of fill PUTs that insert a
 * new key rather than rewrite one.
 */
export function expectedNewKeyShare(
  lines: number,
  before: number,
  requests: number,
): number {
  if (requests <= 0) return 1;
  const miss = Math.log1p(-1 / lines); // ln(1 - 1/lines)
  const untouched = Math.exp(before * miss);
  return (lines * untouched * -Math.expm1(requests * miss)) / requests;
}

/** Body of a PUT of `key` with `value`, escaped exactly as the wrk script's. */
export function putBody(key: string, value: string): string {
  return `{"key":"${jsonEscape(key)}","value":"${jsonEscape(value)}"}`;
}

/** Key of the `i`-th fill body: UUID-shaped, never a prefill or miss key. */
export function fillKey(i: number): string {
  return `0f111000-0000-4000-a000-${String(i).padStart(12, "0")}`;
}

/** URL of a GET of `key` on the server at `baseUrl`. */
export function getUrl(baseUrl: string, key: string): string {
  return `${baseUrl}/get?key=${encodeURIComponent(key)}`;
}

/** Lines of a `--urls-from-file` file: GETs of `keys` on `baseUrl`. */
export function urlLines(baseUrl: string, keys: string[]): string {
  return keys.map((k) => getUrl(baseUrl, k)).join("\n") + "\n";
}

/** The input files oha reads that do not depend on the server's port. */
export interface OhaInputs {
  /** Directory for these files and the per-run ones (URL files, JSON output). */
  dir: string;
  /** Prefilled keys (GET targets of the mixes). */
  getKeys: string[];
  /** Keys never written (GET targets of `miss`). */
  missKeys: string[];
  /** `-Z` file: one PUT body per prefilled entry, its own value. */
  putBodies: string;
  /** `-Z` file of fill bodies (new keys), or "" when not written. */
  fillBodies: string;
  /** Lines in `fillBodies` (0 when not written). */
  fillLines: number;
}

/** Writes `lineCount` lines made by `line(i)` to `path`, in chunks. */
async function writeLines(
  path: string,
  lineCount: number,
  line: (i: number) => string,
): Promise<void> {
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  const chunk = 4096;
  for (let start = 0; start < lineCount; start += chunk) {
    let text = "";
    const end = Math.min(lineCount, start + chunk);
    for (let i = start; i < end; i++) text += line(i) + "\n";
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
  }
}

/**
 * Writes the `-Z` body files into `dir`: the PUTs of the mixes (each
 * prefilled key with its own value) and, when `fillLines` > 0, that many fill
 * bodies (new keys, the prefill values in turn, as the wrk script does).
 */
export async function writeOhaInputs(
  dir: string,
  entries: Entry[],
  missKeys: string[],
  fillLines: number,
): Promise<OhaInputs> {
  if (entries.length === 0) throw new Error("writeOhaInputs: no entries");
  await Deno.mkdir(dir, { recursive: true });
  const putBodies = `${dir}/oha-put-bodies.tmp`;
  await writeLines(
    putBodies,
    entries.length,
    (i) => putBody(entries[i].key, entries[i].value),
  );
  const fillBodies = fillLines > 0 ? `${dir}/oha-fill-bodies.tmp` : "";
  if (fillLines > 0) {
    const escaped = entries.map((e) => jsonEscape(e.value));
    await writeLines(
      fillBodies,
      fillLines,
      (i) => `{"key":"${fillKey(i)}","value":"${escaped[i % escaped.length]}"}`,
    );
  }
  return {
    dir,
    getKeys: entries.map((e) => e.key),
    missKeys,
    putBodies,
    fillBodies,
    fillLines,
  };
}

// ---------------------------------------------------------------------------
// Argument lists

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

// ---------------------------------------------------------------------------
// JSON output

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

// ---------------------------------------------------------------------------
// Latency: one process, or the mixture of two

/** A point of a latency CDF: a share `q` of the requests took at most `x` seconds. */
export interface Knot {
  /** Latency, seconds. */
  x: number;
  /** Share of requests at or below `x`, 0..1. */
  q: number;
}

/**
 * The CDF knots oha reports for one process: fastest (q=0), its percentiles
 * and slowest (q=1), sorted; empty when it got no response.
 */
export function cdfKnots(s: OhaSummary): Knot[] {
  if (s.requests === 0 || s.fastest === null || s.slowest === null) return [];
  const knots: Knot[] = [{ x: s.fastest, q: 0 }];
  for (const [key, q] of OHA_QUANTILES) {
    if (key in s.percentiles) knots.push({ x: s.percentiles[key], q });
  }
  knots.push({ x: s.slowest, q: 1 });
  knots.sort((a, b) => a.x - b.x || a.q - b.q);
  // Rounding in oha could put a percentile below `fastest`: keep q monotone.
  for (let i = 1; i < knots.length; i++) {
    knots[i].q = Math.max(knots[i].q, knots[i - 1].q);
  }
  return knots;
}

/** CDF at `x` (right-continuous), linear between knots. */
function cdfAt(knots: Knot[], x: number): number {
  if (x < knots[0].x) return 0;
  let i = 0;
  while (i + 1 < knots.length && knots[i + 1].x <= x) i++;
  if (i + 1 === knots.length) return knots[i].q;
  const a = knots[i], b = knots[i + 1];
  return a.q + (b.q - a.q) * (x - a.x) / (b.x - a.x);
}

/** CDF just below `x` (left limit), linear between knots. */
function cdfBelow(knots: Knot[], x: number): number {
  if (x <= knots[0].x) return 0;
  let i = 0;
  while (i + 1 < knots.length && knots[i + 1].x < x) i++;
  if (i + 1 === knots.length) return knots[i].q;
  const a = knots[i], b = knots[i + 1];
  return a.q + (b.q - a.q) * (x - a.x) / (b.x - a.x);
}

/**
 * The `q` quantile of the mixture of several latency CDFs, each weighted by
 * its request count: exact when every CDF is linear between its knots, an
 * approximation otherwise (oha reports nine percentiles, not its samples).
 */
export function mixtureQuantile(
  parts: { weight: number; knots: Knot[] }[],
  q: number,
): number {
  const used = parts.filter((p) => p.weight > 0 && p.knots.length > 0);
  if (used.length === 0) return NaN;
  const total = used.reduce((a, p) => a + p.weight, 0);
  const mix = (f: (k: Knot[], x: number) => number, x: number) =>
    used.reduce((a, p) => a + p.weight * f(p.knots, x), 0) / total;
  const xs = [...new Set(used.flatMap((p) => p.knots.map((k) => k.x)))]
    .sort((a, b) => a - b);
  let prevX = xs[0], prevF = 0;
  for (const x of xs) {
    const below = mix(cdfBelow, x);
    if (below >= q && below > prevF) {
      return prevX + (x - prevX) * (q - prevF) / (below - prevF);
    }
    const at = mix(cdfAt, x);
    if (at >= q) return x;
    prevX = x;
    prevF = at;
  }
  return xs[xs.length - 1];
}

// ---------------------------------------------------------------------------
// LoadResult

/** One finished oha process with its parsed output. */
export interface OhaPart {
  /** GETs or PUTs. */
  kind: "get" | "put";
  /** Its connections. */
  connections: number;
  /** Its parsed JSON. */
  summary: OhaSummary;
}

/** How the latency figures of a result were obtained. */
export const LATENCY_SINGLE = "oha's own figures (one process)";

/** How the latency figures of a two-process result were obtained. */
export const LATENCY_MIXTURE =
  "approximation: quantiles of the request-weighted mixture of the two " +
  "processes' latency CDFs, each interpolated linearly between oha's " +
  "fastest, p10..p99.99 and slowest; mean request-weighted, min/max exact";

/** oha's figures beyond {@linkcode LoadResult}, kept in the results JSON. */
export interface OhaDetails {
  /** How latency was obtained: {@linkcode LATENCY_SINGLE} or {@linkcode LATENCY_MIXTURE}. */
  latencyMerge: string;
  /** Requests cut off by the end of `-z` (not errors; wrk does not count them either). */
  abortedAtDeadline: number;
  /** Per process: kind, connections and oha's own figures (seconds). */
  processes: (OhaSummary & { kind: "get" | "put"; connections: number })[];
  /** Fill only: size of the `-Z` file and the expected share of new keys. */
  fill?: {
    bodyLines: number;
    picksBefore: number;
    expectedNewKeyShare: number;
  };
}

/** A {@linkcode LoadResult} made by oha, with its details. */
export interface OhaLoadResult extends LoadResult {
  /** Always "oha". */
  generator: "oha";
  /** oha-specific figures. */
  oha: OhaDetails;
}

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

function errorCounts(parts: OhaPart[]) {
  let timeout = 0, deadline = 0, other = 0;
  for (const p of parts) {
    for (const [message, n] of Object.entries(p.summary.errors)) {
      if (message === OHA_DEADLINE_ERROR) deadline += n;
      else if (message === OHA_TIMEOUT_ERROR) timeout += n;
      else other += n;
    }
  }
  return { timeout, deadline, other };
}

function failedStatuses(parts: OhaPart[]): number {
  return sum(parts.flatMap((p) =>
    Object.entries(p.summary.statusCodes)
      .filter(([code]) => Number(code) > 399)
      .map(([, n]) => n)
  ));
}

function attempts(parts: OhaPart[], kind: "get" | "put"): number {
  return sum(
    parts.filter((p) => p.kind === kind).map((p) =>
      p.summary.requests + sum(Object.values(p.summary.errors))
    ),
  );
}

/** Latency of the parts in microseconds, in LoadResult's shape. */
function latencyUs(parts: OhaPart[]): LoadResult["latencyUs"] {
  const us = (s: number) => Math.round(s * 1e6);
  const answered = parts.filter((p) =>
    p.summary.requests > 0 && p.summary.fastest !== null &&
    p.summary.slowest !== null
  );
  const requests = sum(answered.map((p) => p.summary.requests));
  const percentiles: Record<string, number> = {};
  const wanted: [string, string, number][] = [
    ["50", "p50", 0.5],
    ["90", "p90", 0.9],
    ["99", "p99", 0.99],
    ["99.9", "p99.9", 0.999],
  ];
  if (answered.length === 0) {
    for (const [key] of wanted) percentiles[key] = NaN;
    return { min: NaN, mean: NaN, max: NaN, stdev: NaN, percentiles };
  }
  for (const [key, ohaKey, q] of wanted) {
    percentiles[key] = answered.length === 1
      ? us(answered[0].summary.percentiles[ohaKey] ?? NaN)
      : us(mixtureQuantile(
        answered.map((p) => ({
          weight: p.summary.requests,
          knots: cdfKnots(p.summary),
        })),
        q,
      ));
  }
  const mean =
    sum(answered.map((p) => (p.summary.average ?? 0) * p.summary.requests)) /
    requests;
  return {
    min: us(Math.min(...answered.map((p) => p.summary.fastest ?? Infinity))),
    mean: Math.round(mean * 1e7) / 10,
    max: us(Math.max(...answered.map((p) => p.summary.slowest ?? -Infinity))),
    stdev: NaN, // oha's JSON has no standard deviation
    percentiles,
  };
}

/**
 * Turns the parts of one run (one process, or the GET and PUT processes of a
 * mix that ran at the same time) into a LoadResult: requests, bytes, errors
 * and statuses summed; duration the longest; latency as in
 * {@linkcode LATENCY_MIXTURE} when there are two; `cpuSeconds` from `times`.
 */
export function toLoadResult(
  parts: OhaPart[],
  cpuSeconds: number,
): OhaLoadResult {
  if (parts.length === 0) throw new Error("toLoadResult: no oha output");
  const errors = errorCounts(parts);
  return {
    durationUs: Math.round(
      Math.max(...parts.map((p) => p.summary.durationSeconds)) * 1e6,
    ),
    requests: sum(parts.map((p) => p.summary.requests)),
    bytes: sum(parts.map((p) => p.summary.bodyBytes)),
    errors: {
      connect: 0,
      read: errors.other,
      write: 0,
      status: failedStatuses(parts),
      timeout: errors.timeout,
    },
    latencyUs: latencyUs(parts),
    sent: { get: attempts(parts, "get"), put: attempts(parts, "put") },
    cpuSeconds,
    generator: "oha",
    oha: {
      latencyMerge: parts.length > 1 ? LATENCY_MIXTURE : LATENCY_SINGLE,
      abortedAtDeadline: errors.deadline,
      processes: parts.map((p) => ({
        kind: p.kind,
        connections: p.connections,
        ...p.summary,
      })),
    },
  };
}

// ---------------------------------------------------------------------------
// Running

/**
 * Runs oha once per `(count, outFile, args...)` group of the positional
 * arguments, all at the same time, each writing its stdout to its file; waits
 * for all, then prints bash's `times` (the children's CPU time).
 */
export const OHA_TIMED = [
  "pids=()",
  'while [ "$#" -gt 0 ]; do',
  "  n=$1; out=$2; shift 2",
  '  oha "${@:1:$n}" > "$out" &',
  '  pids+=("$!")',
  '  shift "$n"',
  "done",
  "rc=0",
  'for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done',
  "times",
  'exit "$rc"',
].join("\n");

/** How to run oha. */
export interface OhaRunOptions {
  /** Arguments selecting JSON output (from {@linkcode checkOha}). */
  jsonArgs: string[];
  /** Command prefix pinning both processes to a core, e.g. `["taskset", "-c", "1"]`. */
  prefix?: string[];
  /** Environment for the processes (tests set PATH to a fake oha). */
  env?: Record<string, string>;
}

/** The bash command line running `processes`, writing their JSON to `outFiles`. */
export function ohaCommand(
  processes: OhaProcess[],
  outFiles: string[],
  prefix: string[] = [],
): string[] {
  return [
    ...prefix,
    "bash",
    "-c",
    OHA_TIMED,
    "oha-load",
    ...processes.flatMap((p, i) => [
      String(p.args.length),
      outFiles[i],
      ...p.args,
    ]),
  ];
}

/** A function running one load against a server, as measure.ts expects. */
export type OhaRunner = (spec: LoadSpec, url: string) => Promise<OhaLoadResult>;

/**
 * Returns a runner for one server: it writes the URL files for the server's
 * URL on first use, runs the processes of each spec and parses their output.
 * Make one per server run, so that the fill's warm-up picks are counted.
 */
export function makeOhaRunner(
  inputs: OhaInputs,
  options: OhaRunOptions,
): OhaRunner {
  let urlsFor = "";
  let fillPicks = 0;
  const files: OhaFiles = {
    getUrls: `${inputs.dir}/oha-get-urls.tmp`,
    missUrls: `${inputs.dir}/oha-miss-urls.tmp`,
    putBodies: inputs.putBodies,
    fillBodies: inputs.fillBodies,
  };
  return async (spec, url) => {
    if (urlsFor !== url) {
      await Deno.writeTextFile(files.getUrls, urlLines(url, inputs.getKeys));
      await Deno.writeTextFile(files.missUrls, urlLines(url, inputs.missKeys));
      urlsFor = url;
    }
    const processes = ohaProcesses(spec, url, files, options.jsonArgs);
    const outFiles = processes.map((p, i) =>
      `${inputs.dir}/oha-out-${i}-${p.kind}.tmp`
    );
    const argv = ohaCommand(processes, outFiles, options.prefix);
    const stdout = await runToCompletion("oha", argv, options.env);
    const parts: OhaPart[] = [];
    for (const [i, p] of processes.entries()) {
      const text = await Deno.readTextFile(outFiles[i]);
      parts.push({
        kind: p.kind,
        connections: p.connections,
        summary: parseOhaJson(text),
      });
    }
    const result = toLoadResult(parts, parseTimes(stdout));
    if (spec.mode === "fill") {
      result.oha.fill = {
        bodyLines: inputs.fillLines,
        picksBefore: fillPicks,
        expectedNewKeyShare: expectedNewKeyShare(
          inputs.fillLines,
          fillPicks,
          result.sent.put,
        ),
      };
      fillPicks += result.sent.put;
    }
    return result;
  };
}

/**
 * A warning for the log when an oha fill run rewrote many keys (its `-Z`
 * picks repeat), or undefined when `result` is not such a run.
 */
export function fillNote(result: LoadResult): string | undefined {
  const fill = (result as Partial<OhaLoadResult>).oha?.fill;
  if (!fill || fill.expectedNewKeyShare >= 0.9) return undefined;
  return `note: about ${
    Math.round(100 * (1 - fill.expectedNewKeyShare))
  }% of this fill's PUTs rewrote a key oha had already sent (-Z picks ` +
    `random lines of ${fill.bodyLines}); --load-generator wrk sends only new keys`;
}
