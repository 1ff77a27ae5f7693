import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Logger } from "../lib/logger.ts";
import { Metrics } from "../routes/metrics.ts";
import { type AppOptions, ROUTE_LABELS } from "../routes/app.ts";
import { openApiDocument } from "../routes/openapi.ts";
import { OPENAPI_DOCUMENT } from "../routes/openapi_document.ts";
import { COMMANDS } from "../routes/redis/commands.ts";
import { REDIS_PATHS } from "../routes/redis/endpoints.ts";
import { OPENAPI_YAML, parseOpenApiYaml } from "../scripts/openapi_document.ts";
import { testApp } from "./support/app.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const TOKEN = "s3cret-token-0123456789";
const READONLY_TOKEN = "read-only-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** The limits of `testApp()`, which the file states as defaults. */
const LIMITS = { maxKeySize: 256, maxValueSize: 256 };

Deno.test("routes/openapi_document.ts is docs/openapi.yaml (run `deno task openapi`)", async () => {
  const yaml = parseOpenApiYaml(await Deno.readTextFile(OPENAPI_YAML));
  assert.deepEqual(OPENAPI_DOCUMENT, yaml);
});

Deno.test("the document and the served ones are valid OpenAPI 3.1", async () => {
  for (
    const document of [
      OPENAPI_DOCUMENT,
      openApiDocument({ maxKeySize: 1000, maxValueSize: 70000 }),
      openApiDocument({
        maxKeySize: 1000,
        maxValueSize: 70000,
        maxPipelineCommands: 5,
        redisApi: true,
      }),
    ]
  ) {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.equal(validator.version, "3.1");
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
  }
});

Deno.test("the validator used above rejects a broken document", async () => {
  const broken = structuredClone(OPENAPI_DOCUMENT) as Json;
  broken.paths["/put"].post.responses["200"] = { content: {} }; // no description
  const result = await new Validator().validate(broken);
  assert.equal(result.valid, false);
});

/** A logger whose debug line throws: every route then fails inside the app. */
const failingLogger: Logger = {
  level: "debug",
  enabled: () => true,
  debug() {
    throw new Error("injected failure");
  },
  info() {},
  warn() {},
  error() {},
};

/** One request, and the app options to run it against. */
interface Case {
  method: string;
  path: string;
  /** The body, or a function making it (a stream is read once). */
  body?: BodyInit | (() => BodyInit);
  headers?: Record<string, string>;
  app?: Partial<AppOptions>;
  /** Data to store first. */
  seed?: boolean;
  /** The status the app must answer (the document must describe it). */
  status: number;
}

/** A body that sends half a request and then nothing. */
const stalledBody = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"key":"k","value":'));
    },
  });

const withMetrics = () => ({ metrics: new Metrics(ROUTE_LABELS) });
const withAuth = { authToken: TOKEN };
const failing = { logger: failingLogger };
const redis = { redisApi: true };
/** The read-only token: on the JSON API (either way), on the Redis API. */
const readOnlyJson = {
  app: { authToken: TOKEN, authReadonlyToken: READONLY_TOKEN },
  headers: { authorization: `Bearer ${READONLY_TOKEN}` },
};
const readOnly = { ...readOnlyJson, app: { ...readOnlyJson.app, ...redis } };
const base64 = { "upstash-encoding": "base64" };

/**
 * The cases every Redis endpoint answers alike, for `path` and a valid
 * `body`: 401, 408, 413, 500 and, where the API is off, 501.
 */
