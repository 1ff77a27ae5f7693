/**
 * Reads a `.env` file of `NAME=value` lines. The result is merged under the
 * process environment, so a variable set in the environment wins over the
 * file (as with Docker's `-e` or a shell `export`).
 *
 * @module
 */

const LINE =
  /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('[^']*'|"(?:[^"\\]|\\.)*"|[^#]*?)\s*(?:#.*)?$/;

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t" };

/**
 * Parses `.env` text: `NAME=value` per line, optional `export `, blank lines
 * and `#` comments ignored, values optionally in single quotes (taken as is)
 * or double quotes (with `\n`, `\r`, `\t`, `\"` and `\\` escapes).
 *
 * @throws {SyntaxError} naming the line number of a line it cannot read.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#.*)?$/.test(line)) continue;
    const match = LINE.exec(line);
    if (match === null) {
      throw new SyntaxError(
        `Line ${i + 1} is not NAME=value: ${JSON.stringify(line)}`,
      );
    }
    const [, name, raw] = match;
    if (raw.startsWith("'")) vars[name] = raw.slice(1, -1);
    else if (raw.startsWith('"')) {
      vars[name] = raw.slice(1, -1).replace(
        /\\(.)/g,
        (_, c: string) => ESCAPES[c] ?? c,
      );
    } else vars[name] = raw;
  }
  return vars;
}

/**
 * Reads and parses the `.env` file at `path`; returns an empty record when
 * there is no such file.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  try {
    return parseEnvFile(text);
  } catch (error) {
    throw new SyntaxError(`${path}: ${(error as Error).message}`);
  }
}
