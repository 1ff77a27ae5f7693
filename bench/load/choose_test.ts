/**
 * Tests of bench/load/choose.ts: which load generator `--load-generator` picks, and why.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseOptions } from "../args.ts";
import { chooseLoadGenerator } from "./choose.ts";
import { checkOha } from "./oha/check.ts";
import { HELP_CURRENT, HELP_NO_BODY_LINES } from "./oha/fixtures.ts";

Deno.test("chooseLoadGenerator: auto prefers a capable oha, else wrk with the reason", () => {
  const good = checkOha("oha 1.15.0", HELP_CURRENT);
  const old = checkOha("oha 1.6.0", HELP_NO_BODY_LINES);
  const wrkV = "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer";
  assert.equal(chooseLoadGenerator("auto", good, wrkV).name, "oha");
  assert.equal(chooseLoadGenerator("auto", good, undefined).name, "oha");
  const fallback = chooseLoadGenerator("auto", old, wrkV);
  assert.equal(fallback.name, "wrk");
  assert.equal(fallback.version, wrkV);
  assert.match(fallback.reason, /oha not used \(oha 1\.6\.0 is too old/);
  assert.equal(chooseLoadGenerator("wrk", good, wrkV).name, "wrk");
  assert.throws(() => chooseLoadGenerator("wrk", good, undefined), /wrk not/);
  assert.throws(
    () => chooseLoadGenerator("oha", old, wrkV),
    /--load-generator oha: oha 1\.6\.0 is too old/,
  );
  assert.throws(
    () => chooseLoadGenerator("auto", old, undefined),
    /no load generator/,
  );
});

Deno.test("--load-generator: auto by default, oha or wrk, nothing else", () => {
  assert.equal(parseOptions([]).loadGenerator, "auto");
  assert.equal(
    parseOptions(["--load-generator", "oha"]).loadGenerator,
    "oha",
  );
  assert.equal(
    parseOptions(["--load-generator", "wrk"]).loadGenerator,
    "wrk",
  );
  assert.throws(
    () => parseOptions(["--load-generator", "hey"]),
    /--load-generator must be one of auto, oha, wrk, got "hey"/,
  );
});
