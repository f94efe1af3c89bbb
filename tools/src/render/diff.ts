// Wording of `diff`: what changed between two heap digests (core/heap/digest-diff.ts), growth gates and budgets
// (core/heap/budget.ts), as text or JSON, and the command's help.
import type { BudgetCheck, BudgetLine, BudgetProblem } from "../core/heap/budget.js";
import { NOISE_FLOOR_BYTES, type BreakdownChange, type DigestDiff, type DigestTotals, type FunctionChange, type GateProblem, type GateTrip, type GrowthGate } from "../core/heap/digest-diff.js";
import type { LimitProblem } from "../core/sweep/heap-limit.js";
import { formatSize, functionName } from "./heap.js";

export const DIFF_SUMMARY = "Compare two heap digests per Starlark function; gate growth and check heap budgets.";

export const DIFF_DESCRIPTION =
  "Compare the heap digests of two builds (BASE and NEW) per Starlark function: the bytes each retains before and " +
  "after, split by provider, local variables, actions and analysis data, largest change first. Fail when a function " +
  "grew past --fail-over or a --budget is exceeded; write NEW's heap as a pprof profile with --pprof.";

export const DIFF_HELP_FOOTER = `
BASE and NEW are heap --json output, a snapshot, or a sweep run's heap-digest.json. A file with several dumps
is read for its first; a line on stderr says which. Functions are matched by name and .bzl file, relative to
their workspace (external repositories as external/<repo>/...), so checkouts in different places still match.
With one file, --budget checks that file and --pprof writes its profile. --pprof writes NEW's heap (retained
bytes by Starlark function, labelled by provider, rule or aspect, and target); with BASE's profile beside it,
go tool pprof -diff_base shows what grew.

--fail-over 5% fails when a function grew by more than 5% of its bytes in BASE (a function new in NEW counts
as grown without bound); growth under ${formatSize(NOISE_FLOOR_BYTES)} never trips a percentage, since small functions vary by
tens of percent between two dumps of the same build. --fail-over 64m fails when a function grew by more than
64 MiB. Sizes are written as --limits takes them: k, m, g or t, 1024-based.

A budget file (JSON; every key optional; sizes as text such as "64m", or whole bytes):
  { "heap": "768m",
    "functions": [{ "function": "my_rule_impl", "file": "rules/private/my_rule.bzl", "max": "64m" }],
    "providers": [{ "provider": "MyInfo", "max": "16m" }] }
"heap" bounds the dump's whole reachable heap; a function without "file" means every function of that name;
a provider's bytes are summed over every function that returned it.

Examples:
  The crash runs of two sweeps (before and after a change):
    bazel run //analysis:diff -- measurements/sweep-a/runs/0256m-r01/heap-digest.json measurements/sweep-b/runs/0256m-r01/heap-digest.json
  A gate for CI, with the profiles for pprof:
    bazel run //analysis:diff -- base.json --pprof base.pb.gz
    bazel run //analysis:diff -- base.json new.json --fail-over 5% --pprof new.pb.gz
    go tool pprof -diff_base base.pb.gz -top new.pb.gz
  A budget:
    bazel run //analysis:diff -- new.json --budget heap-budget.json

Exit codes: 0 no gate tripped and every budget held, 1 a function grew past --fail-over or a budget is exceeded
(each is named), 2 a file is not a heap digest, the two are not digests of the same code, or bad options;
3 internal error.`;

export const DIFF_OPTION_HELP = {
  json: "print JSON ({ functions: [{ function, file, baseBytes, newBytes, deltaBytes, breakdown }], ... }) instead of text",
  top: "how many functions to show (text: 10; --json: all unless given)",
  failOver: "fail (exit 1) when a function grew by more than PCT% of its BASE bytes, or by more than SIZE (e.g. 5%, 64m)",
  budget: "check NEW (or the only file) against the budget in FILE (JSON, see below)",
} as const;

export const DEFAULT_DIFF_TOP = 10;

export function nothingToDo(): string {
  return "give two digests to compare (BASE NEW), or one with --budget FILE or --pprof FILE";
}

export function failOverNeedsTwo(): string {
  return "--fail-over compares BASE with NEW: give two digests";
}

export function gateProblem(text: string, problem: GateProblem): string {
  const prefix = `--fail-over: "${text}"`;
  switch (problem.kind) {
    case "no-unit":
      return `${prefix} has no unit; write ${text.trim()}% for a percentage of the function's BASE bytes, or a size such as ${text.trim()}m`;
    case "size":
      return `--fail-over: ${sizeProblem(problem.problem)}`;
    case "not-a-gate":
      return `${prefix} is neither a percentage nor a size; write e.g. 5% or 64m`;
  }
}

