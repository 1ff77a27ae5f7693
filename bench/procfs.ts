/**
 * Linux /proc readers: CPU time of a process (all its threads), its resident
 * memory, and which process owns a listening TCP port.
 *
 * @module
 */

/** CPU time a process has used, in clock ticks (see `clockTicksPerSecond`). */
export interface CpuTicks {
  /** User-mode ticks. */
  utime: number;
  /** Kernel-mode ticks. */
  stime: number;
}

/**
 * Parses utime and stime from the text of `/proc/<pid>/stat`. For a process
 * (thread-group leader) these sum over all its threads, live and exited.
 */
export function parseProcStat(text: string): CpuTicks {
  // The command name (field 2) may hold spaces and parentheses: split after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return { utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** Reads the CPU ticks used so far by process `pid`. */
export async function readCpuTicks(pid: number): Promise<CpuTicks> {
  return parseProcStat(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/** Reads the resident set size of `pid` in bytes (VmRSS), or NaN if absent. */
export async function readRssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Returns the kernel's clock ticks per second (`getconf CLK_TCK`), 100 if unknown. */
export async function clockTicksPerSecond(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"] })
      .output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return out.success && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Finds the socket inodes listening on `port` in the text of /proc/net/tcp{,6}. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes: string[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local "ADDR:PORT", f[3] state (0A = LISTEN), f[9] inode.
    if (f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === "0A") {
      inodes.push(f[9]);
    }
  }
  return inodes;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/** Returns `root` and all its descendants, by walking /proc/<pid>/stat ppids. */
async function processTree(root: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await readOrEmpty(`/proc/${e.name}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    parent.set(Number(e.name), ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/**
 * Returns the pid, among `root` and its descendants, that holds the socket
 * listening on `port`: the process really serving, even if `root` is a
 * wrapper (taskset, a launcher) that spawned it. Undefined if none does.
 */
export async function findListeningPid(
  root: number,
  port: number,
): Promise<number | undefined> {
  const tcp = (await readOrEmpty("/proc/net/tcp")) +
    (await readOrEmpty("/proc/net/tcp6"));
  const wanted = new Set(
    listeningInodes(tcp, port).map((i) => `socket:[${i}]`),
  );
  if (wanted.size === 0) return undefined;
  for (const pid of await processTree(root)) {
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        const target = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`)
          .catch(() => "");
        if (wanted.has(target)) return pid;
      }
    } catch {
      // The process exited or its fds are unreadable; try the next one.
    }
  }
  return undefined;
}

/** Busy and total clock ticks of one CPU line of /proc/stat. */
export interface CoreTicks {
  /** Ticks not idle and not waiting for I/O. */
  busy: number;
  /** All ticks. */
  total: number;
}

/** Parses the per-core lines ("cpu0", "cpu1", ...) of /proc/stat, keyed by core number. */
export function parseCoreTicks(procStat: string): Map<number, CoreTicks> {
  const cores = new Map<number, CoreTicks>();
  for (const line of procStat.split("\n")) {
    const m = line.match(/^cpu(\d+)\s+(.*)$/);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice;
    // guest time is already included in user time.
    const f = m[2].trim().split(/\s+/).map(Number).slice(0, 8);
    const total = f.reduce((a, b) => a + b, 0);
    cores.set(Number(m[1]), { busy: total - f[3] - f[4], total });
  }
  return cores;
}

/** Reads the per-core tick counters of the machine. */
export async function readCoreTicks(): Promise<Map<number, CoreTicks>> {
  return parseCoreTicks(await Deno.readTextFile("/proc/stat"));
}
