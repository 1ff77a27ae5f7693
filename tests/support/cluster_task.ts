/**
 * Test support: runs `deno task cluster` itself (the task a user runs, not
 * the library under it) from the repository root, keeps every line it
 * writes with the time it came, and finds its processes by pid.
 *
 * @module
 */

import { ROOT } from "../../scripts/start_flags.ts";
import { findOnPath } from "../../scripts/cluster_haproxy.ts";
import { readLines } from "./lines.ts";
import { descendants, type ProcessInfo } from "./process_tree.ts";

/** The haproxy executable, if installed (Debian puts it in /usr/sbin). */
export const HAPROXY: string | undefined = findOnPath("haproxy") ??
  (() => {
    try {
      return Deno.statSync("/usr/sbin/haproxy").isFile
        ? "/usr/sbin/haproxy"
        : undefined;
    } catch {
      return undefined;
    }
  })();

/** One line of the task's output. */
export interface TaskLine {
  /** `performance.now()` when it was read. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** A running `deno task cluster`. */
export interface ClusterTask {
  /** The `deno task` process. */
  process: Deno.ChildProcess;
  /** Every line written so far, both streams, in arrival order. */
  lines: TaskLine[];
  /** Resolves with the first line (at or after `from`) matching `pattern`. */
  waitFor(
    pattern: RegExp,
    timeoutMs: number,
    from?: number,
  ): Promise<TaskLine>;
  /** Resolves with the exit status once both streams are read. */
  status: Promise<Deno.CommandStatus>;
  /** The launcher (scripts/cluster.ts) under `deno task`. */
  launcher(): Promise<ProcessInfo | undefined>;
  /** Its running nodes, by port. */
  nodes(): Promise<Map<number, ProcessInfo>>;
  /** Its running HAProxy. */
  haproxy(): Promise<ProcessInfo | undefined>;
  /**
   * SIGKILLs every process of the task still running and removes the
   * launcher's temporary directory (a launcher killed with SIGKILL cannot).
   */
  killAll(): Promise<void>;
}

/** Starts `deno task cluster` with `env` added (HOST 127.0.0.1 by default). */
export function startClusterTask(env: Record<string, string>): ClusterTask {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["task", "cluster"],
    cwd: ROOT,
    env: {
      HOST: "127.0.0.1",
      NO_COLOR: "1",
      PATH: `${Deno.env.get("PATH")}:/usr/sbin`,
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: TaskLine[] = [];
  const waiters = new Set<() => void>();
  const read = async (
    stream: ReadableStream<Uint8Array>,
    name: TaskLine["stream"],
  ) => {
    for await (const text of readLines(stream)) {
      lines.push({ at: performance.now(), stream: name, text });
      for (const wake of waiters) wake();
    }
  };
  const reading = Promise.all([
    read(process.stdout, "stdout"),
    read(process.stderr, "stderr"),
  ]);
  let ended = false;
  const status = reading.then(() => process.status).then((result) => {
    ended = true;
    for (const wake of waiters) wake();
    return result;
  });
  const waitFor = (pattern: RegExp, timeoutMs: number, from = 0) =>
    new Promise<TaskLine>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => l.at >= from && pattern.test(l.text));
        if (line) return done(() => resolve(line));
        if (ended) {
          return done(() =>
            reject(new Error(`the task ended without ${pattern}:\n${dump()}`))
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(`no ${pattern} within ${timeoutMs} ms:\n${dump()}`),
            )
          ),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const dump = () => lines.map((l) => `  ${l.stream}: ${l.text}`).join("\n");
  const tree = () => descendants(process.pid);
  // The launcher's temporary directory, seen on HAProxy's command line.
  const dirs = new Set<string>();
  return {
    process,
    lines,
    waitFor,
    status,
    launcher: async () =>
      (await tree()).find((p) => p.cmdline.includes("scripts/cluster.ts")),
    async nodes() {
      const nodes = new Map<number, ProcessInfo>();
      for (const p of await tree()) {
        if (p.cmdline.endsWith("/main.ts") && p.port) {
          nodes.set(Number(p.port), p);
        }
      }
      return nodes;
    },
    async haproxy() {
      const found = (await tree()).find((p) => p.comm === "haproxy");
      const config = found?.cmdline.match(/-f (\S+)\/haproxy\.cfg/);
      if (config) dirs.add(config[1]);
      return found;
    },
    async killAll() {
      for (const p of [...await tree(), { pid: process.pid }]) {
        try {
          Deno.kill(p.pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await status.catch(() => {});
      for (const dir of dirs) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}
