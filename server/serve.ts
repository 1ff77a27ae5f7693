/**
 * The HTTP server: `Deno.serve`'s HTTP stack, one connection at a time, so
 * that a connection on which no request starts for `idleTimeoutMs` is closed.
 * That covers a client that connects and sends nothing, one that sends half a
 * request head and stops, and a keep-alive connection left idle. Deno 2.9's
 * `Deno.serve` has no such timeout (denoland/deno#3515), so without this every
 * such client holds a socket for as long as it likes.
 *
 * Each accepted TCP connection is handed to the runtime's
 * `serveHttpOnConnection`, the function `Deno.serve` itself and `node:http2`
 * are built on, so requests take the same fast path. It is internal to Deno:
 * when it is missing (another Deno version), {@linkcode serve} falls back to
 * `Deno.serve` and reports that idle timeouts are off.
 *
 * @module
 */

/** Handles one request, as `Deno.serve`'s handler does. */
export type ServeHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** Interface to bind. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /**
   * Closes a connection once no request has started on it for this long,
   * while none is being handled; 0 turns the timeout off.
   */
  idleTimeoutMs: number;
  /**
   * Lets other isolates or processes listen on the same port, the kernel
   * spreading connections over them (Linux `SO_REUSEPORT`; needs
   * `--unstable-net`).
   */
  reusePort?: boolean;
  /** Called once listening, with the bound address. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Answers a request whose handler threw (default: a bare 500). */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Called when accepting a connection fails (e.g. out of file descriptors). */
  onAcceptError?: (error: unknown) => void;
}

/** A running server: as `Deno.HttpServer`, plus what the timeouts see. */
export interface Server {
  /** The address listened on. */
  readonly addr: Deno.NetAddr;
  /** Whether idle connections are closed (false when the runtime lacks it). */
  readonly idleTimeouts: boolean;
  /** Open connections (0 when served by the `Deno.serve` fallback). */
  readonly connections: number;
  /** Connections closed by the idle timeout so far. */
  readonly idleClosed: number;
  /**
   * Stops accepting connections, lets requests in progress finish, closes
   * every connection and resolves when all are closed.
   */
  shutdown(): Promise<void>;
}

/** What `serveHttpOnConnection` returns for one connection. */
interface ConnectionServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

type ServeHttpOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => ConnectionServer;

/** The runtime's per-connection server, if this Deno has it. */
function serveHttpOnConnection(): ServeHttpOnConnection | undefined {
  // `Deno.internal` is a symbol the runtime exposes but does not type.
  const runtime = Deno as unknown as Record<PropertyKey, unknown>;
  const key = runtime.internal;
  const internal = typeof key === "symbol"
    ? runtime[key] as Record<string, unknown> | undefined
    : undefined;
  const candidate = internal?.serveHttpOnConnection;
  return typeof candidate === "function"
    ? candidate as ServeHttpOnConnection
    : undefined;
}

/** Pause after a failed accept (e.g. EMFILE) before trying again. */
const ACCEPT_RETRY_MS = 100;

const defaultOnError = () =>
  new Response("Internal Server Error", { status: 500 });

/** One accepted connection and what the idle check needs to know of it. */
class Connection {
  /** Requests started on this connection. */
  started = 0;
  /** Requests whose handler has not settled yet. */
  pending = 0;
  /** `started` at the last idle check, and the check it last changed at. */
  startedAtCheck = 0;
  activeAtCheck = 0;
  server: ConnectionServer | undefined;
  closing = false;
}

/**
 * Serves `handler` on `hostname:port`, closing connections idle for
 * `idleTimeoutMs`; see the module docs.
 */
export function serve(options: ServeOptions, handler: ServeHandler): Server {
  const perConnection = serveHttpOnConnection();
  if (options.idleTimeoutMs === 0 || perConnection === undefined) {
    return serveWithoutIdleTimeout(options, handler);
  }
  const onError = options.onError ?? defaultOnError;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
  });
  const open = new Set<Connection>();
  let idleClosed = 0;
  let accepting = true;

  // The idle check runs a few times per timeout; a connection is closed
  // between idleTimeoutMs and idleTimeoutMs plus one check interval after its
  // last request started (or it connected).
  const checkMs = Math.max(10, Math.min(1000, options.idleTimeoutMs / 8));
  const checksPerTimeout = Math.ceil(options.idleTimeoutMs / checkMs);
  let check = 0;
  const checker = setInterval(() => {
    check++;
    for (const connection of open) {
      if (
        connection.started !== connection.startedAtCheck ||
        connection.pending > 0
      ) {
        connection.startedAtCheck = connection.started;
        connection.activeAtCheck = check;
      } else if (
        check - connection.activeAtCheck > checksPerTimeout &&
        !connection.closing
      ) {
        connection.closing = true;
        idleClosed++;
        // Graceful: nothing is in progress, so this just closes the socket.
        connection.server!.shutdown().catch(() => {});
      }
    }
  }, checkMs);
  Deno.unrefTimer(checker);

  const accept = (conn: Deno.Conn) => {
    const connection = new Connection();
    connection.activeAtCheck = check;
    const settled = () => {
      connection.pending--;
    };
    const onRequest: ServeHandler = (request, info) => {
      connection.started++;
      const response = handler(request, info);
      if (response instanceof Promise) {
        connection.pending++;
        response.then(settled, settled);
      }
      return response;
    };
    connection.server = perConnection(
      conn,
      undefined,
      onRequest,
      onError,
      () => {},
    );
    open.add(connection);
    // A connection reset by the client rejects `finished`; that is routine.
    connection.server.finished.catch(() => {}).finally(() => {
      open.delete(connection);
    });
  };

  const acceptLoop = (async () => {
    while (accepting) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (!accepting || error instanceof Deno.errors.BadResource) return;
        options.onAcceptError?.(error);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      accept(conn);
    }
  })();

  const addr = listener.addr as Deno.NetAddr;
  options.onListen?.(addr);
  return {
    addr,
    idleTimeouts: true,
    get connections() {
      return open.size;
    },
    get idleClosed() {
      return idleClosed;
    },
    async shutdown() {
      accepting = false;
      listener.close();
      await acceptLoop;
      clearInterval(checker);
      await Promise.all(
        [...open].map((connection) =>
          connection.server!.shutdown().catch(() => {})
        ),
      );
    },
  };
}

/** `Deno.serve`, behind the same interface, with no idle timeout. */
function serveWithoutIdleTimeout(
  options: ServeOptions,
  handler: ServeHandler,
): Server {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
    onListen: options.onListen ?? (() => {}),
    onError: options.onError,
  }, handler);
  return {
    addr: server.addr,
    idleTimeouts: false,
    connections: 0,
    idleClosed: 0,
    shutdown: () => server.shutdown(),
  };
}
