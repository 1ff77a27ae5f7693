/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of the API
 * (docs/openapi.yaml, shipped as routes/openapi_document.ts so that no file is
 * read at run time), with the key and value limits of this server filled in.
 *
 * @module
 */

import { OPENAPI_DOCUMENT } from "./openapi_document.ts";
import { jsonResponse } from "./responses.ts";

/** Options for {@linkcode openApi}: the limits the document states. */
export interface OpenApiOptions {
  /** Longest key accepted, in code points (`MAX_KEY_SIZE`). */
  maxKeySize: number;
  /** Longest value accepted, in code points (`MAX_VALUE_SIZE`). */
  maxValueSize: number;
}

/** The OpenAPI document. */
export type OpenApiDocument = typeof OPENAPI_DOCUMENT;

/**
 * Returns the OpenAPI document with `options`' limits as the `maxLength` of
 * the key and value schemas (the file states the defaults).
 */
export function openApiDocument(options: OpenApiOptions): OpenApiDocument {
  const document = structuredClone(OPENAPI_DOCUMENT);
  document.components.schemas.Key.maxLength = options.maxKeySize;
  document.components.schemas.Value.maxLength = options.maxValueSize;
  return document;
}

/**
 * Creates the handler of `GET /openapi.json`, which answers the document
 * serialised once, here.
 */
export function openApi(options: OpenApiOptions): () => Response {
  const body = JSON.stringify(openApiDocument(options));
  return function openApiDocumentResponse() {
    return jsonResponse(body);
  };
}
