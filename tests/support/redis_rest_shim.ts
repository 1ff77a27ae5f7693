/**
 * An Upstash REST front for a real redis-server, for checking the test
 * harnesses against Redis itself: the REST-side code of the differential
 * test and the expectations of the `@upstash/redis` client test run against
 * it as they run against kv-cache, so a wrong expectation shows up as a
 * failure against Redis, not as a kv-cache bug.
 *
 * It speaks what issue 22 describes: `POST /` (one command), `POST
 * /pipeline`, `POST /multi-exec` (MULTI ... EXEC on its own connection),
 * `Upstash-Encoding: base64` (every string of a result, at any depth), a
 * fresh `upstash-sync-token` on every answer, `Authorization: Bearer`, and a
 * read-only token that may run only the commands Redis flags `readonly`
 * (asked with `COMMAND INFO`). Nothing else (no limits, no JSON API).
 *
 * @module
 */

import type { RespClient, RespReply } from "./redis_resp.ts";
import type { RedisServer } from "./redis_server.ts";

/** Options of {@linkcode startRestShim}. */
export interface ShimOptions {
  /** Token for everything. */
  token: string;
  /** Token for read-only commands. */
  readonlyToken?: string;
}

/** A running shim. */
export interface RestShim {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Stops it and closes its connections to Redis. */
  stop(): Promise<void>;
}

function toBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

function encode(value: unknown): unknown {
  if (typeof value === "string") return toBase64(value);
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

/** `JSON.rawJSON` (V8), for integers past 2^53 written with every digit. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown })
  .rawJSON;

const json = (body: unknown, status: number, headers: Headers) => {
  headers.set("content-type", "application/json");
  const text = JSON.stringify(
    body,
    (_k, v) => typeof v === "bigint" ? rawJSON(String(v)) : v,
  );
  return new Response(text, { status, headers });
};

/** Starts the shim on a free port in front of `redis`. */
export async function startRestShim(
  redis: RedisServer,
  options: ShimOptions,
): Promise<RestShim> {
  const client = await redis.connect();
  const transactions = await redis.connect();
  const readonly = new Map<string, boolean>();
  let syncToken = 0;

  const isReadonly = async (name: string): Promise<boolean> => {
    const known = readonly.get(name);
    if (known !== undefined) return known;
    const info = await client.raw(["COMMAND", "INFO", name]);
    const entry = Array.isArray(info) ? info[0] : null;
    const flags = Array.isArray(entry) && Array.isArray(entry[2])
      ? entry[2]
      : [];
    const answer = flags.includes("readonly");
    readonly.set(name, answer);
    return answer;
  };

  const run = async (
    redisClient: RespClient,
    commands: unknown[][],
    atomic: boolean,
  ): Promise<RespReply[] | { error: string }> => {
    const args = commands.map((c) => c.map((a) => String(a)));
    if (atomic) return await redisClient.transaction(args);
    const replies: RespReply[] = [];
    for (const a of args) replies.push(await redisClient.command(a));
    return replies;
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const headers = new Headers({
        "upstash-sync-token": `shim-${++syncToken}`,
      });
      const bearer = /^Bearer\s+(.+)$/i.exec(
        request.headers.get("authorization") ?? "",
      )?.[1];
      const full = bearer === options.token;
      const readOnly = !full && options.readonlyToken !== undefined &&
        bearer === options.readonlyToken;
      if (!full && !readOnly) {
        return json({ error: "Unauthorized" }, 401, headers);
      }
      const path = new URL(request.url).pathname;
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return json({ error: "ERR failed to parse command" }, 400, headers);
      }
      const single = path === "/";
      const commands = single ? [body] : body;
      if (
        !Array.isArray(commands) ||
        !commands.every((c) => Array.isArray(c) && c.length > 0)
      ) {
        return json({ error: "ERR failed to parse command" }, 400, headers);
      }
      if (readOnly) {
        for (const c of commands as unknown[][]) {
          if (!(await isReadonly(String(c[0]).toLowerCase()))) {
            return json(
              {
                error:
                  "NOPERM this user has no permissions to run this command",
              },
              403,
              headers,
            );
          }
        }
      }
      const base64 = request.headers.get("upstash-encoding") === "base64";
      const shape = (reply: RespReply) =>
        "error" in reply
          ? reply
          : { result: base64 ? encode(reply.result) : reply.result };
      if (single || path === "/pipeline" || path === "/multi-exec") {
        const replies = await run(
          path === "/multi-exec" ? transactions : client,
          commands as unknown[][],
          path === "/multi-exec",
        );
        if (!Array.isArray(replies)) return json(replies, 400, headers);
        if (single) {
          const reply = replies[0];
          return json(shape(reply), "error" in reply ? 400 : 200, headers);
        }
        return json(replies.map(shape), 200, headers);
      }
      return json({ error: "Not found" }, 404, headers);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    stop: async () => {
      await server.shutdown();
      client.close();
      transactions.close();
    },
  };
}
