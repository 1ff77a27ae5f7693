/**
 * Warm restarts for the server: loads the snapshot at startup, writes one
 * every `SNAPSHOT_INTERVAL_S` in the background, and a last one at shutdown
 * once requests have drained.
 *
 * @module
 */

import type { Cache } from "./cache.ts";
import type { Clock } from "./clock.ts";
import { ConfigError } from "./config.ts";
import { SnapshotError } from "./snapshot_format.ts";
import type { Logger } from "./logger.ts";
import { loadSnapshot, type SnapshotLoadReport } from "./snapshot_loader.ts";
import {
  directoryOf,
  type SnapshotWriteReport,
  writeSnapshot,
} from "./snapshot_writer.ts";

/** Options for {@linkcode SnapshotService}. */
export interface SnapshotServiceOptions {
  /** The snapshot file (`SNAPSHOT_FILE`). */
  path: string;
  /** Seconds between background writes; 0: only at shutdown. */
  intervalSeconds: number;
  /** Longest key accepted today, in code points; longer ones are skipped. */
  maxKeySize: number;
  /** Longest value accepted today, in code points; longer ones are skipped. */
  maxValueSize: number;
  /** Where progress and failures are reported. */
  logger: Logger;
  /** Decides expiry and stamps snapshots (default: system clock). */
  clock?: Clock;
}

/** Loads, periodically writes and finally writes a cache's snapshot. */
export class SnapshotService {
  readonly #cache: Cache;
  readonly #options: SnapshotServiceOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<unknown> | null = null;
  #abort = new AbortController();

  /** Creates the service; nothing happens until {@linkcode load}. */
  constructor(cache: Cache, options: SnapshotServiceOptions) {
    this.#cache = cache;
    this.#options = options;
  }