function redisCommonCases(
  path: string,
  body: string,
  limit: Partial<AppOptions>,
): Case[] {
  return [
    { method: "POST", path, body, app: { ...redis, ...withAuth }, status: 401 },
    {
      method: "POST",
      path,
      body,
      headers: { authorization: "Bearer wrong-token-0123456789" },
      app: { ...redis, ...withAuth },
      status: 401,
    },
    {
      method: "POST",
      path,
      body: stalledBody,
      app: { ...redis, bodyTimeoutMs: 30 },
      status: 408,
    },
    {
      method: "POST",
      path,
      body: body.replace("v", "v".repeat(100)),
      app: { ...redis, ...limit },
      status: 413,
    },
    { method: "POST", path, body, app: { ...redis, ...failing }, status: 500 },
    { method: "POST", path, body, app: { redisApi: false }, status: 501 },
    {
      method: "POST",
      path,
      body,
      app: { redisApi: false, ...withAuth },
      status: 501,
    },
    {
      method: "POST",
      path,
      body,
      app: { redisApi: false, ...failing },
      status: 500,
    },
  ];
}

/** For each GET route: the GET and HEAD cases of every documented status. */
function readCases(path: string, statuses: Record<number, Partial<Case>>) {
  return Object.entries(statuses).flatMap(([status, extra]) =>
    ["GET", "HEAD"].map((method) => ({
      method,
      path,
      status: Number(status),
      ...extra,
    }))
  );
}

