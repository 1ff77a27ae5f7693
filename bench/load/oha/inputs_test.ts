/**
 * Tests of bench/load/oha/inputs.ts: the URL and body files, and the sizing of the fill's body file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeEntries, makeMissKeys } from "../../data.ts";
import { MS, pointMass } from "./fixtures.ts";
import {
  expectedNewKeyShare,
  fillKey,
  getUrl,
  OHA_FILL_MAX_LINES,
  ohaFillLines,
  putBody,
  urlLines,
  writeOhaInputs,
} from "./inputs.ts";
import { fillNote, toLoadResult } from "./result.ts";

Deno.test("input files: URLs encode keys, PUT bodies parse back to the exact values", async () => {
  const entries = [
    ...makeEntries(50),
    { key: "a b&c=d/é?#", value: 'q"b\\t\tn\nv\x0bf\x0c' },
  ];
  const all = entries.map((e) => e.value).join("");
  for (const c of ['"', "\\", "\t", "\n", "\x0b", "\x0c"]) {
    assert.ok(all.includes(c), `values contain ${JSON.stringify(c)}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "oha-inputs-" });
  try {
    const inputs = await writeOhaInputs(dir, entries, makeMissKeys(20), 25);
    const puts = (await Deno.readTextFile(inputs.putBodies)).split("\n");
    assert.equal(puts.pop(), "", "file ends with a newline");
    assert.equal(puts.length, entries.length);
    puts.forEach((line, i) => {
      assert.ok(!/[\t\n\r]/.test(line), "no raw tab/newline/CR in a line");
      assert.deepEqual(JSON.parse(line), entries[i]);
      assert.equal(line, putBody(entries[i].key, entries[i].value));
    });
    const fills = (await Deno.readTextFile(inputs.fillBodies)).trimEnd()
      .split("\n").map((l) => JSON.parse(l));
    assert.equal(fills.length, 25);
    assert.equal(new Set(fills.map((f) => f.key)).size, 25);
    fills.forEach((f, i) => {
      assert.equal(f.key, fillKey(i));
      assert.equal(f.key.length, 36);
      assert.equal(f.value, entries[i % entries.length].value);
    });
    const keys = entries.map((e) => e.key);
    const urls = urlLines("http://127.0.0.1:9", keys).trimEnd().split("\n");
    urls.forEach((u, i) => {
      const parsed = new URL(u);
      assert.equal(parsed.pathname, "/get");
      assert.equal(parsed.searchParams.get("key"), keys[i]);
    });
    assert.equal(
      getUrl("http://h", "a b&c=d/é?#"),
      "http://h/get?key=a%20b%26c%3Dd%2F%C3%A9%3F%23",
    );
    const none = await writeOhaInputs(dir, entries, [], 0);
    assert.equal(none.fillBodies, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fill sizing: lines per expected request, a cap, and the new-key share", () => {
  assert.equal(ohaFillLines(0.001), 10_000);
  assert.equal(ohaFillLines(0.5), 500_000);
  assert.equal(ohaFillLines(12), OHA_FILL_MAX_LINES);
  // n picks among n lines: 1 - 1/e of them are distinct.
  const n = 1_000_000;
  assert.ok(Math.abs(expectedNewKeyShare(n, 0, n) - (1 - 1 / Math.E)) < 1e-4);
  assert.ok(expectedNewKeyShare(n, 0, 1000) > 0.999);
  assert.ok(
    expectedNewKeyShare(n, 100_000, 500_000) <
      expectedNewKeyShare(n, 0, 500_000),
  );
  assert.equal(expectedNewKeyShare(10, 0, 0), 1);
  const r = toLoadResult(
    [{ kind: "put", connections: 1, summary: pointMass(10, MS) }],
    0,
  );
  assert.equal(fillNote(r), undefined);
  r.oha.fill = { bodyLines: n, picksBefore: 0, expectedNewKeyShare: 0.79 };
  assert.match(fillNote(r) ?? "", /about 21% of this fill's PUTs rewrote/);
});
