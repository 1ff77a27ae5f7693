// Generated from docs/openapi.yaml by `deno task openapi`; do not edit.

/** The OpenAPI 3.1 description of the API (docs/openapi.yaml). */
export const OPENAPI_DOCUMENT = {
  "openapi": "3.1.0",
  "info": {
    "title": "kv-cache",
    "version": "1.0.0",
    "summary": "An in-memory key-value cache with per-entry TTL over HTTP.",
    "description":
      'Every response but `/metrics` is `application/json`; fixed bodies are\nexact (clients and load harnesses match on their bytes). Errors are\n`{"status":"ERROR","message":"…"}` with a message that says what is\nwrong, and a rejected request changes nothing.\n\nTwo answers do not belong to one operation and are described under\n`components.responses`:\n\n- `MethodNotAllowed` (405): a known path with another method. The\n  `Allow` header lists the methods of the path.\n- `NoRoute` (404): an unknown path (and `/metrics` when the server runs\n  with `METRICS=off`).\n\nLimits: keys and values are counted in Unicode code points after JSON\ndecoding (an emoji counts once), as JSON Schema\'s `maxLength` counts.\nThe limits in this file are the defaults (`MAX_KEY_SIZE`,\n`MAX_VALUE_SIZE`); the document a server serves at `/openapi.json`\nstates that server\'s own. Request bodies over `MAX_BODY_BYTES` (16384\nby default) get 413.\n\nAuthentication: when the server runs with `AUTH_TOKEN`, every\noperation but `GET /health` needs `Authorization: Bearer <token>` and\nanswers 401 without it. Without `AUTH_TOKEN` no operation needs it.\nA second token, `AUTH_READONLY_TOKEN`, may do everything that changes\nnothing: `POST /put` and `DELETE /delete` answer it 403, and so do the\nRedis endpoints for a write command.\n\nThe Redis REST API (tag `redis`): `POST /`, `POST /pipeline` and\n`POST /multi-exec` speak the Upstash Redis REST protocol, so that\n`@upstash/redis` works against kv-cache unchanged (docs/redis-api.md).\nTheir answers are `{"result": …}` or `{"error": "ERR …"}` (Redis\'s\nwording), not the JSON API\'s shape. Where they are served, the document\nat `/openapi.json` lists every command (`x-redis-commands`: name, arity,\nsyntax, whether the read-only token and a transaction may run it) and\nshows them as a table under `POST /`; both come from the server\'s\ncommand table. Where they are not served yet, the three operations\nanswer only 501 and the document says so.\n',
  },
  "security": [
    {
      "bearerAuth": [],
    },
    {},
  ],
  "tags": [
    {
      "name": "cache",
      "description": "Read and write entries.",
    },
    {
      "name": "operations",
      "description": "Health, counters, metrics and this document.",
    },
    {
      "name": "redis",
      "description":
        "The Redis REST API (Upstash protocol): `@upstash/redis` works against\nit. One store with the JSON API.\n",
    },
  ],
  "paths": {
    "/put": {
      "post": {
        "operationId": "putEntry",
        "tags": [
          "cache",
        ],
        "summary": "Insert or overwrite an entry.",
        "description":
          "An overwrite restarts the TTL and makes the entry the newest (the\nlast to be evicted). The `Content-Type` of the request is not\nchecked: the body is always parsed as JSON. Unknown fields are\nignored.\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PutRequest",
              },
            },
          },
        },
        "responses": {
          "200": {
            "description": "Stored.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PutOk",
                },
              },
            },
          },
          "400": {
            "$ref": "#/components/responses/BadRequest",
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "403": {
            "$ref": "#/components/responses/ReadOnlyToken",
          },
          "408": {
            "$ref": "#/components/responses/BodyTimeout",
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
    },
    "/get": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Key",
        },
      ],
      "get": {
        "operationId": "getEntry",
        "tags": [
          "cache",
        ],
        "summary": "Read an entry.",
        "responses": {
          "200": {
            "description":
              "The entry. With `NOT_FOUND_STATUS=200`, a missing or expired\nkey also answers 200, with the `KeyNotFound` body.\n",
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/Hit",
                    },
                    {
                      "$ref": "#/components/schemas/KeyNotFound",
                    },
                  ],
                },
              },
            },
          },
          "400": {
            "$ref": "#/components/responses/BadRequest",
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "404": {
            "$ref": "#/components/responses/KeyNotFound",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
      "head": {
        "operationId": "headEntry",
        "tags": [
          "cache",
        ],
        "summary": "The status and headers `GET /get` would answer, no body.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Head",
          },
          "400": {
            "$ref": "#/components/responses/Head",
          },
          "401": {
            "$ref": "#/components/responses/Head",
          },
          "404": {
            "$ref": "#/components/responses/Head",
          },
          "500": {
            "$ref": "#/components/responses/Head",
          },
        },
      },
    },
    "/delete": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Key",
        },
      ],
      "delete": {
        "operationId": "deleteEntry",
        "tags": [
          "cache",
        ],
        "summary": "Delete an entry.",
        "responses": {
          "200": {
            "description":
              "Deleted. With `NOT_FOUND_STATUS=200`, a missing or expired key\nalso answers 200, with the `KeyNotFound` body.\n",
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/Deleted",
                    },
                    {
                      "$ref": "#/components/schemas/KeyNotFound",
                    },
                  ],
                },
              },
            },
          },
          "400": {
            "$ref": "#/components/responses/BadRequest",
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "403": {
            "$ref": "#/components/responses/ReadOnlyToken",
          },
          "404": {
            "$ref": "#/components/responses/KeyNotFound",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
    },
    "/health": {
      "get": {
        "operationId": "health",
        "tags": [
          "operations",
        ],
        "summary": "Liveness, for load balancers; never needs a token.",
        "security": [],
        "responses": {
          "200": {
            "description": "The process is serving.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health",
                },
              },
            },
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
      "head": {
        "operationId": "headHealth",
        "tags": [
          "operations",
        ],
        "summary": "`GET /health` without the body.",
        "security": [],
        "responses": {
          "200": {
            "$ref": "#/components/responses/Head",
          },
          "500": {
            "$ref": "#/components/responses/Head",
          },
        },
      },
    },
    "/stats": {
      "get": {
        "operationId": "stats",
        "tags": [
          "operations",
        ],
        "summary": "The cache's counters and sizes.",
        "responses": {
          "200": {
            "description": "Counters since start and current sizes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Stats",
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
      "head": {
        "operationId": "headStats",
        "tags": [
          "operations",
        ],
        "summary": "`GET /stats` without the body.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Head",
          },
          "401": {
            "$ref": "#/components/responses/Head",
          },
          "500": {
            "$ref": "#/components/responses/Head",
          },
        },
      },
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "tags": [
          "operations",
        ],
        "summary": "Prometheus metrics (text exposition format 0.0.4).",
        "description":
          "Served while `METRICS=on` (the default); with `METRICS=off` the\nroute does not exist and answers 404 (`NoRoute`).\ndeploy/grafana/kv-cache.json and deploy/prometheus/ are built on\nthese series.\n",
        "responses": {
          "200": {
            "description": "Every series, built at scrape time.",
            "content": {
              "text/plain; version=0.0.4; charset=utf-8": {
                "schema": {
                  "type": "string",
                  "pattern": "^# HELP kvcache_",
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "404": {
            "$ref": "#/components/responses/NoRoute",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
      "head": {
        "operationId": "headMetrics",
        "tags": [
          "operations",
        ],
        "summary": "`GET /metrics` without the body.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Head",
          },
          "401": {
            "$ref": "#/components/responses/Head",
          },
          "404": {
            "$ref": "#/components/responses/Head",
          },
          "500": {
            "$ref": "#/components/responses/Head",
          },
        },
      },
    },
    "/openapi.json": {
      "get": {
        "operationId": "openApiDocument",
        "tags": [
          "operations",
        ],
        "summary": "This document, as JSON, with the server's own limits.",
        "description":
          "Served whatever `METRICS` says (it describes the API, it does not\ncount anything); behind the bearer token like every route but\n`/health`.\n",
        "responses": {
          "200": {
            "description": "The OpenAPI 3.1 document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "openapi",
                    "info",
                    "paths",
                  ],
                  "properties": {
                    "openapi": {
                      "type": "string",
                      "pattern": "^3\\.1\\.",
                    },
                  },
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
        },
      },
      "head": {
        "operationId": "headOpenApiDocument",
        "tags": [
          "operations",
        ],
        "summary": "`GET /openapi.json` without the body.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Head",
          },
          "401": {
            "$ref": "#/components/responses/Head",
          },
          "500": {
            "$ref": "#/components/responses/Head",
          },
        },
      },
    },
    "/": {
      "post": {
        "operationId": "redisCommand",
        "tags": [
          "redis",
        ],
        "summary": "Run one Redis command.",
        "description":
          'The body is one command, e.g. `["set","k","v","ex",60]`. Command\nnames and option words are case-insensitive; a name the server does\nnot have answers Redis\'s unknown-command error (400). The commands\nthis server runs are listed below and in `x-redis-commands`.\n',
        "parameters": [
          {
            "$ref": "#/components/parameters/UpstashEncoding",
          },
          {
            "$ref": "#/components/parameters/UpstashSyncToken",
          },
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RedisCommand",
              },
            },
          },
        },
        "responses": {
          "200": {
            "description": "The command's reply.",
            "headers": {
              "Upstash-Sync-Token": {
                "$ref": "#/components/headers/UpstashSyncToken",
              },
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RedisResult",
                },
                "example": {
                  "result": "OK",
                },
              },
            },
          },
          "400": {
            "description":
              "The command's error reply, worded as Redis words it\n(`ERR wrong number of arguments for 'get' command`,\n`ERR value is not an integer or out of range`,\n`ERR unknown command 'hset', with args beginning with: …`), or a\nbody that is not a command (not JSON, not a non-empty array of\nstrings, numbers and booleans, or unreadable).\n",
            "headers": {
              "Upstash-Sync-Token": {
                "$ref": "#/components/headers/UpstashSyncToken",
              },
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RedisError",
                },
                "example": {
                  "error": "ERR value is not an integer or out of range",
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/RedisUnauthorized",
          },
          "403": {
            "$ref": "#/components/responses/RedisReadOnlyToken",
          },
          "408": {
            "$ref": "#/components/responses/RedisBodyTimeout",
          },
          "413": {
            "description": "The body is larger than `MAX_BODY_BYTES`.",
            "headers": {
              "Upstash-Sync-Token": {
                "$ref": "#/components/headers/UpstashSyncToken",
              },
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RedisError",
                },
              },
            },
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
          "501": {
            "$ref": "#/components/responses/RedisNotServed",
          },
        },
      },
    },
    "/pipeline": {
      "post": {
        "operationId": "redisPipeline",
        "tags": [
          "redis",
        ],
        "summary": "Run several Redis commands in order, not atomically.",
        "description":
          "The body is an array of commands. Each runs on its own, in order,\nand is answered in place, errors included: the status is 200 even\nwhen commands fail. Refused whole before anything runs (400/403): a\nbody that is not an array of commands, more than\n`MAX_PIPELINE_COMMANDS`, a write with the read-only token, or a\ncommand naming more than 10000 keys.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/UpstashEncoding",
          },
          {
            "$ref": "#/components/parameters/UpstashSyncToken",
          },
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RedisCommands",
              },
            },
          },
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/RedisAnswers",
          },
          "400": {
            "description":
              "Nothing ran: the body is not a non-empty array of commands, has\nmore than `MAX_PIPELINE_COMMANDS`, or a command names more than\n10000 keys.\n",
            "headers": {
              "Upstash-Sync-Token": {
                "$ref": "#/components/headers/UpstashSyncToken",
              },
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RedisError",
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/RedisUnauthorized",
          },
          "403": {
            "$ref": "#/components/responses/RedisReadOnlyToken",
          },
          "408": {
            "$ref": "#/components/responses/RedisBodyTimeout",
          },
          "413": {
            "$ref": "#/components/responses/RedisPipelineTooLarge",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
          "501": {
            "$ref": "#/components/responses/RedisNotServed",
          },
        },
      },
    },
    "/multi-exec": {
      "post": {
        "operationId": "redisTransaction",
        "tags": [
          "redis",
        ],
        "summary":
          "Run several Redis commands as one transaction (MULTI/EXEC).",
        "description":
          "The same body and answer as `/pipeline`, run as one critical section\nof the shared store: no other request, on any serving isolate,\nobserves part of it. As in Redis, an unknown command, a wrong number\nof arguments or a command a transaction may not hold (KEYS) discards\nit whole before anything runs (400 `EXECABORT …`); an error while\nrunning answers that command and the others still apply.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/UpstashEncoding",
          },
          {
            "$ref": "#/components/parameters/UpstashSyncToken",
          },
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RedisCommands",
              },
            },
          },
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/RedisAnswers",
          },
          "400": {
            "description":
              "Nothing ran: `EXECABORT Transaction discarded because of\nprevious errors.` (its `detail` names the first refused command\nand its error), a\nbody that is not a non-empty array of commands, more than\n`MAX_PIPELINE_COMMANDS`, or more than 10000 keys in all.\n",
            "headers": {
              "Upstash-Sync-Token": {
                "$ref": "#/components/headers/UpstashSyncToken",
              },
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RedisError",
                },
              },
            },
          },
          "401": {
            "$ref": "#/components/responses/RedisUnauthorized",
          },
          "403": {
            "$ref": "#/components/responses/RedisReadOnlyToken",
          },
          "408": {
            "$ref": "#/components/responses/RedisBodyTimeout",
          },
          "413": {
            "$ref": "#/components/responses/RedisPipelineTooLarge",
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
          },
          "501": {
            "$ref": "#/components/responses/RedisNotServed",
          },
        },
      },
    },
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description":
          "The server's `AUTH_TOKEN` (16 or more printable ASCII characters).\nCompared in constant time.\n",
      },
    },
    "parameters": {
      "Key": {
        "name": "key",
        "in": "query",
        "required": true,
        "description":
          "The key, percent-decoded as in HTML forms (`+` is a space, `%2B` is\n`+`). A repeated parameter uses the first; a malformed escape\n(`%zz`) is taken literally. Missing, empty or too long: 400.\n",
        "schema": {
          "$ref": "#/components/schemas/Key",
        },
      },
      "UpstashEncoding": {
        "name": "Upstash-Encoding",
        "in": "header",
        "required": false,
        "description":
          "`base64` (what `@upstash/redis` sends by default): every string in\na result, at any depth, status replies such as `OK` and `PONG`\nincluded, is the base64 of its UTF-8 bytes; integers and `null`\nstay as they are; errors are never encoded. Absent or any other\nvalue: strings are plain JSON strings.\n",
        "schema": {
          "type": "string",
          "examples": [
            "base64",
          ],
        },
      },
      "UpstashSyncToken": {
        "name": "Upstash-Sync-Token",
        "in": "header",
        "required": false,
        "description":
          "The `Upstash-Sync-Token` of an earlier answer, which\n`@upstash/redis` sends back to ask for read-your-writes. Accepted\nand ignored: on one process every request reads every earlier\nwrite (docs/redis-api.md says what holds in a cluster). Other\n`Upstash-*` request headers (the client's telemetry) are ignored too.\n",
        "schema": {
          "type": "string",
        },
      },
    },
    "headers": {
      "UpstashSyncToken": {
        "description":
          "A fresh, non-empty token on every answer of the Redis endpoints\n(401, 403 and errors included), for the client to send back.\n",
        "required": true,
        "schema": {
          "type": "string",
          "minLength": 1,
        },
      },
    },
    "schemas": {
      "Key": {
        "type": "string",
        "minLength": 1,
        "maxLength": 256,
        "description": "1 to `MAX_KEY_SIZE` Unicode code points.",
        "examples": [
          "user:42",
        ],
      },
      "Value": {
        "type": "string",
        "maxLength": 256,
        "description":
          "Up to `MAX_VALUE_SIZE` Unicode code points; may be empty. Any string\nJSON can carry round-trips exactly, lone surrogates included.\n",
        "examples": [
          "Ada",
        ],
      },
      "Ttl": {
        "type": "integer",
        "minimum": 0,
        "maximum": 2147483647,
        "description":
          "Seconds until the entry expires; 0 = never. Without it the entry\nlives `DEFAULT_TTL_SECONDS` (300). `null` is rejected: omit the\nfield instead.\n",
      },
      "PutRequest": {
        "type": "object",
        "required": [
          "key",
          "value",
        ],
        "properties": {
          "key": {
            "$ref": "#/components/schemas/Key",
          },
          "value": {
            "$ref": "#/components/schemas/Value",
          },
          "ttl": {
            "$ref": "#/components/schemas/Ttl",
          },
        },
        "examples": [
          {
            "key": "user:42",
            "value": "Ada",
            "ttl": 60,
          },
        ],
      },
      "PutOk": {
        "type": "object",
        "required": [
          "status",
          "message",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "OK",
          },
          "message": {
            "const": "Key inserted/updated successfully.",
          },
        },
      },
      "Hit": {
        "type": "object",
        "required": [
          "status",
          "key",
          "value",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "OK",
          },
          "key": {
            "$ref": "#/components/schemas/Key",
          },
          "value": {
            "$ref": "#/components/schemas/Value",
          },
        },
      },
      "Deleted": {
        "type": "object",
        "required": [
          "status",
          "message",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "OK",
          },
          "message": {
            "const": "Key deleted.",
          },
        },
      },
      "Health": {
        "type": "object",
        "required": [
          "status",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "OK",
          },
        },
      },
      "Stats": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "entries",
          "estimatedBytes",
          "maxBytes",
          "liveBytes",
          "hits",
          "misses",
          "puts",
          "deletes",
          "expiredOnRead",
          "expiredBySweep",
          "evicted",
          "sweepsRun",
          "compactions",
          "uptimeSeconds",
        ],
        "properties": {
          "status": {
            "const": "OK",
          },
          "entries": {
            "$ref": "#/components/schemas/Count",
            "description":
              "Entries stored, including expired ones not yet removed.",
          },
          "estimatedBytes": {
            "$ref": "#/components/schemas/Count",
            "description": "Memory the store holds, in bytes.",
          },
          "maxBytes": {
            "$ref": "#/components/schemas/Count",
            "description": "The byte budget (`MAX_CACHE_BYTES`).",
          },
          "liveBytes": {
            "$ref": "#/components/schemas/Count",
            "description":
              "The part of `estimatedBytes` that holds live entries.",
          },
          "hits": {
            "$ref": "#/components/schemas/Count",
            "description": "Reads that found a live entry.",
          },
          "misses": {
            "$ref": "#/components/schemas/Count",
            "description":
              "Reads that found nothing (including expired entries).",
          },
          "puts": {
            "$ref": "#/components/schemas/Count",
            "description": "Inserts and overwrites.",
          },
          "deletes": {
            "$ref": "#/components/schemas/Count",
            "description": "Deletes that removed a live entry.",
          },
          "expiredOnRead": {
            "$ref": "#/components/schemas/Count",
            "description":
              "Expired entries removed when a read or delete found them.",
          },
          "expiredBySweep": {
            "$ref": "#/components/schemas/Count",
            "description": "Expired entries removed by the periodic sweep.",
          },
          "evicted": {
            "$ref": "#/components/schemas/Count",
            "description": "Entries removed to stay within the budget.",
          },
          "sweepsRun": {
            "$ref": "#/components/schemas/Count",
            "description": "Completed sweep passes.",
          },
          "compactions": {
            "$ref": "#/components/schemas/Count",
            "description": "Times the store rewrote memory to reclaim space.",
          },
          "uptimeSeconds": {
            "$ref": "#/components/schemas/Count",
            "description": "Whole seconds since start.",
          },
        },
      },
      "Count": {
        "type": "integer",
        "minimum": 0,
      },
      "Error": {
        "type": "object",
        "required": [
          "status",
          "message",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "ERROR",
          },
          "message": {
            "type": "string",
            "minLength": 1,
            "description":
              "What is wrong and what is allowed, in one sentence.",
          },
        },
      },
      "KeyNotFound": {
        "type": "object",
        "required": [
          "status",
          "message",
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "ERROR",
          },
          "message": {
            "const": "Key not found.",
          },
        },
      },
      "RedisArgument": {
        "type": [
          "string",
          "number",
          "boolean",
        ],
        "description":
          "A number or boolean counts as its decimal or `true`/`false` text,\nas Redis would receive it. Strings are Redis strings: a lone\nsurrogate, which has no UTF-8 form, is stored as U+FFFD.\n",
      },
      "RedisCommand": {
        "type": "array",
        "minItems": 1,
        "items": {
          "$ref": "#/components/schemas/RedisArgument",
        },
        "description":
          "The command's name (case-insensitive), then its arguments.\n",
        "examples": [
          [
            "set",
            "k",
            "v",
            "ex",
            60,
          ],
          [
            "get",
            "k",
          ],
        ],
      },
      "RedisCommands": {
        "type": "array",
        "minItems": 1,
        "maxItems": 1000,
        "items": {
          "$ref": "#/components/schemas/RedisCommand",
        },
        "description":
          "At most `MAX_PIPELINE_COMMANDS` commands (1000 by default; the\ndocument a server serves states its own).\n",
        "examples": [
          [
            [
              "incr",
              "n",
            ],
            [
              "get",
              "k",
            ],
          ],
        ],
      },
      "RedisReply": {
        "type": [
          "string",
          "integer",
          "null",
          "array",
        ],
        "items": {
          "$ref": "#/components/schemas/RedisReply",
        },
        "description":
          "A string (bulk and status replies alike: `OK` is a string), an\ninteger (signed 64-bit, written with its exact digits), `null`\n(nil) or an array of replies (MGET, SCAN, TIME).\n",
      },
      "RedisResult": {
        "type": "object",
        "required": [
          "result",
        ],
        "additionalProperties": false,
        "properties": {
          "result": {
            "$ref": "#/components/schemas/RedisReply",
          },
        },
      },
      "RedisError": {
        "type": "object",
        "required": [
          "error",
        ],
        "additionalProperties": false,
        "properties": {
          "error": {
            "type": "string",
            "minLength": 1,
            "description":
              "Redis's error text with its code (`ERR …`, `NOPERM …`,\n`EXECABORT …`); never base64-encoded.\n",
          },
          "detail": {
            "type": "string",
            "minLength": 1,
            "description":
              "Which command caused a refusal where Redis's own `error` text\ncannot say, e.g. `Command 2: ERR unknown command 'hset', …`\nafter `EXECABORT …`. Clients read `error` only.\n",
          },
        },
      },
    },
    "responses": {
      "BadRequest": {
        "description":
          "The body is not valid JSON or not an object; `key` or `value` is\nmissing, not a string, or too long; the key is empty; `ttl` is not\na whole number from 0 to 2147483647; the `key` query parameter is\nmissing, empty or too long; or the body could not be read.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
            "example": {
              "status": "ERROR",
              "message":
                'Field "key" is 300 characters long; the maximum is 256.',
            },
          },
        },
      },
      "Unauthorized": {
        "description":
          "The server runs with `AUTH_TOKEN` and the request has no\n`Authorization: Bearer` header, or the wrong token.\n",
        "headers": {
          "WWW-Authenticate": {
            "required": true,
            "schema": {
              "const": 'Bearer realm="kv-cache"',
            },
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
          },
        },
      },
      "ReadOnlyToken": {
        "description":
          "The request carries the read-only token (`AUTH_READONLY_TOKEN`),\nwhich may not write; nothing changed.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
            "example": {
              "status": "ERROR",
              "message":
                "The read-only token cannot use POST /put; writes need AUTH_TOKEN.",
            },
          },
        },
      },
      "KeyNotFound": {
        "description":
          "The key is absent or expired (status 200 instead with\n`NOT_FOUND_STATUS=200`, for load tools that count 4xx as failures).\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/KeyNotFound",
            },
          },
        },
      },
      "BodyTimeout": {
        "description":
          "The body did not arrive within `BODY_TIMEOUT_MS` (10000 by default).\nThe server closes the connection.\n",
        "headers": {
          "Connection": {
            "required": true,
            "schema": {
              "const": "close",
            },
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
          },
        },
      },
      "PayloadTooLarge": {
        "description":
          "The body is larger than `MAX_BODY_BYTES`: refused on\n`Content-Length` before reading; a chunked body is read only until\nit passes the limit.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
          },
        },
      },
      "InternalError": {
        "description": "An unexpected failure; the message says no more.",
        "content": {
          "application/json": {
            "schema": {
              "allOf": [
                {
                  "$ref": "#/components/schemas/Error",
                },
                {
                  "properties": {
                    "message": {
                      "const": "Internal server error.",
                    },
                  },
                },
              ],
            },
          },
        },
      },
      "MethodNotAllowed": {
        "description":
          "Any method a known path does not serve (e.g. `GET /put`,\n`OPTIONS /get`).\n",
        "headers": {
          "Allow": {
            "required": true,
            "description": "The methods of the path, e.g. `GET, HEAD`.",
            "schema": {
              "type": "string",
              "pattern": "^[A-Z]+(, [A-Z]+)*$",
            },
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
          },
        },
      },
      "NoRoute": {
        "description":
          "No such path (any method). The message lists the routes.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error",
            },
          },
        },
      },
      "Head": {
        "description":
          "The status and headers (`Content-Type` included) that the GET\noperation of the path answers with this status, with no body.\n",
      },
      "RedisAnswers": {
        "description":
          'One `{"result": …}` or `{"error": …}` per command, in order.\n',
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "type": "array",
              "minItems": 1,
              "items": {
                "oneOf": [
                  {
                    "$ref": "#/components/schemas/RedisResult",
                  },
                  {
                    "$ref": "#/components/schemas/RedisError",
                  },
                ],
              },
            },
            "example": [
              {
                "result": 1,
              },
              {
                "error": "ERR value is not an integer or out of range",
              },
            ],
          },
        },
      },
      "RedisUnauthorized": {
        "description":
          "The server runs with `AUTH_TOKEN` and the request has no\n`Authorization: Bearer` header, or the wrong token. Nothing ran.\n",
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
          "WWW-Authenticate": {
            "required": true,
            "schema": {
              "const": 'Bearer realm="kv-cache"',
            },
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RedisError",
            },
          },
        },
      },
      "RedisReadOnlyToken": {
        "description":
          "A write command with the read-only token (`AUTH_READONLY_TOKEN`):\nRedis's `NOPERM` error naming the command (and, in a pipeline or\ntransaction, its position). Nothing ran.\n",
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RedisError",
            },
            "example": {
              "error":
                "NOPERM this user has no permissions to run the 'set' command (the read-only token runs read-only commands only)",
            },
          },
        },
      },
      "RedisBodyTimeout": {
        "description":
          "The body did not arrive within `BODY_TIMEOUT_MS`. The server closes\nthe connection; nothing ran.\n",
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
          "Connection": {
            "required": true,
            "schema": {
              "const": "close",
            },
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RedisError",
            },
          },
        },
      },
      "RedisPipelineTooLarge": {
        "description":
          "The body is larger than `MAX_PIPELINE_BODY_BYTES` (1048576 by\ndefault, and at least `MAX_BODY_BYTES`); nothing ran.\n",
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RedisError",
            },
          },
        },
      },
      "RedisNotServed": {
        "description":
          "This deployment does not serve the Redis API (yet): every request\nto the endpoint answers this, and nothing runs. The document such a\ndeployment serves lists only this answer (and 500) for the three\nendpoints, and no commands.\n",
        "headers": {
          "Upstash-Sync-Token": {
            "$ref": "#/components/headers/UpstashSyncToken",
          },
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RedisError",
            },
          },
        },
      },
    },
  },
};
