// Wording of `blame`: the ranked suspects, the verdict and the evidence in words, and the command's help.
import { GC_CORROBORATION, SCORE_WEIGHTS, SIGNIFICANCE, type BlameResult, type BlameSuspect, type RatioSignal } from "../core/blame/blame.js";
import { percent } from "./heap.js";

export const BLAME_DESCRIPTION =
  "Rank Starlark functions by the memory evidence a sweep's runs left — heap dumps at the crash, OOM stack traces, " +
  "calls cut short by the crash, GC inside each function's calls, its share of time near the crash, CPU — and name " +
  "the culprit, or say that no single function stands out.";

export const BLAME_SUMMARY = "Name the Starlark function that eats the heap, from every signal a sweep left.";

export const BLAME_HELP_FOOTER = `
Signals, each shown in its own column, then combined (see "How the score is made" in --help's text below):
  heap       share of the heap a function holds in the heap dumps written at the crash
  stack      innermost Starlark function at the crash (heap dump threads, OOM traces, calls cut short)
  gc         GC time inside its calls per second of its own time, lowest limit against highest
  over-rep   its share of Starlark time near the crash against the highest heap (Welch's t-test)
  cpu        Starlark CPU profile share and rank: shown, never scored
How the score is made: ${SCORE_WEIGHTS.heap} × heap share + ${SCORE_WEIGHTS.innermostAtCrash} × share of crash runs where it was
innermost on every Starlark thread + ${SCORE_WEIGHTS.onStackAtCrash} × otherwise the share of their threads whose stack it was on
+ up to ${SCORE_WEIGHTS.gc} each for GC and a significant over-representation. CPU scores nothing: burning CPU is not holding memory.
A culprit needs heap dumps showing it holds the heap, or, without them, every crash stack naming it, in two
crashes or more or with more GC in its calls near the crash.

Examples:
  bazel run //analysis:blame -- measurements/sweep-5e064179
  bazel run //analysis:blame -- measurements/sweep-a measurements/sweep-b --json
  bazel run //analysis:blame -- measurements/sweep-5e064179 --without heap     # what the other signals say alone
Exit codes: 0 a verdict, 1 no run has usable evidence, 2 usage error, 3 internal error.`;

export const BLAME_OPTION_HELP = {
  json: "print the result as JSON instead of text",
  top: "how many suspects to show",
  out: "write to FILE (replaced in one step) instead of stdout",
  without: "leave a signal out (heap, oom-stack, in-flight, gc, over-representation, cpu); repeat for more",
} as const;

export function unknownSignal(name: string, known: readonly string[]): string {
  return `--without: "${name}" is not a signal; use one of ${known.join(", ")}`;
}

export function blameWritten(path: string): string {
  return `wrote the blame to ${path}\n`;
}

export function unreadableRunSkipped(problem: string): string {
  return `blame: skipped a run: ${problem}\n`;
}

function suspectName(suspect: { function: string; file: string | undefined }): string {
  return suspect.file === undefined ? suspect.function : `${suspect.function} (${suspect.file})`;
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}x` : ">100x";
}

/** One cell per signal, for the table. */
export function signalCells(suspect: BlameSuspect): { heap: string; stack: string; gc: string; overRep: string; cpu: string } {
  const stack = suspect.stack;
  return {
    heap: suspect.heap === undefined ? "" : `${percent(suspect.heap.meanShare)}`,
    stack: stack === undefined ? "" : stack.innermostRuns > 0 ? `innermost ${stack.innermostRuns}/${stack.runs}` : `on stack ${stack.onStackRuns}/${stack.runs}`,
    gc: suspect.gc === undefined ? "" : ratio(suspect.gc.ratio),
    overRep:
      suspect.overRepresentation === undefined
        ? ""
        : `${ratio(suspect.overRepresentation.ratio)}${suspect.overRepresentation.p === undefined ? "" : ` p=${suspect.overRepresentation.p < 0.001 ? "<0.001" : suspect.overRepresentation.p.toFixed(3)}`}`,
    cpu: suspect.cpu === undefined ? "" : `#${suspect.cpu.rank} ${percent(suspect.cpu.high)}`,
  };
}

