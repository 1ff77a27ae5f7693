/**
 * Test support: JSON text spelled the way real clients spell it (Python's
 * `json.dumps`, Go's `encoding/json`, `JSON.stringify`, hand-written curl
 * bodies) or at random among every spelling JSON allows, as fast-check
 * arbitraries.
 *
 * @module
 */

import fc from "fast-check";

/** How a client spells a string literal. */
export type StringStyle =
  | "stringify"
  | "python-ascii"
  | "python-utf8"
  | "go"
  | "curl"
  | "random";

const SHORT: Record<number, string> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x08: "\\b",
  0x0c: "\\f",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
};

/** `\uXXXX` for a UTF-16 unit, lowercase or uppercase hex. */
export function unicodeEscape(unit: number, upper = false): string {
  const hex = unit.toString(16).padStart(4, "0");
  return "\\u" + (upper ? hex.toUpperCase() : hex);
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

/**
 * Spells `text` as a JSON string literal in `style`; `choices` (numbers from
 * 0 up) picks among the spellings JSON allows for each unit in the "random"
 * and "curl" styles.
 */
export function spellString(
  text: string,
  style: StringStyle,
  choices: number[] = [],
): string {
  if (style === "stringify") return JSON.stringify(text);
  let out = '"';
  let pick = 0;
  const choose = (n: number) =>
    (choices[pick++ % (choices.length || 1)] ?? 0) % n;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const short = SHORT[unit];
    const next = text.charCodeAt(i + 1);
    const pair = unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 &&
      next <= 0xdfff;
    switch (style) {
      case "python-ascii":
        // ensure_ascii=True: every unit outside printable ASCII as \uxxxx.
        out += short ??
          (unit < 0x20 || unit > 0x7e ? unicodeEscape(unit) : text[i]);
        break;
      case "python-utf8":
        // ensure_ascii=False: only quote, backslash and controls escaped.
        if (short !== undefined) out += short;
        else if (unit < 0x20 || (isSurrogate(unit) && !pair)) {
          out += unicodeEscape(unit);
        } else if (pair) out += text[i] + text[++i];
        else out += text[i];
        break;
      case "go":
        // encoding/json: \b and \f as \u0008 and \u000c (before Go 1.22),
        // <, >, & and U+2028/9 escaped for HTML safety.
        if (unit === 0x08 || unit === 0x0c) out += unicodeEscape(unit);
        else if (short !== undefined) out += short;
        else if (
          unit < 0x20 || unit === 0x3c || unit === 0x3e || unit === 0x26 ||
          unit === 0x2028 || unit === 0x2029 || (isSurrogate(unit) && !pair)
        ) out += unicodeEscape(unit);
        else if (pair) out += text[i] + text[++i];
        else out += text[i];
        break;
      case "curl":
        // By hand: `\/`, uppercase hex now and then, the rest as typed.
        if (unit === 0x2f) out += choose(2) ? "\\/" : "/";
        else if (short !== undefined) out += short;
        else if (unit < 0x20 || (isSurrogate(unit) && !pair)) {
          out += unicodeEscape(unit, choose(2) === 1);
        } else if (pair) out += text[i] + text[++i];
        else out += text[i];
        break;
      case "random": {
        // Any unit as \uXXXX in either case; a pair as two escapes or as
        // UTF-8; quote, backslash, controls and slash by short escape too.
        const options: string[] = [
          unicodeEscape(unit),
          unicodeEscape(unit, true),
        ];
        if (short !== undefined) options.push(short);
        else if (unit === 0x2f) options.push("\\/", "/");
        else if (unit >= 0x20 && !isSurrogate(unit)) options.push(text[i]);
        if (pair) {
          const escapes = [0, 1].map((k) =>
            unicodeEscape(text.charCodeAt(i + k), choose(2) === 1)
          );
          options.push(text[i] + text[i + 1], escapes.join(""));
          const chosen = options[2 + choose(options.length - 2)];
          out += chosen;
          i++;
          break;
        }
        out += options[choose(options.length)];
        break;
      }
    }
  }
  return out + '"';
}

/** Code points `JSON.parse` strings are made of, weighted towards trouble. */
export const jsonChar = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.string({
      unit: "grapheme-ascii",
      minLength: 1,
      maxLength: 1,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '"',
      "\\",
      "/",
      "\b",
      "\f",
      "\n",
      "\r",
      "\t",
      "\x00",
      "\x0b",
      "\x1f",
      "\x7f",
      "<",
      ">",
      "&",
      "é",
      "€",
      "\u2028",
      "\u2029",
      "\ufeff",
      "\uffff",
      "😀",
      "\ud800",
      "\udbff",
      "\udc00",
      "\udfff",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  },
);

/** Strings of {@linkcode jsonChar}, from `minLength` to `maxLength` pieces. */
export function jsonString(minLength: number, maxLength: number) {
  return fc.array(jsonChar, { minLength, maxLength }).map((p) => p.join(""));
}

/** A string style for each client. */
export const stringStyle = fc.constantFrom<StringStyle>(
  "stringify",
  "python-ascii",
  "python-utf8",
  "go",
  "curl",
  "random",
);

/** Whitespace between tokens: none, one space, or a random run. */
export const gap = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 2, arbitrary: fc.constant(" ") },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom(" ", "\t", "\n", "\r"), {
      maxLength: 4,
    }).map((w) => w.join("")),
  },
);

/** One member of an object: its name's literal and its value's JSON text. */
export interface Member {
  name: string;
  value: string;
}

/**
 * Joins members into an object's text, with the gaps drawn from `gaps` (in
 * turn) around every token.
 */
export function spellObject(members: Member[], gaps: string[]): string {
  let k = 0;
  const g = () => gaps.length === 0 ? "" : gaps[k++ % gaps.length];
  const body = members.map((m) =>
    g() + m.name + g() + ":" + g() + m.value + g()
  )
    .join(",");
  return g() + "{" + (members.length === 0 ? g() : body) + "}" + g();
}
