/**
 * The pieces settings are declared with: the shape of one setting, the error
 * an invalid value raises, and parsers for the common kinds of value (whole
 * numbers in a range, one word of a list, on/off).
 *
 * @module
 */

/** A configuration value that is not allowed; names the variable. */
export class ConfigError extends Error {
  /** Creates an error about environment variable `variable`. */
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * One setting: the variable it is read from, its default, how its text is
 * parsed and the line that documents it.
 *
 * @typeParam T The parsed value.
 * @typeParam Earlier The settings declared before this one that it needs.
 */
export interface ConfigSetting<T, Earlier = unknown> {
  /** Environment variable, e.g. `PORT`. */
  variable: string;
  /** Value when the variable is unset or blank, or how to work it out. */
  fallback: T | ((earlier: Earlier) => T);
  /** Value shown in `.env.example` when `fallback` is worked out. */
  example?: T;
  /**
   * Parses a non-blank value.
   *
   * @throws {ConfigError} naming the variable, the value and what is allowed.
   */
  parse(raw: string, variable: string, earlier: Earlier): T;
  /** One line for `.env.example` and the README's table. */
  doc: string;
  /** Logged only as "set" or "none", never as its value. */
  secret?: boolean;
}

/** The error for `raw`, given for `variable`, that is not `expected`. */
export function invalid(
  variable: string,
  raw: string,
  expected: string,
): ConfigError {
  return new ConfigError(
    variable,
    `Invalid ${variable} ${JSON.stringify(raw)}: expected ${expected}.`,
  );
}

/** A parser of whole numbers from `min` to `max`, inclusive. */
export function integer(
  min: number,
  max: number,
): (raw: string, variable: string) => number {
  return (raw, variable) => {
    const text = raw.trim();
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (value >= min && value <= max) return value;
    throw invalid(variable, raw, `a whole number from ${min} to ${max}`);
  };
}

/** A parser of one of `words`, in any case; `expected` words the list. */
export function oneOf<const W extends string>(
  words: readonly W[],
  expected: string,
): (raw: string, variable: string) => W {
  return (raw, variable) => {
    const word = raw.trim().toLowerCase();
    const found = words.find((candidate) => candidate === word);
    if (found !== undefined) return found;
    throw invalid(variable, raw, expected);
  };
}

/** Parses a switch: on/true/1/yes or off/false/0/no, in any case. */
export function onOff(raw: string, variable: string): boolean {
  const text = raw.trim().toLowerCase();
  if (["on", "true", "1", "yes"].includes(text)) return true;
  if (["off", "false", "0", "no"].includes(text)) return false;
  throw invalid(variable, raw, "on or off");
}