const CASES: Case[] = [
  // POST /put
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v"}',
    status: 200,
  },
  {
    method: "POST",
    path: "/put",
    body: '{ "key": "k", "value": "😀", "ttl": 60, "extra": true }',
    status: 200,
  },
  { method: "POST", path: "/put", body: "not json", status: 400 },
  { method: "POST", path: "/put", body: '{"value":"v"}', status: 400 },
  { method: "POST", path: "/put", body: '{"key":"","value":"v"}', status: 400 },
  {
    method: "POST",
    path: "/put",
    body: JSON.stringify({ key: "k".repeat(257), value: "v" }),
    status: 400,
  },
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v","ttl":null}',
    status: 400,
  },
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v"}',
    app: withAuth,
    status: 401,
  },
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v"}',
    headers: { authorization: "Bearer wrong-token-0123456789" },
    app: withAuth,
    status: 401,
  },
  {
    method: "POST",
    path: "/put",
    body: stalledBody,
    app: { bodyTimeoutMs: 30 },
    status: 408,
  },
  {
    method: "POST",
    path: "/put",
    body: JSON.stringify({ key: "k", value: "v".repeat(100) }),
    app: { maxBodyBytes: 64 },
    status: 413,
  },
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v"}',
    app: failing,
    status: 500,
  },
  // GET and HEAD /get
  ...readCases("/get?key=k", {
    200: { seed: true },
    401: { app: withAuth },
    404: {},
    500: { app: failing },
  }),
  {
    method: "GET",
    path: "/get?key=k",
    app: { notFoundStatus: 200 },
    status: 200,
  },
  ...readCases("/get", { 400: {} }),
  { method: "GET", path: "/get?key=", status: 400 },
  { method: "GET", path: `/get?key=${"k".repeat(257)}`, status: 400 },
  // DELETE /delete
  { method: "DELETE", path: "/delete?key=k", seed: true, status: 200 },
  {
    method: "DELETE",
    path: "/delete?key=k",
    app: { notFoundStatus: 200 },
    status: 200,
  },
  { method: "DELETE", path: "/delete", status: 400 },
  { method: "DELETE", path: "/delete?key=k", app: withAuth, status: 401 },
  { method: "DELETE", path: "/delete?key=k", status: 404 },
  { method: "DELETE", path: "/delete?key=k", app: failing, status: 500 },
  // Operations routes
  ...readCases("/health", {
    200: { app: withAuth }, // exempt from the token
    500: { app: failing },
  }),
  ...readCases("/stats", {
    200: { seed: true, headers: AUTH, app: withAuth },
    401: { app: withAuth },
    500: { app: failing },
  }),
  ...readCases("/metrics", {
    200: { seed: true, app: withMetrics() },
    401: { app: { ...withAuth, ...withMetrics() } },
    404: {}, // METRICS=off: no route
    500: { app: { ...failing, ...withMetrics() } },
  }),
  ...readCases("/openapi.json", {
    200: {},
    401: { app: withAuth },
    500: { app: failing },
  }),
  ...readCases("/openapi.json", { 200: readOnlyJson }),
  // The JSON API's writes with the read-only token
  {
    method: "POST",
    path: "/put",
    body: '{"key":"k","value":"v"}',
    ...readOnlyJson,
    status: 403,
  },
  { method: "DELETE", path: "/delete?key=k", ...readOnlyJson, status: 403 },
  // POST /
  {
    method: "POST",
    path: "/",
    body: '["set","k","v","ex",60]',
    app: redis,
    status: 200,
  },
  {
    method: "POST",
    path: "/",
    body: '["GET","k"]',
    seed: true,
    headers: { ...base64, "upstash-sync-token": "abc-1" },
    app: redis,
    status: 200,
  },
  {
    method: "POST",
    path: "/",
    body: '["mget","k","x"]',
    seed: true,
    app: redis,
    status: 200,
  },
  {
    method: "POST",
    path: "/",
    body: '["incr",1,true]',
    app: redis,
    status: 400,
  },
  { method: "POST", path: "/", body: '["get"]', app: redis, status: 400 },
  {
    method: "POST",
    path: "/",
    body: '["hset","h","f","v"]',
    app: redis,
    status: 400,
  },
  { method: "POST", path: "/", body: "not json", app: redis, status: 400 },
  { method: "POST", path: "/", body: "[]", app: redis, status: 400 },
  { method: "POST", path: "/", body: '[["get","k"]]', app: redis, status: 400 },
  { method: "POST", path: "/", body: '["get",null]', app: redis, status: 400 },
  { method: "POST", path: "/", body: '["get","k"]', ...readOnly, status: 200 },
  {
    method: "POST",
    path: "/",
    body: '["set","k","v"]',
    ...readOnly,
    status: 403,
  },
  ...redisCommonCases("/", '["set","k","v"]', { maxBodyBytes: 64 }),
  // POST /pipeline and /multi-exec
  ...["/pipeline", "/multi-exec"].flatMap((path): Case[] => [
    {
      method: "POST",
      path,
      body: '[["set","n","1"],["incr","n"],["incr","k"],["time"]]',
      seed: true,
      app: redis,
      status: 200,
    },
    {
      method: "POST",
      path,
      body: '[["mget","k","x"],["scan","0"]]',
      seed: true,
      headers: base64,
      app: redis,
      status: 200,
    },
    { method: "POST", path, body: '["get","k"]', app: redis, status: 400 },
    { method: "POST", path, body: "[]", app: redis, status: 400 },
    { method: "POST", path, body: "{}", app: redis, status: 400 },
    {
      method: "POST",
      path,
      body: '[["get","a"],["get","b"],["get","c"]]',
      app: { ...redis, maxPipelineCommands: 2 },
      status: 400,
    },
    { method: "POST", path, body: '[["get","k"]]', ...readOnly, status: 200 },
    {
      method: "POST",
      path,
      body: '[["get","k"],["del","k"]]',
      ...readOnly,
      status: 403,
    },
    ...redisCommonCases(path, '[["set","k","v"]]', {
      maxPipelineBodyBytes: 64,
    }),
  ]),
  // A pipeline answers an unknown command in place; a transaction refuses it.
  {
    method: "POST",
    path: "/pipeline",
    body: '[["get","k"],["hset","h","f","v"],["get"]]',
    app: redis,
    status: 200,
  },
  {
    method: "POST",
    path: "/multi-exec",
    body: '[["get","k"],["hset","h","f","v"]]',
    app: redis,
    status: 400,
  },
  {
    method: "POST",
    path: "/multi-exec",
    body: '[["keys","*"]]',
    app: redis,
    status: 400,
  },
  // No such operation
  { method: "GET", path: "/", status: 405 },
  { method: "HEAD", path: "/pipeline", status: 405 },
  { method: "GET", path: "/put", status: 405 },
  { method: "OPTIONS", path: "/get?key=k", status: 405 },
  { method: "PUT", path: "/delete?key=k", status: 405 },
  { method: "POST", path: "/health", status: 405 },
  { method: "DELETE", path: "/stats", status: 405 },
  { method: "POST", path: "/metrics", app: withMetrics(), status: 405 },
  { method: "PATCH", path: "/openapi.json", status: 405 },
  { method: "HEAD", path: "/put", status: 405 },
  { method: "GET", path: "/nowhere", status: 404 },
  { method: "HEAD", path: "/nowhere", status: 404 },
];

