import assert from "node:assert/strict";
import {
  CONFIG_VARIABLES,
  ConfigError,
  describeConfig,
  minimumBodyBytes,
  parseConfig,
  SETTINGS,
} from "../lib/config.ts";
import { renderConfigTable, renderEnvExample } from "../lib/config_docs.ts";
import { TABLE_END, TABLE_START } from "../scripts/config_docs.ts";
import { parseEnvFile } from "../lib/env_file.ts";

Deno.test("defaults apply when nothing is set", () => {
  assert.deepEqual(parseConfig({}), {
    port: 7171,
    host: "0.0.0.0",
    maxKeySize: 256,
    maxValueSize: 256,
    maxBodyBytes: 16_384,
    maxPipelineBodyBytes: 1_048_576,
    maxPipelineCommands: 1000,
    defaultTtlSeconds: 300,
    sweepIntervalMs: 60_000,
    maxCacheBytes: 1_500_000_000,
    cacheStore: "arena",
    notFoundStatus: 404,
    logLevel: "info",
    shutdownTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
    idleTimeoutMs: 30_000,
    authToken: "",
    authReadonlyToken: "",
    metrics: true,
    snapshotFile: "",
    snapshotIntervalSeconds: 0,
    workers: "auto",
  });
});

Deno.test("blank values count as unset", () => {
  assert.equal(parseConfig({ PORT: "", LOG_LEVEL: "  " }).port, 7171);
});

Deno.test("valid values are read", () => {
  const config = parseConfig({
    PORT: "8080",
    HOST: "127.0.0.1",
    MAX_KEY_SIZE: "64",
    MAX_VALUE_SIZE: " 1024 ",
    MAX_BODY_BYTES: "65536",
    MAX_PIPELINE_BODY_BYTES: "65536",
    MAX_PIPELINE_COMMANDS: " 50 ",
    DEFAULT_TTL_SECONDS: "0",
    SWEEP_INTERVAL_MS: "500",
    MAX_CACHE_BYTES: "100000000",
    CACHE_STORE: "map",
    NOT_FOUND_STATUS: "200",
    LOG_LEVEL: "DEBUG",
    SHUTDOWN_TIMEOUT_MS: "2000",
    BODY_TIMEOUT_MS: "0",
    IDLE_TIMEOUT_MS: "0",
    AUTH_TOKEN: " s3cret-token-0123456789 ",
    AUTH_READONLY_TOKEN: "read-only-token-0123456789",
    METRICS: "off",
    SNAPSHOT_FILE: " snapshots/kv.snapshot ",
    SNAPSHOT_INTERVAL_S: "60",
    WORKERS: " 1 ",
  });
  assert.deepEqual(config, {
    port: 8080,
    host: "127.0.0.1",
    maxKeySize: 64,
    maxValueSize: 1024,
    maxBodyBytes: 65_536,
    maxPipelineBodyBytes: 65_536,
    maxPipelineCommands: 50,
    defaultTtlSeconds: 0,
    sweepIntervalMs: 500,
    maxCacheBytes: 100_000_000,
    cacheStore: "map",
    notFoundStatus: 200,
    logLevel: "debug",
    shutdownTimeoutMs: 2000,
    bodyTimeoutMs: 0,
    idleTimeoutMs: 0,
    authToken: "s3cret-token-0123456789",
    authReadonlyToken: "read-only-token-0123456789",
    metrics: false,
    snapshotFile: "snapshots/kv.snapshot",
    snapshotIntervalSeconds: 60,
    workers: 1,
  });
});

Deno.test("the smallest cache depends on the store", () => {
  assert.throws(() => parseConfig({ MAX_CACHE_BYTES: "1000000" }), ConfigError);
  assert.equal(
    parseConfig({ MAX_CACHE_BYTES: "1000000", CACHE_STORE: "map" })
      .maxCacheBytes,
    1_000_000,
  );
});

Deno.test("the default body limit grows with large key and value limits", () => {
  const config = parseConfig({ MAX_VALUE_SIZE: "100000" });
  assert.equal(config.maxBodyBytes, minimumBodyBytes(256, 100_000));
  assert.ok(config.maxBodyBytes > 12 * 100_000);
  // A pipeline holds at least what one command may.
  assert.equal(config.maxPipelineBodyBytes, config.maxBodyBytes);
});

