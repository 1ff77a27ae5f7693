/**
 * The arena's segments as a log: records are appended to the head segment,
 * and segments are kept oldest first. The sweep's cursor and the walks of a
 * snapshot follow the same age order.
 *
 * Once the budget is spent (or, early, when most bytes are dead), space
 * comes from a reclaim job: compacting a run of adjacent segments, or
 * evicting the oldest one. Freeing a segment of tiny records unlinks some
 * 6,500 of them, several milliseconds of work, so no single request does a
 * whole job: each write advances the job in progress by `RECLAIM_PACE`
 * times its own size, and the job finishes while the free segments held in
 * reserve are still there. Between steps every record is either in its old
 * place or in its new one, linked and findable.
 *
 * Like the index, the log holds views only, and every call runs inside the
 * caller's critical section.
 *
 * @module
 */

import type { EntryVisitor, JsonLiterals, SweepResult } from "../cache.ts";
import type { Clock } from "../clock.ts";
import type { HashIndex } from "./hash_index.ts";
import {
  type ArenaLayout,
  C_ENTRIES,
  C_FREE_LENGTH,
  C_HEAD,
  C_JOB_EVICTS,
  C_JOB_LENGTH,
  C_JOB_OFFSET,
  C_JOB_SOURCE,
  C_JOB_START,
  C_JOB_TARGET,
  C_JOB_TARGET_OFFSET,
  C_ORDER_LENGTH,
  C_SEGMENTS,
  C_SWEEP_GENERATION,
  C_SWEEP_OFFSET,
  C_SWEEP_SEGMENT,
  F_ALLOCATED_BYTES,
  F_COMPACTIONS,
  F_EARLY_COMPACTION_AT,
  F_EVICTED,
  F_EXPIRED_BY_SWEEP,
  F_LIVE_BYTES,
  F_SWEEPS_RUN,
  F_WRITTEN_BYTES,
  MAX_COMPACTION_WINDOW,
  RECORD_HEADER_BYTES,
  SEGMENT_CHUNK_BYTES,
  tableViews,
} from "./layout.ts";
import {
  DEAD,
  EXPIRES_AT,
  HASH,
  KEY_LENGTH,
  NEXT,
  recordSize,
  VALUE_LENGTH,
} from "./records.ts";

/**
 * Bytes of old records a write lets the reclaim job in progress examine, per
 * byte it writes. A job examines at most about three segments for each one it
 * frees, so at this pace it finishes well before the free segments kept in
 * reserve run out.
 */
export const RECLAIM_PACE = 4;

/** Most free segments kept in reserve once the store is full. */
export const MAX_RESERVED_SEGMENTS = 4;

/**
 * Below its budget, a store compacts instead of growing once less than this
 * share of its segment bytes is live. Growing means writing to memory never
 * touched: a page fault every dozen records, and CPU caches that never warm.
 */
export const EARLY_COMPACTION_LIVE_SHARE = 0.5;

/** Segments a store may hold before compacting below its budget. */
export const EARLY_COMPACTION_MIN_SEGMENTS = 16;

/** The views of an arena's memory that its log reads and writes. */
export interface SegmentLogViews {
  /** Scalar state (`C_*` slots). */
  state: Int32Array;
  /** Byte counts and counters (`F_*` slots). */
  numbers: Float64Array;
  /** The segments as bytes (keys and values). */
  bytes: Uint8Array;
  /** The segments as 32-bit words (record headers). */
  words: Uint32Array;
  /** The segments as float64s (expiry times). */
  doubles: Float64Array;
}

