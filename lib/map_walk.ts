/**
 * The `Map` store's walk over its live entries (`Cache.walk`), for
 * snapshots: a `Map` iterator in insertion (age) order, reporting each entry
 * as JSON string literals, a bounded batch per step.
 *
 * @module
 */

import type { EntryVisitor, EntryWalk, JsonLiterals } from "./cache.ts";
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
