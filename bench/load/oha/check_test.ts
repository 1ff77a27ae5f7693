/**
 * Tests of bench/load/oha/check.ts: what `oha --version` and `oha --help` must show for the harness to use it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { checkOha, parseOhaVersion } from "./check.ts";
import { HELP_CURRENT, HELP_NO_BODY_LINES } from "./fixtures.ts";

Deno.test("checkOha accepts an oha listing -Z, --urls-from-file and --output-format", () => {
  const c = checkOha("oha 1.15.0", HELP_CURRENT);
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.version, "oha 1.15.0");
  assert.deepEqual(c.jsonArgs, ["--output-format", "json"]);
  assert.equal(parseOhaVersion("oha 1.4.5\n"), "oha 1.4.5");
  assert.equal(parseOhaVersion("oha/1.2"), undefined);
});

Deno.test("checkOha refuses a missing oha, a stranger named oha and one too old for -Z", () => {
  assert.match(checkOha(undefined, undefined).reason, /not on PATH/);
  const stranger = checkOha("Usage: oha <file>  (npm oha)", "");
  assert.equal(stranger.ok, false);
  assert.match(stranger.reason, /not "oha X\.Y\.Z"/);
  const old = checkOha("oha 1.6.0", HELP_NO_BODY_LINES);
  assert.equal(old.ok, false);
  assert.equal(old.version, "oha 1.6.0");
  assert.match(old.reason, /too old: its --help lacks -Z\b/);
  assert.deepEqual(old.jsonArgs, []);
  const noJson = checkOha(
    "oha 9.0.0",
    HELP_CURRENT.replace(/--output-format.*\n.*\n/, ""),
  );
  assert.match(noJson.reason, /neither --output-format json nor -j/);
});

Deno.test("checkOha uses -j on an oha that has -Z but no --output-format", () => {
  const help = HELP_CURRENT.replace(
    /--output-format <OUTPUT_FORMAT>\n.*\n/,
    "-j, --json\n          Print results as JSON\n",
  );
  assert.deepEqual(checkOha("oha 2.0.0", help).jsonArgs, ["-j"]);
});
