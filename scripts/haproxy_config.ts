/**
 * Writes the HAProxy 2.6 configuration of a kv-cache cluster: one frontend
 * that hashes each request's key (the decoded `key` query parameter of GET,
 * HEAD and DELETE; the `key` member of a PUT body, decoded by
 * `deploy/haproxy/kv_key.lua`) onto a consistent-hash ring of nodes.
 *
 * Run it to print a configuration (or with `--update-deploy` alone to
 * rewrite deploy/haproxy/haproxy.cfg and the Kubernetes ConfigMap):
 *
 * ```sh
 * deno run --allow-read scripts/haproxy_config.ts --nodes kv1:7171,kv2:7171 \
 *   --bind :7171 --lua /usr/local/etc/haproxy/kv_key.lua --resolvers
 * ```
 *
 * @module
 */

/** One cache node behind the proxy. */
export interface ClusterNode {
  /** Server name in HAProxy (logs, stats), e.g. `kv1`. */
  name: string;
  /** `host:port` the proxy connects to. */
  address: string;
}

/** Options for {@linkcode haproxyConfig}. */
export interface HaproxyConfigOptions {
  /** The nodes, in a fixed order: a node's place gives its ring position. */
  nodes: ClusterNode[];
  /** Address the proxy listens on, e.g. `:7171` or `127.0.0.1:7171`. */
  bind: string;
  /** Path of `kv_key.lua` as HAProxy sees it. */
  luaPath: string;
  /** The nodes' MAX_BODY_BYTES: larger bodies get the node's 413. */
  maxBodyBytes: number;
  /** The nodes' BODY_TIMEOUT_MS (0: none); the proxy waits as long. */
  bodyTimeoutMs?: number;
  /** The nodes' IDLE_TIMEOUT_MS: idle client connections close after it. */
  idleTimeoutMs?: number;
  /** Pause between health checks of a node, in ms (default 2000). */
  checkIntervalMs?: number;
  /**
   * Pause between checks of a node whose state is changing (one check
   * failed or passed against its state), in ms (default 250).
   */
  checkFastIntervalMs?: number;
  /** Pause between checks of a node that is down, in ms (default 500). */
  checkDownIntervalMs?: number;
  /** Failed checks before a node is taken out (default 2). */
  checkFall?: number;
  /** Passed checks before a node is put back (default 2). */
  checkRise?: number;
  /**
   * Failed connections in a row (refused, reset, timed out) that take a node
   * out at once, without waiting for its checks (default 2).
   */
  connectionErrorLimit?: number;
  /** Resolve node names at run time through /etc/resolv.conf (compose, Kubernetes). */
  resolvers?: boolean;
  /** Path of a runtime API socket (`show stat`), for tests and operators. */
  statsSocket?: string;
  /** HAProxy threads; omitted: one per CPU. */
  threads?: number;
  /** The command that produced this configuration, written in its header. */
  generatedBy?: string;
  /**
   * The Redis REST front (`server/cluster_front.ts`, which `deno task
   * cluster` serves): where it listens and the secret its sub-requests
   * carry. Without it the Redis REST paths get a JSON 501.
   */
  redisFront?: { address: string; secret: string };
}

/** A %XX escape whose hex digits match `first` and `second` (regex classes). */
const esc = (first: string, second = "[0-9A-Fa-f]") => `%${first}${second}`;
const CONT = esc("[89ABab]");
/** Escapes that decode to one UTF-8 character, as decodeURIComponent accepts. */
const UTF8_ESCAPES = [
  `${esc("0", "[1-9A-Fa-f]")}|${esc("[1-7]")}`,
  `${esc("[Cc]", "[2-9A-Fa-f]")}${CONT}|${esc("[Dd]")}${CONT}`,
  `${esc("[Ee]", "0")}${esc("[ABab]")}${CONT}`,
  `${esc("[Ee]", "[1-9A-Ca-cEeFf]")}${CONT}${CONT}`,
  `${esc("[Ee]", "[Dd]")}${esc("[89]")}${CONT}`,
  `${esc("[Ff]", "0")}${esc("[9ABab]")}${CONT}${CONT}`,
  `${esc("[Ff]", "[1-3]")}${CONT}${CONT}${CONT}`,
  `${esc("[Ff]", "4")}${esc("8")}${CONT}${CONT}`,
].join("|");
/**
 * A query string whose first parameter is `key`, with a value in which
 * HAProxy's `urlp(key),url_dec(1)` gives what the node reads: no `;` (a
 * separator to HAProxy), no `%00` (which url_dec keeps), and every escape
 * part of a UTF-8 character (the node keeps other escapes as written).
 */
