// `blame SWEEP_DIR... [--json] [--top N] [--out FILE] [--without SIGNAL]...`: which Starlark function ate the heap.
import { Command } from "commander";
import { blame, SIGNAL_NAMES, type BlameResult, type SignalName } from "../core/blame/blame.js";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { resolveUserPath } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { blameRuns } from "../io/blame-inputs.js";
import { sweepWorkspace } from "../io/run-folders.js";
import { BLAME_DESCRIPTION, BLAME_HELP_FOOTER, BLAME_OPTION_HELP as HELP, BLAME_SUMMARY, blameText, blameWritten, unknownSignal, unreadableRunSkipped } from "../render/blame.js";
import { parseTop } from "./heap.js";

interface BlameOptions {
  readonly json?: boolean;
  readonly top: string;
  readonly out?: string;
  readonly without?: string[];
}

export const DEFAULT_BLAME_TOP = 10;

export function blameCommand(): Command {
  return new Command("blame")
    .description(BLAME_DESCRIPTION)
    .summary(BLAME_SUMMARY)
    .argument("<SWEEP_DIR...>", "sweep folders (their runs are blamed together)")
    .option("--json", HELP.json)
    .option("--top <n>", HELP.top, String(DEFAULT_BLAME_TOP))
    .option("--out <file>", HELP.out)
    .option("--without <signal>", HELP.without, (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .addHelpText("after", BLAME_HELP_FOOTER)
    .action(async (dirs: string[], options: BlameOptions) => {
      const top = parseTop(options.top);
      const without = new Set<SignalName>();
      for (const name of options.without ?? []) {
        if (!(SIGNAL_NAMES as readonly string[]).includes(name)) throw new UsageError(unknownSignal(name, SIGNAL_NAMES));
        without.add(name as SignalName);
      }
      if (options.out !== undefined) await checkOutputPath(resolveUserPath(options.out));
      const sweeps = dirs.map((dir) => resolveUserPath(dir));
      const result = await blameSweeps(sweeps, without, (problem) => process.stderr.write(unreadableRunSkipped(problem)));
      const text = options.json ? `${JSON.stringify(result, null, 2)}\n` : blameText(result, top);
      if (options.out === undefined) process.stdout.write(text);
      else {
        const out = resolveUserPath(options.out);
        await writeOutputFile(out, text);
        process.stderr.write(blameWritten(out));
      }
      if (result.verdict === "no-evidence") throw new ExitWith(ExitCode.findings);
    });
}

/** Blame over every run of the sweeps given (the sweep's own end of run, `report` and this command share it). */
export async function blameSweeps(sweeps: readonly string[], without: ReadonlySet<SignalName>, onUnreadable: (problem: string) => void): Promise<BlameResult> {
  const runs = [];
  for (const sweep of sweeps) runs.push(...(await blameRuns(sweep, onUnreadable)));
  return blame(runs, { workspace: await sweepWorkspace(sweeps[0]!), without });
}
