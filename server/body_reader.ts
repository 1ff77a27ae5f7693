/**
 * Reading request bodies, as bytes, within a byte limit and a time limit: a declared
 * length over the limit is refused before anything is read, a body without
 * one (chunked) is read only until it passes the limit, and a body that stops
 * arriving is given up after the timeout.
 *
 * @module
 */

/** Why a body could not be read. */
export type BodyFailure = "too-large" | "timed-out" | "unreadable";

/**
 * A failed {@linkcode BodyReader.readText}: an object, since any string
 * (even "too-large") may be a body's text.
 */
export interface TextFailure {
  /** Why the body could not be read. */
  readonly failure: BodyFailure;
}

/**
 * A failed {@linkcode BodyReader.readJson}: why the body could not be read,
 * or "not-json". A class, so that no parsed body can be mistaken for one.
 */
export class JsonFailure {
  /** Why the body gave no JSON value. */
  readonly failure: BodyFailure | "not-json";

  /** Creates the failure `failure`. */
  constructor(failure: BodyFailure | "not-json") {
    this.failure = failure;
  }
}

/** Options for {@linkcode BodyReader}. */
export interface BodyReaderOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Longest time a body may take to arrive, in ms; 0 for no limit. */
  timeoutMs: number;
}

const TEXT_FAILURES: Record<BodyFailure, TextFailure> = {
  "too-large": { failure: "too-large" },
  "timed-out": { failure: "timed-out" },
  "unreadable": { failure: "unreadable" },
};

const JSON_FAILURES: Record<BodyFailure | "not-json", JsonFailure> = {
  "too-large": new JsonFailure("too-large"),
  "timed-out": new JsonFailure("timed-out"),
  "unreadable": new JsonFailure("unreadable"),
  "not-json": new JsonFailure("not-json"),
};

/** What a read settles with; failures in the form its kind answers. */
type ReadResult = Uint8Array | string | TextFailure | unknown;

/** The kinds of read, by what they answer. */
type ReadKind = "bytes" | "text" | "json";

/** One read in progress, in its slot of the reader's table. */
class ActiveRead {
  /** Watchdog tick at which the read started. */
  readonly startTick: number;
  /** What it answers, which decides the form of its failures. */
  readonly kind: ReadKind;
  /** Index in the reader's table. */
  slot = -1;
  /** Ends the read's promise. */
  resolve: (result: ReadResult) => void = ignore;
  /** Stops reading a chunked body. */
  cancel: (() => void) | undefined = undefined;

  constructor(startTick: number, kind: ReadKind) {
    this.startTick = startTick;
    this.kind = kind;
  }
}

const ignore = () => {};
const TOO_LARGE: Promise<BodyFailure> = Promise.resolve("too-large");
const TEXT_TOO_LARGE: Promise<TextFailure> = Promise.resolve(
  TEXT_FAILURES["too-large"],
);
const EMPTY_TEXT: Promise<string> = Promise.resolve("");
const JSON_TOO_LARGE: Promise<JsonFailure> = Promise.resolve(
  JSON_FAILURES["too-large"],
);
const decoder = new TextDecoder();

/**
 * Reads request bodies as bytes or text. One watchdog timer, running while
 * there is traffic, fails reads that have gone on too long; a read costs no
 * timer and no clock reading of its own. Reads in progress live in a table
 * of slots rather than a `Set`: adding an object to a `Set` gives it an
 * identity hash, which cost more than the rest of the bookkeeping. Also
 * tells shutdown when no body is being read.
 */
export class BodyReader {
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #tickMs: number;
  readonly #reads: (ActiveRead | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  #activeCount = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #tick = 0;
  #idleTicks = 0;
  #idle: (() => void)[] = [];

  /** Creates a reader with the given limits. */
  constructor(options: BodyReaderOptions) {
    this.#maxBytes = options.maxBytes;
    this.#timeoutMs = options.timeoutMs;
    this.#tickMs = Math.max(5, Math.min(250, options.timeoutMs / 8));
  }

  /** Bodies being read right now. */
  get active(): number {
    return this.#activeCount;
  }

