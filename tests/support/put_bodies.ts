/**
 * Test support: valid `POST /put` bodies as clients spell them, with their
 * members in any order, unknown members, duplicates and whitespace.
 *
 * @module
 */

import fc from "fast-check";
import {
  gap,
  jsonString,
  type Member,
  spellObject,
  spellString,
  stringStyle,
} from "./json_spelling.ts";

/** A key, value and ttl, and the members a client writes for them. */
export const putRequest = fc.record({
  key: jsonString(1, 12),
  value: jsonString(0, 24),
  ttl: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined }),
  style: stringStyle,
  choices: fc.array(fc.nat(), { maxLength: 6 }),
  extras: fc.array(
    fc.tuple(
      fc.string({ unit: "grapheme-ascii", maxLength: 6 }),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    { maxLength: 3 },
  ),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  gaps: fc.array(gap, { maxLength: 12 }),
  duplicate: fc.boolean(),
});

/** What {@linkcode putRequest} draws. */
export type PutRequestDraw = typeof putRequest extends fc.Arbitrary<infer T> ? T
  : never;

/** The body of `r`, its members in `r.order`, spelled in `r.style`. */
export function spellPutRequest(r: PutRequestDraw): string {
  const s = (text: string) => spellString(text, r.style, r.choices);
  const members: Member[] = [
    { name: '"key"', value: s(r.key) },
    { name: '"value"', value: s(r.value) },
  ];
  if (r.ttl !== undefined) members.push({ name: '"ttl"', value: `${r.ttl}` });
  for (const [name, value] of r.extras) {
    if (name === "key" || name === "value" || name === "ttl") continue;
    members.push({ name: JSON.stringify(name), value: JSON.stringify(value) });
  }
  // Shuffle by the drawn order, then maybe write an earlier duplicate.
  const shuffled = members.map((m, i) => ({ m, k: r.order[i] ?? i }))
    .sort((a, b) => a.k - b.k).map(({ m }) => m);
  if (r.duplicate) shuffled.unshift({ name: '"key"', value: s(r.value) });
  return spellObject(shuffled, r.gaps);
}
