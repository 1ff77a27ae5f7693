/**
 * The `Map` store's walk over its live entries (`Cache.walk`), for
 * snapshots: a `Map` iterator in insertion (age) order, reporting each entry
 * as JSON string literals, a bounded batch per step.
 *
 * @module
 */

import type { EntryVisitor, EntryWalk, JsonLiterals } from "./cache.ts";
import type { Clock } from "./clock.ts";

/** An entry as the `Map` store keeps it. */
export interface MapEntry {
  /** The value. */
  value: string;
  /** Absolute expiry in ms since the epoch; 0: never. */
  expiresAt: number;
}

/** Entries a {@linkcode MapWalk} step reports at most. */
export const MAP_WALK_BATCH = 1024;

const encoder = new TextEncoder();

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
      const keyJson = JSON.stringify(key);
      const valueJson = JSON.stringify(entry.value);
      const room = 3 * (keyJson.length + valueJson.length);
      if (this.#scratch.length < room) this.#scratch = new Uint8Array(room);
      literals.bytes = this.#scratch;
      literals.keyEnd = encoder.encodeInto(keyJson, this.#scratch).written;
      literals.valueStart = literals.keyEnd;
      literals.valueEnd = literals.keyEnd + encoder.encodeInto(
        valueJson,
        this.#scratch.subarray(literals.keyEnd),
      ).written;
      visit(literals, entry.expiresAt);
    }
    return true;
  }
}
