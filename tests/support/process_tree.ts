/**
 * Test support: the processes under a pid, read from /proc (Linux), to check
 * by pid what a launcher started and that none of it is left running.
 *
 * Deno lets only `--allow-all` read /proc, and `deno task test` runs with
 * less, so /proc is read by `cat` and `tr` (coreutils) in child processes.
 *
 * @module
 */

/** One process: its pid, parent, state letter and command line. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** `R`, `S`, … `Z` for a zombie (dead, not yet reaped). */
  state: string;
  /** The executable's short name (as in `/proc/<pid>/stat`). */
  comm: string;
  /** The command line, its arguments joined by spaces ("" until read). */
  cmdline: string;
  /** Its `PORT` variable, if it has one ("" until read). */
  port: string;
}

/** Runs `sh -c script` with `args`; its standard output. */
async function shell(script: string, args: string[] = []): Promise<string> {
  const output = await new Deno.Command("sh", {
    args: ["-c", script, "sh", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

/** Parses lines of `/proc/<pid>/stat`. */
function parseStats(text: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const line of text.split("\n")) {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const open = line.indexOf(" (");
    const close = line.lastIndexOf(")");
    if (open < 0 || close < 0) continue;
    const [state, ppid] = line.slice(close + 2).split(" ");
    found.push({
      pid: Number(line.slice(0, open)),
      ppid: Number(ppid),
      state,
      comm: line.slice(open + 2, close),
      cmdline: "",
      port: "",
    });
  }
  return found;
}

/** The processes of `pids` that exist (zombies included). */
export async function processes(pids: number[]): Promise<ProcessInfo[]> {
  if (pids.length === 0) return [];
  return parseStats(
    // One cat for all: each stat file is one line; gone ones are skipped.
    await shell(
      'cd /proc && cat $(printf "%s/stat " "$@") 2>/dev/null',
      pids.map(String),
    ),
  );
}

/** Whether `pid` runs (exists and is not a zombie). */
export async function isRunning(pid: number): Promise<boolean> {
  const [info] = await processes([pid]);
  return info !== undefined && info.state !== "Z";
}

/**
 * Every running process below `pid` (children, their children, …), with its
 * command line and `PORT`.
 */
export async function descendants(pid: number): Promise<ProcessInfo[]> {
  const all = parseStats(
    await shell("cat /proc/[0-9]*/stat 2>/dev/null"),
  ).filter((p) => p.state !== "Z");
  const found: ProcessInfo[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = all.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  if (found.length === 0) return found;
  // One line per pid: "pid<TAB>PORT<TAB>command line".
  const details = await shell(
    `for p; do
       port=$(tr '\\0' '\\n' < "/proc/$p/environ" 2>/dev/null | sed -n 's/^PORT=//p')
       args=$(tr '\\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)
       printf '%s\\t%s\\t%s\\n' "$p" "$port" "$args"
     done`,
    found.map((p) => String(p.pid)),
  );
  for (const line of details.split("\n")) {
    const [pid, port, cmdline] = line.split("\t");
    const info = found.find((p) => p.pid === Number(pid));
    if (info) {
      info.port = port ?? "";
      info.cmdline = (cmdline ?? "").trim();
    }
  }
  return found;
}

/**
 * Resolves with the ms it took until none of `pids` runs; rejects after
 * `timeoutMs` naming those still running.
 */
export async function allGone(
  pids: number[],
  timeoutMs: number,
): Promise<number> {
  const start = performance.now();
  while (true) {
    const running = (await processes(pids)).filter((p) => p.state !== "Z");
    if (running.length === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      throw new Error(
        `still running after ${timeoutMs} ms: ${
          running.map((p) => `${p.pid} (${p.comm})`).join(", ")
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
