// Wording of the errors that end the CLI: always one line on stderr, plus the stack trace when debugging.
import { CommanderError } from "commander";
import { InputError, UsageError } from "../core/exit-codes.js";
import { PROGRAM_NAME } from "./help.js";
import { styleFor } from "./style.js";

export interface ErrorRenderOptions {
  readonly color: boolean;
  readonly debug: boolean;
}

/** Commander codes after which commander has already shown what the user needs (the help). */
const ALREADY_SHOWN = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

/** The text to write on stderr for an error that ends the CLI, "" when there is nothing to add. */
export function renderError(error: unknown, options: ErrorRenderOptions): string {
  const style = styleFor(options.color);
  const prefix = style.error(`${PROGRAM_NAME}:`);
  if (error instanceof CommanderError) {
    if (ALREADY_SHOWN.has(error.code)) return "";
    // Commander's messages start with "error: "; our prefix already says where the line comes from.
    const message = oneLine(error.message).replace(/^error: /, "").replace(/\.$/, "");
    return `${prefix} ${message} (see --help)\n`;
  }
  if (error instanceof UsageError || error instanceof InputError) {
    return `${prefix} ${oneLine(error.message)}\n${options.debug ? stackOf(error) : ""}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = options.debug ? "" : "; this is a bug, rerun with DEBUG=1 to see where it happened";
  return `${prefix} internal error: ${oneLine(message)}${hint}\n${options.debug ? stackOf(error) : ""}`;
}

/** Message of the UsageError thrown when no Bazel workspace encloses `directory`. */
export function noWorkspaceFound(directory: string, markers: readonly string[]): string {
  return (
    `no Bazel workspace at or above ${directory} (none of ${markers.join(", ")} found); ` +
    `run this from inside a Bazel workspace, or with bazel run`
  );
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}

function stackOf(error: unknown): string {
  return error instanceof Error && error.stack ? `${error.stack}\n` : "";
}
