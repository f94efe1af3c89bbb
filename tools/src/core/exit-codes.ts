/** Exit codes shared by every subcommand. */
export const ExitCode = {
  ok: 0,
  /** Findings, or at least one failed run. */
  findings: 1,
  /** The user asked for something that cannot be done as asked. */
  usage: 2,
  /** A bug in memory-adventure. */
  internal: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can fix; rendered as one line on stderr, never with a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Input on disk that cannot be read as what it claims to be (a profile, a run folder). */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** Thrown by a subcommand's action to finish with a specific exit code after printing its own output. */
export class ExitWith extends Error {
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
  }
}
