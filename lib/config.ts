/**
 * Configuration from environment variables. Every setting is declared once,
 * in {@linkcode SETTINGS}: its variable, its default, its parser and the line
 * that documents it. The {@linkcode Config} type, the list of variables, the
 * startup log, `.env.example` and the README's table all derive from that one
 * declaration (the last two are checked against it by a test).
 *
 * Every invalid value is reported with the variable's name, the value given
 * and what is allowed, so that startup can stop with a message a person can
 * act on.
 *
 * @module
 */

import { minimumArenaBytes } from "./arena_cache.ts";
import { MAX_TTL_SECONDS } from "./cache.ts";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./logger.ts";
import {
  ConfigError,
  type ConfigSetting,
  integer,
  invalid,
  oneOf,
  onOff,
} from "./config_parsers.ts";

export { ConfigError };
export type { ConfigSetting };

/** Store implementations: off-heap segments, or a plain `Map`. */
export type CacheStore = "arena" | "map";

/** Environment variables as read from the process or a test. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Bytes a JSON body needs, at most, to carry a key and a value of the given
 * lengths: a code point can take 12 bytes as an escaped surrogate pair
 * (`\ud83d\ude00`), plus room for the field names, a TTL and whitespace.
 */
export function minimumBodyBytes(maxKeySize: number, maxValueSize: number) {
  return 12 * (maxKeySize + maxValueSize) + 1024;
}

const DEFAULT_MAX_BODY_BYTES = 16_384;

/**
 * Default bound of a Redis pipeline's body: 1 MiB, room for the default
 * 1000 commands of a few hundred bytes each (one `POST /` command keeps the
 * smaller `MAX_BODY_BYTES`).
 */
const DEFAULT_MAX_PIPELINE_BODY_BYTES = 1_048_576;

/**
 * Parses a bearer token: 16+ printable ASCII characters without spaces. The
 * message gives the length, never the token.
 */
function bearerTokenText(raw: string, variable: string): string {
  const token = raw.trim();
  if (token.length >= 16 && /^[\x21-\x7e]+$/.test(token)) return token;
  throw new ConfigError(
    variable,
    `Invalid ${variable} (${token.length} characters): expected at least 16 printable ASCII characters without spaces.`,
  );
}

/** The settings that bounds of later settings depend on. */
interface StoreLimits {
  maxKeySize: number;
  maxValueSize: number;
  cacheStore: CacheStore;
}
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Most serving isolates `WORKERS` accepts. */
export const MAX_WORKERS = 64;

/**
 * Every setting of the service, in the order they are read (a setting may
 * depend on those before it) and documented.
 */
