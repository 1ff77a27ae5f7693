/**
 * `Uint8Array.prototype.toBase64` (ES2026) where the runtime lacks it: Node
 * 20 and Vercel's edge-runtime (which runs on Node's V8) have no such
 * method, and the Redis API's base64 encoding (`routes/redis/protocol.ts`)
 * calls it for every string that is not ASCII. The edge handler imports this
 * module for its effect; runtimes that have the method keep their own. Only
 * the standard alphabet with padding is provided, which is all kv-cache uses.
 *
 * @module
 */

/** The part of the ES2026 method's options this fallback accepts. */
interface ToBase64Options {
  alphabet?: "base64";
  omitPadding?: false;
}

/** Base64 of `bytes`, standard alphabet, padded, through `btoa`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000; // String.fromCharCode's argument count stays small
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/**
 * Installs the fallback where `toBase64` is missing: on this realm's
 * `Uint8Array.prototype`, and on that of the arrays `TextEncoder` returns,
 * which is another realm's where the runtime hands in its host's encoder
 * (edge-runtime runs code in a Node `vm` context with Node's).
 */
export function installToBase64(): void {
  const prototypes = new Set<object>([
    Uint8Array.prototype,
    Object.getPrototypeOf(new TextEncoder().encode("")),
  ]);
  for (const prototype of prototypes) {
    if (typeof (prototype as { toBase64?: unknown }).toBase64 === "function") {
      continue;
    }
    Object.defineProperty(prototype, "toBase64", {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function toBase64(this: Uint8Array, options?: ToBase64Options) {
        if (
          (options?.alphabet ?? "base64") !== "base64" || options?.omitPadding
        ) {
          throw new TypeError(
            "This toBase64 fallback supports only the standard, padded alphabet.",
          );
        }
        return bytesToBase64(this);
      },
    });
  }
}

installToBase64();
