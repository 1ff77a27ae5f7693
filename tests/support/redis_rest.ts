/**
 * A plain client of the Upstash Redis REST protocol for the tests (not the
 * `@upstash/redis` client: this one shows the wire): `POST /` with one
 * command as a JSON array, `POST /pipeline` and `POST /multi-exec` with an
 * array of them, without `Upstash-Encoding` unless asked, so that results
 * come back as plain JSON strings.
 *
 * Every answer is checked against the protocol's shape before it is
 * returned: a command's success is a 2xx with `result` present, its error a
 * 400 with a string `error` and no `result`; a pipeline or transaction is a
 * 200 with one `{result}` or `{error}` per command; every answer carries a
 * non-empty `upstash-sync-token`. A violation throws, naming the request.
 *
 * @module
 */

import type { RespReply, RespValue } from "./redis_resp.ts";

/** JSON text of `x` for messages (bigints as their digits). */
export function show(x: unknown): string {
  return JSON.stringify(
    x,
    (_k, v) => typeof v === "bigint" ? `${v}n` : v,
  );
}

/** One argument as the client puts it in the JSON body. */
export type RestArg = string | number | boolean;

/** How to reach a kv-cache (or any Upstash-REST) server. */
export interface RestTarget {
  /** Base URL, e.g. `http://127.0.0.1:7171`. */
  url: string;
  /** Bearer token, when the server has one. */
  token?: string;
  /** Sends `Upstash-Encoding: base64` and decodes the answers. */
  base64?: boolean;
  /** Connection pool to use (e.g. one per simulated client); fetch's shared one by default. */
  httpClient?: Deno.HttpClient;
}

/** An answer as it came: status, headers and the parsed body. */
export interface RestAnswer {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Parsed JSON body. */
  body: unknown;
}

/** Posts `body` (already JSON) to `path` and parses the answer as JSON. */
export async function postRaw(
  target: RestTarget,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RestAnswer> {
  const response = await fetch(`${target.url}${path}`, {
    client: target.httpClient,
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      ...(target.base64 ? { "upstash-encoding": "base64" } : {}),
      ...headers,
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    throw new Error(
      `POST ${path} ${body}: answered ${response.status} with a body that is not JSON: ${
        text.slice(0, 200)
      }`,
    );
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * Parses JSON, keeping integers past 2^53 exact as bigints (the protocol
 * sends 64-bit integers as JSON numbers).
 */
export function parseJson(text: string): unknown {
  return JSON.parse(
    text,
    (_key, value, context?: { source?: string }) =>
      typeof value === "number" && !Number.isSafeInteger(value) &&
        context?.source !== undefined && /^-?\d+$/.test(context.source)
        ? BigInt(context.source)
        : value,
  );
}

/** Decodes base64 of UTF-8 bytes. */
export function fromBase64(text: string): string {
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function decodeValue(value: unknown, what: string): RespValue {
  if (
    value === null || typeof value === "number" || typeof value === "bigint"
  ) return value;
  if (typeof value === "string") return fromBase64(value);
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, what));
  throw new Error(`${what}: unexpected value in a result: ${value}`);
}

function checkValue(value: unknown, what: string): RespValue {
  if (
    value === null || typeof value === "number" ||
    typeof value === "bigint" || typeof value === "string"
  ) return value;
  if (Array.isArray(value)) return value.map((v) => checkValue(v, what));
  throw new Error(
    `${what}: unexpected value in a result: ${show(value)}`,
  );
}

/** Checks one `{result}` / `{error}` object and returns it as a reply. */
function toReply(
  item: unknown,
  what: string,
  base64: boolean,
): RespReply {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new Error(`${what}: expected an object, got ${show(item)}`);
  }
  const record = item as Record<string, unknown>;
  if ("error" in record) {
    if (typeof record.error !== "string" || "result" in record) {
      throw new Error(
        `${what}: an error must be a string, without result: ${show(item)}`,
      );
    }
    return { error: record.error };
  }
  if (!("result" in record)) {
    throw new Error(
      `${what}: neither result nor error in ${show(item)}`,
    );
  }
  return {
    result: base64
      ? decodeValue(record.result, what)
      : checkValue(record.result, what),
  };
}

function checkSyncToken(answer: RestAnswer, what: string): void {
  if (!answer.headers.get("upstash-sync-token")) {
    throw new Error(`${what}: no upstash-sync-token header in the answer`);
  }
}

/**
 * Sends one command to `POST /` and returns its reply, after checking the
 * answer's shape (2xx with `result`, or 400 with `error`).
 */
export async function restCommand(
  target: RestTarget,
  args: readonly RestArg[],
): Promise<RespReply> {
  const body = JSON.stringify(args);
  const what = `POST / ${body}`;
  const answer = await postRaw(target, "/", body);
  const reply = toReply(answer.body, what, target.base64 ?? false);
  if ("error" in reply ? answer.status !== 400 : answer.status >= 300) {
    throw new Error(
      `${what}: status ${answer.status} with ${show(answer.body)}`,
    );
  }
  checkSyncToken(answer, what);
  return reply;
}

/**
 * Sends `commands` to `POST /pipeline` (or `/multi-exec` when `atomic`)
 * and returns one reply per command, after checking the answer's shape.
 * When the server refuses the whole batch (a non-200), resolves with that
 * error instead.
 */
export async function restBatch(
  target: RestTarget,
  commands: readonly (readonly RestArg[])[],
  atomic: boolean,
): Promise<RespReply[] | { error: string }> {
  const path = atomic ? "/multi-exec" : "/pipeline";
  const body = JSON.stringify(commands);
  const what = `POST ${path} ${body}`;
  const answer = await postRaw(target, path, body);
  if (answer.status !== 200) {
    const error = (answer.body as { error?: unknown })?.error;
    if (typeof error !== "string" || answer.status !== 400) {
      throw new Error(
        `${what}: status ${answer.status} ${show(answer.body)}`,
      );
    }
    return { error };
  }
  if (!Array.isArray(answer.body) || answer.body.length !== commands.length) {
    throw new Error(
      `${what}: expected an array of ${commands.length} answers, got ${
        show(answer.body)
      }`,
    );
  }
  checkSyncToken(answer, what);
  return answer.body.map((item, i) =>
    toReply(item, `${what} [${i}]`, target.base64 ?? false)
  );
}
