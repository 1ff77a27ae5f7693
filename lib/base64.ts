/**
 * Base64 of bytes on every runtime kv-cache runs on: the ES2026
 * `Uint8Array.prototype.toBase64` where the runtime has it (Deno, Bun,
 * workerd), else `btoa` over a binary string (Node 20 and Vercel's
 * edge-runtime, which runs on Node's V8). The Redis API's base64 encoding
 * (`routes/redis/protocol.ts`) calls it for every reply that is not ASCII.
 * A function rather than a polyfill: nothing global is changed.
 *
 * @module
 */

type WithToBase64 = Uint8Array & { toBase64?: () => string };

/** Base64 of `bytes`, standard alphabet, padded, through `btoa`. */
export function bytesToBase64Portable(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000; // String.fromCharCode's argument count stays small
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Base64 of `bytes` (standard alphabet, padded), natively where possible. */
export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as WithToBase64).toBase64;
  return typeof native === "function"
    ? native.call(bytes)
    : bytesToBase64Portable(bytes);
}
