/**
 * Samples the server's resident memory from `/proc/<pid>/status` at a fixed
 * interval for the whole run: VmRSS (now) and VmHWM (the kernel's record of
 * the peak, which catches spikes between samples).
 *
 * @module
 */

/** Resident memory of a process, bytes. */
export interface MemoryReading {
  /** VmRSS: resident now. */
  rss: number;
  /** VmHWM: peak resident since the process started. */
  hwm: number;
}

/** Parses VmRSS and VmHWM (kB) out of the text of `/proc/<pid>/status`. */
export function parseStatus(text: string): MemoryReading {
  const kb = (field: string) => {
    const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Reads VmRSS and VmHWM of `pid`; NaN fields if the process is gone. */
export async function readMemory(pid: number): Promise<MemoryReading> {
  try {
    return parseStatus(await Deno.readTextFile(`/proc/${pid}/status`));
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** CPU ticks of one core from /proc/stat. */
export interface CoreSample {
  /** user + nice + system + steal: time spent in processes (and stolen). */
  proc: number;
  /** irq + softirq: interrupt and network-stack work not charged to a process. */
  irq: number;
  /** All ticks. */
  total: number;
}

/** Parses the per-core lines of /proc/stat. */
export function parseCores(procStat: string): CoreSample[] {
  const cores: CoreSample[] = [];
  for (const line of procStat.split("\n")) {
    const m = line.match(/^cpu(\d+)\s+(.*)$/);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]
      .trim().split(/\s+/).map(Number);
    cores[Number(m[1])] = {
      proc: user + nice + system + (steal || 0),
      irq: irq + softirq,
      total: user + nice + system + idle + iowait + irq + softirq +
        (steal || 0),
    };
  }
  return cores;
}

/** One sample: epoch ms, VmRSS, the server's CPU ticks and every core's ticks. */
export interface RssSample {
  t: number;
  rss: number;
  /** utime + stime of the server (all threads), clock ticks. */
  ticks: number;
  cores: CoreSample[];
}

/** CPU use between two samples, percent of one core. */
export interface CpuUse {
  /** The server process. */
  server: number;
  /** Per core: processes (including the server where it runs) and irq/softirq. */
  cores: { proc: number; irq: number }[];
}

/** CPU use between samples `a` and `b` (`ticksPerSecond`: getconf CLK_TCK). */
export function cpuBetween(
  a: RssSample,
  b: RssSample,
  ticksPerSecond: number,
): CpuUse {
  const seconds = (b.t - a.t) / 1000;
  return {
    server: Math.round(100 * (b.ticks - a.ticks) / ticksPerSecond / seconds),
    cores: b.cores.map((c, i) => {
      const total = c.total - (a.cores[i]?.total ?? 0);
      const pct = (x: number) => total > 0 ? Math.round(100 * x / total) : 0;
      return {
        proc: pct(c.proc - a.cores[i].proc),
        irq: pct(c.irq - a.cores[i].irq),
      };
    }),
  };
}

/** A running sampler. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  #timer: ReturnType<typeof setInterval>;
  #peak = 0;

  /** Starts sampling `pid` every `intervalMs`. */
  constructor(readonly pid: number, intervalMs = 200) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now and returns VmRSS. */
  async sample(): Promise<number> {
    const { rss } = await readMemory(this.pid);
    if (Number.isFinite(rss)) {
      let ticks = NaN;
      let cores: CoreSample[] = [];
      try {
        const stat = await Deno.readTextFile(`/proc/${this.pid}/stat`);
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks = Number(f[11]) + Number(f[12]);
        cores = parseCores(await Deno.readTextFile("/proc/stat"));
      } catch { /* process gone */ }
      this.samples.push({ t: Date.now(), rss, ticks, cores });
      if (rss > this.#peak) this.#peak = rss;
    }
    return rss;
  }

  /** CPU use over the `ms` before epoch time `t` (nearest samples). */
  cpuBefore(t: number, ms: number, ticksPerSecond: number): CpuUse | null {
    const s = this.samples;
    let b = s.findLastIndex((x) => x.t <= t + 100);
    if (b < 0) return null;
    let a = s.findLastIndex((x) => x.t <= s[b].t - ms);
    if (a < 0) a = 0;
    if (a === b) {
      if (b + 1 >= s.length) return null;
      b++;
    }
    return cpuBetween(s[a], s[b], ticksPerSecond);
  }

  /** Highest VmRSS sampled so far. */
  get sampledPeak(): number {
    return this.#peak;
  }

  /** Highest VmRSS sampled in `[from, to]` (epoch ms). */
  peakBetween(from: number, to: number): number {
    let peak = 0;
    for (const s of this.samples) {
      if (s.t >= from && s.t <= to && s.rss > peak) peak = s.rss;
    }
    return peak;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