/** The segments of an arena, as a log; see the module docs. */
export class SegmentLog {
  readonly #state: Int32Array;
  readonly #numbers: Float64Array;
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #doubles: Float64Array;
  /** Per segment: bytes used, bytes live, generation, being rewritten. */
  readonly #used: Int32Array;
  readonly #live: Int32Array;
  readonly #generation: Int32Array;
  readonly #rewriting: Int32Array;
  /** Segments in use, oldest first (the last is the head), and free ones. */
  readonly #order: Int32Array;
  readonly #free: Int32Array;
  /** Segments of the reclaim job in progress, oldest first. */
  readonly #job: Int32Array;
  readonly #index: HashIndex;
  readonly #clock: Clock;
  readonly #segmentBytes: number;
  readonly #maxSegments: number;
  readonly #maxRecordBytes: number;
  /** Free segments a full store keeps ahead of need. */
  readonly #reserve: number;

  /** The log of `layout`, whose records `index` links. */
  constructor(
    layout: ArenaLayout,
    views: SegmentLogViews,
    index: HashIndex,
    clock: Clock,
  ) {
    this.#state = views.state;
    this.#numbers = views.numbers;
    this.#bytes = views.bytes;
    this.#words = views.words;
    this.#doubles = views.doubles;
    const table = tableViews(layout);
    this.#used = table.used;
    this.#live = table.live;
    this.#generation = table.generation;
    this.#rewriting = table.rewriting;
    this.#order = table.order;
    this.#free = table.free;
    this.#job = table.job;
    this.#index = index;
    this.#clock = clock;
    this.#segmentBytes = layout.segmentBytes;
    this.#maxSegments = layout.maxSegments;
    this.#maxRecordBytes = layout.maxRecordBytes;
    this.#reserve = Math.min(
      MAX_RESERVED_SEGMENTS,
      Math.max(1, this.#maxSegments >> 4),
    );
  }

  /** Sets up a new arena's log (no segments, no sweep pass). */
  initialize(): void {
    this.#state[C_HEAD] = -1;
    this.#state[C_SWEEP_SEGMENT] = -1;
  }

  // --- records -------------------------------------------------------------

  /**
   * The segment the next record of `room` bytes goes to: the head if it has
   * the room, else a new head (reclaiming space first if at the limit).
   */
  headWithRoom(room: number): number {
    const slot = this.#state[C_HEAD];
    return slot < 0 || this.#used[slot] + room > this.#segmentBytes
      ? this.#openSegment()
      : slot;
  }

  /** Where the next record of segment `slot` starts, in the segments buffer. */
  endOf(slot: number): number {
    return slot * this.#segmentBytes + this.#used[slot];
  }

