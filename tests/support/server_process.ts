/**
 * Test support: runs a kv-cache server as a child process, waits for its
 * startup line and gives access to its port and log lines.
 *
 * @module
 */

/** A server process started by {@linkcode startServer}. */
export interface ServerProcess {
  /** The child process. */
  process: Deno.ChildProcess;
  /** Base URL of the server, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Log lines written to standard output so far, parsed as JSON. */
  logs: Record<string, unknown>[];
  /** Resolves once a log line with this `msg` has been written. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Absolute path of the project's entry point. */
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;

/** Arguments of `deno task start`, for running main.ts as the task does. */
export const START_ARGS = [
  "run",
  "--unstable-net",
  "--allow-net",
  "--allow-env",
  "--allow-read=.env,lib,routes,server,snapshots",
  "--allow-write=snapshots",
  MAIN_TS,
];

/**
 * Starts `command args` in `cwd` with `env` added to the environment, and
 * resolves once the server reports that it is listening.
 */
export async function startServer(options: {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}): Promise<ServerProcess> {
  const child = new Deno.Command(options.command ?? Deno.execPath(), {
    args: options.args ?? START_ARGS,
    env: { HOST: "127.0.0.1", PORT: "0", NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    msg: string;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  const stderr = new Response(child.stderr).text();
  const reading = (async () => {
    let buffered = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = { msg: line };
        }
        logs.push(parsed);
        for (
          const waiter of waiters.filter((w) =>
            String(parsed.msg).startsWith(w.msg)
          )
        ) {
          waiter.resolve(parsed);
        }
      }
    }
  })();
  const waitForLog = (msg: string) => {
    const found = logs.find((line) => String(line.msg).startsWith(msg));
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ msg, resolve });
      child.status.then(async (status) => {
        await reading;
        reject(
          new Error(
            `Server exited with ${status.code} before logging "${msg}": ${await stderr}`,
          ),
        );
      });
    });
  };
  const listening = await waitForLog("kv-cache listening");
  return {
    process: child,
    url: `http://127.0.0.1:${listening.port}`,
    logs,
    waitForLog,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
      const status = await child.status;
      await reading;
      await stderr;
      return status;
    },
  };
}
