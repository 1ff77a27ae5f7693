/**
 * Test support: the series a real kv-cache process exports, read from its
 * `/metrics` after traffic that moves every one of them.
 *
 * @module
 */

import { sendTraffic } from "../../scripts/traffic.ts";
import { type ServerProcess, startServer } from "./server_process.ts";

/**
 * Settings under which traffic moves every series: a budget small enough to
 * evict within a few thousand writes, values long enough to fill it, and a
 * sweep every 100 ms.
 */
export const BUSY_SERVER_ENV = {
  MAX_CACHE_BYTES: "2000000",
  MAX_VALUE_SIZE: "2000",
  SWEEP_INTERVAL_MS: "100",
};

/** The traffic that fills a {@linkcode BUSY_SERVER_ENV} server past its budget. */
export function busyTraffic(server: ServerProcess, seed = 1) {
  return sendTraffic(server.url, {
    requests: 3000,
    concurrency: 8,
    keySpace: 5000,
    valueSize: 1500,
    readShare: 0.4,
    badShare: 0.02,
    shortTtlShare: 0.1,
    seed,
  });
}

/** Series names of a text exposition: the first word of every sample line. */
export function seriesNames(text: string): Set<string> {
  return new Set(
    text.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.split(/[{ ]/, 1)[0]),
  );
}

/** Starts a real server, sends it traffic and returns what it exports. */
export async function scrapeLiveServer(): Promise<Set<string>> {
  const server = await startServer({ env: BUSY_SERVER_ENV });
  try {
    await busyTraffic(server);
    const response = await fetch(`${server.url}/metrics`);
    return seriesNames(await response.text());
  } finally {
    await server.stop();
  }
}
