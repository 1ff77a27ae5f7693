/**
 * Writes `.env.example` and the README's configuration table from the
 * declarations in `lib/config.ts` (`deno task config:docs`), then formats
 * the README.
 *
 * @module
 */

import { renderConfigTable, renderEnvExample } from "../lib/config_docs.ts";

/** Markers around the generated table in README.md. */
export const TABLE_START = "<!-- config-table:start -->";
/** End marker of the generated table in README.md. */
export const TABLE_END = "<!-- config-table:end -->";

/** Replaces the text between the table markers of `readme`. */
export function withConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(
      `README.md has no ${TABLE_START} … ${TABLE_END} section to fill`,
    );
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n${
    readme.slice(end)
  }`;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  Deno.writeTextFileSync(new URL(".env.example", root), renderEnvExample());
  const readmeUrl = new URL("README.md", root);
  Deno.writeTextFileSync(
    readmeUrl,
    withConfigTable(Deno.readTextFileSync(readmeUrl), renderConfigTable()),
  );
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", readmeUrl.pathname],
  }).outputSync();
  if (!fmt.success) throw new Error("deno fmt README.md failed");
  console.log("wrote .env.example and the README's configuration table");
}
