import assert from "node:assert/strict";
import { parseEnvFile, readEnvFile } from "../lib/env_file.ts";

Deno.test("parses NAME=value lines, comments, export and quotes", () => {
  const vars = parseEnvFile(
    [
      "# a comment",
      "",
      "PORT=8080",
      "export HOST = 127.0.0.1  # trailing comment",
      "EMPTY=",
      "SINGLE='a # kept $literal'",
      'DOUBLE="line\\nnext \\"quoted\\" # kept"',
      "   LOG_LEVEL=debug   ",
    ].join("\r\n"),
  );
  assert.deepEqual(vars, {
    PORT: "8080",
    HOST: "127.0.0.1",
    EMPTY: "",
    SINGLE: "a # kept $literal",
    DOUBLE: 'line\nnext "quoted" # kept',
    LOG_LEVEL: "debug",
  });
});

Deno.test("a line that is not NAME=value is reported with its number", () => {
  assert.throws(
    () => parseEnvFile("PORT=1\nthis is wrong\n"),
    {
      name: "SyntaxError",
      message: 'Line 2 is not NAME=value: "this is wrong"',
    },
  );
});

Deno.test("a missing file reads as no variables", () => {
  assert.deepEqual(readEnvFile("/nonexistent/dir/.env"), {});
});

Deno.test("a file on disk is read and parsed", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "MAX_KEY_SIZE=32\n");
    assert.deepEqual(readEnvFile(path), { MAX_KEY_SIZE: "32" });
    Deno.writeTextFileSync(path, "oops\n");
    assert.throws(() => readEnvFile(path), {
      message: `${path}: Line 1 is not NAME=value: "oops"`,
    });
  } finally {
    Deno.removeSync(path);
  }
});
