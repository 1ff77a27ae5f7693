/**
 * Response bodies of the API contract. Fixed bodies are built once; clients
 * and load harnesses match on their exact bytes.
 *
 * @module
 */

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
  body: string,
  status = 200,
  headers?: Record<string, string>,
): Response {
  return new Response(body, {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/**
 * Returns the body of a successful `GET /get`, given the key and the value as
 * its JSON string literal (see `Cache.getJson`). A string body takes Deno's
 * fastest response path.
 */
export function hitBody(key: string, valueJson: string): string {
  return '{"status":"OK","key":' + JSON.stringify(key) + ',"value":' +
    valueJson + "}";
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
