/**
 * Container health check: asks the local server for `GET /health` and exits
 * 0 when it answers 200 `{"status":"OK"}` in time, 1 otherwise (with the
 * reason on stderr). The image has no curl, so Docker's `HEALTHCHECK` runs
 * this with `deno run --allow-net=127.0.0.1 --allow-env=PORT`.
 *
 * @module
 */

/** Longest wait for the answer, in milliseconds. */
export const HEALTH_TIMEOUT_MS = 2_000;

/**
 * Requests `url` and resolves with `undefined` when it answers 200 with body
 * `{"status":"OK"}` within `timeoutMs`, or with the reason it is unhealthy.
 */
export async function checkHealth(
  url: string,
  timeoutMs = HEALTH_TIMEOUT_MS,
): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.status !== 200) {
      return `${url} answered ${response.status}: ${body.slice(0, 200)}`;
    }
    if (body !== '{"status":"OK"}') {
      return `${url} answered an unexpected body: ${body.slice(0, 200)}`;
    }
    return undefined;
  } catch (error) {
    return `${url} did not answer: ${(error as Error).message}`;
  }
}

/** The health URL of the server on this host, on `PORT` (default 7171). */
export function localHealthUrl(port = Deno.env.get("PORT")): string {
  return `http://127.0.0.1:${port?.trim() || "7171"}/health`;
}

/** Probes `url/health` for a launcher: undefined once it answers 200 `{"status":"OK"}`. */
export function probeHealthy(url: string): Promise<string | undefined> {
  return checkHealth(`${url}/health`, 1_000);
}

/**
 * Probes `url/health`: undefined once anything answers over HTTP. HAProxy
 * restarted while every node is down answers 503, and is up all the same.
 */
export async function probeAnswering(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(1_000),
    });
    await response.body?.cancel();
    return undefined;
  } catch (error) {
    return `${url} did not answer: ${(error as Error).message}`;
  }
}

if (import.meta.main) {
  const reason = await checkHealth(localHealthUrl());
  if (reason !== undefined) console.error(`kv-cache unhealthy: ${reason}`);
  Deno.exit(reason === undefined ? 0 : 1);
}
