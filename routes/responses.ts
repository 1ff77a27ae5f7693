/**
 * Response bodies of the API contract. Fixed bodies are built once; clients
 * and load harnesses match on their exact bytes.
 *
 * @module
 */

import { jsonStringRoom, writeJsonString } from "../lib/json_bytes.ts";

const JSON_HEADERS = { "content-type": "application/json" } as const;

/** Body of a successful `POST /put`. */
export const PUT_OK_BODY =
  '{"status":"OK","message":"Key inserted/updated successfully."}';

/** Body of a successful `DELETE /delete`. */
export const DELETE_OK_BODY = '{"status":"OK","message":"Key deleted."}';

/** Body of a read or delete of a key that is absent or expired. */
export const NOT_FOUND_BODY = '{"status":"ERROR","message":"Key not found."}';

/** Body of `GET /health`. */
export const HEALTH_BODY = '{"status":"OK"}';

/** Returns a JSON response with an already serialised body. */
export function jsonResponse(
  body: string | Uint8Array<ArrayBuffer>,
  status = 200,
  headers?: Record<string, string>,
): Response {
  return new Response(body, {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

const encoder = new TextEncoder();
const HIT_HEAD = encoder.encode('{"status":"OK","key":');
const HIT_MIDDLE = encoder.encode(',"value":');
const CLOSING_BRACE = 0x7d;

/**
 * Returns the body of a successful `GET /get`, given the key and the value as
 * the UTF-8 bytes of its JSON string literal (see `Cache.getJson`).
 */
export function hitBody(
  key: string,
  valueJson: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(
    HIT_HEAD.length + jsonStringRoom(key.length) + HIT_MIDDLE.length +
      valueJson.length + 1,
  );
  body.set(HIT_HEAD);
  let end = HIT_HEAD.length;
  end += writeJsonString(key, body, end);
  body.set(HIT_MIDDLE, end);
  end += HIT_MIDDLE.length;
  body.set(valueJson, end);
  end += valueJson.length;
  body[end] = CLOSING_BRACE;
  return body.subarray(0, end + 1);
}

/** Returns an error response: `{"status":"ERROR","message":...}`. */
export function errorResponse(
  status: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  return jsonResponse(
    '{"status":"ERROR","message":' + JSON.stringify(message) + "}",
    status,
    headers,
  );
}
