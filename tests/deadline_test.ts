import assert from "node:assert/strict";
import { finishesWithin } from "../server/deadline.ts";

Deno.test("work that finishes in time gives true", async () => {
  assert.equal(await finishesWithin(Promise.resolve("done"), 10_000), true);
});

Deno.test("work still running at the deadline gives false", async () => {
  const never = new Promise(() => {});
  assert.equal(await finishesWithin(never, 5), false);
});

Deno.test("work that fails first rejects with its error", async () => {
  await assert.rejects(
    finishesWithin(Promise.reject(new Error("drain failed")), 10_000),
    /drain failed/,
  );
});
