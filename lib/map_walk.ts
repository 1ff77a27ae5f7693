/**
 * The `Map` store's iterations over its entries: the walk over its live
 * entries (`Cache.walk`), for snapshots, a `Map` iterator in insertion (age)
 * order reporting each entry as JSON string literals, a bounded batch per
 * step; and its open key scans (`Cache.scan`), each a `Map` iterator too.
 *
 * @module
 */

import type {
  EntryVisitor,
  EntryWalk,
  JsonLiterals,
  ScanBatch,
} from "./cache.ts";
import type { Clock } from "./clock.ts";
import { jsonStringRoom, writeJsonString } from "./json_bytes.ts";

/** An entry as the `Map` store keeps it. */
export interface MapEntry {
  /** The value. */
  value: string;
  /** Absolute expiry in ms since the epoch; 0: never. */
  expiresAt: number;
}

/** Entries a {@linkcode MapWalk} step reports at most. */
export const MAP_WALK_BATCH = 1024;

/**
 * A walk over a `Map`'s entries, oldest first. A `Map` iterator survives
 * changes: deleted entries are skipped, new and overwritten ones (moved to
 * the end) are reached later.
 */
export class MapWalk implements EntryWalk {
  readonly #entries: Iterator<[string, MapEntry]>;
  readonly #clock: Clock;
  #scratch = new Uint8Array(4096);
  readonly #literals: JsonLiterals = {
    bytes: this.#scratch,
    keyStart: 0,
    keyEnd: 0,
    valueStart: 0,
    valueEnd: 0,
  };

  /** Walks `entries` (a live `Map` iterator), skipping entries expired by `clock`. */
  constructor(entries: Iterator<[string, MapEntry]>, clock: Clock) {
    this.#entries = entries;
    this.#clock = clock;
  }

  /** {@inheritDoc EntryWalk.step} */
  step(visit: EntryVisitor): boolean {
    const now = this.#clock.now();
    const literals = this.#literals;
    for (let i = 0; i < MAP_WALK_BATCH; i++) {
      const next = this.#entries.next();
      if (next.done) return false;
      const [key, entry] = next.value;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) continue;
      // Written straight into the scratch buffer: no strings to collect.
      const room = jsonStringRoom(key.length) +
        jsonStringRoom(entry.value.length);
      if (this.#scratch.length < room) this.#scratch = new Uint8Array(room);
      const scratch = this.#scratch;
      literals.bytes = scratch;
      literals.keyEnd = writeJsonString(key, scratch, 0);
      literals.valueStart = literals.keyEnd;
      literals.valueEnd = literals.keyEnd +
        writeJsonString(entry.value, scratch, literals.keyEnd);
      visit(literals, entry.expiresAt);
    }
    return true;
  }
}

/**
 * Scans a {@linkcode MapScans} keeps open at most; starting one more forgets
 * the least recently used, whose cursor then reads as complete.
 */
export const MAX_OPEN_SCANS = 1024;

/** One open iteration of a {@linkcode MapScans}. */
interface OpenScan {
  /**
   * A live iterator over the `Map`, or null once released while idle: the
   * scan then starts again from the oldest entry when next continued.
   */
  entries: Iterator<[string, MapEntry]> | null;
  /** The store's mutation count when the scan was last continued. */
  usedAt: number;
}

const randomWords = new Uint32Array(2);

/**
 * The `Map` store's open scans (`Cache.scan`): cursor id to a live `Map`
 * iterator, kept in least-recently-used order.
 *
 * A `Map` iterator skips entries deleted behind or ahead of it and reaches
 * every entry inserted after it started, and an overwrite re-inserts its key
 * at the end, so a scan reports every key present throughout; a positional
 * cursor would skip keys whenever older entries are deleted. An idle iterator
 * keeps every hash table the `Map` has grown or compacted into since its last
 * step alive, so the store calls {@linkcode MapScans.release} to let idle
 * scans drop their iterator and start over (reporting keys again, never
 * missing one).
 */
export class MapScans {
  readonly #open = new Map<number, OpenScan>();
  readonly #start: () => Iterator<[string, MapEntry]>;

  /** Keeps scans of the `Map` whose fresh iterators `start` returns. */
  constructor(start: () => Iterator<[string, MapEntry]>) {
    this.#start = start;
  }

  /** Scans open now (started and neither complete nor forgotten). */
  get size(): number {
    return this.#open.size;
  }

  /**
   * {@inheritDoc Cache.scan}; examines at most `count` entries (at least 1),
   * skipping those expired at `now`. `mutations` is the store's count of
   * inserts and removals, the clock of {@linkcode MapScans.release}.
   */
  step(
    cursor: number,
    count: number,
    now: number,
    mutations: number,
  ): ScanBatch {
    let scan: OpenScan | undefined;
    let id = cursor;
    if (cursor === 0) {
      if (this.#open.size >= MAX_OPEN_SCANS) {
        this.#open.delete(this.#open.keys().next().value!);
      }
      id = this.#newId();
      scan = { entries: null, usedAt: mutations };
    } else {
      scan = this.#open.get(cursor);
      if (scan === undefined) return { cursor: 0, keys: [] };
      this.#open.delete(cursor);
    }
    const entries = scan.entries ??= this.#start();
    const limit = count >= 1 ? Math.floor(count) : 1;
    const keys: string[] = [];
    for (let examined = 0; examined < limit; examined++) {
      const next = entries.next();
      if (next.done) return { cursor: 0, keys };
      const [key, entry] = next.value;
      if (entry.expiresAt === 0 || entry.expiresAt > now) keys.push(key);
    }
    // Re-inserted: the most recently used scan is the last.
    scan.usedAt = mutations;
    this.#open.set(id, scan);
    return { cursor: id, keys };
  }

  /**
   * Drops the iterator of every scan not continued in the last `idle`
   * mutations (they restart when continued). Costs one step per scan
   * released or already released, plus one.
   */
  release(mutations: number, idle: number): void {
    for (const scan of this.#open.values()) {
      if (scan.entries === null) continue;
      if (mutations - scan.usedAt < idle) break;
      scan.entries = null;
    }
  }

  /** Forgets every open scan: their cursors read as complete. */
  clear(): void {
    this.#open.clear();
  }

  /** A random positive safe integer that is no open scan's cursor. */
  #newId(): number {
    for (;;) {
      crypto.getRandomValues(randomWords);
      const id = (randomWords[0] & 0x1f_ffff) * 2 ** 32 + randomWords[1];
      if (id !== 0 && !this.#open.has(id)) return id;
    }
  }
}
