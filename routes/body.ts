/**
 * Reading request bodies under a byte limit: a declared length over the limit
 * is refused before anything is read, and a body without a declared length
 * (chunked) is read only until it passes the limit.
 *
 * @module
 */

/** Returned by {@linkcode readBodyText} when the body is over the limit. */
export const BODY_TOO_LARGE: unique symbol = Symbol("body too large");

/**
 * Reads `request`'s body as UTF-8 text, or returns {@linkcode BODY_TOO_LARGE}
 * as soon as it is known to exceed `maxBytes`.
 */
export async function readBodyText(
  request: Request,
  maxBytes: number,
): Promise<string | typeof BODY_TOO_LARGE> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    // The HTTP server enforces the declared length, so it bounds the read.
    if (!(Number(declared) <= maxBytes)) return BODY_TOO_LARGE;
    return await request.text();
  }
  if (request.body === null) return "";
  return await readStreamText(request.body, maxBytes);
}

async function readStreamText(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<string | typeof BODY_TOO_LARGE> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return BODY_TOO_LARGE;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
