/**
 * Generates `routes/openapi_document.ts` from `docs/openapi.yaml`, the source
 * of the API description: the server cannot read files at run time (it has
 * `--allow-read=.env` only, and the compiled binary and the edge bundle have
 * no `docs/`), so the document travels as a module. Run `deno task openapi`
 * after editing the YAML (it also formats the module); `tests/openapi_test.ts` fails while the two differ.
 *
 * @module
 */

import { parse } from "yaml";

/** Where the source document lives. */
export const OPENAPI_YAML = new URL("../docs/openapi.yaml", import.meta.url);

/** Where the generated module goes. */
export const OPENAPI_MODULE = new URL(
  "../routes/openapi_document.ts",
  import.meta.url,
);

/** Parses the YAML document; duplicate keys and YAML errors throw. */
export function parseOpenApiYaml(text: string): Record<string, unknown> {
  const document = parse(text, { uniqueKeys: true, prettyErrors: true });
  if (typeof document !== "object" || document === null) {
    throw new TypeError("docs/openapi.yaml does not hold a mapping.");
  }
  return document;
}

/** Returns the source of the generated module for `document`. */
export function renderOpenApiModule(document: Record<string, unknown>): string {
  return [
    "// Generated from docs/openapi.yaml by `deno task openapi`; do not edit.",
    "",
    "/** The OpenAPI 3.1 description of the API (docs/openapi.yaml). */",
    `export const OPENAPI_DOCUMENT = ${JSON.stringify(document, null, 2)};`,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const document = parseOpenApiYaml(await Deno.readTextFile(OPENAPI_YAML));
  await Deno.writeTextFile(OPENAPI_MODULE, renderOpenApiModule(document));
  console.log(`wrote ${OPENAPI_MODULE.pathname}`);
}
