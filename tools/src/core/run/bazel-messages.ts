// Reads what Bazel printed on stderr when a command failed.

// Lines that only repeat that something failed, without saying what.
const CONSEQUENCE_ONLY = [/^ERROR: Skipping '/, /^ERROR: Build did NOT complete successfully/, /^ERROR: Analysis of target '.*' failed/, /^ERROR: command failed/i];

/**
 * The line that says why a Bazel command failed: the first "ERROR: " line that is more than a
 * consequence of another, without its prefix, with the " - " list lines that continue it
 * (e.g. " - /work/nopkg" after "no such package") joined on. null when Bazel printed no error line.
 */
export function firstBazelError(stderr: string): string | null {
  const lines = stderr.split(/\r?\n/);
  const errorLines = lines.flatMap((line, index) => (line.startsWith("ERROR: ") ? [index] : []));
  const chosen = errorLines.find((index) => !CONSEQUENCE_ONLY.some((pattern) => pattern.test(lines[index]!))) ?? errorLines[0];
  if (chosen === undefined) return null;
  const parts = [lines[chosen]!.slice("ERROR: ".length).trim()];
  for (let index = chosen + 1; index < lines.length && lines[index]!.startsWith(" - "); index += 1) {
    parts.push(lines[index]!.trim());
  }
  return parts.join(" ");
}
