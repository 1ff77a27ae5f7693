/**
 * The arena's index: chained linear hashing over the records of the
 * segments, in a `Uint32Array` of bucket heads (`layout.ts`) and the `NEXT`
 * word of each record's header (`records.ts`).
 *
 * The index grows one bucket at a time as entries arrive (one split per
 * insert past a load of 1), so it stays as small as the entries need: a
 * small cache's buckets fit in the CPU caches, and no insert ever rehashes
 * the whole table. The array is allocated at its largest size up front, but
 * the operating system only backs the part in use.
 *
 * Buckets in use are `0 .. levelBuckets + split - 1`. A key's bucket is its
 * hash's low bits at this level, or one bit more once its bucket has split;
 * a split of bucket `b` moves some of its keys to `b + levelBuckets`, the
 * newest bucket. SCAN's cursor order (`ArenaCache.scan`) rests on this: a
 * key only ever moves to a bucket at or past any cursor.
 *
 * The index holds views only; every call runs inside the caller's critical
 * section.
 *
 * @module
 */

import {
  C_LEVEL_BUCKETS,
  C_SPLIT,
  INITIAL_BUCKETS,
  RECORD_HEADER_BYTES,
} from "./layout.ts";
import { equalBytes, HASH, KEY_LENGTH, NEXT, NIL } from "./records.ts";

/** The views of an arena's memory that its index reads and writes. */
export interface HashIndexViews {
  /** Scalar state: `C_LEVEL_BUCKETS` and `C_SPLIT`. */
  state: Int32Array;
  /** Bucket heads (record addresses, `NIL` for empty). */
  buckets: Uint32Array;
  /** The segments as 32-bit words (record headers). */
  words: Uint32Array;
  /** The segments as bytes (record keys). */
  bytes: Uint8Array;
}

/** The linear-hashing index of an arena; see the module docs. */
export class HashIndex {
  readonly #state: Int32Array;
  readonly #buckets: Uint32Array;
  readonly #words: Uint32Array;
  readonly #bytes: Uint8Array;
  /**
   * After a {@linkcode HashIndex.find} that found a record: the record that
   * links to it in its chain (`NIL`: the bucket does).
   */
  foundPrevious = NIL;

  /** Uses the index in `views`; see {@linkcode HashIndex.initialize}. */
  constructor(views: HashIndexViews) {
    this.#state = views.state;
    this.#buckets = views.buckets;
    this.#words = views.words;
    this.#bytes = views.bytes;
  }

  /** Sets up a new arena's index, once; answers whether it was new. */
  initialize(): boolean {
    if (this.#state[C_LEVEL_BUCKETS] !== 0) return false;
    this.#state[C_LEVEL_BUCKETS] = INITIAL_BUCKETS;
    return true;
  }

  /** Buckets in use: valid cursors are below this. */
  bucketsInUse(): number {
    return this.#state[C_LEVEL_BUCKETS] + this.#state[C_SPLIT];
  }

  /** The first record of `bucket`'s chain, or `NIL`. */
  head(bucket: number): number {
    return this.#buckets[bucket];
  }

  /** The next record after `address` in its chain, or `NIL`. */
  next(address: number): number {
    return this.#words[(address - 1) * 2 + NEXT];
  }

  /** The bucket of `hash`: its low bits at this level, or one more bit if split. */
  bucketOf(hash: number): number {
    const levelBuckets = this.#state[C_LEVEL_BUCKETS];
    const bucket = hash & (levelBuckets - 1);
    return bucket < this.#state[C_SPLIT]
      ? hash & (2 * levelBuckets - 1)
      : bucket;
  }

  /**
   * The address of the record whose key bytes equal `length` bytes of `key`
   * from `start`, or `NIL`; sets {@linkcode HashIndex.foundPrevious}.
   */
  find(hash: number, key: Uint8Array, start: number, length: number): number {
    const words = this.#words;
    let previous = NIL;
    let address = this.#buckets[this.bucketOf(hash)];
    while (address !== NIL) {
      const w = (address - 1) * 2;
      if (
        words[w + HASH] === hash &&
        words[w + KEY_LENGTH] === length &&
        equalBytes(this.#bytes, w * 4 + RECORD_HEADER_BYTES, key, start, length)
      ) {
        this.foundPrevious = previous;
        return address;
      }
      previous = address;
      address = words[w + NEXT];
    }
    return NIL;
  }

  /**
   * Links the record at `address`, whose header holds `hash`, at the head
   * of its bucket's chain. Counting it is the caller's, who then calls
   * {@linkcode HashIndex.grow} with the new count.
   */
  insert(address: number, hash: number): void {
    const bucket = this.bucketOf(hash);
    this.#words[(address - 1) * 2 + NEXT] = this.#buckets[bucket];
    this.#buckets[bucket] = address;
  }

  /** Splits one bucket if `entries` outnumber the buckets in use. */
  grow(entries: number): void {
    if (entries > this.bucketsInUse()) this.#splitBucket();
  }

  /** The record that links to `address` in its chain (`NIL`: the bucket). */
  findPrevious(address: number): number {
    const words = this.#words;
    const hash = words[(address - 1) * 2 + HASH];
    let previous = NIL;
    let current = this.#buckets[this.bucketOf(hash)];
    while (current !== address) {
      previous = current;
      current = words[(current - 1) * 2 + NEXT];
    }
    return previous;
  }

  /**
   * Points whatever links to a record of hash `hash` (its predecessor
   * `previous`, or with `NIL` its bucket) at `to`: to unlink the record
   * (`to` its successor) or move it (`to` its new address).
   */
  relink(previous: number, hash: number, to: number): void {
    if (previous === NIL) this.#buckets[this.bucketOf(hash)] = to;
    else this.#words[(previous - 1) * 2 + NEXT] = to;
  }

  /**
   * Back to the first level with empty buckets. The buckets past it keep
   * stale chains, but a bucket is only read once a split has rewritten it.
   */
  reset(): void {
    this.#buckets.fill(NIL, 0, INITIAL_BUCKETS);
    this.#state[C_LEVEL_BUCKETS] = INITIAL_BUCKETS;
    this.#state[C_SPLIT] = 0;
  }

  /** Splits the next bucket in order, moving half its chain to a new bucket. */
  #splitBucket(): void {
    const state = this.#state;
    const levelBuckets = state[C_LEVEL_BUCKETS];
    const from = state[C_SPLIT];
    const target = levelBuckets + from;
    if (target >= this.#buckets.length) return; // at the largest size
    const mask = 2 * levelBuckets - 1;
    const words = this.#words;
    let address = this.#buckets[from];
    let stay = NIL;
    let move = NIL;
    // Rebuild both chains; order within a chain does not matter.
    while (address !== NIL) {
      const w = (address - 1) * 2;
      const next = words[w + NEXT];
      if ((words[w + HASH] & mask) === from) {
        words[w + NEXT] = stay;
        stay = address;
      } else {
        words[w + NEXT] = move;
        move = address;
      }
      address = next;
    }
    this.#buckets[from] = stay;
    this.#buckets[target] = move;
    if (from + 1 === levelBuckets) {
      state[C_LEVEL_BUCKETS] = 2 * levelBuckets;
      state[C_SPLIT] = 0;
    } else {
      state[C_SPLIT] = from + 1;
    }
  }
}
