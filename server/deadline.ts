/**
 * Waiting for work with a deadline, as shutdown does: the drain of the
 * serving isolates gets `SHUTDOWN_TIMEOUT_MS`, and the process exits either
 * way.
 *
 * @module
 */

/**
 * Resolves `true` once `work` has finished, or `false` after `timeoutMs` if
 * it has not; rejects if `work` rejects first. The timer is cleared either
 * way, so it never holds the process open.
 */
export async function finishesWithin(
  work: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
