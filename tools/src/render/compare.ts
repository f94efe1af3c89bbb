// Wording of `compare`: its help, the side-by-side table and its errors.
import type { Cell, Comparison, Row, RowKind, Section } from "../core/cquery/compare.js";
import { styleFor } from "./style.js";

export const COMPARE_DESCRIPTION =
  "Show side by side which providers, output groups and files two targets return, marking what only one has.";

export const COMPARE_ARGUMENTS = {
  left: "the first target, e.g. //cpu:lock_1",
  right: "the second target, e.g. //memory/aspect_results:lock_1",
} as const;

export const COMPARE_OPTIONS = {
  bazel: "the Bazel to run: a command on PATH or a path",
  workspace: "the top folder of the Bazel workspace the labels are in (default: the one you are in)",
  config: "pass --config=<name> to cquery; repeat for several",
} as const;

export const COMPARE_HELP_FOOTER = `
Examples:
  What the eat aspect adds to a lock (the aspect's result is a target of its own):
    bazel run //analysis:compare -- //cpu:lock_1 //memory/aspect_results:lock_1
  Two locks, with Bazel 7 through this repository's wrapper:
    bazel run //analysis:compare -- //cpu:lock_1 //cpu:lock_2 --bazel tools/bazel7/bazel
  The same without bazel run (needs only Node.js 18 or newer):
    node tools/dist/memory-adventure.mjs compare //cpu:lock_1 //cpu:lock_2

Runs bazel cquery with analysis/output_groups.cquery (see that file to print one target)
for each label, in a Bazel server of its own: its output base is under
\${XDG_CACHE_HOME:-~/.cache}/memory-adventure/compare/ and it is shut down at the end.
In the table, < marks what only the first target has, > what only the second has,
and | what both have under the same name but with different contents.
Exit codes: 0 no differences, 1 the targets differ, 2 usage error or a target that Bazel
cannot analyse, 3 internal error.`;

const MARKERS: Record<RowKind, string> = { same: " ", left: "<", right: ">", changed: "|" };

export interface ComparisonRenderOptions {
  readonly color: boolean;
}

/** The side-by-side table, the legend and the count of differences. */
export function renderComparison(comparison: Comparison, options: ComparisonRenderOptions): string {
  const style = styleFor(options.color);
  const blocks = comparison.sections.map((section) => ({ heading: sectionHeading(section), lines: sectionCells(section) }));
  const leftWidth = Math.max(comparison.left.length, ...blocks.flatMap((block) => block.lines.map(([left]) => left.length)));
  const row = (left: string, marker: string, right: string) => `  ${left.padEnd(leftWidth)}  ${marker}  ${right}`.trimEnd();
  const out = [style.bold(row(comparison.left, " ", comparison.right))];
  for (const block of blocks) {
    out.push("", style.bold(block.heading));
    for (const [left, marker, right] of block.lines) out.push(row(left, marker === " " ? " " : style.bold(marker), right));
  }
  out.push("", summary(comparison));
  return `${out.join("\n")}\n`;
}

function sectionHeading(section: Section): string {
  switch (section.kind) {
    case "providers":
      return "providers";
    case "outputGroups":
      return "output groups";
    case "outputGroupFiles":
      return `files in output group ${section.outputGroup}`;
    case "filesToBuild":
      return "files to build (DefaultInfo.files)";
    case "executable":
      return "executable";
    case "runfilesManifest":
      return "runfiles manifest";
  }
}

/** [left text, marker, right text] for each row; names are padded so that details line up. */
function sectionCells(section: Section): [string, string, string][] {
  const single = section.kind === "executable" || section.kind === "runfilesManifest";
  if (section.rows.length === 0) return [["(none)", " ", "(none)"]];
  const cells = section.rows.flatMap((row: Row) => [row.left, row.right]).filter((cell): cell is Cell => cell !== null);
  const keyWidth = Math.max(...cells.map((cell) => cell.key.length));
  const text = (cell: Cell | null): string => {
    if (cell === null) return single ? "(none)" : "";
    if (cell.origin) return `${cell.key.padEnd(keyWidth)}  ${cell.origin}`;
    if (cell.fileCount !== undefined) return `${cell.key.padEnd(keyWidth)}  ${fileCount(cell.fileCount)}`;
    return cell.key;
  };
  return section.rows.map((row) => [text(row.left), MARKERS[row.kind], text(row.right)]);
}

function summary(comparison: Comparison): string {
  if (comparison.differences === 0) {
    return "No differences: both return the same providers, output groups and files.";
  }
  const counts = { left: 0, right: 0, changed: 0 };
  for (const section of comparison.sections) {
    for (const row of section.rows) if (row.kind !== "same") counts[row.kind] += 1;
  }
  const parts = [
    counts.left > 0 ? `${counts.left} only in ${comparison.left} (<)` : "",
    counts.right > 0 ? `${counts.right} only in ${comparison.right} (>)` : "",
    counts.changed > 0 ? `${counts.changed} in both but different (|)` : "",
  ].filter((part) => part !== "");
  return `${comparison.differences} ${comparison.differences === 1 ? "difference" : "differences"}: ${parts.join(", ")}.`;
}

function fileCount(count: number): string {
  return count === 1 ? "1 file" : `${count} files`;
}

// ---- errors (one line each) ----------------------------------------------------------------------------

export function cqueryFailed(label: string, exitCode: number, bazelError: string | null): string {
  const why = bazelError ?? "Bazel printed no ERROR line; run the cquery yourself to see its output";
  return `bazel cquery ${label} failed (exit ${exitCode}): ${why}`;
}

export function cannotRunBazel(bazel: string, code: string): string {
  const reason = code === "EACCES" ? "it is not executable" : "there is no such file or command";
  return `cannot run Bazel as '${bazel}': ${reason}; install Bazel or point --bazel at it`;
}

export function noConfiguredTarget(label: string, bazelError: string | null): string {
  if (bazelError !== null) return `bazel cquery ${label} printed no target: ${bazelError}`;
  return `bazel cquery ${label} printed no target; name one target (a label), not a pattern that matches nothing`;
}

export function severalConfiguredTargets(label: string, count: number): string {
  return (
    `bazel cquery ${label} printed ${count} configured targets (also in a fresh Bazel server); ` +
    `compare needs exactly one: name a single target, not a pattern`
  );
}

export function notBazel(bazel: string, cqueryOutput: string): string {
  const printed = cqueryOutput.trim().split("\n")[0]?.trim() ?? "";
  return (
    `--bazel: ${bazel} does not answer like Bazel (its cquery printed ${JSON.stringify(printed.slice(0, 80))}, and \`--version\` no Bazel version); ` +
    `give the path of a Bazel binary`
  );
}

export function unreadableCqueryOutput(label: string, problem: string): string {
  return `cannot read what analysis/output_groups.cquery printed for ${label}: ${problem}`;
}

export function outputGroupsCqueryFailed(label: string, bazelError: string): string {
  return `analysis/output_groups.cquery failed on ${label}: ${bazelError}`;
}

export function outputGroupsCqueryMissing(searched: readonly string[]): string {
  return `analysis/output_groups.cquery is not next to this memory-adventure; looked at ${searched.join(", ")}`;
}

export function bazelEndedBySignal(bazel: string, signal: string): string {
  return `${bazel} was ended by signal ${signal}`;
}

export function notAWorkspace(directory: string, markers: readonly string[]): string {
  return `--workspace ${directory} is not the top folder of a Bazel workspace (none of ${markers.join(", ")} in it); name that folder`;
}
