/**
 * Renders the documentation of the settings from their declarations in
 * {@linkcode SETTINGS}: the `.env.example` file and the rows of the README's
 * configuration table. `deno task config:docs` writes both; a test checks
 * that the files in the repository match.
 *
 * @module
 */

import { type ConfigSetting, SETTINGS } from "./config.ts";

const ENV_EXAMPLE_HEADER =
  `# kv-cache configuration. Copy to .env (read from the working directory at
# startup); variables set in the environment win over this file. Blank or
# unset variables take the defaults shown. Generated from lib/config.ts by
# \`deno task config:docs\`.
`;

/** One documented setting: variable, default as written, and its doc line. */
export interface SettingDoc {
  /** Environment variable. */
  variable: string;
  /** Default as `.env.example` writes it ("" for none). */
  example: string;
  /** One line of documentation, in Markdown. */
  doc: string;
}

/** The documentation of every setting, in declaration order. */
export function settingDocs(): SettingDoc[] {
  return Object.values(SETTINGS).map((declared) => {
    const setting = declared as ConfigSetting<unknown, never>;
    const example = setting.example ??
      (typeof setting.fallback === "function" ? "" : setting.fallback);
    return {
      variable: setting.variable,
      example: exampleText(example),
      doc: setting.doc,
    };
  });
}

/** The whole `.env.example` file. */
export function renderEnvExample(): string {
  const blocks = settingDocs().map(({ variable, example, doc }) =>
    `${wrapComment(plainText(doc))}\n${variable}=${example}\n`
  );
  return `${ENV_EXAMPLE_HEADER}\n${blocks.join("")}`;
}

/** The README's configuration table, as Markdown (not yet aligned). */
export function renderConfigTable(): string {
  const rows = settingDocs().map(({ variable, example, doc }) =>
    `| \`${variable}\` | ${example === "" ? "(none)" : `\`${example}\``} | ${
      doc.replaceAll("|", "\\|")
    } |`
  );
  return [
    "| variable | default | meaning |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n") + "\n";
}

function exampleText(value: unknown): string {
  if (value === true) return "on";
  if (value === false) return "off";
  return String(value);
}

/** Markdown to plain text for a comment: code spans lose their backticks. */
function plainText(markdown: string): string {
  return markdown.replaceAll("`", "");
}

function wrapComment(text: string, width = 78): string {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + 1 + word.length > width && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join("\n");
}
