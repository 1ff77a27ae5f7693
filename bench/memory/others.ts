/**
 * The "other requests" of the Redis probe (`redis_probe.ts`): a separate
 * process that sends the mixed load's kind of requests (GETs of keys written
 * so far, PUTs of new keys of the shape) on a few keep-alive connections,
 * one request at a time on each, and reports every request's start and
 * duration. wrk carries the bulk of the load but reports one histogram per
 * run; these timed samples are what lets the harness take the latency of
 * the requests that overlapped one command, and of those that overlapped
 * none.
 *
 * HTTP/1.1 is spoken over `Deno.connect` directly (request bytes written
 * once, the answer read up to its `content-length`), so the client's own
 * cost per request stays small and constant next to wrk on a shared core.
 *
 * As a program (`deno run --allow-net others.ts URL SHAPE CONNECTIONS FILLED
 * PUT_START GET_PERCENT`) it times requests until SIGTERM, then prints one
 * JSON line per 250 ms window,
 * `{"s":[start…],"d":[ms…],"e":errors,"t":epochMs,"l":lagMs}` (starts in
 * epoch ms; `l` the client's own event-loop lag in the window), all at the
 * end so that its output never waits for the harness to read;
 * {@linkcode startOthers} runs it as a child process and collects the lines.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readLines } from "../../tests/support/lines.ts";
import { keyFor, makeShape, type Shape, type ShapeName } from "./shapes.ts";

/** Timed requests: start (epoch ms) and duration (ms) of each, in columns. */
export interface OtherRequests {
  /** Start of each request, epoch ms. */
  starts: number[];
  /** Duration of each request, ms. */
  durations: number[];
  /** Requests that failed (socket error or status > 399); not timed. */
  errors: number;
  /**
   * The client's own event-loop lag (how late a 5 ms timer fired, at most)
   * per 250 ms window ending at epoch ms `t`: a client that was not
   * scheduled sees every request it had in flight as slow, which this tells
   * apart from a slow server. Filled by {@linkcode startOthers} only.
   */
  lags?: { t: number; ms: number }[];
}

