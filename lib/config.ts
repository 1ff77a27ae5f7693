/**
 * Configuration from environment variables: defaults, parsing and validation.
 * Every invalid value is reported with the variable's name, the value given
 * and what is allowed, so that startup can stop with a message a person can
 * act on.
 *
 * @module
 */

import { minimumArenaBytes } from "./arena_cache.ts";
import { MAX_TTL_SECONDS } from "./cache.ts";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./logger.ts";

/** The service's settings, after defaults and validation. */
export interface Config {
  /** TCP port to listen on (`PORT`, default 7171; 0 picks a free port). */
  port: number;
  /** Interface to bind (`HOST`, default `0.0.0.0`). */
  host: string;
  /** Longest key accepted, in Unicode code points (`MAX_KEY_SIZE`). */
  maxKeySize: number;
  /** Longest value accepted, in Unicode code points (`MAX_VALUE_SIZE`). */
  maxValueSize: number;
  /** Largest request body accepted, in bytes (`MAX_BODY_BYTES`). */
  maxBodyBytes: number;
  /** TTL of entries written without one; 0 = never (`DEFAULT_TTL_SECONDS`). */
  defaultTtlSeconds: number;
  /** Pause between sweep passes; 0 disables the sweep (`SWEEP_INTERVAL_MS`). */
  sweepIntervalMs: number;
  /** Memory the store may hold before the oldest entries go (`MAX_CACHE_BYTES`). */
  maxCacheBytes: number;
  /** Store implementation (`CACHE_STORE`): `arena` (default) or `map`. */
  cacheStore: CacheStore;
  /** Status code of "Key not found." answers (`NOT_FOUND_STATUS`). */
  notFoundStatus: 200 | 404;
  /** Least severe log level written (`LOG_LEVEL`). */
  logLevel: LogLevel;
  /** Longest wait for in-flight requests at shutdown (`SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs: number;
  /** Longest time a request body may take to arrive; 0 = none (`BODY_TIMEOUT_MS`). */
  bodyTimeoutMs: number;
  /**
   * Closes a connection on which no request starts for this long: silent
   * clients, half-sent request heads, idle keep-alive; 0 = never
   * (`IDLE_TIMEOUT_MS`).
   */
  idleTimeoutMs: number;
  /** Token required as `Authorization: Bearer …`, or "" for none (`AUTH_TOKEN`). */
  authToken: string;
  /** Whether `GET /metrics` and request metrics are on (`METRICS`). */
  metrics: boolean;
  /** Snapshot loaded at start and written at shutdown; "" = none (`SNAPSHOT_FILE`). */
  snapshotFile: string;
  /** Seconds between background snapshots; 0 = none (`SNAPSHOT_INTERVAL_S`). */
  snapshotIntervalSeconds: number;
}

/** Store implementations: off-heap segments, or a plain `Map`. */
export type CacheStore = "arena" | "map";

/** A configuration value that is not allowed; names the variable. */
export class ConfigError extends Error {
  /** Creates an error about environment variable `variable`. */
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Environment variables as read from the process or a test. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Names of every environment variable the service reads. */
export const CONFIG_VARIABLES = [
  "PORT",
  "HOST",
  "MAX_KEY_SIZE",
  "MAX_VALUE_SIZE",
  "MAX_BODY_BYTES",
  "DEFAULT_TTL_SECONDS",
  "SWEEP_INTERVAL_MS",
  "MAX_CACHE_BYTES",
  "CACHE_STORE",
  "NOT_FOUND_STATUS",
  "LOG_LEVEL",
  "SHUTDOWN_TIMEOUT_MS",
  "BODY_TIMEOUT_MS",
  "IDLE_TIMEOUT_MS",
  "AUTH_TOKEN",
  "METRICS",
  "SNAPSHOT_FILE",
  "SNAPSHOT_INTERVAL_S",
] as const;

/**
 * Bytes a JSON body needs, at most, to carry a key and a value of the given
 * lengths: a code point can take 12 bytes as an escaped surrogate pair
 * (`\ud83d\ude00`), plus room for the field names, a TTL and whitespace.
 */
export function minimumBodyBytes(maxKeySize: number, maxValueSize: number) {
  return 12 * (maxKeySize + maxValueSize) + 1024;
}

const DEFAULT_MAX_BODY_BYTES = 16_384;

function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const text = raw.trim();
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(
      name,
      `Invalid ${name} ${
        JSON.stringify(raw)
      }: expected a whole number from ${min} to ${max}.`,
    );
  }
  return value;
}

function readHost(env: Env): string {
  const raw = env.HOST;
  if (raw === undefined || raw.trim() === "") return "0.0.0.0";
  const host = raw.trim();
  if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) {
    throw new ConfigError(
      "HOST",
      `Invalid HOST ${
        JSON.stringify(raw)
      }: expected a hostname or IP address such as 0.0.0.0 or 127.0.0.1.`,
    );
  }
  return host;
}

function readCacheStore(env: Env): CacheStore {
  const raw = env.CACHE_STORE;
  if (raw === undefined || raw.trim() === "") return "arena";
  const store = raw.trim().toLowerCase();
  if (store === "arena" || store === "map") return store;
  throw new ConfigError(
    "CACHE_STORE",
    `Invalid CACHE_STORE ${JSON.stringify(raw)}: expected arena or map.`,
  );
}