export function budgetProblem(path: string, problem: BudgetProblem, where: string): string {
  const at = `${path}: ${where === "" ? "" : `${where}: `}`;
  switch (problem.kind) {
    case "not-an-object":
      return `${at}not a JSON object; a budget looks like { "functions": [{ "function": "my_rule_impl", "max": "64m" }] }`;
    case "unknown-key":
      return `${at}unknown key "${problem.key}"; the keys are ${problem.known.map((key) => `"${key}"`).join(", ")}`;
    case "not-a-list":
      return `${at}not a list; write [{ ... }, ...]`;
    case "missing":
      return `${at}no "${problem.key}"`;
    case "not-text":
      return `${at}not a name; write it as text`;
    case "size":
      return `${at}${sizeProblem(problem.problem)}`;
    case "empty":
      return `${at}the budget bounds nothing; give "heap", "functions" or "providers"`;
  }
}

/** A size gone wrong, in the words --limits uses for the same mistakes. */
function sizeProblem(problem: LimitProblem): string {
  const token = "token" in problem ? `"${problem.token}"` : "the size";
  switch (problem.kind) {
    case "negative":
      return `${token} is negative; sizes are positive, e.g. 64m`;
    case "fraction":
      return `${token} has a fraction; ${problem.suggestion === undefined ? "use a smaller unit" : `write ${problem.suggestion}`}`;
    case "unknown-unit":
      return `${token} has the unit "${problem.unit}"; use k, m, g or t (KiB, MiB, GiB, TiB)${problem.suggestion === undefined ? "" : `, e.g. ${problem.suggestion}`}`;
    case "too-large":
      return `${token} is too large`;
    default:
      return `${token} is not a size; write a whole number with k, m, g or t, e.g. 64m`;
  }
}

export function unrelatedDigests(base: string, next: string, sameNames: readonly string[]): string {
  const hint =
    sameNames.length > 0
      ? `functions of the same name live in other files (${sameNames.slice(0, 2).join("; ")}): were they made in workspaces this machine cannot find? Give the runs' heap-digest.json inside their sweep folders`
      : "compare two builds of one workspace";
  return `${base} and ${next} share no Starlark function, so they are not digests of the same code; ${hint}`;
}

export function dumpChosen(role: string, path: string, count: number, source: string | undefined): string {
  return `${role} ${path} holds ${count} dumps; using the first${source === undefined ? "" : ` (${source})`}\n`;
}

export interface DigestSide {
  readonly path: string;
  /** The dump used, when the file says. */
  readonly source: string | undefined;
  readonly totals: DigestTotals;
}

export interface GateOutcome {
  readonly gate: GrowthGate;
  readonly trips: readonly GateTrip[];
}

export interface BudgetOutcome {
  readonly path: string;
  readonly check: BudgetCheck;
}

export interface DiffReport {
  readonly base: DigestSide;
  readonly new: DigestSide;
  readonly diff: DigestDiff;
  readonly gate: GateOutcome | undefined;
  readonly budget: BudgetOutcome | undefined;
}

export function diffText(report: DiffReport, top: number): string {
  const lines = [sideLine("base:", report.base), sideLine("new: ", report.new), ""];
  // Text shows what changed; --json lists every function.
  const changed = report.diff.functions.filter((change) => change.deltaBytes !== 0);
  const unchanged = report.diff.functions.length - changed.length;
  const shown = changed.slice(0, top);
  if (shown.length === 0) {
    lines.push(`no Starlark function's bytes changed (${unchanged} function${unchanged === 1 ? "" : "s"} hold the same in both)`);
  } else {
    lines.push(`${"change".padStart(11)}  ${"base".padStart(10)}  ${"new".padStart(10)}  function`);
    for (const change of shown) {
      lines.push(`${changeColumns(change)}  ${functionName(change, undefined)}, ${growthText(change)}`);
      for (const part of change.breakdown) if (part.deltaBytes !== 0) lines.push(`${changeColumns(part)}      ${partName(part)}`);
    }
    const rest = changed.length - shown.length;
    const more = rest > 0 ? [`${rest} more changed less (--top ${changed.length} shows them)`] : [];
    const same = unchanged > 0 ? [`${unchanged} unchanged`] : [];
    if (more.length + same.length > 0) lines.push(`… functions: ${[...more, ...same].join("; ")}`);
  }
  if (report.gate !== undefined) lines.push("", ...gateLines(report.gate));
  if (report.budget !== undefined) lines.push("", ...budgetLines(report.budget));
  return `${lines.join("\n")}\n`;
}

/** One file with --budget (and no second file to compare). */
export function budgetText(side: DigestSide, budget: BudgetOutcome): string {
  return `${[sideLine("digest:", side), "", ...budgetLines(budget)].join("\n")}\n`;
}