export const PLAIN_QUERY = `^key=(?:[^%&;]|${UTF8_ESCAPES})*(?:&|$)`;

/**
 * `text` as one HAProxy configuration word: in single quotes (nothing inside
 * is special), or, when it holds a `'`, in double quotes with `\`, `"` and
 * `$` escaped.
 */
export function haproxyWord(text: string): string {
  return text.includes("'")
    ? `"${text.replace(/[\\"$]/g, (c) => `\\${c}`)}"`
    : `'${text}'`;
}

/** The proxy's answer for a status, worded like the node's error bodies. */
function jsonError(status: number, message: string): string {
  return `  http-error status ${status} content-type application/json string ${
    haproxyWord(JSON.stringify({ status: "ERROR", message }))
  }`;
}

/** Paths of the Redis REST API (POST), which the proxy does not route. */
export const REDIS_REST_PATHS = ["/", "/pipeline", "/multi-exec"] as const;

/**
 * The proxy's answer to the Redis REST API: the cluster routes by the key of
 * the JSON API, and a Redis command's keys are not there.
 */
export const REDIS_REST_UNAVAILABLE = JSON.stringify({
  error:
    "The Redis REST API is not available through the cluster yet: HAProxy routes by the JSON API's key; send Redis commands to a node directly.",
});

/** A node-addressed sub-request for a node that is down: a clear error. */
function nodeDown(name: string): string {
  return JSON.stringify({
    error:
      `ERR cluster node ${name} is down; what it holds cannot be read or changed until the launcher has restarted it (about 1-2 s); retry then`,
  });
}

/**
 * Frontend lines of the Redis REST API through the front: client requests
 * on its paths go to the front; the front's sub-requests (with the secret)
 * are routed by `X-KV-Route-Key` (hashed like the JSON API's key) or sent
 * to the node `X-KV-Node` names.
 */
function redisFrontRules(
  front: { secret: string },
  nodes: ClusterNode[],
): string[] {
  return [
    "  # The Redis REST API (docs/cluster.md): client requests go to the front,",
    "  # which splits them by key and sends each part back here with the secret;",
    "  # the routing headers count only with it.",
    `  acl kv_from_front req.hdr(x-kv-front) -m str ${
      haproxyWord(front.secret)
    }`,
    "  acl kv_redis_path path / /pipeline /multi-exec",
    "  http-request del-header x-kv-route-key if !kv_from_front",
    "  http-request del-header x-kv-node if !kv_from_front",
    "  http-request set-var(txn.kv_to_front) bool(true) if { method POST } kv_redis_path !kv_from_front",
    "  http-request set-var(txn.kv_sub) bool(true) if kv_from_front",
    "  acl kv_passthrough var(txn.kv_to_front) -m bool",
    "  acl kv_passthrough var(txn.kv_sub) -m bool",
    "  http-request set-var(txn.kv_want_node) req.hdr(x-kv-node) if kv_from_front { req.hdr(x-kv-node) -m found }",
    ...nodes.map((node) =>
      `  http-request return status 503 content-type application/json string ${
        haproxyWord(nodeDown(node.name))
      } if kv_from_front { req.hdr(x-kv-node) -m str ${node.name} } !{ srv_is_up(nodes/${node.name}) }`
    ),
  ];
}

