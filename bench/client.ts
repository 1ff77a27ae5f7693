/**
 * Plain HTTP calls the harness makes outside the measured load: prefilling
 * keys, checking stored values round-trip, and reading /stats counters.
 *
 * @module
 */

import type { Entry } from "./data.ts";

/** PUTs every entry, `concurrency` requests at a time; throws on a non-200 answer. */
export async function prefill(
  url: string,
  entries: Entry[],
  concurrency = 32,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const e = entries[next++];
      const res = await fetch(`${url}/put`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: e.key, value: e.value }),
      });
      const text = await res.text();
      if (res.status !== 200) {
        throw new Error(`prefill PUT ${e.key}: ${res.status} ${text}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * GETs `sample` entries and returns a description of each whose answer is not
 * `{"status":"OK","key":K,"value":V}`; empty when all round-trip exactly.
 */
export async function checkValues(
  url: string,
  sample: Entry[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const e of sample) {
    const res = await fetch(`${url}/get?key=${encodeURIComponent(e.key)}`);
    const text = await res.text();
    let body: { status?: string; key?: string; value?: string } = {};
    try {
      body = JSON.parse(text);
    } catch { /* reported below */ }
    if (
      res.status !== 200 || body.status !== "OK" || body.key !== e.key ||
      body.value !== e.value
    ) {
      problems.push(`${e.key}: ${res.status} ${text.slice(0, 120)}`);
    }
  }
  return problems;
}

/** Numeric leaves of a JSON value, keyed by dotted path (`{a:{b:1}}` → `{"a.b": 1}`). */
export function numericLeaves(
  value: unknown,
  prefix = "",
  out: Record<string, number> = {},
): Record<string, number> {
  if (typeof value === "number") out[prefix] = value;
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      numericLeaves(v, prefix ? `${prefix}.${k}` : k, out);
    }
  }
  return out;
}

/** Reads /stats and returns its numeric counters (empty if unavailable). */
export async function readStats(url: string): Promise<Record<string, number>> {
  try {
    const res = await fetch(`${url}/stats`);
    const text = await res.text();
    return res.ok ? numericLeaves(JSON.parse(text)) : {};
  } catch {
    return {};
  }
}

/** Differences `after - before` of the counters present in both. */
export function diffStats(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    if (k in before) d[k] = v - before[k];
  }
  return d;
}
