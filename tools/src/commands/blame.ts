// `blame SWEEP_DIR... [--json] [--top N] [--out FILE] [--without SIGNAL]...`: which Starlark function ate the heap.
import { Command } from "commander";
import { SIGNAL_NAMES, type SignalName } from "../core/blame/blame.js";
import { parseTop } from "../core/counts.js";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { blameSweeps } from "../flows/blame.js";
import { resolveUserPath } from "../io/invocation.js";
import { BLAME_DESCRIPTION, BLAME_HELP_FOOTER, BLAME_OPTION_HELP as HELP, BLAME_SUMMARY, unknownSignal } from "../render/blame.js";
import { topProblem } from "../render/heap.js";

interface BlameOptions {
  readonly json?: boolean;
  readonly top: string;
  readonly out?: string;
  readonly without?: string[];
}

const DEFAULT_BLAME_TOP = 10;

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
      if (top === undefined) throw new UsageError(topProblem(options.top));
      const without = new Set<SignalName>();
      for (const name of options.without ?? []) {
        if (!(SIGNAL_NAMES as readonly string[]).includes(name)) throw new UsageError(unknownSignal(name, SIGNAL_NAMES));
        without.add(name as SignalName);
      }
      const code = await blameSweeps({
        sweeps: dirs.map((dir) => resolveUserPath(dir)),
        without,
        top,
        json: options.json === true,
        out: options.out === undefined ? undefined : resolveUserPath(options.out),
      });
      if (code !== ExitCode.ok) throw new ExitWith(code);
    });
}
