// `diff`: two heap digests compared per Starlark function, growth gated by --fail-over, a budget checked, and
// NEW's heap written as a pprof profile; or, with one digest, its budget and profile.
import { ExitCode, InputError, UsageError } from "../core/exit-codes.js";
import { BudgetSyntaxError, checkBudget, parseBudget, type Budget } from "../core/heap/budget.js";
import { withRelativeFiles } from "../core/heap/digest-document.js";
import { diffDigests, digestTotals, overGate, type GrowthGate } from "../core/heap/digest-diff.js";
import type { HeapDigest } from "../core/heap/heap-digest.js";
import { readDigestDocument, readJsonFile } from "../io/heap-digest-file.js";
import { digestWorkspace } from "../io/digest-workspace.js";
import { checkOutputPath } from "../io/output-file.js";
import {
  budgetOnlyJson,
  budgetProblem,
  budgetText,
  diffJson,
  diffText,
  DEFAULT_DIFF_TOP,
  dumpChosen,
  failOverNeedsTwo,
  nothingToDo,
  unrelatedDigests,
  type BudgetOutcome,
  type DigestSide,
} from "../render/diff.js";
import { writeHeapProfile } from "./heap-profile.js";

export interface DiffRequest {
  readonly base: string;
  /** undefined: one file, for --budget and --pprof. */
  readonly next: string | undefined;
  readonly json: boolean;
  /** undefined: DEFAULT_DIFF_TOP in text, every function in JSON. */
  readonly top: number | undefined;
  readonly gate: GrowthGate | undefined;
  /** A budget file to check NEW (or the one file) against. */
  readonly budget: string | undefined;
  /** Where to write NEW's (or the one file's) pprof profile. */
  readonly pprof: string | undefined;
}

interface ReadDigest extends DigestSide {
  /** Files workspace-relative. */
  readonly digest: HeapDigest;
}

/** Prints the comparison (or the budget check); exit 1 when a function grew past the gate or a budget is exceeded. */
export async function diffHeapDigests(request: DiffRequest): Promise<ExitCode> {
  if (request.next === undefined && request.gate !== undefined) throw new UsageError(failOverNeedsTwo());
  if (request.next === undefined && request.budget === undefined && request.pprof === undefined) throw new UsageError(nothingToDo());
  if (request.pprof !== undefined) await checkOutputPath(request.pprof);
  const budget = request.budget === undefined ? undefined : await readBudget(request.budget);
  const base = await readDigest(request.next === undefined ? "FILE" : "BASE", request.base);
  const next = request.next === undefined ? undefined : await readDigest("NEW", request.next);
  const checked = next ?? base;
  const budgetOutcome: BudgetOutcome | undefined = budget === undefined ? undefined : { path: request.budget!, check: checkBudget(checked.digest, budget) };

  let text: string;
  let findings: boolean;
  if (next === undefined) {
    text = budgetOutcome === undefined ? "" : request.json ? budgetOnlyJson(base, budgetOutcome) : budgetText(base, budgetOutcome);
    findings = (budgetOutcome?.check.over.length ?? 0) > 0;
  } else {
    const diff = diffDigests(base.digest, next.digest);
    if (diff.commonFunctions === 0 && diff.base.functions > 0 && diff.new.functions > 0) {
      throw new InputError(unrelatedDigests(base.path, next.path, sameNamesInOtherFiles(base.digest, next.digest)));
    }
    const gate = request.gate === undefined ? undefined : { gate: request.gate, trips: overGate(diff, request.gate) };
    const report = { base, new: next, diff, gate, budget: budgetOutcome };
    text = request.json ? diffJson(report, request.top) : diffText(report, request.top ?? DEFAULT_DIFF_TOP);
    findings = (gate?.trips.length ?? 0) > 0 || (budgetOutcome?.check.over.length ?? 0) > 0;
  }
  // The profile first: if it cannot be written, nothing has been printed yet.
  if (request.pprof !== undefined) await writeHeapProfile(request.pprof, [{ source: checked.source, digest: checked.digest }], undefined);
  process.stdout.write(text);
  return findings ? ExitCode.findings : ExitCode.ok;
}

async function readDigest(role: string, path: string): Promise<ReadDigest> {
  const document = await readDigestDocument(path);
  const dump = document.dumps[0]!;
  if (document.dumps.length > 1) process.stderr.write(dumpChosen(role, path, document.dumps.length, dump.source));
  const digest = withRelativeFiles(dump.digest, await digestWorkspace(path, dump));
  return { path, source: dump.source, digest, totals: digestTotals(digest) };
}

/** A budget file, parsed; InputError naming the file and what is wrong (also `snapshot --budget`). */
export async function readBudget(path: string): Promise<Budget> {
  const value = await readJsonFile(path, "a heap budget (JSON)");
  try {
    return parseBudget(value);
  } catch (error) {
    if (error instanceof BudgetSyntaxError) throw new InputError(budgetProblem(path, error.problem, error.where));
    throw error;
  }
}

/** "name: file in BASE, file in NEW" for functions whose names match but files do not (the workspaces were not found). */
function sameNamesInOtherFiles(base: HeapDigest, next: HeapDigest): string[] {
  return base.suspects.flatMap((old) => {
    const other = next.suspects.find((suspect) => suspect.function === old.function);
    return other === undefined ? [] : [`${old.function}: ${old.file ?? "?"} in BASE, ${other.file ?? "?"} in NEW`];
  });
}
