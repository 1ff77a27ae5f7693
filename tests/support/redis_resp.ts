/**
 * A tiny RESP2 client for the tests: sends commands as RESP arrays of bulk
 * strings over one TCP connection (`Deno.connect`) and parses the replies
 * (simple strings, errors, integers, bulk strings, nil, nested arrays), one
 * command at a time.
 *
 * Replies come back in the shape the Upstash REST protocol gives them in
 * JSON, so that the two can be compared: `{ result }` with strings (bulk or
 * status, decoded as UTF-8), numbers (RESP integers; bigints past 2^53),
 * `null` (nil bulk or
 * nil array) and arrays of those; or `{ error }` with Redis's error line as
 * it is (`ERR syntax error`).
 *
 * @module
 */

/**
 * A reply value: what the REST protocol puts in `result`. Integers past
 * 2^53 are bigints, so that every digit is compared.
 */
export type RespValue = string | number | bigint | null | RespValue[];

/** A reply: a result, or an error with Redis's message. */
export type RespReply = { result: RespValue } | { error: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = encoder.encode(arg);
    parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes);
    parts.push(encoder.encode("\r\n"));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Thrown by {@linkcode parseRaw} when the buffer holds only part of a reply. */
class Incomplete extends Error {}

/** A RESP error reply (`-ERR ...`), kept apart from strings. */
export class RespError {
  /** The error line as Redis sends it, e.g. `ERR syntax error`. */
  constructor(readonly message: string) {}
}

/** A parsed RESP2 reply: errors may sit inside arrays (EXEC's answer). */
export type RespRaw =
  | string
  | number
  | bigint
  | null
  | RespError
  | RespRaw[];

/** An integer's digits as a number, or a bigint when a number would round it. */
export function integer(digits: string): number | bigint {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : BigInt(digits);
}

/**
 * Parses one RESP2 reply from `buf` at `at`; returns it and where it ends.
 *
 * @throws {Error} (an internal "incomplete" one) when more bytes are
 * needed, or on a type byte RESP2 does not have.
 */
export function parseRaw(
  buf: Uint8Array,
  at = 0,
): { raw: RespRaw; end: number } {
  const line = (from: number): { text: string; next: number } => {
    for (let i = from; i + 1 < buf.length; i++) {
      if (buf[i] === CR && buf[i + 1] === 10) {
        return { text: decoder.decode(buf.subarray(from, i)), next: i + 2 };
      }
    }
    throw new Incomplete();
  };
  if (at >= buf.length) throw new Incomplete();
  const type = String.fromCharCode(buf[at]);
  const { text, next } = line(at + 1);
  switch (type) {
    case "+":
      return { raw: text, end: next };
    case "-":
      return { raw: new RespError(text), end: next };
    case ":":
      return { raw: integer(text), end: next };
    case "$": {
      const length = Number(text);
      if (length < 0) return { raw: null, end: next };
      if (next + length + 2 > buf.length) throw new Incomplete();
      return {
        raw: decoder.decode(buf.subarray(next, next + length)),
        end: next + length + 2,
      };
    }
    case "*": {
      const count = Number(text);
      if (count < 0) return { raw: null, end: next };
      const items: RespRaw[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseRaw(buf, end);
        items.push(item.raw);
        end = item.end;
      }
      return { raw: items, end };
    }
    default:
      throw new Error(`Unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * A parsed reply as the REST protocol shapes it: `{ error }` for an error,
 * else `{ result }`.
 *
 * @throws {Error} if an error sits inside an array (only EXEC's answer has
 * those; {@linkcode RespClient.transaction} takes them apart).
 */
export function toReply(raw: RespRaw): RespReply {
  if (raw instanceof RespError) return { error: raw.message };
  const value = (item: RespRaw): RespValue => {
    if (item instanceof RespError) {
      throw new Error(`Error inside an array reply: ${item.message}`);
    }
    return Array.isArray(item) ? item.map(value) : item;
  };
  return { result: value(raw) };
}

/** One RESP connection; commands are sent one at a time, in order. */
export class RespClient {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to a Redis server on 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RespClient> {
    return new RespClient(
      await Deno.connect({ hostname: "127.0.0.1", port }),
    );
  }

  /** Sends `args` as one command and resolves with its reply. */
  async command(args: readonly string[]): Promise<RespReply> {
    return toReply(await this.raw(args));
  }

  /**
   * Runs `commands` in MULTI ... EXEC and answers as the REST protocol's
   * `/multi-exec` does: one reply per command. When Redis refuses the
   * transaction (a command refused while queued: wrong arity, unknown
   * command), resolves with EXEC's error instead. No other command of this
   * client goes between MULTI and EXEC.
   */
  transaction(
    commands: readonly (readonly string[])[],
  ): Promise<RespReply[] | { error: string }> {
    return this.#exclusive(async () => {
      const multi = await this.#roundTrip(["MULTI"]);
      if (multi !== "OK") throw new Error(`MULTI answered ${String(multi)}`);
      for (const command of commands) await this.#roundTrip(command);
      const exec = await this.#roundTrip(["EXEC"]);
      if (exec instanceof RespError) return { error: exec.message };
      if (!Array.isArray(exec)) throw new Error(`EXEC answered ${exec}`);
      return exec.map(toReply);
    });
  }

  /** Sends `args` as one command and resolves with the reply as parsed. */
  raw(args: readonly string[]): Promise<RespRaw> {
    return this.#exclusive(() => this.#roundTrip(args));
  }

  /** Runs `job` once every job queued before it has settled. */
  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #roundTrip(args: readonly string[]): Promise<RespRaw> {
    const bytes = encodeCommand(args);
    for (let sent = 0; sent < bytes.length;) {
      sent += await this.#conn.write(bytes.subarray(sent));
    }
    while (true) {
      try {
        const { raw, end } = parseRaw(this.#buf);
        this.#buf = this.#buf.slice(end);
        return raw;
      } catch (e) {
        if (!(e instanceof Incomplete)) throw e;
      }
      const chunk = new Uint8Array(65_536);
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("Redis closed the connection");
      const grown = new Uint8Array(this.#buf.length + n);
      grown.set(this.#buf);
      grown.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = grown;
    }
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
