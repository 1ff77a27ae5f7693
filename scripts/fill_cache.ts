/**
 * Fills a running kv-cache over HTTP: PUTs distinct keys with values of a
 * given length until about the given number of megabytes of values has been
 * sent, from several concurrent connections. Used by container_check.sh to
 * see a full cache inside the container's memory limit.
 *
 * Usage: deno run --allow-net=127.0.0.1 scripts/fill_cache.ts URL MB [CHARS]
 *
 * @module
 */

/** Concurrent request loops. */
export const CONCURRENCY = 32;

/**
 * PUTs `count` entries with `valueChars`-character values to `url`, from
 * {@linkcode CONCURRENCY} loops; resolves with the number of non-200 answers.
 */
export async function fill(
  url: string,
  count: number,
  valueChars: number,
): Promise<number> {
  const padding = "v".repeat(Math.max(0, valueChars - 12));
  let next = 0;
  let failures = 0;
  const loop = async () => {
    for (let i = next++; i < count; i = next++) {
      const value = padding + String(i).padStart(12, "0");
      const response = await fetch(`${url}/put`, {
        method: "POST",
        body: `{"key":"fill-${i}","value":"${value}","ttl":0}`,
      });
      if (response.status !== 200) failures++;
      await response.body?.cancel();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return failures;
}

if (import.meta.main) {
  const [url, mb, chars = "4000"] = Deno.args;
  if (!url || !/^\d+$/.test(mb ?? "") || !/^\d+$/.test(chars)) {
    console.error("Usage: fill_cache.ts URL MB [CHARS]");
    Deno.exit(2);
  }
  const count = Math.ceil(Number(mb) * 1e6 / Number(chars));
  const started = performance.now();
  const failures = await fill(url, count, Number(chars));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `fill: ${count} PUTs of ${chars} characters in ${seconds.toFixed(1)} s ` +
      `(${Math.round(count / seconds)}/s), ${failures} not 200`,
  );
  Deno.exit(failures === 0 ? 0 : 1);
}
