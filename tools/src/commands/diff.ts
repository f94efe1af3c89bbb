// `diff BASE [NEW] [--json] [--top N] [--fail-over PCT|SIZE] [--budget FILE] [--pprof FILE]`: two heap digests
// compared per Starlark function, growth gated, budgets checked.
import { Command } from "commander";
import { parseTop } from "../core/counts.js";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { GateSyntaxError, parseGrowthGate, type GrowthGate } from "../core/heap/digest-diff.js";
import { resolveUserPath } from "../io/invocation.js";
import { diffHeapDigests } from "../flows/diff.js";
import { DIFF_DESCRIPTION, DIFF_HELP_FOOTER, DIFF_OPTION_HELP as HELP, DIFF_SUMMARY, gateProblem } from "../render/diff.js";
import { topProblem } from "../render/heap.js";
import { PPROF_OPTION_HELP } from "../render/pprof.js";

interface DiffOptions {
  readonly json?: boolean;
  readonly top?: string;
  readonly failOver?: string;
  readonly budget?: string;
  readonly pprof?: string;
}

export function diffCommand(): Command {
  return new Command("diff")
    .description(DIFF_DESCRIPTION)
    .summary(DIFF_SUMMARY)
    .argument("<BASE>", "heap --json output, a snapshot, or a run's heap-digest.json")
    .argument("[NEW]", "the same, of the build to compare with BASE")
    .option("--json", HELP.json)
    .option("--top <n>", HELP.top)
    .option("--fail-over <growth>", HELP.failOver)
    .option("--budget <file>", HELP.budget)
    .option("--pprof <file>", PPROF_OPTION_HELP)
    .addHelpText("after", DIFF_HELP_FOOTER)
    .action(async (base: string, next: string | undefined, options: DiffOptions) => {
      const code = await diffHeapDigests({
        base: resolveUserPath(base),
        next: next === undefined ? undefined : resolveUserPath(next),
        json: options.json === true,
        top: options.top === undefined ? undefined : top(options.top),
        gate: options.failOver === undefined ? undefined : parseGate(options.failOver),
        budget: options.budget === undefined ? undefined : resolveUserPath(options.budget),
        pprof: options.pprof === undefined ? undefined : resolveUserPath(options.pprof),
      });
      if (code !== ExitCode.ok) throw new ExitWith(code);
    });
}

function top(text: string): number {
  const value = parseTop(text);
  if (value === undefined) throw new UsageError(topProblem(text));
  return value;
}

function parseGate(text: string): GrowthGate {
  try {
    return parseGrowthGate(text);
  } catch (error) {
    if (error instanceof GateSyntaxError) throw new UsageError(gateProblem(text, error.problem));
    throw error;
  }
}