  /** Resolves as soon as no body is being read (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#activeCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops the watchdog timer (it restarts with the next read). */
  close(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /**
   * Reads `request`'s body, or says why it could not. One promise per read,
   * settled by the body, by a failure to read it, or by the watchdog.
   */
  read(request: Request): Promise<Uint8Array | BodyFailure> {
    const declared = request.headers.get("content-length");
    if (declared !== null && !(Number(declared) <= this.#maxBytes)) {
      return TOO_LARGE;
    }
    const read = new ActiveRead(this.#tick, "bytes");
    let reading: Promise<Uint8Array | BodyFailure>;
    if (declared !== null) {
      // A declared length bounds the read (the HTTP server enforces it), so
      // the runtime's own bytes() can read it. Not touching `request.body`
      // matters: in Deno 2.9 that getter builds a ReadableStream and bytes()
      // then reads through it, which made a PUT cost 5-8 us more.
      reading = request.bytes();
    } else {
      // No length: chunked (read piecewise, up to the limit) or no body.
      const body = request.body;
      if (body === null) return Promise.resolve(new Uint8Array(0));
      reading = this.#collect(body, read);
    }
    return this.#track(reading, read) as Promise<Uint8Array | BodyFailure>;
  }

  /**
   * Reads `request`'s body as UTF-8 text (invalid bytes as U+FFFD), or says
   * why it could not. With a declared length Deno hands over a body that
   * has fully arrived as a string at once, without a decoding step.
   */
  readText(request: Request): Promise<string | TextFailure> {
    const declared = request.headers.get("content-length");
    if (declared !== null && !(Number(declared) <= this.#maxBytes)) {
      return TEXT_TOO_LARGE;
    }
    const read = new ActiveRead(this.#tick, "text");
    let reading: Promise<string | TextFailure>;
    if (declared !== null) {
      reading = request.text();
    } else {
      const body = request.body;
      if (body === null) return EMPTY_TEXT;
      reading = this.#collect(body, read).then((bytes) =>
        typeof bytes === "string" ? TEXT_FAILURES[bytes] : decoder.decode(bytes)
      );
    }
    return this.#track(reading, read) as Promise<string | TextFailure>;
  }

  /**
   * Reads `request`'s body as one JSON value, or says why it could not (a
   * {@linkcode JsonFailure}: the body's failures, or "not-json"). With a
   * declared length this is `Request.json()`, which Deno answers from a body
   * that has fully arrived without building bytes or a text of its own.
   */
  readJson(request: Request): Promise<unknown> {
    const declared = request.headers.get("content-length");
    if (declared !== null && !(Number(declared) <= this.#maxBytes)) {
      return JSON_TOO_LARGE;
    }
    const read = new ActiveRead(this.#tick, "json");
    let reading: Promise<unknown>;
    if (declared !== null) {
      // A SyntaxError rejects it: #track answers "not-json".
      reading = request.json();
    } else {
      const body = request.body;
      if (body === null) return Promise.resolve(JSON_FAILURES["not-json"]);
      reading = this.#collect(body, read).then(parseJsonBytes);
    }
    return this.#track(reading, read);
  }

  /** The promise of `read`, settled by `reading` or by the watchdog. */
  #track(reading: Promise<ReadResult>, read: ActiveRead): Promise<ReadResult> {
    // Not Promise.withResolvers: Node 20 (an edge bundle target) lacks it.
    const promise = new Promise<ReadResult>((resolve) => {
      read.resolve = resolve;
    });
    this.#begin(read);
    reading.then(
      (result) => this.#settle(read, result),
      (error) =>
        this.#fail(
          read,
          read.kind === "json" && error instanceof SyntaxError
            ? "not-json"
            : "unreadable",
        ),
    );
    return promise;
  }

  async #collect(
    body: ReadableStream<Uint8Array>,
    read: ActiveRead,
  ): Promise<Uint8Array | BodyFailure> {
    const reader = body.getReader();
    read.cancel = () => reader.cancel().catch(ignore);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.#maxBytes) {
        reader.cancel().catch(ignore);
        return "too-large";
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0];
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  #begin(read: ActiveRead): void {
    const slot = this.#freeSlots.length > 0
      ? this.#freeSlots.pop()!
      : this.#reads.length;
    read.slot = slot;
    this.#reads[slot] = read;
    this.#activeCount++;
    if (this.#timeoutMs > 0 && this.#watchdog === undefined) {
      this.#idleTicks = 0;
      this.#watchdog = setInterval(() => this.#check(), this.#tickMs);
    }
  }

  /** Ends `read` with `result`, unless it has already ended. */
  #settle(read: ActiveRead, result: ReadResult): void {
    // A read that lost to the watchdog may still settle, unobserved.
    if (this.#reads[read.slot] !== read) return;
    this.#reads[read.slot] = undefined;
    this.#freeSlots.push(read.slot);
    if (--this.#activeCount === 0 && this.#idle.length > 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
    read.resolve(result);
  }

  /** Ends `read` with `failure`, in the form its kind of read answers. */
  #fail(read: ActiveRead, failure: BodyFailure | "not-json"): void {
    this.#settle(
      read,
      read.kind === "json"
        ? JSON_FAILURES[failure]
        : read.kind === "text"
        ? TEXT_FAILURES[failure as BodyFailure]
        : failure,
    );
  }

  /** Watchdog tick: fails overdue reads; stops itself after an idle second. */
  #check(): void {
    this.#tick++;
    if (this.#activeCount === 0) {
      if (++this.#idleTicks * this.#tickMs >= 1000) this.close();
      return;
    }
    this.#idleTicks = 0;
    // A read is overdue once a whole timeout has passed since the tick
    // before it started: it gets between timeoutMs and timeoutMs + one tick.
    const ticks = Math.ceil(this.#timeoutMs / this.#tickMs);
    const reads = this.#reads;
    for (let slot = 0; slot < reads.length; slot++) {
      const read = reads[slot];
      if (read !== undefined && this.#tick - read.startTick > ticks) {
        read.cancel?.();
        this.#fail(read, "timed-out");
      }
    }
  }
}

/** The JSON value of a collected body, or its failure. */
function parseJsonBytes(bytes: Uint8Array | BodyFailure): unknown {
  if (typeof bytes === "string") return JSON_FAILURES[bytes];
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return JSON_FAILURES["not-json"];
  }
}
