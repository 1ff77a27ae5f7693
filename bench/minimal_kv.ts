/**
 * The handler logic shared by the two ceiling baselines,
 * `bench/minimal_server.ts` (on `Deno.serve`) and `bench/raw_tcp_server.ts`
 * (on `Deno.listen`): the least work a key-value server does per request.
 * No `URL` object, no limits, no TTL, no budget: the key is cut out of the
 * query string, a PUT body goes through `JSON.parse`, values live in a `Map`
 * as their JSON literal, and every answer is one string. The API's exact
 * bodies, `/health` and a `/stats` that counts misses, as the load test needs.
 *
 * @module
 */

/** One answer: HTTP status and JSON body. */
export interface MinimalAnswer {
  /** HTTP status. */
  status: number;
  /** The JSON body. */
  body: string;
}

const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';
const BAD_REQUEST = '{"status":"ERROR","message":"Bad request."}';

/** The `key` parameter of a request target or URL, decoded, or undefined. */
export function keyOf(url: string): string | undefined {
  const at = url.indexOf("?key=");
  if (at < 0) return undefined;
  const end = url.indexOf("&", at);
  const raw = end < 0 ? url.slice(at + 5) : url.slice(at + 5, end);
  return raw.includes("%") || raw.includes("+")
    ? decodeURIComponent(raw.replaceAll("+", " "))
    : raw;
}

/** A `Map` of JSON literals behind the API's routes. */
export class MinimalKv {
  readonly #store = new Map<string, string>();
  readonly #notFoundStatus: number;
  #misses = 0;

  /** Answers misses with `notFoundStatus` (404, or 200 for load harnesses). */
  constructor(notFoundStatus: number) {
    this.#notFoundStatus = notFoundStatus;
  }

  /** Answers a request, given its method, URL (or target) and body text. */
  answer(method: string, url: string, body: string): MinimalAnswer {
    if (method === "POST") return this.#put(body);
    if (url.includes("/get?")) return this.#get(url);
    if (url.endsWith("/health")) {
      return { status: 200, body: '{"status":"OK"}' };
    }
    if (url.endsWith("/stats")) {
      return {
        status: 200,
        body: JSON.stringify({
          status: "OK",
          entries: this.#store.size,
          misses: this.#misses,
        }),
      };
    }
    return { status: 404, body: BAD_REQUEST };
  }

  #put(text: string): MinimalAnswer {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, body: BAD_REQUEST };
    }
    if (typeof body?.key !== "string" || typeof body.value !== "string") {
      return { status: 400, body: BAD_REQUEST };
    }
    this.#store.set(body.key, JSON.stringify(body.value));
    return { status: 200, body: PUT_OK };
  }

  #get(url: string): MinimalAnswer {
    const key = keyOf(url);
    const value = key === undefined ? undefined : this.#store.get(key);
    if (value === undefined) {
      this.#misses++;
      return { status: this.#notFoundStatus, body: NOT_FOUND };
    }
    return {
      status: 200,
      body: '{"status":"OK","key":' + JSON.stringify(key) + ',"value":' +
        value + "}",
    };
  }
}
