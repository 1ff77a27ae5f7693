/**
 * Sends a reproducible mix of requests to a kv-cache: writes (some with a
 * short TTL), reads that hit and miss, deletes and a few bad requests, so
 * that every series of `/metrics` moves. Used by the dashboard preview and by
 * the tests that scrape a live server.
 *
 * @module
 */

import { seededRandom } from "../bench/data.ts";

/** Options for {@linkcode sendTraffic}. */
export interface TrafficOptions {
  /** Requests to send. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Keys are `key-0` … `key-<keySpace - 1>`; reads ask for twice as many. */
  keySpace: number;
  /** Characters per value. */
  valueSize: number;
  /** Share of reads, 0 to 1. */
  readShare: number;
  /** Share of bad requests (400, 404, 405), 0 to 1. */
  badShare?: number;
  /** Share of writes with `ttl` 1 to 3 s (they expire soon). */
  shortTtlShare?: number;
  /** Seed of the request sequence. */
  seed?: number;
}

/** Sends the mix to `url`; resolves with the count of answers by status. */
export async function sendTraffic(
  url: string,
  options: TrafficOptions,
): Promise<Map<number, number>> {
  const next = seededRandom(options.seed ?? 1);
  const statuses = new Map<number, number>();
  const value = "v".repeat(options.valueSize);
  const bad = options.badShare ?? 0;
  const shortTtl = options.shortTtlShare ?? 0;
  const request = (): [string, RequestInit] => {
    const r = next();
    const key = `key-${Math.floor(next() * options.keySpace)}`;
    if (r < bad) {
      const kind = Math.floor(next() * 3);
      if (kind === 0) return ["/put", { method: "POST", body: "not json" }];
      if (kind === 1) return ["/put", { method: "GET" }];
      return ["/nowhere", { method: "GET" }];
    }
    if (r < bad + options.readShare) {
      const read = `key-${Math.floor(next() * options.keySpace * 2)}`;
      return [`/get?key=${read}`, { method: "GET" }];
    }
    if (r < bad + options.readShare + 0.02) {
      return [`/delete?key=${key}`, { method: "DELETE" }];
    }
    const ttl = next() < shortTtl ? 1 + Math.floor(next() * 3) : undefined;
    return ["/put", {
      method: "POST",
      body: JSON.stringify({ key, value, ttl }),
    }];
  };
  let sent = 0;
  const worker = async () => {
    while (sent < options.requests) {
      sent++;
      const [path, init] = request();
      const response = await fetch(url + path, init);
      await response.body?.cancel();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return statuses;
}