/** Returns the text of `haproxy.cfg` for `options`. */
export function haproxyConfig(options: HaproxyConfigOptions): string {
  const {
    nodes,
    maxBodyBytes,
    bodyTimeoutMs = 10_000,
    idleTimeoutMs = 30_000,
    checkIntervalMs = 2_000,
    checkFastIntervalMs = 250,
    checkDownIntervalMs = 500,
    checkFall = 2,
    checkRise = 2,
    connectionErrorLimit = 2,
  } = options;
  if (nodes.length === 0) throw new Error("A cluster needs at least one node.");
  const front = options.redisFront;
  // Requests for the front and its sub-requests: the body is not read here.
  const pass = front ? " !kv_passthrough" : "";
  // HAProxy must hold a whole body (up to maxBodyBytes) plus the request head
  // in one buffer to hash its key; 16 KiB of headers is the node's limit too.
  const bufsize = Math.max(16_384, maxBodyBytes + 16_384 + 1_024);
  const tooLarge = JSON.stringify({
    status: "ERROR",
    message: `Request body is larger than ${maxBodyBytes} bytes.`,
  });
  const bodyWaitMs = bodyTimeoutMs > 0 ? bodyTimeoutMs : 3_600_000;
  const idleMs = idleTimeoutMs > 0 ? idleTimeoutMs : 3_600_000;
  const lines = [
    `# kv-cache cluster: consistent hashing of keys over ${nodes.length} node(s).`,
    `# Generated by scripts/haproxy_config.ts${
      options.generatedBy ? `: ${options.generatedBy}` : ""
    }`,
    "# See docs/cluster.md. Needs HAProxy 2.6+ built with Lua.",
    "global",
    `  lua-load ${options.luaPath}`,
    `  tune.bufsize ${bufsize}`,
    ...(options.threads ? [`  nbthread ${options.threads}`] : []),
    ...(options.statsSocket
      ? [`  stats socket ${options.statsSocket} mode 600 level admin`]
      : []),
    "",
    ...(options.resolvers
      ? [
        "resolvers dns",
        "  parse-resolv-conf",
        "  hold valid 10s",
        "  hold obsolete 30s",
        "",
      ]
      : []),
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  timeout connect 2s",
    "  # A client that sends nothing, or half a request head, is cut off.",
    `  timeout http-request ${bodyWaitMs}ms`,
    `  timeout http-keep-alive ${idleMs}ms`,
    `  timeout client ${idleMs}ms`,
    "  timeout server 10s",
    "  timeout queue 5s",
    "  timeout check 2s",
    "",
    "frontend kv",
    `  bind ${options.bind}`,
    ...(front ? redisFrontRules(front, nodes) : [
      "  # The Redis REST API: its keys are inside the command, which is not read",
      "  # here; answered at once rather than sent to a node that may not hold them.",
      `  http-request return status 501 content-type application/json string ${
        haproxyWord(REDIS_REST_UNAVAILABLE)
      } if { method POST } { path ${REDIS_REST_PATHS.join(" ")} }`,
    ]),
    "  # A declared body over the node's limit is refused before it is read.",
    `  http-request return status 413 content-type application/json string '${tooLarge}' if { req.hdr_val(content-length) gt ${maxBodyBytes} }${pass}`,
    "  # option http-buffer-request, per request: hold a PUT body to hash its key.",
    `  http-request wait-for-body time ${bodyWaitMs}ms at-least ${
      maxBodyBytes + 1
    } if { method POST }${pass}`,
    `  http-request return status 413 content-type application/json string '${tooLarge}' if { req.body_size gt ${maxBodyBytes} }${pass}`,
    "  # The key as the node decodes it. Usual spellings are read natively;",
    "  # the rest (escapes in the key or a member name, two key members, an",
    "  # escaped parameter name, ';', %00, escapes that are not UTF-8) by",
    "  # kv_key.lua: exact, slower. json_query is right when the key has no",
    "  # escape (it misreads \\u escapes), whatever the other members hold.",
    "  acl kv_put method POST",
    `  acl kv_plain_query query -m reg '${PLAIN_QUERY}'`,
    `  acl kv_escaped_key req.body -m reg '"key"\\s*:\\s*"[^"]*\\\\'`,
    `  acl kv_escaped_name req.body -m reg '"[^"]*\\\\[^"]*"\\s*:'`,
    `  acl kv_two_keys req.body -m reg '"key"\\s*:[\\s\\S]*"key"\\s*:'`,
    "  http-request set-var(txn.kv_key) urlp(key),url_dec(1) if !kv_put kv_plain_query",
    "  http-request set-var(txn.kv_key) query,lua.kv_query_key if !kv_put !kv_plain_query",
    `  http-request set-var(txn.kv_key) req.body,json_query('$.key') if kv_put${pass} !kv_escaped_key !kv_escaped_name !kv_two_keys`,
    `  http-request set-var(txn.kv_key) req.body,lua.kv_json_key if kv_put${pass} !{ var(txn.kv_key) -m found }`,
    ...(front
      ? [
        "  # A sub-request of the front: the key it names, as the node reads it.",
        "  http-request set-var(txn.kv_key) req.hdr(x-kv-route-key),b64dec if kv_from_front { req.hdr(x-kv-route-key) -m found }",
      ]
      : []),
    "  # The proxy's own answers, in the node's JSON shape.",
    jsonError(
      400,
      "Malformed HTTP request: the proxy could not read it (request line, headers or chunked body).",
    ),
    jsonError(408, `Request did not arrive within ${bodyWaitMs} ms.`),
    jsonError(500, "The proxy failed while handling the request."),
    jsonError(501, "The proxy does not support this request."),
    jsonError(502, "The cache node gave an invalid answer."),
    jsonError(503, "No cache node is available."),
    jsonError(504, "The cache node did not answer in time."),
    ...(front
      ? ["  use_backend redis_front if kv_passthrough !kv_from_front"]
      : []),
    "  default_backend nodes",
    "",
    ...(front
      ? [
        "backend redis_front",
        "  option httpchk GET /health",
        "  http-check expect status 200",
        `  server front ${front.address} check inter ${checkIntervalMs}ms fastinter ${checkFastIntervalMs}ms downinter ${checkDownIntervalMs}ms`,
        "",
      ]
      : []),
    "backend nodes",
    "  # No key (invalid requests, /health, /stats): round robin over the ring.",
    "  balance hash var(txn.kv_key)",
    "  hash-type consistent sdbm avalanche",
    "  option httpchk GET /health",
    "  http-check expect status 200",
    "  # A node that stopped: a refused connection, or one closed without an",
    "  # answer (killed mid-request), is retried at once on the next node of the",
    "  # ring, which answers (a miss for the dead node's keys), never a 5xx.",
    "  retries 2",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response junk-response",
    "  # Failed connections take a node out before its checks notice; checks",
    "  # run faster while a node changes state and while it is down, to put it",
    "  # back soon after it serves again.",
    `  default-server check inter ${checkIntervalMs}ms fastinter ${checkFastIntervalMs}ms downinter ${checkDownIntervalMs}ms fall ${checkFall} rise ${checkRise} observe layer4 error-limit ${connectionErrorLimit} on-error mark-down weight 100${
      options.resolvers ? " resolvers dns init-addr last,libc,none" : ""
    }`,
    ...(front
      ? [
        "  # The front's node-addressed parts (SCAN, DBSIZE, a transaction placed",
        "  # on its node): to that node, and an error, never another node's answer,",
        "  # if it was redispatched (the node died in between).",
        ...nodes.map((node) =>
          `  use-server ${node.name} if { var(txn.kv_want_node) -m str ${node.name} }`
        ),
        "  http-response set-header x-kv-node %[srv_name] if { var(txn.kv_sub) -m bool }",
        `  http-response return status 503 content-type application/json string ${
          haproxyWord(
            JSON.stringify({
              error:
                "ERR the cluster node named by the front went down while answering; retry",
            }),
          )
        } if { var(txn.kv_want_node) -m found } !{ srv_name,strcmp(txn.kv_want_node) eq 0 }`,
      ]
      : []),
    ...nodes.map((node, index) =>
      `  server ${node.name} ${node.address} id ${index + 1}`
    ),
    "",
  ];
  return lines.join("\n");
}

