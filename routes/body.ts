/**
 * Reading request bodies within a byte limit and a time limit: a declared
 * length over the limit is refused before anything is read, a body without
 * one (chunked) is read only until it passes the limit, and a body that stops
 * arriving is given up after the timeout.
 *
 * @module
 */

/** Why a body could not be read. */
export type BodyFailure = "too-large" | "timed-out" | "unreadable";

/** Options for {@linkcode BodyReader}. */
export interface BodyReaderOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Longest time a body may take to arrive, in ms; 0 for no limit. */
  timeoutMs: number;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

interface ActiveRead {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  deadline: number;
  timedOut: boolean;
}

const decoder = new TextDecoder();

/**
 * Reads request bodies as UTF-8 text. One timer, running only while reads
 * are in progress, cancels those past their deadline, so a read costs no
 * timer of its own. Also tells shutdown when no body is being read.
 */
export class BodyReader {
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #active = new Set<ActiveRead>();
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #idle: (() => void)[] = [];

  /** Creates a reader with the given limits. */
  constructor(options: BodyReaderOptions) {
    this.#maxBytes = options.maxBytes;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Bodies being read right now. */
  get active(): number {
    return this.#active.size;
  }

  /** Resolves as soon as no body is being read (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Reads `request`'s body, or says why it could not. */
  async read(request: Request): Promise<string | BodyFailure> {
    const declared = request.headers.get("content-length");
    if (declared !== null && !(Number(declared) <= this.#maxBytes)) {
      return "too-large";
    }
    if (request.body === null) return "";
    const read: ActiveRead = {
      reader: request.body.getReader(),
      deadline: this.#now() + this.#timeoutMs,
      timedOut: false,
    };
    this.#begin(read);
    try {
      return await this.#collect(read);
    } catch {
      return read.timedOut ? "timed-out" : "unreadable";
    } finally {
      this.#end(read);
    }
  }

  async #collect(read: ActiveRead): Promise<string | BodyFailure> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await read.reader.read();
      if (read.timedOut) return "timed-out";
      if (done) break;
      total += value.byteLength;
      if (total > this.#maxBytes) {
        read.reader.cancel().catch(() => {});
        return "too-large";
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return decoder.decode(chunks[0]);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return decoder.decode(bytes);
  }

  #begin(read: ActiveRead): void {
    this.#active.add(read);
    if (this.#timeoutMs > 0 && this.#watchdog === undefined) {
      const every = Math.max(10, Math.min(1000, this.#timeoutMs / 4));
      this.#watchdog = setInterval(() => this.#expire(), every);
    }
  }

  #end(read: ActiveRead): void {
    this.#active.delete(read);
    if (this.#active.size > 0) return;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #expire(): void {
    const now = this.#now();
    for (const read of this.#active) {
      if (!read.timedOut && now >= read.deadline) {
        read.timedOut = true;
        read.reader.cancel().catch(() => {});
      }
    }
  }
}
