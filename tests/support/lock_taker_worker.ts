// Takes a SharedLock when told to, in its own isolate, so that tests can
// watch another isolate's view of the lock. Messages: { words, index }
// first, then "take" and "release"; it answers "ready", "took" and
// "released".
import { SharedLock } from "../../lib/arena/lock.ts";

/** The worker's global scope, as far as this module uses it. */
const scope = self as unknown as {
  onmessage: (event: MessageEvent) => void;
  postMessage(message: string): void;
};

let lock: SharedLock | undefined;

scope.onmessage = (event) => {
  const data = event.data;
  if (data === "take") {
    lock!.acquire();
    scope.postMessage("took");
  } else if (data === "release") {
    lock!.release();
    scope.postMessage("released");
  } else {
    lock = new SharedLock(data.words, data.index);
    scope.postMessage("ready");
  }
};