export function diffJson(report: DiffReport, top: number | undefined): string {
  const json = {
    base: sideJson(report.base),
    new: sideJson(report.new),
    functions: report.diff.functions.slice(0, top).map(functionJson),
    ...(report.gate === undefined ? {} : { failOver: gateJson(report.gate) }),
    ...(report.budget === undefined ? {} : { budget: budgetJson(report.budget) }),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function budgetJson(budget: BudgetOutcome): unknown {
  return { file: budget.path, lines: budget.check.lines.map(budgetLineJson), over: budget.check.over.map(budgetLineJson) };
}

export function budgetOnlyJson(side: DigestSide, budget: BudgetOutcome): string {
  return `${JSON.stringify({ digest: sideJson(side), budget: budgetJson(budget) }, null, 2)}\n`;
}

function sideLine(label: string, side: DigestSide): string {
  const { totals } = side;
  const source = side.source === undefined ? "" : ` (dump ${side.source})`;
  return `${label} ${side.path}${source}: reachable ${formatSize(totals.reachableBytes)}, Starlark functions hold ${formatSize(totals.starlarkBytes)} (${totals.functions} function${totals.functions === 1 ? "" : "s"})`;
}

function changeColumns(change: { readonly baseBytes: number; readonly newBytes: number; readonly deltaBytes: number }): string {
  return `${signedSize(change.deltaBytes).padStart(11)}  ${formatSize(change.baseBytes).padStart(10)}  ${formatSize(change.newBytes).padStart(10)}`;
}

function signedSize(bytes: number): string {
  if (bytes === 0) return "0 B";
  return `${bytes > 0 ? "+" : "-"}${formatSize(Math.abs(bytes))}`;
}

function growthText(change: FunctionChange): string {
  if (change.baseBytes === 0) return "new";
  if (change.newBytes === 0) return "gone";
  const percent = (change.deltaBytes / change.baseBytes) * 100;
  return `${percent > 0 ? "+" : ""}${percent.toFixed(1)}%`;
}

function partName(part: BreakdownChange): string {
  switch (part.kind) {
    case "provider":
      return `${part.provider} (provider)`;
    case "locals":
      return "local variables of its calls in flight";
    case "actions":
      return "actions";
    case "analysis":
      return "other analysis data of its targets";
    case "shared":
      return "objects its holders share";
  }
}

function gateLines(outcome: GateOutcome): string[] {
  const { gate, trips } = outcome;
  const what = gate.kind === "percent" ? `by more than ${gate.text} of its BASE bytes (and at least ${formatSize(NOISE_FLOOR_BYTES)})` : `by more than ${formatSize(gate.bytes)}`;
  if (trips.length === 0) return [`fail-over ${gate.text}: no function grew ${what}`];
  return [
    `FAIL fail-over ${gate.text}: ${trips.length} function${trips.length === 1 ? "" : "s"} grew ${what}:`,
    ...trips.map((trip) => `  ${functionName(trip.change, undefined)}: ${signedSize(trip.change.deltaBytes)} (${growthText(trip.change)}), ${formatSize(trip.change.baseBytes)} → ${formatSize(trip.change.newBytes)}`),
  ];
}

function budgetLines(outcome: BudgetOutcome): string[] {
  const { check } = outcome;
  const head =
    check.over.length === 0
      ? `budget ${outcome.path}: every limit holds`
      : `FAIL budget ${outcome.path}: ${check.over.length} limit${check.over.length === 1 ? "" : "s"} exceeded:`;
  const over = new Set(check.over);
  return [
    head,
    ...check.over.map((line) => `  over    ${budgetSubject(line)}: ${formatSize(line.bytes)}, budget ${line.max} (${signedSize(line.bytes - line.maxBytes)})`),
    ...check.lines
      .filter((line) => !over.has(line))
      .map((line) => `  within  ${budgetSubject(line)}: ${formatSize(line.bytes)}, budget ${line.max}${line.matched ? "" : " (nothing in the dump matches this entry: is the name right?)"}`),
  ];
}

function budgetSubject(line: BudgetLine): string {
  switch (line.kind) {
    case "heap":
      return "the reachable heap";
    case "function":
      return functionName({ function: line.function!, file: line.file }, undefined);
    case "provider":
      return `provider ${line.provider!}`;
  }
}

function sideJson(side: DigestSide): unknown {
  return { file: side.path, source: side.source ?? null, ...side.totals };
}

function functionJson(change: FunctionChange): unknown {
  return {
    function: change.function,
    file: change.file ?? null,
    baseBytes: change.baseBytes,
    newBytes: change.newBytes,
    deltaBytes: change.deltaBytes,
    breakdown: change.breakdown,
  };
}

function gateJson(outcome: GateOutcome): unknown {
  const { gate } = outcome;
  return {
    gate: gate.text,
    ...(gate.kind === "percent" ? { percent: gate.percent, noiseFloorBytes: NOISE_FLOOR_BYTES } : { bytes: gate.bytes }),
    over: outcome.trips.map((trip) => ({
      function: trip.change.function,
      file: trip.change.file ?? null,
      deltaBytes: trip.change.deltaBytes,
      // JSON has no Infinity: a function new in NEW grew without bound.
      growth: Number.isFinite(trip.growth) ? trip.growth : null,
    })),
  };
}

function budgetLineJson(line: BudgetLine): unknown {
  return { ...line, overBytes: Math.max(0, line.bytes - line.maxBytes) };
}
