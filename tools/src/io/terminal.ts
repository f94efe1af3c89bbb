// How to write to the terminal: with colour or not, with stack traces or not. Reads the environment only.

/** Settings for what the CLI writes to one stream. */
export interface OutputSettings {
  /** Whether ANSI colours may be used. */
  readonly color: boolean;
  /** Whether errors come with their stack trace (the DEBUG environment variable is set). */
  readonly debug: boolean;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Colour follows the usual conventions: NO_COLOR (non-empty) turns it off, FORCE_COLOR turns it on
 * (FORCE_COLOR=0 or false off), otherwise only a terminal that is not "dumb" gets colour.
 */
export function colorEnabled(stream: { readonly isTTY?: boolean }, env: Environment = process.env): boolean {
  if (env["NO_COLOR"]) return false;
  const force = env["FORCE_COLOR"];
  if (force === "0" || force === "false") return false;
  if (force !== undefined) return true;
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

export function debugEnabled(env: Environment = process.env): boolean {
  return Boolean(env["DEBUG"]);
}

export function stderrSettings(): OutputSettings {
  return { color: colorEnabled(process.stderr), debug: debugEnabled() };
}
