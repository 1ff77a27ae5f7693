/**
 * Reads a child process's output line by line, as it arrives.
 *
 * @module
 */

/**
 * Yields the lines of `stream` (UTF-8) without their `\n`, as each one is
 * complete; a last line without `\n` is yielded when the stream ends.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered) yield buffered;
}
