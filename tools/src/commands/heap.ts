// `heap PATH [--json] [--top N] [--out FILE] [--pprof FILE] [--html FILE] [--max-memory SIZE] [--state-dir DIR]`: who holds the heap of a crashed Bazel
// server, from its heap dump.
import { Command } from "commander";
import { parseTop } from "../core/counts.js";
import { UsageError } from "../core/exit-codes.js";
import { DEFAULT_DIGEST_TOP } from "../core/heap/heap-digest.js";
import { digestHeaps } from "../flows/heap.js";
import { resolveUserPath } from "../io/invocation.js";
import { PPROF_OPTION_HELP } from "../render/pprof.js";
import { HEAP_DESCRIPTION, HEAP_HELP_FOOTER, HEAP_OPTION_HELP as HELP, HEAP_SUMMARY, maxMemoryProblem, topProblem } from "../render/heap.js";
import { parseMemoryLimit } from "../core/heap/memory-budget.js";
import { HEAP_HTML_OPTION_HELP } from "../render/treemap.js";

interface HeapOptions {
  readonly json?: boolean;
  readonly top: string;
  readonly out?: string;
  readonly pprof?: string;
  readonly html?: string;
  readonly maxMemory?: string;
  readonly stateDir?: string;
}

export function heapCommand(): Command {
  return new Command("heap")
    .description(HEAP_DESCRIPTION)
    .summary(HEAP_SUMMARY)
    .argument("<PATH>", "a heap dump, a run or sweep folder, or a Bazel output base")
    .option("--json", HELP.json)
    .option("--top <n>", HELP.top, String(DEFAULT_DIGEST_TOP))
    .option("--out <file>", HELP.out)
    .option("--pprof <file>", PPROF_OPTION_HELP)
    .option("--html <file>", HEAP_HTML_OPTION_HELP)
    .option("--max-memory <size>", HELP.maxMemory)
    .option("--state-dir <dir>", HELP.stateDir)
    .addHelpText("after", HEAP_HELP_FOOTER)
    .action(async (pathArgument: string, options: HeapOptions) => {
      const top = parseTop(options.top);
      if (top === undefined) throw new UsageError(topProblem(options.top));
      const memoryLimitBytes = options.maxMemory === undefined ? undefined : parseMemoryLimit(options.maxMemory);
      if (memoryLimitBytes === null) throw new UsageError(maxMemoryProblem(options.maxMemory!));
      await digestHeaps({
        path: resolveUserPath(pathArgument),
        top,
        json: options.json === true,
        out: options.out === undefined ? undefined : resolveUserPath(options.out),
        pprof: options.pprof === undefined ? undefined : resolveUserPath(options.pprof),
        html: options.html === undefined ? undefined : resolveUserPath(options.html),
        memoryLimitBytes,
        stateDir: options.stateDir === undefined ? undefined : resolveUserPath(options.stateDir),
      });
    });
}
