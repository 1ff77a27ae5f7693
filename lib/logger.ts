/**
 * A leveled logger writing one JSON object per line, so that logs can be read
 * by people and parsed by machines alike.
 *
 * @module
 */

/** Log levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Extra structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Writes log lines at or above its level. */
export interface Logger {
  /** The least severe level this logger writes. */
  readonly level: LogLevel;
  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean;
  /** Writes a debug line. */
  debug(msg: string, fields?: LogFields): void;
  /** Writes an info line. */
  info(msg: string, fields?: LogFields): void;
  /** Writes a warning line. */
  warn(msg: string, fields?: LogFields): void;
  /** Writes an error line. */
  error(msg: string, fields?: LogFields): void;
}

/** Reports whether `text` names a log level. */
export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * Creates a logger that writes lines of at least `level` severity through
 * `write` (standard output by default; warnings and errors to standard error).
 */
export function createLogger(
  level: LogLevel,
  write: (level: LogLevel, line: string) => void = writeToConsole,
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const enabled = (at: LogLevel) => LOG_LEVELS.indexOf(at) >= threshold;
  const log = (at: LogLevel) => (msg: string, fields?: LogFields) => {
    if (!enabled(at)) return;
    write(
      at,
      JSON.stringify({
        time: new Date().toISOString(),
        level: at,
        msg,
        ...fields,
      }),
    );
  };
  return {
    level,
    enabled,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
  };
}

function writeToConsole(level: LogLevel, line: string): void {
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
}
