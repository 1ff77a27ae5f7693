/**
 * Test support: a stand-in serving worker that dies. Told to start, it
 * reports listening (or, with `port` 1, dies at once); the last worker to
 * start then throws an uncaught error from a timer, as a worker with a bug
 * would, once every worker has reported.
 *
 * @module
 */

const scope = globalThis as unknown as {
  onmessage: (
    event: MessageEvent<
      { type: string; port: number; index: number; workers: number }
    >,
  ) => void;
  postMessage(message: unknown): void;
};
scope.onmessage = (event) => {
  if (event.data.type !== "start") return;
  if (event.data.port === 1) throw new Error("cannot start");
  scope.postMessage({ type: "listening", port: 4321 });
  if (event.data.index !== event.data.workers - 1) return;
  setTimeout(() => {
    throw new Error("a bug in the worker");
  }, 50);
};