Deno.test("MAX_PIPELINE_BODY_BYTES is at least MAX_BODY_BYTES", () => {
  assert.equal(
    parseConfig({ MAX_BODY_BYTES: "2000000" }).maxPipelineBodyBytes,
    2_000_000,
  );
  assert.throws(
    () =>
      parseConfig({ MAX_BODY_BYTES: "65536", MAX_PIPELINE_BODY_BYTES: "1000" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === "MAX_PIPELINE_BODY_BYTES" &&
      error.message ===
        "Invalid MAX_PIPELINE_BODY_BYTES 1000: it must be at least MAX_BODY_BYTES (65536).",
  );
});

Deno.test("AUTH_READONLY_TOKEN needs AUTH_TOKEN and a value of its own", () => {
  const token = "s3cret-token-0123456789";
  assert.throws(
    () => parseConfig({ AUTH_READONLY_TOKEN: "read-only-token-0123456789" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === "AUTH_READONLY_TOKEN" &&
      error.message ===
        "Invalid AUTH_READONLY_TOKEN: it needs AUTH_TOKEN, which is blank (without AUTH_TOKEN every request may write).",
  );
  assert.throws(
    () => parseConfig({ AUTH_TOKEN: token, AUTH_READONLY_TOKEN: ` ${token}` }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === "AUTH_READONLY_TOKEN" &&
      error.message ===
        "Invalid AUTH_READONLY_TOKEN: it is the same as AUTH_TOKEN; give the read-only token a value of its own.",
  );
  assert.throws(
    () => parseConfig({ AUTH_TOKEN: token, AUTH_READONLY_TOKEN: "short" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === "AUTH_READONLY_TOKEN" &&
      error.message ===
        "Invalid AUTH_READONLY_TOKEN (5 characters): expected at least 16 printable ASCII characters without spaces.",
  );
});

const INVALID: [string, string, string][] = [
  [
    "PORT",
    "abc",
    'Invalid PORT "abc": expected a whole number from 0 to 65535.',
  ],
  [
    "PORT",
    "70000",
    'Invalid PORT "70000": expected a whole number from 0 to 65535.',
  ],
  ["PORT", "-1", 'Invalid PORT "-1": expected a whole number from 0 to 65535.'],
  [
    "PORT",
    "80.5",
    'Invalid PORT "80.5": expected a whole number from 0 to 65535.',
  ],
  [
    "HOST",
    "local host",
    'Invalid HOST "local host": expected a hostname or IP address such as 0.0.0.0 or 127.0.0.1.',
  ],
  [
    "MAX_KEY_SIZE",
    "0",
    'Invalid MAX_KEY_SIZE "0": expected a whole number from 1 to 65536.',
  ],
  [
    "MAX_VALUE_SIZE",
    "1e3",
    'Invalid MAX_VALUE_SIZE "1e3": expected a whole number from 1 to 1000000.',
  ],
  [
    "MAX_BODY_BYTES",
    "10",
    'Invalid MAX_BODY_BYTES "10": expected a whole number from 64 to 2147483647.',
  ],
  [
    "DEFAULT_TTL_SECONDS",
    "-5",
    'Invalid DEFAULT_TTL_SECONDS "-5": expected a whole number from 0 to 2147483647.',
  ],
  [
    "SWEEP_INTERVAL_MS",
    "soon",
    'Invalid SWEEP_INTERVAL_MS "soon": expected a whole number from 0 to 2147483647.',
  ],
  [
    "MAX_CACHE_BYTES",
    "1.5GB",
    'Invalid MAX_CACHE_BYTES "1.5GB": expected a whole number from 1310720 to 9007199254740991.',
  ],
  [
    "BODY_TIMEOUT_MS",
    "ten",
    'Invalid BODY_TIMEOUT_MS "ten": expected a whole number from 0 to 600000.',
  ],
  [
    "IDLE_TIMEOUT_MS",
    "-1",
    'Invalid IDLE_TIMEOUT_MS "-1": expected a whole number from 0 to 3600000.',
  ],
  [
    "AUTH_TOKEN",
    "short",
    "Invalid AUTH_TOKEN (5 characters): expected at least 16 printable ASCII characters without spaces.",
  ],
  [
    "AUTH_TOKEN",
    "a token with spaces in it",
    "Invalid AUTH_TOKEN (25 characters): expected at least 16 printable ASCII characters without spaces.",
  ],
  ["METRICS", "maybe", 'Invalid METRICS "maybe": expected on or off.'],
  [
    "MAX_PIPELINE_COMMANDS",
    "0",
    'Invalid MAX_PIPELINE_COMMANDS "0": expected a whole number from 1 to 10000.',
  ],
  [
    "MAX_PIPELINE_BODY_BYTES",
    "lots",
    'Invalid MAX_PIPELINE_BODY_BYTES "lots": expected a whole number from 64 to 2147483647.',
  ],
  [
    "WORKERS",
    "0",
    'Invalid WORKERS "0": expected auto or a whole number from 1 to 64.',
  ],
  [
    "WORKERS",
    "all",
    'Invalid WORKERS "all": expected auto or a whole number from 1 to 64.',
  ],
  [
    "CACHE_STORE",
    "redis",
    'Invalid CACHE_STORE "redis": expected arena or map.',
  ],
  [
    "NOT_FOUND_STATUS",
    "500",
    'Invalid NOT_FOUND_STATUS "500": expected 404 or 200.',
  ],
  [
    "LOG_LEVEL",
    "verbose",
    'Invalid LOG_LEVEL "verbose": expected one of debug, info, warn, error.',
  ],
  [
    "SHUTDOWN_TIMEOUT_MS",
    "999999999",
    'Invalid SHUTDOWN_TIMEOUT_MS "999999999": expected a whole number from 0 to 600000.',
  ],
];

for (const [variable, value, message] of INVALID) {
  Deno.test(`${variable}=${value} is rejected with a message naming it`, () => {
    assert.throws(
      () => parseConfig({ [variable]: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.variable, variable);
        assert.equal(error.message, message);
        return true;
      },
    );
  });
}

Deno.test("WORKERS: auto or a count; only the arena store can be shared", () => {
  assert.equal(parseConfig({ WORKERS: "AUTO" }).workers, "auto");
  assert.equal(parseConfig({ WORKERS: "4" }).workers, 4);
  assert.equal(parseConfig({ WORKERS: "1", CACHE_STORE: "map" }).workers, 1);
  assert.throws(
    () => parseConfig({ WORKERS: "2", CACHE_STORE: "map" }),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === "WORKERS" &&
      /only the arena store can be shared/.test(error.message),
  );
});

Deno.test(".env.example documents every variable with its default", () => {
  const text = Deno.readTextFileSync(
    new URL("../.env.example", import.meta.url),
  );
  const example = parseEnvFile(text);
  assert.deepEqual(Object.keys(example), [...CONFIG_VARIABLES]);
  assert.deepEqual(parseConfig(example), parseConfig({}));
  assert.equal(
    text,
    renderEnvExample(),
    ".env.example is out of date: run `deno task config:docs`",
  );
});

Deno.test("the README's configuration table matches the declarations", () => {
  const readme = Deno.readTextFileSync(
    new URL("../README.md", import.meta.url),
  );
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, "README.md has no config table");
  const cells = (table: string) =>
    table.split("\n").filter((line) => line.startsWith("| `")).map((line) =>
      line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim())
    );
  assert.deepEqual(
    cells(readme.slice(start, end)),
    cells(renderConfigTable()),
    "the README's table is out of date: run `deno task config:docs`",
  );
});

Deno.test("the startup description names every setting and hides the token", () => {
  const config = parseConfig({
    AUTH_TOKEN: "s3cret-token-0123456789",
    AUTH_READONLY_TOKEN: "s3cret-read-only-0123456789",
  });
  const described = describeConfig(config);
  assert.deepEqual(Object.keys(described), Object.keys(SETTINGS));
  assert.equal(described.authToken, "set");
  assert.equal(described.authReadonlyToken, "set");
  assert.equal(describeConfig(parseConfig({})).authToken, "none");
  assert.equal(describeConfig(parseConfig({})).authReadonlyToken, "none");
  assert.ok(!JSON.stringify(described).includes("s3cret"));
});
