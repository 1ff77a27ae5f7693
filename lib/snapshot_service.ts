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
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#writing;
    return await this.#write("shutdown");
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