const PUT_REQUEST_SCHEMA = ["components", "schemas", "PutRequest"];

/** The path of a case's URL, without the query. */
const path = (c: Case) => new URL(c.path, "http://x").pathname;

/** `text` parsed as JSON, or `text` itself where it is not JSON. */
function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The path of a local `$ref`, as parts. */
function refParts(ref: string): string[] {
  return ref.slice(2).split("/").map((part) =>
    part.replace(/~1/g, "/").replace(/~0/g, "~")
  );
}

/**
 * The node of the document at `at`, following `$ref`s, and the path where it
 * was found in the end.
 */
function lookUp(document: Json, at: string[]): { node: Json; at: string[] } {
  let node = at.reduce((o: Json, k) => o?.[k], document);
  while (node?.$ref) {
    at = refParts(node.$ref);
    node = at.reduce((o: Json, k) => o?.[k], document);
  }
  return { node, at };
}

/** JSON pointer of `parts` in the document, for ajv's `$ref`. */
function pointer(...parts: string[]): string {
  return "openapi.json#/" +
    parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

/** A JSON Schema 2020-12 validator that knows the whole document. */
function schemaValidator(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, "openapi.json");
  return (ref: string, value: unknown): string | undefined => {
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
}

/** A response of `components.responses`, for any method (HEAD included). */
function outsideOperations(document: Json, name: string) {
  const at = ["components", "responses", name];
  const { node } = lookUp(document, at);
  return { at, headContentType: Object.keys(node.content)[0] };
}

/**
 * Where the document describes the answer to `method path` with `status`:
 * the pointer to the response object, and the content type of the GET
 * operation's answer for a HEAD (which has no body).
 */
function describedResponse(
  document: Json,
  method: string,
  path: string,
  status: number,
): { at: string[]; headContentType?: string } {
  const item = document.paths[path];
  if (item === undefined) {
    assert.equal(status, 404, `unknown path ${path} answered ${status}`);
    return outsideOperations(document, "NoRoute");
  }
  const operation = item[method.toLowerCase()];
  if (operation === undefined) {
    assert.equal(status, 405, `${method} ${path} answered ${status}`);
    return outsideOperations(document, "MethodNotAllowed");
  }
  assert.ok(
    operation.responses[String(status)],
    `${method} ${path} answered ${status}, which the document does not describe`,
  );
  const at = ["paths", path, method.toLowerCase(), "responses", String(status)];
  if (method !== "HEAD") return { at };
  const get = lookUp(document, [...at.slice(0, 2), "get", ...at.slice(3)]);
  return { at, headContentType: Object.keys(get.node.content)[0] };
}

/** The request body schema of each Redis endpoint. */
const REDIS_REQUEST_SCHEMAS: Record<string, string[]> = {
  "/": ["components", "schemas", "RedisCommand"],
  "/pipeline": ["components", "schemas", "RedisCommands"],
  "/multi-exec": ["components", "schemas", "RedisCommands"],
};

/** The document an app with `options` serves, and its schema validator. */
function servedDocument(options: Partial<AppOptions>) {
  const document = openApiDocument({ ...LIMITS, ...options }) as Json;
  return { document, check: schemaValidator(document) };
}

/**
 * Whether the case runs with the Redis API on, off, or (where it does not
 * say) both ways: the JSON API must match both documents.
 */
const variants = (c: Case) =>
  c.app?.redisApi === undefined ? [false, true] : [c.app.redisApi];

Deno.test("every answer of the app matches the document it serves: status, headers, content type, body", async () => {
  const documents = new Map<string, ReturnType<typeof servedDocument>>();
  /** Per Redis API on/off: the responses some case produced. */
  const covered = new Map<boolean, Set<string>>([
    [false, new Set()],
    [true, new Set()],
  ]);
  for (const c of CASES) {
    for (const redisApi of variants(c)) {
      const label = `${c.method} ${c.path} (${c.status}, Redis API ${
        redisApi ? "on" : "off"
      })`;
      const options = { ...c.app, redisApi };
      const key = JSON.stringify([redisApi, c.app?.maxPipelineCommands]);
      if (!documents.has(key)) documents.set(key, servedDocument(options));
      const { document, check } = documents.get(key)!;
      const { app, cache } = testApp(options);
      if (c.seed) cache.set("k", "v", undefined);
      const response = await app.request(c.path, {
        method: c.method,
        body: typeof c.body === "function" ? c.body() : c.body,
        headers: { ...(c.app?.authToken ? {} : AUTH), ...c.headers },
      });
      assert.equal(response.status, c.status, label);
      if (path(c) === "/put" && typeof c.body === "string" && c.status < 401) {
        // The request schema accepts exactly the bodies the app accepts.
        const error = check(pointer(...PUT_REQUEST_SCHEMA), parseOr(c.body));
        assert.equal(
          error === undefined,
          c.status === 200,
          `${label}: ${error}`,
        );
      }
      const requestSchema = REDIS_REQUEST_SCHEMAS[path(c)];
      if (requestSchema && typeof c.body === "string" && c.method === "POST") {
        // A body the request schema refuses is a 400; an answered one fits it.
        const error = check(pointer(...requestSchema), parseOr(c.body));
        if (error !== undefined) {
          assert.equal(c.status, 400, `${label}: ${error}`);
        }
        if (c.status === 200) assert.equal(error, undefined, label);
      }
      const { at, headContentType } = describedResponse(
        document,
        c.method,
        path(c),
        c.status,
      );
      covered.get(redisApi)!.add(at.join(" "));
      const { node: described, at: describedAt } = lookUp(document, at);

      for (const name of Object.keys(described.headers ?? {})) {
        const { node: header, at: headerAt } = lookUp(document, [
          ...describedAt,
          "headers",
          name,
        ]);
        const value = response.headers.get(name);
        if (value === null) {
          assert.ok(!header.required, `${label}: no ${name} header`);
          continue;
        }
        const error = check(pointer(...headerAt, "schema"), value);
        assert.equal(error, undefined, `${label}: header ${name}: ${error}`);
      }

      const contentType = response.headers.get("content-type");
      const text = await response.text();
      if (c.method === "HEAD") {
        assert.equal(text, "", `${label}: a HEAD answer has no body`);
        assert.equal(contentType, headContentType, label);
        continue;
      }
      const media = Object.keys(described.content ?? {});
      assert.deepEqual(media, [contentType], `${label}: content type`);
      const body = contentType === "application/json" ? JSON.parse(text) : text;
      const error = check(
        pointer(...describedAt, "content", contentType!, "schema"),
        body,
      );
      assert.equal(
        error,
        undefined,
        `${label}: body ${text.slice(0, 200)}: ${error}`,
      );
    }
  }

  // Every operation and every status each served document describes was
  // answered above, and the two answers outside operations too.
  for (const redisApi of [false, true]) {
    const { document } = servedDocument({ redisApi });
    const documented = Object.entries<Json>(document.paths).flatMap(
      ([path, item]) =>
        Object.entries<Json>(item).filter(([method]) => method !== "parameters")
          .flatMap(([method, operation]) =>
            Object.keys(operation.responses).map((status) =>
              ["paths", path, method, "responses", status].join(" ")
            )
          ),
    );
    documented.push(
      "components responses NoRoute",
      "components responses MethodNotAllowed",
    );
    assert.deepEqual(
      documented.filter((response) => !covered.get(redisApi)!.has(response)),
      [],
      `documented answers no case produced (Redis API ${
        redisApi ? "on" : "off"
      })`,
    );
  }
});

Deno.test("the served document lists the command table's commands where the Redis API is on, and only 501 where it is off", async () => {
  const on = openApiDocument({ ...LIMITS, redisApi: true }) as Json;
  const table = [...COMMANDS.values()];
  assert.deepEqual(
    on["x-redis-commands"],
    table.map((spec) => ({
      name: spec.name,
      arity: spec.arity,
      syntax: spec.syntax,
      readOnly: spec.access === "readonly",
      inTransaction: spec.inTransaction,
      group: spec.group,
      summary: spec.summary,
    })),
  );
  // The table under POST /: one row per command, in the table's order.
  const rows = (on.paths["/"].post.description as string).split("\n")
    .filter((line) => /^\| [A-Z]/.test(line));
  assert.deepEqual(
    rows.map((row) => row.slice(2).split(/[ |]/, 1)[0]),
    table.map((spec) => spec.name.toUpperCase()),
  );
  for (const [i, spec] of table.entries()) {
    const cells = rows[i].split(" | ");
    assert.equal(
      cells[1],
      spec.access === "readonly" ? "yes" : "no",
      spec.name,
    );
    assert.equal(cells[2], spec.inTransaction ? "yes" : "no", spec.name);
  }
  // The file names no command: the table is the one list.
  const yaml = await Deno.readTextFile(OPENAPI_YAML);
  assert.doesNotMatch(yaml, /incrbyfloat|pexpireat|randomkey/i);

  const off = openApiDocument({ ...LIMITS, redisApi: false }) as Json;
  assert.equal(off["x-redis-commands"], undefined);
  for (const path of REDIS_PATHS) {
    assert.deepEqual(Object.keys(off.paths[path].post.responses).sort(), [
      "500",
      "501",
    ]);
    assert.equal(on.paths[path].post.responses["501"], undefined, path);
    assert.ok(on.paths[path].post.responses["200"], path);
  }
  // What the app serves is that document.
  for (const redisApi of [false, true]) {
    const { app } = testApp({ redisApi, maxPipelineCommands: 7 });
    const served = await (await app.request("/openapi.json")).json();
    assert.deepEqual(
      served,
      openApiDocument({ ...LIMITS, redisApi, maxPipelineCommands: 7 }),
    );
    assert.equal(served.components.schemas.RedisCommands.maxItems, 7);
  }
});

Deno.test("/openapi.json states the server's own limits, also with METRICS=off", async () => {
  const { app } = testApp({ maxKeySize: 10, maxValueSize: 3 });
  const response = await app.request("/openapi.json");
  assert.equal(response.status, 200);
  const served = await response.json();
  assert.deepEqual(
    served,
    openApiDocument({ maxKeySize: 10, maxValueSize: 3 }),
  );
  const check = schemaValidator(served);
  const put = pointer(...PUT_REQUEST_SCHEMA);
  for (
    const [body, status] of [
      [{ key: "k".repeat(10), value: "vvv" }, 200],
      [{ key: "k".repeat(11), value: "vvv" }, 400],
      [{ key: "k", value: "😀😀😀" }, 200],
      [{ key: "k", value: "vvvv" }, 400],
    ] as const
  ) {
    const answer = await app.request("/put", {
      method: "POST",
      body: JSON.stringify(body),
    });
    assert.equal(answer.status, status, JSON.stringify(body));
    assert.equal(check(put, body) === undefined, status === 200);
  }
});
