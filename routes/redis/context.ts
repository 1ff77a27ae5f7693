/**
 * What a command handler works with: the store, the entry limits, and
 * whether it runs inside a `multi-exec` (which holds the store's lock
 * throughout, so commands that iterate keep to one bounded batch). The
 * helpers here read and write entries the way every command must: reads of
 * keys that cannot exist answer "absent", writes check the key and value
 * limits first (a refused write changes nothing) and an expiry already past
 * removes the key instead of storing it.
 *
 * @module
 */

import type { Cache, CacheEntry } from "../../lib/cache.ts";
import { lengthOver } from "../../lib/entry_limits.ts";
import { bytesToBase64 } from "../../lib/base64.ts";
import { decodeUtf8 } from "./bytes.ts";
import { JsonReply, type Reply, ReplyError } from "./reply.ts";

/** A value's bytes as their base64 JSON string. */
const asBase64 = (bytes: Uint8Array) =>
  new JsonReply('"' + bytesToBase64(bytes) + '"');

/** The state handlers share; one per app, not per request. */
export class CommandContext {
  /** The store every command reads and writes. */
  readonly cache: Cache;
  /** Longest key, in code points (`MAX_KEY_SIZE`). */
  readonly maxKeySize: number;
  /** Longest value, in code points (`MAX_VALUE_SIZE`). */
  readonly maxValueSize: number;
  /**
   * True while a `multi-exec` runs (synchronously, under one lock); the
   * runner sets and resets it.
   */
  inTransaction = false;
  /**
   * Whether the request being run asked for base64 answers
   * (`Upstash-Encoding: base64`); the runner sets it before each request,
   * which runs synchronously.
   */
  base64 = false;

  /** Creates the context over `cache` with the given limits. */
  constructor(cache: Cache, maxKeySize: number, maxValueSize: number) {
    this.cache = cache;
    this.maxKeySize = maxKeySize;
    this.maxValueSize = maxValueSize;
  }

  /**
   * Whether `key` could be stored at all: an empty or over-long key cannot
   * exist, so reading it answers "absent" without asking the store.
   */
  couldExist(key: string): boolean {
    return key.length !== 0 && lengthOver(key, this.maxKeySize) === 0;
  }

  /** The live value of `key`, or undefined. */
  value(key: string): string | undefined {
    return this.couldExist(key) ? this.cache.get(key) : undefined;
  }

  /**
   * GET's answer for `key`: nil when absent; in base64 (see `base64`), the
   * value's base64 written straight from the store's bytes, without
   * building the string; else the string.
   */
  valueReply(key: string): Reply {
    if (!this.couldExist(key)) return null;
    return this.cache.readUtf8<Reply>(
      key,
      this.base64 ? asBase64 : decodeUtf8,
    ) ?? null;
  }

  /** The live entry of `key` (value and expiry), or undefined. */
  entry(key: string): CacheEntry | undefined {
    return this.couldExist(key) ? this.cache.entry(key) : undefined;
  }

  /**
   * Checks that `key` may be written.
   *
   * @throws {ReplyError} naming the limit, for an empty or over-long key.
   */
  checkKey(key: string): void {
    if (key.length === 0) {
      throw new ReplyError(
        `ERR empty keys are not supported: kv-cache stores keys of 1 to ${this.maxKeySize} code points`,
      );
    }
    if (lengthOver(key, this.maxKeySize) !== 0) {
      throw new ReplyError(
        `ERR key is longer than MAX_KEY_SIZE (${this.maxKeySize} code points)`,
      );
    }
  }

  /**
   * Checks that `value` may be stored.
   *
   * @throws {ReplyError} naming the limit, for an over-long value.
   */
  checkValue(value: string): void {
    if (lengthOver(value, this.maxValueSize) !== 0) this.valueTooLong();
  }

  /**
   * Throws the error for a value over `MAX_VALUE_SIZE`.
   *
   * @throws {ReplyError} always.
   */
  valueTooLong(): never {
    throw new ReplyError(
      `ERR value is longer than MAX_VALUE_SIZE (${this.maxValueSize} code points)`,
    );
  }

  /**
   * Stores `value` at `key`, expiring at `expiresAt` (ms since the epoch on
   * the cache's clock; 0: never). An expiry at or before now deletes the key
   * instead (Redis would store it already expired, which reads the same).
   * The caller has checked the key and value.
   */
  store(key: string, value: string, expiresAt: number): void {
    if (expiresAt !== 0 && expiresAt <= this.cache.now()) {
      this.cache.delete(key);
      return;
    }
    try {
      this.cache.setEntry(key, value, expiresAt);
    } catch (error) {
      // The store's own limits: the same as ours unless misconfigured.
      if (error instanceof RangeError) {
        throw new ReplyError(`ERR ${error.message}`);
      }
      throw error;
    }
  }
}
