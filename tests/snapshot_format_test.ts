// A broken snapshot is always refused, with a message naming the file and the
// problem, and is left as it was.
import assert from "node:assert/strict";
import fc from "fast-check";
import { MapCache } from "../lib/map_cache.ts";
import { ManualClock } from "../lib/clock.ts";
import {
  BLOCK_TAG,
  encodeHeader,
  encodeTrailer,
  ENTRY_HEADER_BYTES,
  FRAME_CHECKSUM_BYTES,
  FRAME_HEADER_BYTES,
  HEADER_BYTES,
  sealFrame,
  SNAPSHOT_VERSION,
  SnapshotError,
} from "../lib/snapshot_format.ts";
import { loadSnapshot } from "../lib/snapshot_loader.ts";
import { writeSnapshot } from "../lib/snapshot_writer.ts";

const LIMITS = { maxKeySize: 256, maxValueSize: 256 };

/** Writes a snapshot of a few entries in several small blocks; returns its bytes. */
async function sampleSnapshot(path: string): Promise<Uint8Array> {
  const clock = new ManualClock();
  const cache = new MapCache({ maxBytes: 1e8, defaultTtlSeconds: 0, clock });
  for (let i = 0; i < 40; i++) {
    cache.set(`key-${i}`, `value ${i} é 😀`, i % 2 === 0 ? 0 : 3600);
  }
  await writeSnapshot(cache, path, { clock, blockBytes: 200 });
  return await Deno.readFile(path);
}

/** Loads `path` into a fresh cache; resolves with the error, if any. */
async function loadError(path: string): Promise<unknown> {
  const cache = new MapCache({
    maxBytes: 1e8,
    defaultTtlSeconds: 0,
    clock: new ManualClock(),
  });
  try {
    await loadSnapshot(cache, path, { ...LIMITS, clock: new ManualClock() });
    return undefined;
  } catch (error) {
    return error;
  }
}

function assertRefused(error: unknown, path: string, problem: RegExp): void {
  assert.ok(error instanceof SnapshotError, `refused: ${error}`);
  assert.ok(error.message.includes(JSON.stringify(path)), error.message);
  assert.match(error.message, problem);
  assert.match(error.message, /move it away/);
}

Deno.test("flipping any byte or cutting any range is detected; the file is left as it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.snapshot`;
    const good = await sampleSnapshot(path);
    assert.equal(await loadError(path), undefined);
    assert.ok(good.length > 1000);
    const flip = fc.record({
      kind: fc.constant("flip" as const),
      at: fc.nat(good.length - 1),
      mask: fc.integer({ min: 1, max: 255 }),
    });
    const cut = fc.record({
      kind: fc.constant("cut" as const),
      at: fc.nat(good.length - 1),
      length: fc.integer({ min: 1, max: good.length }),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(flip, cut), async (change) => {
        let broken: Uint8Array;
        if (change.kind === "flip") {
          broken = good.slice();
          broken[change.at] ^= change.mask;
        } else {
          const end = Math.min(good.length, change.at + change.length);
          broken = new Uint8Array([
            ...good.subarray(0, change.at),
            ...good.subarray(end),
          ]);
        }
        await Deno.writeFile(path, broken);
        assertRefused(
          await loadError(path),
          path,
          /truncated|corrupt|not a kv-cache snapshot|format version/,
        );
        assert.deepEqual(await Deno.readFile(path), broken);
      }),
      { numRuns: 500 },
    );
    // Every cut at the end (truncation), exhaustively.
    for (let length = 0; length < good.length; length++) {
      await Deno.writeFile(path, good.subarray(0, length));
      assertRefused(await loadError(path), path, /truncated|not a kv-cache/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a foreign file, another version and an empty file are named as such", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.snapshot`;
    await Deno.writeTextFile(path, '{"this": "is JSON, not a snapshot"}\n');
    assertRefused(await loadError(path), path, /is not a kv-cache snapshot/);

    const future = encodeHeader(0);
    new DataView(future.buffer).setUint32(8, SNAPSHOT_VERSION + 1, true);
    await Deno.writeFile(path, future);
    assertRefused(
      await loadError(path),
      path,
      new RegExp(
        `has format version ${
          SNAPSHOT_VERSION + 1
        }; this kv-cache reads version ${SNAPSHOT_VERSION}`,
      ),
    );

    await Deno.writeFile(path, new Uint8Array());
    assertRefused(await loadError(path), path, /truncated/);

    await Deno.writeFile(path, encodeHeader(0));
    assertRefused(
      await loadError(path),
      path,
      /truncated: it ends after 0 blocks, without its trailer/,
    );
    assert.equal(HEADER_BYTES, 32);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a block dropped whole is caught by the trailer's counts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.snapshot`;
    const good = await sampleSnapshot(path);
    // The first block starts after the header; its length is at bytes 4-7.
    const view = new DataView(good.buffer);
    const firstLength = 12 + view.getUint32(HEADER_BYTES + 4, true) + 4;
    await Deno.writeFile(
      path,
      new Uint8Array([
        ...good.subarray(0, HEADER_BYTES),
        ...good.subarray(HEADER_BYTES + firstLength),
      ]),
    );
    assertRefused(
      await loadError(path),
      path,
      /its trailer does not match/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checksummed file that kv-cache did not write is refused, not thrown through", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.snapshot`;
    const key = new TextEncoder().encode("not json");
    const value = new TextEncoder().encode('"v"');
    const block = new Uint8Array(
      FRAME_HEADER_BYTES + ENTRY_HEADER_BYTES + key.length + value.length +
        FRAME_CHECKSUM_BYTES,
    );
    const view = new DataView(block.buffer);
    view.setFloat64(FRAME_HEADER_BYTES, 0, true);
    view.setUint32(FRAME_HEADER_BYTES + 8, key.length, true);
    view.setUint32(FRAME_HEADER_BYTES + 12, value.length, true);
    block.set(key, FRAME_HEADER_BYTES + ENTRY_HEADER_BYTES);
    block.set(value, FRAME_HEADER_BYTES + ENTRY_HEADER_BYTES + key.length);
    sealFrame(block, BLOCK_TAG, 1);
    await Deno.writeFile(
      path,
      new Uint8Array([
        ...encodeHeader(0),
        ...block,
        ...encodeTrailer(1, 1),
      ]),
    );
    assertRefused(
      await loadError(path),
      path,
      /block 1 \(at byte 32\) holds an entry the store refuses/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