  /**
   * Checks that the snapshot's directory exists and may be read and written,
   * then restores the snapshot if there is one. Returns null when there is
   * none yet.
   *
   * @throws `SnapshotError` for a broken file; {@linkcode ConfigError} for a
   * directory that cannot be used.
   */
  async load(): Promise<SnapshotLoadReport | null> {
    const { path, logger } = this.#options;
    checkDirectory(path);
    try {
      const stat = await Deno.stat(path);
      if (!stat.isFile) {
        throw new ConfigError(
          "SNAPSHOT_FILE",
          `Invalid SNAPSHOT_FILE ${JSON.stringify(path)}: it is not a file.`,
        );
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        logger.info("no snapshot to load; starting empty", { file: path });
        return null;
      }
      throw error;
    }
    const report = await loadSnapshot(this.#cache, path, this.#options);
    logger.info("snapshot loaded", {
      file: path,
      ...report,
      durationMs: Math.round(report.durationMs),
      mbPerSecond: megabytesPerSecond(report.bytes, report.durationMs),
    });
    return report;
  }

  /** Starts writing every `intervalSeconds` (after the previous write ends). */
  start(): void {
    if (this.#options.intervalSeconds === 0 || this.#abort.signal.aborted) {
      return;
    }
    this.#timer = setTimeout(async () => {
      this.#writing = this.#write("periodic", this.#abort.signal)
        .catch((error) => {
          if (this.#abort.signal.aborted) return;
          this.#options.logger.error(
            "periodic snapshot failed; the previous one is kept",
            { file: this.#options.path, error: String(error) },
          );
        });
      await this.#writing;
      this.#writing = null;
      this.start();
    }, this.#options.intervalSeconds * 1000);
  }

  /**
   * Stops the periodic writes (abandoning one in progress, whose temporary
   * file is removed) and writes the final snapshot. Call after requests
   * have drained.
   *
   * @throws the write's error; the previous snapshot is then kept.
   */
  async close(): Promise<SnapshotWriteReport> {
    await this.stop();
    return await this.#write("shutdown");
  }

  /**
   * Stops the periodic writes, abandoning one in progress, and writes
   * nothing more (e.g. when a failure may have left the store half-changed).
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#writing;
  }

  async #write(
    reason: string,
    signal?: AbortSignal,
  ): Promise<SnapshotWriteReport> {
    const { path, logger, clock } = this.#options;
    const report = await writeSnapshot(this.#cache, path, { signal, clock });
    logger.info("snapshot written", {
      file: path,
      reason,
      ...report,
      durationMs: Math.round(report.durationMs),
      longestSliceMs: Number(report.longestSliceMs.toFixed(2)),
      mbPerSecond: megabytesPerSecond(report.bytes, report.durationMs),
    });
    return report;
  }
}

function megabytesPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? Math.round(bytes / 1e6 / (ms / 1000)) : 0;
}

/**
 * Stops startup early when snapshots could not be written at shutdown: the
 * directory must exist and this process must be allowed to read and write
 * it (`deno task start` allows `snapshots/` only).
 */
function checkDirectory(path: string): void {
  const directory = directoryOf(path);
  for (const name of ["read", "write"] as const) {
    const { state } = Deno.permissions.querySync({ name, path: directory });
    if (state !== "granted") {
      throw new ConfigError(
        "SNAPSHOT_FILE",
        `Invalid SNAPSHOT_FILE ${
          JSON.stringify(path)
        }: this process may not ${name} its directory ${
          JSON.stringify(directory)
        }. Use a file in snapshots/ (the directory deno task start, the binary and the image allow), or run with --allow-read and --allow-write for its directory.`,
      );
    }
  }
  let isDirectory = false;
  try {
    isDirectory = Deno.statSync(directory).isDirectory;
  } catch {
    // Reported below.
  }
  if (!isDirectory) {
    throw new ConfigError(
      "SNAPSHOT_FILE",
      `Invalid SNAPSHOT_FILE ${JSON.stringify(path)}: its directory ${
        JSON.stringify(directory)
      } does not exist. Create it.`,
    );
  }
}

/** The settings snapshots are run with: a subset of `Config`. */
export interface SnapshotSettings {
  /** `SNAPSHOT_FILE`; "" = off. */
  snapshotFile: string;
  /** `SNAPSHOT_INTERVAL_S`; 0 = only at shutdown. */
  snapshotIntervalSeconds: number;
  /** Longest key accepted, in code points. */
  maxKeySize: number;
  /** Longest value accepted, in code points. */
  maxValueSize: number;
}

/**
 * At startup, before the port opens: builds the service for `settings` and
 * loads the snapshot. Resolves with the service (undefined when
 * `SNAPSHOT_FILE` is blank), or with exit code 1 after printing why startup
 * stops (a broken file, an unusable directory).
 */
export async function openSnapshots(
  cache: Cache,
  settings: SnapshotSettings,
  logger: Logger,
): Promise<SnapshotService | undefined | 1> {
  if (!settings.snapshotFile) return undefined;
  const service = new SnapshotService(cache, {
    path: settings.snapshotFile,
    intervalSeconds: settings.snapshotIntervalSeconds,
    maxKeySize: settings.maxKeySize,
    maxValueSize: settings.maxValueSize,
    logger,
  });
  try {
    await service.load();
  } catch (error) {
    if (!(error instanceof SnapshotError || error instanceof ConfigError)) {
      throw error;
    }
    console.error(`kv-cache: ${error.message}`);
    return 1;
  }
  return service;
}

/**
 * At shutdown, after the drain: writes the final snapshot. Resolves with
 * whether it was written (a failure is logged; the previous one stays).
 */
export async function closeSnapshots(
  service: SnapshotService | undefined,
  logger: Logger,
): Promise<boolean> {
  if (service === undefined) return true;
  try {
    await service.close();
    return true;
  } catch (error) {
    logger.error("final snapshot failed; the previous one is kept", {
      error: String(error),
    });
    return false;
  }
}