export function blameText(result: BlameResult, top: number): string {
  const lines: string[] = [];
  lines.push(
    `blame: ${result.runs.used} runs, ${result.runs.crashed} out of memory (${result.runs.withDigest} with a heap dump), ${result.runs.withProfile} with a profile`,
  );
  for (const dump of result.unusableDumps) lines.push(`heap dump of ${dump.run} left out: ${dump.problem}`);
  const available = result.signals.map((signal) => `${signal.name} ${signal.excluded ? "left out" : `${signal.runs}`}`).join(", ");
  lines.push(`signals (runs that gave each): ${available}`);
  lines.push("");
  lines.push(...suspectTable(result.suspects.slice(0, top)));
  lines.push("");
  lines.push(verdictLine(result));
  for (const suspect of result.suspects.slice(0, Math.min(3, top))) {
    const words = evidenceWords(suspect);
    if (words !== "") lines.push(`  ${suspectName(suspect)}: ${words}`);
  }
  const correction = cpuCorrection(result);
  if (correction !== undefined) lines.push(correction);
  if (result.failingBuiltins.length > 0) {
    lines.push(`  the failing threads were inside the builtin ${result.failingBuiltins.map((entry) => `${entry.builtin} (${entry.runs} run${entry.runs === 1 ? "" : "s"})`).join(", ")}`);
  }
  if (result.failingTargets.length > 0) lines.push(`  Bazel named the target being analysed: ${result.failingTargets.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function suspectTable(suspects: readonly BlameSuspect[]): string[] {
  const header = ["#", "function", "file", "score", "heap", "stack", "gc", "over-rep", "cpu"];
  const rows = suspects.map((suspect, index) => {
    const cells = signalCells(suspect);
    return [String(index + 1), suspect.function, suspect.file ?? "?", suspect.score.toFixed(1), cells.heap, cells.stack, cells.gc, cells.overRep, cells.cpu];
  });
  if (rows.length === 0) return ["no function has any evidence against it"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The one verdict line, also what the sweep prints at its end. */
export function verdictLine(result: BlameResult): string {
  const first = result.suspects[0];
  switch (result.reason.kind) {
    case "holds-the-heap":
      return `verdict: culprit: ${suspectName(first!)} holds ${percent(result.reason.share)} of the heap at the crash (the next function holds ${percent(result.reason.runnerUpShare)})`;
    case "crash-stacks-agree":
      return `verdict: culprit: ${suspectName(first!)} was the innermost Starlark function on every thread at the crash, in ${result.reason.runs} of ${result.reason.runs} crash run${result.reason.runs === 1 ? "" : "s"}${result.reason.gcRatio !== undefined && result.reason.gcRatio >= GC_CORROBORATION ? `, and its calls saw ${ratio(result.reason.gcRatio)} more GC near the crash` : ""} (no heap dump to say what it holds)`;
    case "crash-stacks-uncorroborated":
      return `verdict: no single culprit: the crash stacks name ${result.reason.function}, but only once and nothing shows it holds memory (no heap dump, no rise of GC in its calls): it may only have been running when the heap ran out; sweep again without --no-heap-dumps`;
    case "memory-spread":
      return `verdict: no single culprit: the heap is spread thin (the top functions hold ${result.reason.topShares.map(percent).join(", ")})`;
    case "crash-stacks-disagree":
      return `verdict: no single culprit: the crash stacks name several functions (${result.reason.functions.join(", ")}) and there is no heap dump to say which holds the memory; sweep again without --no-heap-dumps`;
    case "indirect-only":
      return `verdict: no single culprit: only indirect evidence (GC and time near the crash), no heap dump or crash stack; sweep again without --no-heap-dumps`;
    case "no-crash":
      return "verdict: no evidence: no build ran out of memory and no function shows GC pressure";
    case "no-function-evidence":
      return "verdict: no evidence: builds ran out of memory, but no run left a heap dump, a Starlark stack or a profile that names a function";
  }
}

/** A suspect's evidence in words: "retains 61% of the heap in 3 of 3 crash dumps; innermost at the crash in 3 of 3; …". */
export function evidenceWords(suspect: BlameSuspect): string {
  const parts: string[] = [];
  if (suspect.heap !== undefined && suspect.heap.meanShare >= MENTIONED_SHARE) {
    parts.push(`retains ${percent(suspect.heap.meanShare)} of the heap on average over ${suspect.heap.dumps} crash dump${suspect.heap.dumps === 1 ? "" : "s"} (the top holder in ${suspect.heap.topIn})`);
  }
  if (suspect.stack !== undefined) {
    const { innermostRuns, onStackRuns, onStackThreadShare, runs, sources } = suspect.stack;
    const from = `(${sources.map((source) => (source === "heap" ? "heap dump" : source === "oom-stack" ? "OOM trace" : "crashed profile")).join(", ")})`;
    if (innermostRuns > 0) parts.push(`innermost Starlark function at the crash in ${innermostRuns} of ${runs} crash run${runs === 1 ? "" : "s"} ${from}`);
    const threads = onStackThreadShare < onStackRuns ? `, on ${percent(onStackThreadShare / onStackRuns)} of their Starlark threads` : "";
    if (onStackRuns > 0) parts.push(`on a Starlark stack at the crash in ${onStackRuns} of ${runs}${threads} ${from}`);
  }
  if (suspect.gc !== undefined) parts.push(gcWords(suspect.gc));
  const over = suspect.overRepresentation;
  if (over !== undefined && over.ratio > 1) {
    const test = over.p === undefined ? "not tested: fewer than 2 runs on a side" : over.p < SIGNIFICANCE ? `significant, p=${over.p.toFixed(3)}` : `not significant, p=${over.p.toFixed(2)}`;
    const share = over.ratio < SAME_WITHIN ? `about the same share of Starlark time at ${over.lowLimit} as at ${over.highLimit}` : `${ratio(over.ratio)} its share of Starlark time at ${over.lowLimit} than at ${over.highLimit}`;
    parts.push(`${share} (${test})`);
  }
  return parts.join("; ");
}

/** Ratios within 10% of 1 either way are noise between two runs: "about the same", not "1.0x less". */
const SAME_WITHIN = 1.1;

/** Heap shares below this are not worth a clause (a few KB of analysis data every rule has). */
const MENTIONED_SHARE = 0.005;

function gcWords(signal: RatioSignal): string {
  if (!Number.isFinite(signal.ratio)) return `GC inside its calls at ${signal.lowLimit}, none at ${signal.highLimit}`;
  if (signal.ratio > 1 / SAME_WITHIN && signal.ratio < SAME_WITHIN) return `about as much GC per second of its own time at ${signal.lowLimit} as at ${signal.highLimit}`;
  const amount = signal.ratio >= 1 ? `${ratio(signal.ratio)} more` : `${ratio(1 / signal.ratio)} less`;
  return `${amount} GC per second of its own time at ${signal.lowLimit} than at ${signal.highLimit}`;
}

/** When a CPU-only view would blame another function than the ranking does, say so. */
export function cpuCorrection(result: BlameResult): string | undefined {
  const cpuTop = result.cpuTop;
  if (cpuTop === undefined) return undefined;
  const rank = result.suspects.findIndex((suspect) => suspect.function === cpuTop.function && suspect.file === cpuTop.file);
  if (rank === 0) return `  a CPU-only view agrees: ${suspectName(cpuTop)} also uses the most Starlark CPU (${percent(cpuTop.share)})`;
  const suspect = rank < 0 ? undefined : result.suspects[rank];
  return (
    `  a CPU-only view (the Starlark CPU profile) would blame ${suspectName(cpuTop)} first (${percent(cpuTop.share)} of Starlark CPU); ` +
    `the memory evidence ranks it ${rank < 0 ? "nowhere" : `#${rank + 1} with score ${suspect!.score.toFixed(1)}`}: CPU is not memory`
  );
}
