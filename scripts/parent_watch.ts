/**
 * Notices that this process's parent is gone. `deno task cluster` runs the
 * launcher as a child of `deno task`; if that one is killed with SIGKILL, the
 * launcher is re-parented (to init or a subreaper) and would run on with no
 * one to stop it. Polls `Deno.ppid`, which changes when that happens.
 *
 * @module
 */

/**
 * Resolves with a sentence once the parent process this process had when
 * called is gone; checks every `intervalMs`. `signal` stops the watch (the
 * promise then never settles).
 */
export function parentGone(
  intervalMs = 250,
  signal?: AbortSignal,
): Promise<string> {
  const parent = Deno.ppid;
  return new Promise((resolve) => {
    // A process whose parent is already init (a container's entry point,
    // systemd) has no parent to lose.
    if (parent <= 1) return;
    const timer = setInterval(() => {
      if (Deno.ppid === parent) return;
      clearInterval(timer);
      resolve(`its parent process (pid ${parent}) is gone`);
    }, intervalMs);
    signal?.addEventListener("abort", () => clearInterval(timer));
  });
}