/** Reads `--name value` pairs and `--flag`s from `args`. */
function parseArgs(args: string[]): Map<string, string> {
  const parsed = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    if (!name.startsWith("--")) {
      throw new Error(`Unexpected argument "${name}".`);
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith("--")) {
      parsed.set(name.slice(2), "true");
    } else {
      parsed.set(name.slice(2), value);
      i++;
    }
  }
  return parsed;
}

/** Returns the configuration for command-line `args` (see the module doc). */
export function configFromArgs(args: string[]): string {
  const parsed = parseArgs(args);
  const known = ["nodes", "bind", "lua", "max-body-bytes", "resolvers"];
  for (const name of parsed.keys()) {
    if (!known.includes(name)) {
      throw new Error(
        `Unknown option "--${name}"; expected ${
          known.map((k) => `--${k}`).join(", ")
        }.`,
      );
    }
  }
  const nodes = (parsed.get("nodes") ?? "").split(",").filter(Boolean);
  if (nodes.length === 0 || nodes.some((node) => !/^[^:\s]+:\d+$/.test(node))) {
    throw new Error(
      `Invalid --nodes "${
        parsed.get("nodes") ?? ""
      }": expected host:port,host:port,...`,
    );
  }
  const maxBodyBytes = Number(parsed.get("max-body-bytes") ?? 16_384);
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new Error(
      `Invalid --max-body-bytes "${
        parsed.get("max-body-bytes")
      }": expected a whole number of bytes.`,
    );
  }
  return haproxyConfig({
    nodes: nodes.map((address) => ({ name: address.split(":")[0], address })),
    bind: parsed.get("bind") ?? ":7171",
    luaPath: parsed.get("lua") ?? "/usr/local/etc/haproxy/kv_key.lua",
    maxBodyBytes,
    resolvers: parsed.get("resolvers") === "true",
    generatedBy: `deno run scripts/haproxy_config.ts ${args.join(" ")}`,
  });
}

