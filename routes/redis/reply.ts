/**
 * What a Redis command answers: a {@linkcode Reply} value, or a
 * {@linkcode ReplyError} it throws. The errors that several commands share
 * are built here, worded exactly as Redis 7.0 words them (checked against
 * `redis-server` 7.0.15), so that clients matching on the text behave as
 * they do against Redis.
 *
 * @module
 */

/**
 * A command's answer, in the shapes of RESP2 as the Upstash REST protocol
 * carries them: a string (bulk and status replies alike: `OK` is a string),
 * an integer (a `number` while it is safe, a `bigint` beyond 2^53, so that
 * the JSON carries its exact digits), `null` (nil), raw bytes (a byte range
 * that may cut a UTF-8 character, see GETRANGE), or an array of replies.
 */
export type Reply =
  | string
  | number
  | bigint
  | null
  | Uint8Array
  | JsonReply
  | Reply[];

/**
 * A reply already written as its JSON text, in the request's encoding: GET
 * and MGET write a stored value's base64 straight from the store's bytes,
 * which are only valid while the store hands them over.
 */
export class JsonReply {
  /** The JSON text, e.g. `"dmFsdWU="`. */
  readonly json: string;

  /** Wraps `json`, written in the request's encoding. */
  constructor(json: string) {
    this.json = json;
  }
}

/**
 * A Redis error reply; `message` is the whole text as Redis sends it,
 * including its code (`ERR ...`, `NOPERM ...`, `EXECABORT ...`).
 */
export class ReplyError extends Error {
  /** Creates the error reply `message` (newlines become spaces, as in Redis). */
  constructor(message: string) {
    super(message.replace(NEWLINES, " "));
    this.name = "ReplyError";
  }
}

/** Redis never sends a newline inside an error; it writes spaces instead. */
const NEWLINES = /[\r\n]/g;

/** `ERR syntax error`: an option that is unknown, misplaced or repeated. */
export const SYNTAX_ERROR = "ERR syntax error";

/** The argument or the stored value is not a 64-bit signed integer. */
export const NOT_AN_INTEGER = "ERR value is not an integer or out of range";

/** The argument or the stored value is not a number INCRBYFLOAT accepts. */
export const NOT_A_FLOAT = "ERR value is not a valid float";

/** Throws {@linkcode SYNTAX_ERROR}. */
export function syntaxError(): never {
  throw new ReplyError(SYNTAX_ERROR);
}

/** Throws {@linkcode NOT_AN_INTEGER}. */
export function notAnInteger(): never {
  throw new ReplyError(NOT_AN_INTEGER);
}

/** Throws Redis's error for an expiry out of range in command `name`. */
export function invalidExpireTime(name: string): never {
  throw new ReplyError(`ERR invalid expire time in '${name}' command`);
}

/** Redis's error for a command given the wrong number of arguments. */
export function wrongArity(name: string): ReplyError {
  return new ReplyError(
    `ERR wrong number of arguments for '${name}' command`,
  );
}

/** The status reply `OK`. */
export const OK = "OK";
