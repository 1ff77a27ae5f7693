/**
 * The Upstash REST protocol's wire format, both ways. Requests: one command
 * is a JSON array (`["set","k","v","ex",60]`), a pipeline or transaction an
 * array of them; arguments may be strings, numbers or booleans, which count
 * as their `String()` forms (`60` is `"60"`, `true` is `"true"`). Replies:
 * `{"result":X}` (`result` always present, `null` for nil) or
 * `{"error":"..."}`, and for a pipeline an array of those.
 *
 * With `Upstash-Encoding: base64` every string in a result, at any depth,
 * status replies (`OK`, `PONG`) included, is the base64 of its UTF-8 bytes;
 * integers and nil stay as they are, errors are never encoded. The reply is
 * written as JSON text directly (one pass, `JSON.stringify` only on
 * strings), which also writes integers past 2^53 with their exact digits.
 *
 * @module
 */

import { bytesToBase64 } from "../../lib/base64.ts";
import { decodeUtf8, isAscii, utf8Bytes } from "./bytes.ts";
import { JsonReply, type Reply } from "./reply.ts";

/** The 400 message of a `POST /` body that is not JSON. */
export const COMMAND_NOT_JSON =
  'ERR Request body is not valid JSON; expected a command as a JSON array, e.g. ["get","key"].';

/** The 400 message of a pipeline or transaction body that is not JSON. */
export const PIPELINE_NOT_JSON =
  'ERR Request body is not valid JSON; expected an array of commands, e.g. [["set","key","value"],["get","key"]].';

/**
 * Parses a `POST /` body's text: one command as its arguments (the name
 * first), or the message of a 400 answer.
 */
export function parseCommandBody(text: string): string[] | string {
  const body = parseJson(text);
  return body === INVALID ? COMMAND_NOT_JSON : commandFromJson(body);
}

/**
 * The command of a `POST /` body already parsed as JSON, or the message of a
 * 400 answer.
 */
export function commandFromJson(body: unknown): string[] | string {
  return readCommand(body, "The command");
}

/**
 * Parses a `POST /pipeline` or `/multi-exec` body: an array of commands, or
 * the message of a 400 answer. `maxCommands` bounds their number.
 */
export function parsePipelineBody(
  text: string,
  maxCommands: number,
): string[][] | string {
  const body = parseJson(text);
  return body === INVALID
    ? PIPELINE_NOT_JSON
    : pipelineFromJson(body, maxCommands);
}

/**
 * The commands of a pipeline or transaction body already parsed as JSON, or
 * the message of a 400 answer. `maxCommands` bounds their number.
 */
export function pipelineFromJson(
  body: unknown,
  maxCommands: number,
): string[][] | string {
  if (!Array.isArray(body) || body.length === 0) {
    return `ERR Request body is ${
      describe(body)
    }; expected a non-empty array of commands, e.g. [["set","key","value"],["get","key"]].`;
  }
  if (body.length > maxCommands) {
    return `ERR Request has ${body.length} commands; at most ${maxCommands} (MAX_PIPELINE_COMMANDS) are accepted in one request.`;
  }
  const commands: string[][] = new Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const command = readCommand(body[i], `Command ${i + 1}`);
    if (typeof command === "string") return command;
    commands[i] = command;
  }
  return commands;
}

const INVALID = Symbol("invalid JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

/**
 * Reads one command: a non-empty array of strings, numbers and booleans,
 * converted in place to strings. `what` names it in the error message.
 */
function readCommand(value: unknown, what: string): string[] | string {
  if (!Array.isArray(value) || value.length === 0) {
    return `ERR ${what} is ${
      describe(value)
    }; expected a non-empty JSON array such as ["get","key"].`;
  }
  for (let i = 0; i < value.length; i++) {
    const arg = value[i];
    const kind = typeof arg;
    if (kind === "string") {
      // Redis strings are bytes: a lone surrogate has no UTF-8 form, and is
      // stored as U+FFFD, as any JSON-to-UTF-8 decoder in front of Redis does.
      if (!(arg as string).isWellFormed()) {
        value[i] = (arg as string).toWellFormed();
      }
      continue;
    }
    if (kind === "number" || kind === "boolean") {
      value[i] = String(arg);
      continue;
    }
    return `ERR ${what}'s argument ${i + 1} is ${
      describe(arg)
    }; expected a string, number or boolean.`;
  }
  return value as string[];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return value.length === 0 ? "an empty array" : "an array";
  }
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** The JSON text of `reply`, its strings base64-encoded if `base64`. */
export function encodeReply(reply: Reply, base64: boolean): string {
  if (typeof reply === "string") {
    if (base64) return '"' + stringToBase64(reply) + '"';
    // A value the JSON API stored may hold lone surrogates: as UTF-8 (and
    // base64) they are U+FFFD, so plain answers say the same.
    return JSON.stringify(reply.isWellFormed() ? reply : reply.toWellFormed());
  }
  if (typeof reply === "number") return String(reply);
  if (reply === null) return "null";
  if (typeof reply === "bigint") return reply.toString();
  if (reply instanceof Uint8Array) {
    return base64
      ? '"' + bytesToBase64(reply) + '"'
      : JSON.stringify(decodeUtf8(reply));
  }
  if (reply instanceof JsonReply) return reply.json;
  let text = "[";
  for (let i = 0; i < reply.length; i++) {
    if (i > 0) text += ",";
    text += encodeReply(reply[i], base64);
  }
  return text + "]";
}

/** `{"result":X}` for one reply. */
export function resultBody(reply: Reply, base64: boolean): string {
  return '{"result":' + encodeReply(reply, base64) + "}";
}

/**
 * `{"error":"..."}` for one error message (never encoded), with a `detail`
 * member when given (where Redis's exact error cannot say which command of a
 * transaction caused it; clients read `error` only).
 */
export function errorBody(message: string, detail?: string): string {
  return '{"error":' + JSON.stringify(message) +
    (detail === undefined ? "" : ',"detail":' + JSON.stringify(detail)) + "}";
}

/** The base64 of `text`'s UTF-8 bytes; `btoa` directly for ASCII. */
export function stringToBase64(text: string): string {
  return isAscii(text) ? btoa(text) : bytesToBase64(utf8Bytes(text));
}
