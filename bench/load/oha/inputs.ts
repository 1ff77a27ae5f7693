/**
 * The files oha reads: `--urls-from-file` files of GET URLs, `-Z` files of
 * PUT bodies (one JSON body per line, escaped exactly as the wrk script
 * escapes them), and the sizing of the fill's body file.
 *
 * What this relies on (hatoo/oha): `--urls-from-file` picks a random line of
 * the file for every request; `-Z FILE` picks a random line as the body of
 * every request, with replacement.
 *
 * @module
 */

import { type Entry, jsonEscape } from "../../data.ts";

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
