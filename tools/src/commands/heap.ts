// `heap PATH [--json] [--top N] [--out FILE]`: who holds the heap of a crashed Bazel server, from its heap dump.
import { Command } from "commander";
import { UsageError } from "../core/exit-codes.js";
import { DEFAULT_DIGEST_TOP } from "../core/heap/heap-digest.js";
import { sweepWorkspace } from "../io/run-folders.js";
import { digestOf, findHeapInputs, type SourcedDigest } from "../io/heap-dumps.js";
import { defaultWorkspace, resolveUserPath } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { HEAP_DESCRIPTION, HEAP_HELP_FOOTER, HEAP_OPTION_HELP as HELP, HEAP_SUMMARY, heapText, heapWritten, topProblem } from "../render/heap.js";

interface HeapOptions {
  readonly json?: boolean;
  readonly top: string;
  readonly out?: string;
}

const MAX_TOP = 1000;

export function heapCommand(): Command {
  return new Command("heap")
    .description(HEAP_DESCRIPTION)
    .summary(HEAP_SUMMARY)
    .argument("<PATH>", "a heap dump, a run or sweep folder, or a Bazel output base")
    .option("--json", HELP.json)
    .option("--top <n>", HELP.top, String(DEFAULT_DIGEST_TOP))
    .option("--out <file>", HELP.out)
    .addHelpText("after", HEAP_HELP_FOOTER)
    .action(async (pathArgument: string, options: HeapOptions) => {
      const top = parseTop(options.top);
      if (options.out !== undefined) await checkOutputPath(resolveUserPath(options.out));
      const path = resolveUserPath(pathArgument);
      const digests: SourcedDigest[] = [];
      for (const input of await findHeapInputs(path)) digests.push(await digestOf(input, top));
      const workspace = await workspaceFor(path);
      const rendered = options.json
        ? `${JSON.stringify({ schema: 1, dumps: digests.map(({ source, digest }) => ({ source, ...digest })) }, null, 2)}\n`
        : digests.map(({ source, digest }) => heapText(source, digest, workspace, top)).join("\n");
      if (options.out === undefined) {
        process.stdout.write(rendered);
      } else {
        const out = resolveUserPath(options.out);
        await writeOutputFile(out, rendered);
        process.stderr.write(heapWritten(out, digests.length));
      }
    });
}

/** A --top value: a whole number from 1 to MAX_TOP; anything else is one UsageError (heap and blame share it). */
export function parseTop(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TOP) throw new UsageError(topProblem(text));
  return value;
}

/** The workspace whose .bzl files the names are shown relative to: the sweep's, else the one we run in. */
async function workspaceFor(path: string): Promise<string | undefined> {
  const fromSweep = await sweepWorkspace(path);
  if (fromSweep !== undefined) return fromSweep;
  try {
    return defaultWorkspace();
  } catch {
    return undefined;
  }
}