const DEPLOY = new URL("../deploy/", import.meta.url);
const LUA_IN_IMAGE = "/usr/local/etc/haproxy/kv_key.lua";
/** Generator arguments of deploy/haproxy/haproxy.cfg (compose: kv1..kv3). */
export const COMPOSE_ARGS = [
  "--nodes",
  "kv1:7171,kv2:7171,kv3:7171",
  "--bind",
  ":7171",
  "--lua",
  LUA_IN_IMAGE,
  "--resolvers",
];
/** Generator arguments of the Kubernetes ConfigMap (StatefulSet kv-0..kv-2). */
export const KUBERNETES_ARGS = [
  "--nodes",
  [0, 1, 2].map((i) => `kv-${i}.kv.default.svc.cluster.local:7171`).join(","),
  "--bind",
  ":7171",
  "--lua",
  LUA_IN_IMAGE,
  "--resolvers",
];

/**
 * Returns the Kubernetes manifest `manifest` with its ConfigMap's
 * `haproxy.cfg` and `kv_key.lua` replaced by `cfg` and `lua`.
 */
export function withConfigMap(
  manifest: string,
  cfg: string,
  lua: string,
): string {
  const indent = (text: string) =>
    text.trimEnd().split("\n").map((line) => line ? `    ${line}` : "")
      .join("\n") + "\n";
  const start = manifest.indexOf("  haproxy.cfg: |\n");
  const end = manifest.indexOf("---\n", start);
  if (start < 0 || end < 0) {
    throw new Error("The manifest has no ConfigMap with haproxy.cfg.");
  }
  return manifest.slice(0, start) + "  haproxy.cfg: |\n" + indent(cfg) +
    "  kv_key.lua: |\n" + indent(lua) + manifest.slice(end);
}

/** The deploy files as the generator writes them: path (in deploy/) to text. */
export function deployFiles(): Record<string, string> {
  const lua = Deno.readTextFileSync(new URL("haproxy/kv_key.lua", DEPLOY));
  const manifest = "kubernetes/kv-cache.yaml";
  return {
    "haproxy/haproxy.cfg": configFromArgs(COMPOSE_ARGS),
    [manifest]: withConfigMap(
      Deno.readTextFileSync(new URL(manifest, DEPLOY)),
      configFromArgs(KUBERNETES_ARGS),
      lua,
    ),
  };
}

if (import.meta.main && Deno.args[0] === "--update-deploy") {
  for (const [path, text] of Object.entries(deployFiles())) {
    Deno.writeTextFileSync(new URL(path, DEPLOY), text);
    console.log(`wrote deploy/${path}`);
  }
} else if (import.meta.main) {
  try {
    await Deno.stdout.write(
      new TextEncoder().encode(configFromArgs(Deno.args)),
    );
  } catch (error) {
    console.error(`haproxy_config: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
