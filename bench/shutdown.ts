/**
 * Shutdown under load: SIGTERM while checked clients are busy. Every answer
 * must be correct, the process must exit 0 within its bound, and clients must
 * see refused connections afterwards, not cut-off answers.
 *
 *   deno task bench:shutdown [--connections 100] [--after 3s]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration } from "./args.ts";
import { runCheckedLoad } from "./checked_client.ts";
import { startPinnedServer } from "./servers.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      connections: { type: "string", default: "100" },
      after: { type: "string", default: "3s" },
      "shutdown-timeout-ms": { type: "string", default: "10000" },
    },
  });
  const server = await startPinnedServer({
    SHUTDOWN_TIMEOUT_MS: values["shutdown-timeout-ms"]!,
  });
  let signalledAt = 0;
  let exitedAt = 0;
  const exited = server.status.then((status) => {
    exitedAt = performance.now();
    return status;
  });
  const load = runCheckedLoad({
    url: server.url,
    connections: Number(values.connections),
    keysPerWorker: 200,
    getShare: 0.5,
    ttls: [0],
    valueLength: 256,
    // Workers stop on their first refused connection; this is a backstop.
    until: exited.then(() => new Promise((r) => setTimeout(r, 2000))),
  });
  await new Promise((r) => setTimeout(r, parseDuration(values.after!) * 1000));
  signalledAt = performance.now();
  Deno.kill(server.pid, "SIGTERM");
  const status = await exited;
  const { tally } = await load;
  const report = {
    connections: Number(values.connections),
    signalAfterSeconds: parseDuration(values.after!),
    exitCode: status.code,
    exitMs: Math.round(exitedAt - signalledAt),
    shutdownTimeoutMs: Number(values["shutdown-timeout-ms"]),
    tally,
  };
  console.log(JSON.stringify(report, null, 2));
  const unexpected = Object.entries(tally.failures).filter(([kind]) =>
    kind !== "connection refused"
  );
  const ok = status.code === 0 &&
    report.exitMs <= report.shutdownTimeoutMs + 1000 &&
    tally.badAnswers === 0 && tally.wrongValues === 0 &&
    unexpected.length === 0;
  console.log(ok ? "shutdown: PASS" : "shutdown: FAIL");
  if (!ok) Deno.exit(1);
}