function readNotFoundStatus(env: Env): 200 | 404 {
  const raw = env.NOT_FOUND_STATUS;
  if (raw === undefined || raw.trim() === "") return 404;
  const text = raw.trim();
  if (text === "404") return 404;
  if (text === "200") return 200;
  throw new ConfigError(
    "NOT_FOUND_STATUS",
    `Invalid NOT_FOUND_STATUS ${JSON.stringify(raw)}: expected 404 or 200.`,
  );
}

function readLogLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw.trim() === "") return "info";
  const level = raw.trim().toLowerCase();
  if (isLogLevel(level)) return level;
  throw new ConfigError(
    "LOG_LEVEL",
    `Invalid LOG_LEVEL ${JSON.stringify(raw)}: expected one of ${
      LOG_LEVELS.join(", ")
    }.`,
  );
}

function readAuthToken(env: Env): string {
  const raw = env.AUTH_TOKEN;
  if (raw === undefined || raw.trim() === "") return "";
  const token = raw.trim();
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(
      "AUTH_TOKEN",
      `Invalid AUTH_TOKEN (${token.length} characters): expected at least 16 printable ASCII characters without spaces.`,
    );
  }
  return token;
}

function readSwitch(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const text = raw.trim().toLowerCase();
  if (["on", "true", "1", "yes"].includes(text)) return true;
  if (["off", "false", "0", "no"].includes(text)) return false;
  throw new ConfigError(
    name,
    `Invalid ${name} ${JSON.stringify(raw)}: expected on or off.`,
  );
}

function readSnapshotFile(env: Env): string {
  const raw = env.SNAPSHOT_FILE;
  if (raw === undefined || raw.trim() === "") return "";
  const path = raw.trim();
  if (path.endsWith("/") || path.includes("\0")) {
    throw new ConfigError(
      "SNAPSHOT_FILE",
      `Invalid SNAPSHOT_FILE ${
        JSON.stringify(raw)
      }: expected the path of a file, e.g. snapshots/kv-cache.snapshot.`,
    );
  }
  return path;
}

function readSnapshotInterval(env: Env, snapshotFile: string): number {
  const seconds = readInteger(env, "SNAPSHOT_INTERVAL_S", 0, 0, 2_000_000);
  if (seconds > 0 && snapshotFile === "") {
    throw new ConfigError(
      "SNAPSHOT_INTERVAL_S",
      `Invalid SNAPSHOT_INTERVAL_S ${seconds}: it needs SNAPSHOT_FILE, which is blank.`,
    );
  }
  return seconds;
}

/**
 * Builds the configuration from environment variables. Unset or blank
 * variables take their defaults; anything else must be valid.
 *
 * @throws {ConfigError} naming the first invalid variable.
 */
export function parseConfig(env: Env): Config {
  const maxKeySize = readInteger(env, "MAX_KEY_SIZE", 256, 1, 65_536);
  const maxValueSize = readInteger(env, "MAX_VALUE_SIZE", 256, 1, 1_000_000);
  const maxBodyBytes = readInteger(
    env,
    "MAX_BODY_BYTES",
    Math.max(
      DEFAULT_MAX_BODY_BYTES,
      minimumBodyBytes(maxKeySize, maxValueSize),
    ),
    64,
    2 ** 31 - 1,
  );
  const cacheStore = readCacheStore(env);
  const minCacheBytes = cacheStore === "arena"
    ? minimumArenaBytes(maxKeySize, maxValueSize)
    : 1024;
  const maxCacheBytes = readInteger(
    env,
    "MAX_CACHE_BYTES",
    1_500_000_000,
    minCacheBytes,
    Number.MAX_SAFE_INTEGER,
  );
  const snapshotFile = readSnapshotFile(env);
  return {
    port: readInteger(env, "PORT", 7171, 0, 65535),
    host: readHost(env),
    maxKeySize,
    maxValueSize,
    maxBodyBytes,
    defaultTtlSeconds: readInteger(
      env,
      "DEFAULT_TTL_SECONDS",
      300,
      0,
      MAX_TTL_SECONDS,
    ),
    sweepIntervalMs: readInteger(
      env,
      "SWEEP_INTERVAL_MS",
      60_000,
      0,
      2 ** 31 - 1,
    ),
    maxCacheBytes,
    cacheStore,
    notFoundStatus: readNotFoundStatus(env),
    logLevel: readLogLevel(env),
    shutdownTimeoutMs: readInteger(
      env,
      "SHUTDOWN_TIMEOUT_MS",
      10_000,
      0,
      600_000,
    ),
    bodyTimeoutMs: readInteger(env, "BODY_TIMEOUT_MS", 10_000, 0, 600_000),
    idleTimeoutMs: readInteger(env, "IDLE_TIMEOUT_MS", 30_000, 0, 3_600_000),
    authToken: readAuthToken(env),
    metrics: readSwitch(env, "METRICS", true),
    snapshotFile,
    snapshotIntervalSeconds: readSnapshotInterval(env, snapshotFile),
  };
}
