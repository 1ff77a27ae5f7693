/**
 * What the OpenAPI document says about the Redis commands, derived from the
 * command table: routes/openapi.ts puts {@linkcode documentedCommands} in
 * the served document as `x-redis-commands` and
 * {@linkcode commandTableMarkdown} under `POST /`. The endpoints themselves
 * are described in docs/openapi.yaml, which names no command, so that a
 * command is declared once, in routes/redis/commands.ts.
 *
 * @module
 */

import { COMMANDS } from "./commands.ts";

/** One command as the OpenAPI document lists it. */
export interface DocumentedCommand {
  /** The name, lowercase (any case is accepted). */
  name: string;
  /** Arguments including the name, Redis's way: negative means at least `-arity`. */
  arity: number;
  /** The arguments after the name, as redis.io writes them. */
  syntax: string;
  /** True if it changes nothing, so that the read-only token may run it. */
  readOnly: boolean;
  /** False if `POST /multi-exec` refuses it (EXECABORT). */
  inTransaction: boolean;
  /** redis.io's group: `string`, `generic`, `server` or `connection`. */
  group: string;
  /** What it does, in one line. */
  summary: string;
}

/** Every command of the table, in its order. */
export function documentedCommands(): DocumentedCommand[] {
  return [...COMMANDS.values()].map((spec) => ({
    name: spec.name,
    arity: spec.arity,
    syntax: spec.syntax,
    readOnly: spec.access === "readonly",
    inTransaction: spec.inTransaction,
    group: spec.group,
    summary: spec.summary,
  }));
}

/** Escapes the `|` of a Markdown table cell. */
const cell = (text: string) => text.replaceAll("|", "\\|");

/** The command table as a Markdown table, one row per command. */
export function commandTableMarkdown(): string {
  const rows = documentedCommands().map((command) =>
    `| ${cell(`${command.name.toUpperCase()} ${command.syntax}`.trim())} | ${
      command.readOnly ? "yes" : "no"
    } | ${command.inTransaction ? "yes" : "no"} | ${cell(command.summary)} |`
  );
  return [
    "| command | read-only token | in multi-exec | what it does |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