  /**
   * Counts a record of `size` bytes just written at the end of segment
   * `slot` and linked into the index, lets the index grow, and advances the
   * reclaim job by {@linkcode RECLAIM_PACE} times the record's size,
   * starting one if due.
   */
  appended(slot: number, size: number): void {
    const state = this.#state;
    const numbers = this.#numbers;
    this.#used[slot] += size;
    this.#live[slot] += size;
    numbers[F_LIVE_BYTES] += size;
    numbers[F_WRITTEN_BYTES] += size;
    this.#index.grow(++state[C_ENTRIES]);
    if (
      state[C_JOB_LENGTH] > 0 ||
      (state[C_FREE_LENGTH] < this.#reserve && this.#startJobIfDue())
    ) {
      this.#reclaimStep(RECLAIM_PACE * size);
    }
  }

  /** Whether the record at `address` has expired at `now`. */
  isExpired(address: number, now: number): boolean {
    const expiresAt = this.#doubles[(address - 1) + EXPIRES_AT];
    return expiresAt !== 0 && expiresAt <= now;
  }

  /**
   * Unlinks the live record at `address` (linked from `previous`, `NIL`
   * for its bucket) from the index, marks it dead and uncounts it.
   */
  remove(address: number, previous: number): void {
    const words = this.#words;
    const w = (address - 1) * 2;
    const keyLength = words[w + KEY_LENGTH];
    this.#index.relink(previous, words[w + HASH], words[w + NEXT]);
    words[w + KEY_LENGTH] = keyLength | DEAD;
    const size = recordSize(keyLength, words[w + VALUE_LENGTH]);
    this.#live[this.#slotOf(address)] -= size;
    this.#numbers[F_LIVE_BYTES] -= size;
    this.#state[C_ENTRIES]--;
  }

  /**
   * Gives every segment back: the free list holds them all, no job runs
   * and no sweep pass is under way. The index is the caller's to reset.
   */
  clear(): void {
    const state = this.#state;
    const jobLength = state[C_JOB_LENGTH];
    for (let i = 0; i < jobLength; i++) this.#rewriting[this.#job[i]] = 0;
    state[C_JOB_LENGTH] = 0;
    const length = state[C_ORDER_LENGTH];
    for (let i = 0; i < length; i++) this.#releaseSegment(this.#order[i]);
    state[C_ORDER_LENGTH] = 0;
    state[C_HEAD] = -1;
    state[C_ENTRIES] = 0;
    this.#numbers[F_LIVE_BYTES] = 0;
    this.#startSweepAt(-1);
  }

  // --- the sweep and walks ---------------------------------------------------

  /**
   * Examines up to `maxEntries` records from the sweep cursor on, oldest
   * segment first, removing the expired ones.
   */
  sweep(maxEntries: number): SweepResult {
    const state = this.#state;
    const now = this.#clock.now();
    let removed = 0;
    if (state[C_SWEEP_SEGMENT] < 0) {
      this.#startSweepAt(this.#oldest()); // a new pass
    } else if (
      this.#generation[state[C_SWEEP_SEGMENT]] !== state[C_SWEEP_GENERATION]
    ) {
      // Reclaiming moves the cursor off segments it frees or rewrites, so
      // this is only a safety net: start the pass over.
      this.#startSweepAt(this.#oldest());
    }
    for (let examined = 0; examined < maxEntries; examined++) {
      let slot = state[C_SWEEP_SEGMENT];
      while (
        slot >= 0 &&
        (state[C_SWEEP_OFFSET] >= this.#used[slot] ||
          this.#rewriting[slot] === 1)
      ) {
        const index = this.#orderIndexOf(slot);
        slot = index >= 0 && index + 1 < state[C_ORDER_LENGTH]
          ? this.#order[index + 1]
          : -1;
        this.#startSweepAt(slot);
      }
      if (slot < 0) {
        this.#numbers[F_SWEEPS_RUN]++;
        this.#numbers[F_EXPIRED_BY_SWEEP] += removed;
        return { removed, done: true };
      }
      const offset = state[C_SWEEP_OFFSET];
      const words = (slot * this.#segmentBytes + offset) / 4;
      const keyLength = this.#words[words + KEY_LENGTH];
      state[C_SWEEP_OFFSET] = offset + recordSize(
        keyLength & ~DEAD,
        this.#words[words + VALUE_LENGTH],
      );
      if (keyLength & DEAD) continue;
      const address = this.#address(slot, offset);
      if (this.isExpired(address, now)) {
        this.remove(address, this.#index.findPrevious(address));
        removed++;
      }
    }
    this.#numbers[F_EXPIRED_BY_SWEEP] += removed;
    return { removed, done: false };
  }

  /**
   * One step of a walk (`Cache.walk`): reports the live records of the
   * oldest segment not reported in its current generation, and answers
   * false when there is none. A compaction that moves records into a
   * reported segment gives it a new generation, so they are reported again
   * rather than missed. A segment being compacted is not read: the step
   * advances the compaction instead (by one segment's worth).
   */
  walkStep(
    reported: Int32Array,
    literals: JsonLiterals,
    visit: EntryVisitor,
  ): boolean {
    const length = this.#state[C_ORDER_LENGTH];
    let slot = -1;
    for (let i = 0; i < length; i++) {
      const candidate = this.#order[i];
      if (reported[candidate] !== ((this.#generation[candidate] + 1) | 0)) {
        slot = candidate;
        break;
      }
    }
    if (slot < 0) return false;
    if (this.#rewriting[slot] === 1) {
      if (this.#state[C_JOB_LENGTH] > 0) {
        this.#reclaimStep(this.#segmentBytes);
      }
      return true;
    }
    const base = slot * this.#segmentBytes;
    const end = this.#used[slot];
    const now = this.#clock.now();
    for (let offset = 0; offset < end;) {
      const p = base + offset;
      const keyLength = this.#words[p / 4 + KEY_LENGTH];
      const valueLength = this.#words[p / 4 + VALUE_LENGTH];
      const expiresAt = this.#doubles[p / 8 + EXPIRES_AT];
      if (!(keyLength & DEAD) && (expiresAt === 0 || expiresAt > now)) {
        literals.keyStart = p + RECORD_HEADER_BYTES;
        literals.keyEnd = literals.valueStart = literals.keyStart + keyLength;
        literals.valueEnd = literals.valueStart + valueLength;
        visit(literals, expiresAt);
      }
      offset += recordSize(keyLength & ~DEAD, valueLength);
    }
    reported[slot] = this.#generation[slot] + 1;
    return true;
  }

  // --- addresses and segments ----------------------------------------------

  /** The address of the record at `offset` of segment `slot`. */
  #address(slot: number, offset: number): number {
    return (slot * this.#segmentBytes + offset) / 8 + 1;
  }

  /** The segment holding the record at `address`. */
  #slotOf(address: number): number {
    return Math.floor((address - 1) * 8 / this.#segmentBytes);
  }

  /** The oldest segment in use, or -1. */
  #oldest(): number {
    return this.#state[C_ORDER_LENGTH] > 0 ? this.#order[0] : -1;
  }

  /** Where `slot` is in the age order, or -1. */
  #orderIndexOf(slot: number): number {
    const length = this.#state[C_ORDER_LENGTH];
    for (let i = 0; i < length; i++) if (this.#order[i] === slot) return i;
    return -1;
  }

  /** Removes `count` segments from the age order at position `start`. */
  #orderRemove(start: number, count: number): void {
    const length = this.#state[C_ORDER_LENGTH];
    this.#order.copyWithin(start, start + count, length);
    this.#state[C_ORDER_LENGTH] = length - count;
  }

  /** Makes a fresh segment the head, reclaiming space first if at the limit. */
  #openSegment(): number {
    const state = this.#state;
    let slot: number;
    if (state[C_FREE_LENGTH] > 0) slot = this.#free[--state[C_FREE_LENGTH]];
    else if (state[C_SEGMENTS] < this.#maxSegments) slot = this.#newSegment();
    else {
      // Only when writes outran the paced reclaim: finish it now.
      while (state[C_FREE_LENGTH] === 0) this.#reclaimStep(Infinity);
      slot = this.#free[--state[C_FREE_LENGTH]];
    }
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#order[state[C_ORDER_LENGTH]++] = slot;
    state[C_HEAD] = slot;
    return slot;
  }

  /** Hands out a segment never used, counting memory in chunk steps. */
  #newSegment(): number {
    const slot = this.#state[C_SEGMENTS]++;
    const perChunk = Math.max(
      1,
      Math.floor(SEGMENT_CHUNK_BYTES / this.#segmentBytes),
    );
    if (slot % perChunk === 0) {
      this.#numbers[F_ALLOCATED_BYTES] +=
        Math.min(perChunk, this.#maxSegments - slot) * this.#segmentBytes;
    }
    return slot;
  }

  #releaseSegment(slot: number): void {
    this.#used[slot] = 0;
    this.#live[slot] = 0;
    this.#generation[slot]++;
    this.#free[this.#state[C_FREE_LENGTH]++] = slot;
  }

  #startSweepAt(slot: number): void {
    this.#state[C_SWEEP_SEGMENT] = slot;
    this.#state[C_SWEEP_GENERATION] = slot >= 0 ? this.#generation[slot] : 0;
    this.#state[C_SWEEP_OFFSET] = 0;
  }

  // --- reclaiming space ------------------------------------------------------

  /**
   * Starts a reclaim job if one is due: always at the budget, and below it
   * when the segments are mostly dead and a compaction would be cheap.
   */
  #startJobIfDue(): boolean {
    const segments = this.#state[C_SEGMENTS];
    const numbers = this.#numbers;
    if (segments === this.#maxSegments) return this.#startJob(true);
    if (
      segments < EARLY_COMPACTION_MIN_SEGMENTS ||
      numbers[F_LIVE_BYTES] >=
        EARLY_COMPACTION_LIVE_SHARE * segments * this.#segmentBytes ||
      numbers[F_WRITTEN_BYTES] < numbers[F_EARLY_COMPACTION_AT]
    ) return false;
    if (this.#startJob(false)) return true;
    // Nothing cheap to compact: grow, and look again a segment later.
    numbers[F_EARLY_COMPACTION_AT] = numbers[F_WRITTEN_BYTES] +
      this.#segmentBytes;
    return false;
  }

  /** Advances the reclaim job by `budget` bytes of records, starting one if none. */
  #reclaimStep(budget: number): void {
    if (this.#state[C_JOB_LENGTH] === 0) this.#startJob(true);
    const done = this.#state[C_JOB_EVICTS] === 1
      ? this.#evictRecords(budget)
      : this.#compactRecords(budget);
    if (done) this.#finishJob();
  }

  /**
   * Picks the run of adjacent segments that frees segments most cheaply, if
   * that copies at most one segment's worth of live records per segment
   * freed (half of one, early); otherwise the oldest segment, to be evicted,
   * if `mayEvict`. Returns whether a job was started.
   */
  #startJob(mayEvict: boolean): boolean {
    const state = this.#state;
    const order = this.#order;
    const candidates = state[C_ORDER_LENGTH] - 1; // never the head
    const usable = this.#segmentBytes - this.#maxRecordBytes;
    let bestStart = -1;
    let bestLength = 0;
    let bestCost = mayEvict ? this.#segmentBytes : this.#segmentBytes / 2;
    for (let start = 0; start < candidates; start++) {
      let live = 0;
      for (
        let length = 1;
        length <= MAX_COMPACTION_WINDOW && start + length <= candidates;
        length++
      ) {
        live += this.#live[order[start + length - 1]];
        const freed = length - Math.ceil(live / usable);
        if (freed <= 0) continue;
        const cost = live / freed;
        if (cost < bestCost) {
          bestCost = cost;
          bestStart = start;
          bestLength = length;
        }
      }
    }
    if (bestStart < 0 && !mayEvict) return false;
    const evicts = bestStart < 0;
    const start = evicts ? 0 : bestStart;
    const length = evicts ? 1 : bestLength;
    state[C_JOB_EVICTS] = evicts ? 1 : 0;
    state[C_JOB_START] = start;
    state[C_JOB_LENGTH] = length;
    this.#job.set(order.subarray(start, start + length));
    state[C_JOB_SOURCE] = 0;
    state[C_JOB_OFFSET] = 0;
    state[C_JOB_TARGET] = 0;
    state[C_JOB_TARGET_OFFSET] = 0;
    if (!evicts) {
      for (let i = 0; i < length; i++) this.#rewriting[this.#job[i]] = 1;
    }
    return true;
  }

  /** Unlinks the live records of the oldest segment; true when all are gone. */
  #evictRecords(budget: number): boolean {
    const slot = this.#job[0];
    const base = slot * this.#segmentBytes;
    const words = this.#words;
    const end = this.#used[slot];
    const now = this.#clock.now();
    let offset = this.#state[C_JOB_OFFSET];
    while (offset < end && budget > 0) {
      const w = (base + offset) / 4;
      const keyLength = words[w + KEY_LENGTH];
      const size = recordSize(keyLength & ~DEAD, words[w + VALUE_LENGTH]);
      if (!(keyLength & DEAD)) {
        const address = this.#address(slot, offset);
        if (this.isExpired(address, now)) this.#numbers[F_EXPIRED_BY_SWEEP]++;
        else this.#numbers[F_EVICTED]++;
        this.remove(address, this.#index.findPrevious(address));
      }
      offset += size;
      budget -= size;
    }
    this.#state[C_JOB_OFFSET] = offset;
    return offset >= end;
  }

  /**
   * Copies the live records of the job's segments, in order, to the front of
   * those same segments, dropping expired ones; true when all are examined.
   * The copy never overtakes the reading, so it only overwrites records that
   * were already moved or dead.
   */
  #compactRecords(budget: number): boolean {
    const state = this.#state;
    const job = this.#job;
    const jobLength = state[C_JOB_LENGTH];
    const segmentBytes = this.#segmentBytes;
    const bytes = this.#bytes;
    const words = this.#words;
    const now = this.#clock.now();
    while (budget > 0 && state[C_JOB_SOURCE] < jobLength) {
      const slot = job[state[C_JOB_SOURCE]];
      const offset = state[C_JOB_OFFSET];
      if (offset >= this.#used[slot]) {
        state[C_JOB_SOURCE]++;
        state[C_JOB_OFFSET] = 0;
        continue;
      }
      const p = slot * segmentBytes + offset;
      const keyLength = words[p / 4 + KEY_LENGTH];
      const size = recordSize(keyLength & ~DEAD, words[p / 4 + VALUE_LENGTH]);
      state[C_JOB_OFFSET] = offset + size;
      budget -= size;
      if (keyLength & DEAD) continue;
      const address = p / 8 + 1;
      const previous = this.#index.findPrevious(address);
      if (this.isExpired(address, now)) {
        this.remove(address, previous);
        this.#numbers[F_EXPIRED_BY_SWEEP]++;
        continue;
      }
      // Read before copying: the copy may overlap this header.
      const hash = words[p / 4 + HASH];
      if (state[C_JOB_TARGET_OFFSET] + size > segmentBytes) {
        this.#used[job[state[C_JOB_TARGET]]] = state[C_JOB_TARGET_OFFSET];
        state[C_JOB_TARGET]++;
        state[C_JOB_TARGET_OFFSET] = 0;
      }
      const to = job[state[C_JOB_TARGET]];
      const toOffset = state[C_JOB_TARGET_OFFSET];
      const q = to * segmentBytes + toOffset;
      // copyWithin handles the overlap when the target is this segment.
      bytes.copyWithin(q, p, p + size);
      this.#index.relink(previous, hash, q / 8 + 1);
      this.#live[slot] -= size;
      this.#live[to] += size;
      state[C_JOB_TARGET_OFFSET] = toOffset + size;
    }
    return state[C_JOB_SOURCE] >= jobLength;
  }

  /** Frees what the finished job emptied and puts the sweep back on track. */
  #finishJob(): void {
    const state = this.#state;
    const job = this.#job;
    const jobLength = state[C_JOB_LENGTH];
    state[C_JOB_LENGTH] = 0;
    if (state[C_JOB_EVICTS] === 1) {
      const slot = this.#order[0];
      this.#orderRemove(0, 1);
      // A sweep pass on this segment continues on the next oldest.
      if (state[C_SWEEP_SEGMENT] === slot) this.#startSweepAt(this.#oldest());
      this.#releaseSegment(slot);
      return;
    }
    const target = state[C_JOB_TARGET];
    this.#used[job[target]] = state[C_JOB_TARGET_OFFSET];
    const kept = state[C_JOB_TARGET_OFFSET] === 0 ? target : target + 1;
    let sweepInJob = false;
    for (let i = 0; i < jobLength; i++) {
      const slot = job[i];
      this.#generation[slot]++;
      this.#rewriting[slot] = 0;
      if (slot === state[C_SWEEP_SEGMENT]) sweepInJob = true;
    }
    const start = state[C_JOB_START];
    this.#orderRemove(start + kept, jobLength - kept);
    for (let i = kept; i < jobLength; i++) this.#releaseSegment(job[i]);
    // A sweep pass inside the run goes over its rewritten records again.
    if (sweepInJob) this.#startSweepAt(this.#order[start]);
    this.#numbers[F_COMPACTIONS]++;
  }
}
