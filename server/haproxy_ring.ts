/**
 * HAProxy's consistent-hash ring, as the cluster's configuration sets it up
 * (`balance hash`, `hash-type consistent sdbm avalanche`, every server
 * `weight 100` with `id` 1…N, all up), computed here so that the Redis
 * front can group a request's keys by node. It is a prediction: the front
 * checks it against HAProxy before trusting it (`server/cluster_front.ts`),
 * and sends each group to its node by name, so that a wrong guess cannot
 * go unnoticed as long as the check passed.
 *
 * HAProxy (src/lb_chash.c, 2.6): server `id` puts `weight × 16` points on
 * the ring at `full_hash(id × 4096 + i)`; a key's hash is `sdbm` over its
 * UTF-8 bytes, then `full_hash` (avalanche); the server of the
 * nearest point wins, the one before on a tie.
 *
 * @module
 */

/** Bob Jenkins' integer hash as HAProxy's `full_hash` computes it (32 bits). */
export function fullHash(value: number): number {
  let a = value >>> 0;
  a = ((a + 0x7ed55d16) + (a << 12)) >>> 0;
  a = ((a ^ 0xc761c23c) ^ (a >>> 19)) >>> 0;
  a = ((a + 0x165667b1) + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = ((a + 0xfd7046c5) + (a << 3)) >>> 0;
  a = ((a ^ 0xb55a4f09) ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

/** HAProxy's `sdbm` over `bytes` (unsigned). */
export function sdbm(bytes: Uint8Array): number {
  let hash = 0;
  for (const byte of bytes) {
    hash = (byte + (hash << 6) + (hash << 16) - hash) >>> 0;
  }
  return hash;
}

const encoder = new TextEncoder();

/** The ring of `nodes` servers (ids 1…nodes, weight `weight`). */
export class HaproxyRing {
  #keys: Uint32Array;
  #owners: Uint16Array;
  /** False when two servers share a point (the order HAProxy keeps is unknown). */
  readonly exact: boolean;

  /** Builds the ring of `nodes` servers of weight `weight`. */
  constructor(nodes: number, weight = 100) {
    const points: [number, number][] = [];
    for (let server = 0; server < nodes; server++) {
      const base = (server + 1) * 4096;
      for (let i = 0; i < weight * 16; i++) {
        points.push([fullHash(base + i), server]);
      }
    }
    points.sort((a, b) => a[0] - b[0]);
    this.#keys = Uint32Array.from(points, (p) => p[0]);
    this.#owners = Uint16Array.from(points, (p) => p[1]);
    let exact = true;
    for (let i = 1; i < points.length; i++) {
      if (
        points[i][0] === points[i - 1][0] && points[i][1] !== points[i - 1][1]
      ) {
        exact = false;
      }
    }
    this.exact = exact;
  }

  /** The index (0-based, ring order) of the node HAProxy sends `key` to. */
  nodeOf(key: string): number {
    const hash = fullHash(sdbm(encoder.encode(key)));
    const keys = this.#keys;
    let low = 0;
    let high = keys.length;
    while (low < high) { // first point >= hash
      const mid = (low + high) >>> 1;
      if (keys[mid] < hash) low = mid + 1;
      else high = mid;
    }
    const next = low === keys.length ? 0 : low;
    const prev = next === 0 ? keys.length - 1 : next - 1;
    if (this.#owners[next] === this.#owners[prev]) return this.#owners[next];
    const dp = (hash - keys[prev]) >>> 0;
    const dn = (keys[next] - hash) >>> 0;
    return dp <= dn ? this.#owners[prev] : this.#owners[next];
  }
}
