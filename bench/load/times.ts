/**
 * The CPU time a load generator used: the harness runs it under bash and
 * prints bash's `times` after it, whose second line is the children's user
 * and system time.
 *
 * @module
 */

/** Parses the children's line of bash's `times` output ("0m1.250s 0m0.500s"), the last line of `stdout`, into seconds; NaN if absent. */
export function parseTimes(stdout: string): number {
  const lines = stdout.trimEnd().split("\n");
  const m = lines[lines.length - 1]?.match(
    /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/,
  );
  if (!m) return NaN;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}
