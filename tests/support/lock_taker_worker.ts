// Takes a SharedLock when told to, in its own isolate, so that tests can
// watch another isolate's view of the lock. Messages: { words, index }
// first, then "take" and "release"; it answers "took" and "released".
import { SharedLock } from "../../lib/arena/lock.ts";

let lock: SharedLock | undefined;

self.onmessage = (event: MessageEvent) => {
  const data = event.data;
  if (data === "take") {
    lock!.acquire();
    self.postMessage("took");
  } else if (data === "release") {
    lock!.release();
    self.postMessage("released");
  } else {
    lock = new SharedLock(data.words, data.index);
    self.postMessage("ready");
  }
};
