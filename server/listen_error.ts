/**
 * Why the server cannot listen, said as one sentence that names the variable
 * to change (`PORT`, `HOST`) and what to do, for every way of running it (one
 * serving isolate, several, the binary, the image): a taken port, a port below
 * 1024 without the privilege, a `HOST` that is not an address of this machine
 * or does not resolve.
 *
 * @module
 */

/** `host:port` as written in a URL (IPv6 addresses in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The sentence for `error`, thrown by `Deno.listen` on `host:port`: what went
 * wrong and which variable to change.
 */
export function describeListenError(
  error: unknown,
  host: string,
  port: number,
): string {
  const where = `Cannot listen on ${hostPort(host, port)}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return `${where}: port ${port} is already in use. Stop what holds it or set PORT to a free port.`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return port < 1024
      ? `${where}: ports below 1024 need a privilege this process does not have. Set PORT to 1024 or above, or grant the privilege (CAP_NET_BIND_SERVICE).`
      : `${where}: the system refused it (${
        (error as Error).message
      }). Set PORT to another port.`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `${where}: this process is not allowed to listen. Run it with --allow-net, as deno task start does.`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `${where}: HOST ${host} is not an address of this machine. Set HOST to one of its addresses, 0.0.0.0 (every interface) or 127.0.0.1 (this machine only).`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/lookup address|resolve/i.test(message)) {
    return `${where}: HOST "${host}" does not resolve to an address. Set HOST to an address of this machine, 0.0.0.0 (every interface) or 127.0.0.1 (this machine only).`;
  }
  return `${where}: ${message.replace(/\.$/, "")}. Check HOST and PORT.`;
}

/**
 * Binds `host:port` alone (without `reusePort`) and lets it go: undefined if
 * that works, else the sentence saying why not. With `port` 0 it checks only
 * `host` (any free port will do).
 */
export function listenProblem(host: string, port: number): string | undefined {
  try {
    Deno.listen({ hostname: host, port }).close();
  } catch (error) {
    return describeListenError(error, host, port);
  }
  return undefined;
}
