/**
 * The ports of a cluster (HAProxy on `PORT`, the nodes on `PORT+1`…`PORT+N`):
 * checked before anything starts, each taken one named; picked, for
 * `PORT=0`, below the kernel's ephemeral range, from which outgoing
 * connections (HAProxy's to the nodes among them) take their local ports, so
 * that a node restarting on its port does not find it taken by one.
 *
 * @module
 */

import { describeListenError, hostPort } from "../server/listen_error.ts";

/** Linux's default ephemeral range, when /proc does not say. */
const DEFAULT_EPHEMERAL: [number, number] = [32_768, 60_999];

/**
 * The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`), or
 * Linux's default when it cannot be read.
 */
export function ephemeralRange(): [number, number] {
  try {
    const text = Deno.readTextFileSync(
      "/proc/sys/net/ipv4/ip_local_port_range",
    );
    const [low, high] = text.trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux, or not allowed to read it.
  }
  return DEFAULT_EPHEMERAL;
}

/** Lowest port {@linkcode freePortRange} picks. */
const LOWEST_PICKED = 10_000;

/**
 * Finds a port P such that P..P+count are all free on 127.0.0.1, below the
 * ephemeral range (between 10000 and its start).
 */
export function freePortRange(count: number): number {
  const top = ephemeralRange()[0] - 1 - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = LOWEST_PICKED +
      Math.floor(Math.random() * (top - LOWEST_PICKED));
    const held: Deno.Listener[] = [];
    try {
      for (let i = 0; i <= count; i++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return base;
    } catch {
      // Taken: try another base.
    } finally {
      for (const listener of held) listener.close();
    }
  }
  throw new Error(`No ${count + 1} consecutive free ports found.`);
}

/** One port of the cluster: who listens there, and on which address. */
export interface ClusterPort {
  /** `HAProxy`, `node1`, … */
  name: string;
  host: string;
  port: number;
}

/**
 * The first port of `ports` that cannot be bound, as a sentence naming it
 * and what to do; undefined when all are free.
 */
export function clusterPortProblem(
  ports: ClusterPort[],
  nodes: number,
): string | undefined {
  for (const { name, host, port } of ports) {
    try {
      Deno.listen({ hostname: host, port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        return `Port ${port} (${name}, on ${host}) is already in use. Stop what holds it, or set PORT so that PORT to PORT+${nodes} are free (HAProxy takes PORT, the nodes PORT+1 to PORT+${nodes}).`;
      }
      const where = hostPort(host, port);
      return describeListenError(error, host, port)
        .replace(`on ${where}:`, `on ${where} (${name}):`);
    }
  }
  return undefined;
}

/**
 * A warning when any of `ports` is in the ephemeral range, or undefined: an
 * outgoing connection may hold such a port when a node restarts on it.
 */
export function ephemeralWarning(ports: number[]): string | undefined {
  const [low, high] = ephemeralRange();
  const inside = ports.filter((port) => port >= low && port <= high);
  if (inside.length === 0) return undefined;
  return `Ports ${
    inside.join(", ")
  } are in the kernel's ephemeral range (${low}-${high}), from which outgoing connections take ports: one may hold a node's port when it restarts. Set PORT below ${
    low - ports.length
  } to avoid it.`;
}
