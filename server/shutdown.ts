/**
 * The graceful shutdown both entry points run once a signal arrives (main.ts
 * for one serving isolate, the supervisor for several): drain the requests in
 * flight within `SHUTDOWN_TIMEOUT_MS`, stop the sweeper, close the serving
 * side, write the final snapshot, and say how the process should exit.
 *
 * @module
 */

import { finishesWithin } from "./deadline.ts";
import {
  closeSnapshots,
  type SnapshotService,
} from "../lib/snapshot_service.ts";
import type { LogFields, Logger } from "../lib/logger.ts";

/** What {@linkcode shutDown} stops, and how. */
export interface ShutdownOptions {
  /** Where the shutdown is logged. */
  logger: Logger;
  /** Longest wait for the drain, in ms (`SHUTDOWN_TIMEOUT_MS`). */
  timeoutMs: number;
  /** More fields for the "shutting down" line (the signal, the workers). */
  fields?: LogFields;
  /** Stops taking requests and resolves once those in flight are answered. */
  drain: () => Promise<unknown>;
  /** The periodic sweep, stopped after the drain. */
  sweeper: { stop(): Promise<unknown> };
  /** Closes what serves requests, once drained or given up on. */
  close: () => void;
  /** The snapshot service, whose final write comes last; none when off. */
  snapshots: SnapshotService | undefined;
}

/**
 * Shuts down in order (drain, sweeper, close, final snapshot) and resolves
 * with the exit code: 0, or 1 when the final snapshot could not be written.
 * A drain that outlasts `timeoutMs` is logged and given up on.
 */
export async function shutDown(options: ShutdownOptions): Promise<number> {
  const { logger, timeoutMs } = options;
  logger.info("shutting down", { ...options.fields, timeoutMs });
  const drained = await finishesWithin(options.drain(), timeoutMs);
  await options.sweeper.stop();
  options.close();
  if (!drained) {
    logger.warn("in-flight requests did not finish in time; exiting anyway", {
      timeoutMs,
    });
  }
  const saved = await closeSnapshots(options.snapshots, logger);
  logger.info("stopped");
  return saved ? 0 : 1;
}