/** What the other requests send. */
export interface OthersSpec {
  url: string;
  shape: Shape;
  /** Connections, each with one request in flight. */
  connections: number;
  /** GETs draw key numbers from [0, filled). */
  filled: number;
  /** First key number the PUTs write (one sequence shared by the connections). */
  putStart: number;
  /** Share of GETs, percent. */
  getPercent: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER_END = encoder.encode("\r\n\r\n");

function indexOfHeaderEnd(buf: Uint8Array, length: number): number {
  outer: for (let i = 0; i + 4 <= length; i++) {
    for (let j = 0; j < 4; j++) {
      if (buf[i + j] !== HEADER_END[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** One keep-alive HTTP/1.1 connection that sends a request and reads its answer. */
class Connection {
  #buf = new Uint8Array(64 * 1024);
  #length = 0;

  private constructor(readonly conn: Deno.TcpConn) {}

  static async open(url: URL): Promise<Connection> {
    const conn = await Deno.connect({
      hostname: url.hostname,
      port: Number(url.port),
    });
    conn.setNoDelay(true);
    return new Connection(conn);
  }

  /** Sends `request` and returns the answer's status once its body is read. */
  async roundTrip(request: Uint8Array): Promise<number> {
    for (let off = 0; off < request.length;) {
      off += await this.conn.write(request.subarray(off));
    }
    for (;;) {
      const end = indexOfHeaderEnd(this.#buf, this.#length);
      if (end >= 0) {
        const head = decoder.decode(this.#buf.subarray(0, end));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (m === null) {
          throw new Error(
            `an answer without content-length: ${head.slice(0, 200)}`,
          );
        }
        const total = end + 4 + Number(m[1]);
        if (this.#length >= total) {
          this.#buf.copyWithin(0, total, this.#length);
          this.#length -= total;
          return Number(head.slice(9, 12));
        }
        if (total > this.#buf.length) {
          const bigger = new Uint8Array(total * 2);
          bigger.set(this.#buf.subarray(0, this.#length));
          this.#buf = bigger;
        }
      } else if (this.#length === this.#buf.length) {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
      const n = await this.conn.read(this.#buf.subarray(this.#length));
      if (n === null) throw new Error("the server closed the connection");
      this.#length += n;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Sends `spec`'s requests until `stopped()` answers true, calling `record`
 * with each request's start (epoch ms) and duration (ms), or with NaN for
 * both when it failed.
 */
export async function sendOthers(
  spec: OthersSpec,
  stopped: () => boolean,
  record: (start: number, ms: number) => void,
): Promise<void> {
  const url = new URL(spec.url);
  const host = `Host: ${url.host}\r\n`;
  let nextPut = spec.putStart;
  const request = (): Uint8Array => {
    if (spec.filled > 0 && Math.random() * 100 < spec.getPercent) {
      const n = Math.floor(Math.random() * spec.filled);
      return encoder.encode(
        `GET /get?key=${
          keyFor(spec.shape.keyScheme, n)
        } HTTP/1.1\r\n${host}\r\n`,
      );
    }
    const n = nextPut++;
    const body = encoder.encode(JSON.stringify({
      key: keyFor(spec.shape.keyScheme, n),
      value: spec.shape.values[n % spec.shape.values.length],
    }));
    const head = encoder.encode(
      `POST /put HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  };
  const origin = performance.timeOrigin;
  const loop = async () => {
    let conn: Connection | undefined;
    while (!stopped()) {
      try {
        conn ??= await Connection.open(url);
        const bytes = request();
        const t0 = performance.now();
        const status = await conn.roundTrip(bytes);
        const t1 = performance.now();
        if (status > 399) record(NaN, NaN);
        else record(origin + t0, t1 - t0);
      } catch {
        record(NaN, NaN);
        conn?.close();
        conn = undefined;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    conn?.close();
  };
  await Promise.all(Array.from({ length: spec.connections }, loop));
}

/** Running other requests. */
export interface Others {
  /** Requests timed (filled in when the process stops). */
  readonly requests: OtherRequests;
  /** Stops the process and waits for its last line. */
  stop(): Promise<void>;
}

const OTHERS_FILE = fileURLToPath(import.meta.url);

/** Interval of the client's lag timer, ms. */
const LAG_TICK_MS = 5;

/** Starts the program through `prefix` (e.g. taskset) and collects its lines. */
export function startOthers(
  spec: Omit<OthersSpec, "shape"> & { shape: ShapeName },
  prefix: string[] = [],
): Others {
  const argv = [
    ...prefix,
    Deno.execPath(),
    "run",
    "--allow-net",
    OTHERS_FILE,
    spec.url,
    spec.shape,
    String(spec.connections),
    String(spec.filled),
    String(spec.putStart),
    String(spec.getPercent),
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const requests: OtherRequests = {
    starts: [],
    durations: [],
    errors: 0,
    lags: [],
  };
  const reading = (async () => {
    for await (const line of readLines(child.stdout)) {
      if (!line.startsWith("{")) continue;
      const { s, d, e, t, l } = JSON.parse(line) as {
        s: number[];
        d: number[];
        e: number;
        t: number;
        l: number;
      };
      requests.lags!.push({ t, ms: l });
      for (let i = 0; i < s.length; i++) {
        requests.starts.push(s[i]);
        requests.durations.push(d[i]);
      }
      requests.errors += e;
    }
  })();
  return {
    requests,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await reading.catch(() => {});
    },
  };
}

async function main(args: string[]): Promise<void> {
  const [url, shape, connections, filled, putStart, getPercent] = args;
  if (getPercent === undefined) {
    console.error(
      "usage: others.ts URL SHAPE CONNECTIONS FILLED PUT_START GET_PERCENT",
    );
    Deno.exit(2);
  }
  let stopped = false;
  Deno.addSignalListener("SIGTERM", () => stopped = true);
  // Windows stay in memory until the end: written as they close, they
  // would block this process (a synchronous write to a full pipe) whenever
  // the harness reads late, e.g. in a GC pause, and every request in flight
  // would look slow (seen: 3.2 s at once on all connections, while wrk saw
  // nothing over 0.2 s).
  const windows: string[] = [];
  let s: number[] = [], d: number[] = [], e = 0, l = 0;
  const flush = () => {
    windows.push(JSON.stringify({ s, d, e, t: Date.now(), l }));
    s = [];
    d = [];
    e = 0;
    l = 0;
  };
  const timer = setInterval(flush, 250);
  let last = performance.now();
  const lagTimer = setInterval(() => {
    const t = performance.now();
    l = Math.max(l, Math.round((t - last - LAG_TICK_MS) * 1000) / 1000);
    last = t;
  }, LAG_TICK_MS);
  await sendOthers(
    {
      url,
      shape: makeShape(shape as ShapeName),
      connections: Number(connections),
      filled: Number(filled),
      putStart: Number(putStart),
      getPercent: Number(getPercent),
    },
    () => stopped,
    (start, ms) => {
      if (Number.isNaN(start)) e++;
      else {
        s.push(Math.round(start * 1000) / 1000);
        d.push(Math.round(ms * 1000) / 1000);
      }
    },
  );
  clearInterval(timer);
  clearInterval(lagTimer);
  flush();
  for (const line of windows) console.log(line);
  Deno.exit(0);
}

if (import.meta.main) await main(Deno.args);
