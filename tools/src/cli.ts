// Wires commander to the subcommands; no logic lives here.
import { Command, CommanderError } from "commander";
import { blameCommand } from "./commands/blame.js";
import { compareCommand } from "./commands/compare.js";
import { diffCommand } from "./commands/diff.js";
import { heapCommand } from "./commands/heap.js";
import { plotCommand } from "./commands/plot.js";
import { reportCommand } from "./commands/report.js";
import { snapshotCommand } from "./commands/snapshot.js";
import { statsCommand } from "./commands/stats.js";
import { sweepCommand } from "./commands/sweep.js";
import { ExitCode, ExitWith, InputError, UsageError } from "./core/exit-codes.js";
import { stderrSettings } from "./io/terminal.js";
import { renderError } from "./render/errors.js";
import { PROGRAM_NAME, ROOT_DESCRIPTION, ROOT_HELP_FOOTER } from "./render/help.js";

function program(): Command {
  const root = new Command(PROGRAM_NAME).description(ROOT_DESCRIPTION).addHelpText("after", ROOT_HELP_FOOTER);
  // Subcommands register here, one line each.
  root.addCommand(sweepCommand());
  root.addCommand(statsCommand());
  root.addCommand(plotCommand());
  root.addCommand(reportCommand());
  root.addCommand(compareCommand());
  root.addCommand(heapCommand());
  root.addCommand(blameCommand());
  root.addCommand(diffCommand());
  root.addCommand(snapshotCommand());
  return withErrorHandling(root);
}

/** Every command throws instead of exiting and leaves error messages to render/errors.ts. */
function withErrorHandling(command: Command): Command {
  // Commands added with addCommand() inherit none of these settings, so walk the whole tree.
  command
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => undefined });
  for (const subcommand of command.commands) withErrorHandling(subcommand);
  return command;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  try {
    await program().parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof ExitWith)) process.stderr.write(renderError(error, stderrSettings()));
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof ExitWith) return error.code;
  // Help and version end with a CommanderError too, but they are not errors.
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof UsageError || error instanceof InputError) return ExitCode.usage;
  return ExitCode.internal;
}