export const SETTINGS = {
  port: {
    variable: "PORT",
    fallback: 7171,
    parse: integer(0, 65535),
    doc: "TCP port; `0` picks a free one (the startup line says which)",
  },
  host: {
    variable: "HOST",
    fallback: "0.0.0.0",
    parse(raw): string {
      const host = raw.trim();
      if (/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) return host;
      throw invalid(
        "HOST",
        raw,
        "a hostname or IP address such as 0.0.0.0 or 127.0.0.1",
      );
    },
    doc: "interface to bind; `127.0.0.1` unless on a private network",
  },
  maxKeySize: {
    variable: "MAX_KEY_SIZE",
    fallback: 256,
    parse: integer(1, 65_536),
    doc: "longest key, in code points (1–65536, inclusive)",
  },
  maxValueSize: {
    variable: "MAX_VALUE_SIZE",
    fallback: 256,
    parse: integer(1, 1_000_000),
    doc: "longest value, in code points (1–1000000, inclusive)",
  },
  maxBodyBytes: {
    variable: "MAX_BODY_BYTES",
    fallback: (earlier: StoreLimits) =>
      Math.max(
        DEFAULT_MAX_BODY_BYTES,
        minimumBodyBytes(earlier.maxKeySize, earlier.maxValueSize),
      ),
    example: DEFAULT_MAX_BODY_BYTES,
    parse: integer(64, 2 ** 31 - 1),
    doc:
      "largest request body (413 before reading); default grows to 12 × (key + value limits) + 1024 if larger",
  },
  maxPipelineBodyBytes: {
    variable: "MAX_PIPELINE_BODY_BYTES",
    fallback: (earlier: { maxBodyBytes: number }) =>
      Math.max(DEFAULT_MAX_PIPELINE_BODY_BYTES, earlier.maxBodyBytes),
    example: DEFAULT_MAX_PIPELINE_BODY_BYTES,
    parse(raw, variable, earlier: { maxBodyBytes: number }): number {
      const bytes = integer(64, 2 ** 31 - 1)(raw, variable);
      if (bytes < earlier.maxBodyBytes) {
        throw new ConfigError(
          variable,
          `Invalid MAX_PIPELINE_BODY_BYTES ${bytes}: it must be at least MAX_BODY_BYTES (${earlier.maxBodyBytes}).`,
        );
      }
      return bytes;
    },
    doc:
      "largest body of a Redis `POST /pipeline` or `/multi-exec` (413 before reading); at least `MAX_BODY_BYTES`, which is the default if larger",
  },
  maxPipelineCommands: {
    variable: "MAX_PIPELINE_COMMANDS",
    fallback: 1000,
    parse: integer(1, 10_000),
    doc:
      "most commands in one Redis `POST /pipeline` or `/multi-exec` (1–10000; more: 400 before any runs)",
  },
  defaultTtlSeconds: {
    variable: "DEFAULT_TTL_SECONDS",
    fallback: 300,
    parse: integer(0, MAX_TTL_SECONDS),
    doc: 'TTL when a PUT gives no `"ttl"`; `0` = never expire',
  },
  sweepIntervalMs: {
    variable: "SWEEP_INTERVAL_MS",
    fallback: 60_000,
    parse: integer(0, MAX_TIMER_MS),
    doc:
      "pause between sweeps of expired entries; `0` disables the sweep (expired entries then go when read or evicted)",
  },
  cacheStore: {
    variable: "CACHE_STORE",
    fallback: "arena" as CacheStore,
    parse: oneOf(["arena", "map"] as const, "arena or map"),
    doc:
      "`arena` (off-heap segments: no GC pauses, exact memory) or `map` (a JavaScript `Map`: simpler, for small caches)",
  },
  maxCacheBytes: {
    variable: "MAX_CACHE_BYTES",
    fallback: 1_500_000_000,
    parse(raw, variable, earlier: StoreLimits): number {
      const least = earlier.cacheStore === "arena"
        ? minimumArenaBytes(earlier.maxKeySize, earlier.maxValueSize)
        : 1024;
      return integer(least, Number.MAX_SAFE_INTEGER)(raw, variable);
    },
    doc:
      "memory for entries and their index; past it the oldest writes are evicted (arena: at least 1310720)",
  },
  notFoundStatus: {
    variable: "NOT_FOUND_STATUS",
    fallback: 404 as 200 | 404,
    parse(raw): 200 | 404 {
      const text = raw.trim();
      if (text === "404") return 404;
      if (text === "200") return 200;
      throw invalid("NOT_FOUND_STATUS", raw, "404 or 200");
    },
    doc:
      'status of "Key not found." answers: `404`, or `200` for load harnesses that count every 4xx as a failure',
  },
  logLevel: {
    variable: "LOG_LEVEL",
    fallback: "info" as LogLevel,
    parse(raw): LogLevel {
      const level = raw.trim().toLowerCase();
      if (isLogLevel(level)) return level;
      throw invalid("LOG_LEVEL", raw, `one of ${LOG_LEVELS.join(", ")}`);
    },
    doc: "`debug` (a JSON line per request), `info`, `warn` or `error`",
  },
  shutdownTimeoutMs: {
    variable: "SHUTDOWN_TIMEOUT_MS",
    fallback: 10_000,
    parse: integer(0, 600_000),
    doc: "longest wait for in-flight requests after SIGINT/SIGTERM",
  },
  bodyTimeoutMs: {
    variable: "BODY_TIMEOUT_MS",
    fallback: 10_000,
    parse: integer(0, 600_000),
    doc:
      "longest time a request body may take to arrive (408 and close after); `0` = no limit",
  },
  idleTimeoutMs: {
    variable: "IDLE_TIMEOUT_MS",
    fallback: 30_000,
    parse: integer(0, 3_600_000),
    doc:
      "close a connection on which no request starts for this long (silent clients, half-sent heads, idle keep-alive); `0` = never",
  },
  authToken: {
    variable: "AUTH_TOKEN",
    fallback: "",
    parse: bearerTokenText,
    secret: true,
    doc:
      'when set (16+ printable ASCII characters), every route but `/health` needs "Authorization: Bearer <token>"',
  },
  authReadonlyToken: {
    variable: "AUTH_READONLY_TOKEN",
    fallback: "",
    parse(raw, variable, earlier: { authToken: string }): string {
      const token = bearerTokenText(raw, variable);
      if (earlier.authToken === "") {
        throw new ConfigError(
          variable,
          "Invalid AUTH_READONLY_TOKEN: it needs AUTH_TOKEN, which is blank (without AUTH_TOKEN every request may write).",
        );
      }
      if (token === earlier.authToken) {
        throw new ConfigError(
          variable,
          "Invalid AUTH_READONLY_TOKEN: it is the same as AUTH_TOKEN; give the read-only token a value of its own.",
        );
      }
      return token;
    },
    secret: true,
    doc:
      "with `AUTH_TOKEN`: a second token (16+ printable ASCII characters) that may only read: JSON routes but `POST /put` and `DELETE /delete`, and read-only Redis commands (else 403)",
  },
  metrics: {
    variable: "METRICS",
    fallback: true,
    parse: onOff,
    doc:
      "`on`: Prometheus metrics at `GET /metrics` and request counting; `off`: neither",
  },
  snapshotFile: {
    variable: "SNAPSHOT_FILE",
    fallback: "",
    parse(raw): string {
      const path = raw.trim();
      if (!path.endsWith("/") && !path.includes("\0")) return path;
      throw invalid(
        "SNAPSHOT_FILE",
        raw,
        "the path of a file, e.g. snapshots/kv-cache.snapshot",
      );
    },
    doc:
      "loaded at start, written at shutdown (docs/snapshots.md): a file in `snapshots/`; blank = off",
  },
  snapshotIntervalSeconds: {
    variable: "SNAPSHOT_INTERVAL_S",
    fallback: 0,
    parse(raw, variable, earlier: { snapshotFile: string }): number {
      const seconds = integer(0, 2_000_000)(raw, variable);
      if (seconds > 0 && earlier.snapshotFile === "") {
        throw new ConfigError(
          variable,
          `Invalid SNAPSHOT_INTERVAL_S ${seconds}: it needs SNAPSHOT_FILE, which is blank.`,
        );
      }
      return seconds;
    },
    doc:
      "also write the snapshot every this many seconds, in the background; `0` = only at shutdown",
  },
  workers: {
    variable: "WORKERS",
    fallback: "auto" as number | "auto",
    parse(raw, variable, earlier: StoreLimits): number | "auto" {
      const text = raw.trim().toLowerCase();
      if (text === "auto") return "auto";
      const workers = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!(workers >= 1 && workers <= MAX_WORKERS)) {
        throw invalid(
          variable,
          raw,
          `auto or a whole number from 1 to ${MAX_WORKERS}`,
        );
      }
      if (workers > 1 && earlier.cacheStore !== "arena") {
        throw new ConfigError(
          variable,
          `Invalid WORKERS ${
            JSON.stringify(raw)
          } with CACHE_STORE=${earlier.cacheStore}: only the arena store can be shared; set WORKERS=1 or CACHE_STORE=arena.`,
        );
      }
      return workers;
    },
    doc:
      "serving isolates sharing one store: `auto` (the CPUs this process may use) or 1–64; see docs/multicore.md",
  },
} satisfies Record<string, ConfigSetting<unknown, never>>;

/** The service's settings, after defaults and validation. */
export type Config = {
  -readonly [K in keyof typeof SETTINGS]: ReturnType<
    (typeof SETTINGS)[K]["parse"]
  >;
};

/** Names of every environment variable the service reads, in order. */
export const CONFIG_VARIABLES: readonly string[] = Object.values(SETTINGS).map(
  (setting) => setting.variable,
);

/**
 * Builds the configuration from environment variables. Unset or blank
 * variables take their defaults; anything else must be valid.
 *
 * @throws {ConfigError} naming the first invalid variable.
 */
export function parseConfig(env: Env): Config {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.variable];
    const { variable, fallback, parse } = setting as ConfigSetting<
      unknown,
      Record<string, unknown>
    >;
    config[key] = raw === undefined || raw.trim() === ""
      ? typeof fallback === "function" ? fallback(config) : fallback
      : parse(raw, variable, config);
  }
  return config as Config;
}

/**
 * The configuration as the startup line logs it: every setting by its key,
 * secrets reduced to whether they are set.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  const described: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const value = config[key as keyof Config];
    described[key] = "secret" in setting ? (value ? "set" : "none") : value;
  }
  return described;
}
