// Wording of `sweep`: help, errors, progress, and the closing summary.
import { formatDuration } from "../core/duration.js";
import { MAX_LIMIT_COUNT, type LimitProblem } from "../core/sweep/heap-limit.js";
import type { BazelVersion } from "../core/run/bazel-flags.js";
import type { RunRecord } from "../core/run/run-record.js";
import type { ShardProblem, PlannedRun } from "../core/sweep/sweep-plan.js";
import { MAX_LEFT_OUT_PER_LIMIT, type SearchStep } from "../core/sweep/threshold-search.js";
import { thresholdRole, type LeftOutReason, type Threshold } from "../core/sweep/threshold.js";
import { formatBytes } from "../core/sweep/heap-limit.js";
import type { BlameResult } from "../core/blame/blame.js";
import { evidenceWords, verdictLine } from "./blame.js";
import { BUILD_MODES, type BuildMode } from "../core/vocabulary.js";
import { digestProgressText, type DigestProgressState } from "./digest-progress.js";

export const SWEEP_DESCRIPTION =
  "Build a workspace again and again with different heap limits (-Xmx of the Bazel server), every build cold, " +
  "and keep each build's profiles, GC log and console; or search for the lowest heap at which the build succeeds.";

/** The one line in the root command's list. */
export const SWEEP_SUMMARY = "Build at several heap limits, each build cold, keeping profiles; or find the lowest heap that succeeds.";

/** What each build mode does, for --mode's help (every mode of core/vocabulary.ts, in its order). */
const MODE_HELP: Readonly<Record<BuildMode, string>> = {
  regular: "build",
  nobuild: "analysis only (--nobuild)",
  skymeld: "merged analysis and execution (Bazel 6+)",
};

export const SWEEP_OPTION_HELP = {
  workspace: "the Bazel workspace to build (default: the one you run this in)",
  targets: "target pattern to build; repeat for more (default: //...)",
  limits: "heap limits: sizes (256m, 1g), ranges START..END:STEP, comma-separated",
  runs: "measured runs per limit (with --search: successes the threshold needs, default 3)",
  warmup: "warm-up runs per limit, recorded but marked as warm-ups",
  mode: BUILD_MODES.map((mode) => `${mode}: ${MODE_HELP[mode]}`).join("; "),
  config: "--config for every build; repeat for more (default: eat, this repository's memory hog; none with --workspace)",
  buildFlag: "extra build flag, e.g. --build-flag=--jobs=2; repeat for more",
  startupFlag: "extra Bazel startup flag, e.g. --startup-flag=--host_jvm_args=-XX:+UseParallelGC; repeat for more",
  bazel: "the Bazel binary (a name on PATH or a path)",
  out: "output folder (default: <workspace>/measurements/sweep-<plan fingerprint>)",
  timeout: "stop a build after this long (90s, 10m, 1h) and record it as timeout",
  search: "find the lowest heap that succeeds (bracket, then bisect) instead of a grid; --limits gives the first bracket",
  resolution: "with --search: stop when the bracket is this narrow",
  shard: "run only the i-th of n deterministic slices of the plan (for CI matrices); copy the folders together after",
  force: "redo every run, replacing earlier results in --out",
  profile: "how much each build records: none, light (the trace profile a bare build writes anyway, and the Starlark CPU profile; the default) or full (every Starlark call, BEP: needs about twice the heap)",
  evidenceRuns: "once a build ran out of memory and the threshold is found, add N full-profile runs just below and at it, for blame's evidence (kept out of the threshold)",
  noHeapDumps: "do not capture the JVM's heap dump when a build runs out of memory (by default it is digested to heap-digest.json, then deleted)",
  keepHeapDumps: "keep each heap dump next to its digest (hundreds of MB each)",
  showConsole: "show each build's console live (it is always saved to console.log)",
} as const;

export const SWEEP_HELP_FOOTER = `
Examples:
  Sweep this repository's reproduction with the default plan (a few minutes):
    bazel run //analysis:sweep
  A dense grid, five runs and one warm-up per limit:
    bazel run //analysis:sweep -- --limits 155m..180m:1m,190m..250m:5m,300m,1g --runs 5 --warmup 1
  Find the threshold of another workspace's build to within 5m:
    bazel run //analysis:sweep -- --workspace ~/src/app --targets //server/... --search --resolution 5m

Heap limits are read like -Xmx: k, m, g, t are KiB, MiB, GiB, TiB (either case); no unit means bytes.
A range's step must reach its end exactly. The JVM rounds the heap up to 2 MiB (G1), so 155m runs like 156m.
Every build runs in the sweep's own output base (<out>/output_base) after a bazel clean, in a fresh server.
Each run's folder <out>/runs/<id>/ holds run.json, console.log, gc.log, profile.json.gz, starlark-cpu.pprof and
jvm.out (and at --profile full, as in evidence runs, bep.json and memory-profile.txt). Run the same command again
to finish an interrupted sweep.
Only memory outcomes count towards the threshold: out of memory (also a server that hung, or spiralled in GC,
every collection for a minute leaving 90% of its heap in use, until the sweep took its heap dump and stopped
it), an action the kernel killed, and a timeout whose GC log shows memory pressure.
A build that failed otherwise, a timeout without GC pressure, a server killed from outside and an
interrupted run measured nothing about the heap: the table says which runs were left out and why.
One sweep at a time writes into a folder (<out>/sweep.lock names it); a lock whose sweep is gone is taken over.
Exit codes: 0 every planned run measured (out of memory is a measurement), 1 a run was left out of the
threshold or the search could not finish; 2 usage error, or the disk of --out is full; 3 internal error.`;

export function limitProblemMessage(problem: LimitProblem): string {
  const prefix = "--limits";
  switch (problem.kind) {
    case "empty-list":
      return `${prefix} is empty; give heap limits such as 256m,512m,1g`;
    case "empty-token":
      return `${prefix}: item ${problem.position} is empty; remove the extra comma`;
    case "negative":
      return `${prefix}: "${problem.token}" is negative; heap sizes and steps are positive, e.g. 256m or 5m`;
    case "fraction":
      return `${prefix}: "${problem.token}" has a fraction, which -Xmx does not take; ${problem.suggestion === undefined ? "use a smaller unit" : `write ${problem.suggestion}`}`;
    case "unknown-unit":
      return `${prefix}: "${problem.token}" has the unit "${problem.unit}"; use k, m, g or t (KiB, MiB, GiB, TiB)${problem.suggestion === undefined ? "" : `, e.g. ${problem.suggestion}`}`;
    case "not-a-size":
      return `${prefix}: "${problem.token}" is not a heap size; write whole numbers with k, m, g or t, e.g. 256m`;
    case "zero":
      return `${prefix}: "${problem.token}" is zero; a heap limit must be at least 16m`;
    case "too-small":
      return `${prefix}: "${problem.token}" is below ${problem.min}, where the Bazel server cannot even start; use ${problem.min} or more`;
    case "too-large":
      return `${prefix}: "${problem.token}" is above ${problem.max}; use a smaller heap limit`;
    case "range-without-step":
      return `${prefix}: the range "${problem.token}" has no step; add one, e.g. ${problem.token}:5m`;
    case "malformed-range":
      return `${prefix}: "${problem.token}" is not a range; write START..END:STEP, e.g. 155m..180m:5m`;
    case "zero-step":
      return `${prefix}: the range "${problem.token}" has a zero step; use a positive step, e.g. 5m`;
    case "reversed-range":
      return `${prefix}: the range "${problem.token}" goes down; write it upwards: ${problem.swapped}`;
    case "empty-range":
      return `${prefix}: the range "${problem.token}" starts where it ends; write just ${problem.single}`;
    case "uneven-step":
      return `${prefix}: the step of "${problem.token}" does not land on its end; end at ${problem.below} or ${problem.above}, or choose a step that divides the range`;
    case "too-many":
      return `${prefix}: "${problem.token}" makes ${problem.count} limits, more than ${MAX_LIMIT_COUNT}; use a bigger step, or --search`;
  }
}

export function resolutionProblemMessage(text: string): string {
  return `--resolution: "${text}" is not a heap size step; write a whole number with k, m or g, e.g. 5m`;
}

export function shardProblemMessage(problem: ShardProblem): string {
  return problem.kind === "shard-syntax"
    ? `--shard: "${problem.text}" is not i/n; write e.g. --shard 2/3 for the second of three shards`
    : `--shard: "${problem.text}" is out of range; i goes from 1 to n, e.g. 1/3, 2/3, 3/3`;
}

export function durationProblemMessage(text: string): string {
  return `--timeout: "${text}" is not a duration; write e.g. 90s, 10m or 1h`;
}

export function countProblemMessage(option: string, text: string, min: number): string {
  return `${option}: "${text}" is not a whole number of at least ${min}`;
}

export function targetProblemMessage(target: string): string {
  return target.trim() === ""
    ? `--targets: an empty pattern; give a target pattern such as //... or //pkg:target`
    : `--targets: ${JSON.stringify(target)} holds whitespace, which no Bazel target pattern has; give each pattern its own --targets`;
}

export const SHARD_WITH_SEARCH = "--shard cannot be combined with --search: a search decides each build from the ones before it";
export const EVIDENCE_WITH_SHARD = "--evidence-runs cannot be combined with --shard: they go where the whole sweep's threshold is; add them to one sweep of the copied-together folder";
export const KEEP_WITHOUT_DUMPS = "--keep-heap-dumps keeps the heap dumps that --no-heap-dumps turns off; choose one";
export const RESOLUTION_WITHOUT_SEARCH = "--resolution only applies to --search; add --search, or leave --resolution out";
export const NOTHING_TO_RUN = "--runs 0 and --warmup 0 plan no builds; ask for at least one run";

export function modeUnsupported(mode: BuildMode, version: BazelVersion, bazel: string, since: number): string {
  return `--mode ${mode} needs Bazel ${since} or newer, but ${bazel} is Bazel ${version.label}; use --mode regular or --mode nobuild, or --bazel with a newer Bazel`;
}

export function bazelNotFound(bazel: string): string {
  return `cannot run Bazel "${bazel}" (not found or not executable); install Bazel or give its path with --bazel`;
}

export function bazelProbeFailed(bazel: string, exitCode: number | null, output: string): string {
  const lastLine = output.trim().split("\n").filter((line) => line.trim() !== "").pop() ?? "no output";
  return `${bazel} failed (exit ${exitCode}) while the sweep probed its version: ${lastLine}; check that it runs, or give another Bazel with --bazel`;
}

export function notBazel(bazel: string, versionOutput: string): string {
  const printed = versionOutput.trim().split("\n")[0]?.trim() ?? "";
  const said = printed === "" ? "printed nothing" : `printed ${JSON.stringify(printed.slice(0, 80))}`;
  return `--bazel: ${bazel} does not answer like Bazel (\`--version\` ${said}, and it takes build flags no Bazel has or refuses ones every Bazel has); give the path of a Bazel binary`;
}

export function sweepMismatch(out: string, differences: readonly string[]): string {
  return (
    `${out} already holds a sweep with other settings (${differences.join(", ")} differ); ` +
    `use another --out, repeat the earlier command to resume it, or delete the folder to start over`
  );
}

export function commandLineRefused(bazelError: string | null, consoleFile: string): string {
  return `Bazel refused the build's command line: ${bazelError ?? `see ${consoleFile}`}; fix the --build-flag, --config or --targets`;
}

export function outputBaseNotIgnored(outputBase: string, workspace: string, relative: string): string {
  return (
    `the sweep's output base ${outputBase} is inside the workspace ${workspace} but not in its .bazelignore, ` +
    `so //... would find Bazel's own files there; add the line "${relative}" to .bazelignore, or choose an --out outside the workspace`
  );
}

export function notAWorkspace(path: string): string {
  return `--workspace: ${path} is not a Bazel workspace (no MODULE.bazel, WORKSPACE.bazel or WORKSPACE); give the workspace's root folder`;
}

// ---- progress ------------------------------------------------------------------------------------------

export interface ProgressState {
  readonly position: number;
  readonly total: number | undefined;
  readonly run: PlannedRun;
  readonly elapsedSeconds: number;
  /** Seconds left, estimated from the runs finished so far; undefined before the first one. */
  readonly etaSeconds: number | undefined;
  readonly lastStatus: string | undefined;
  /** A crash run's heap digest, while it runs (long enough to show). */
  readonly digest?: DigestProgressState | undefined;
}

function of(position: number, total: number | undefined): string {
  return total === undefined ? `run ${position}` : `run ${position} of ${total}`;
}

/** The one-line status shown (and redrawn) on a terminal. */
export function progressLine(state: ProgressState): string {
  const parts = [
    of(state.position, state.total),
    `${state.run.id} (limit ${state.run.limit.spelling}${state.run.warmup ? ", warm-up" : ""})`,
    // Before the times: it is what changes, and a narrow terminal cuts the line's end.
    state.digest === undefined ? "" : digestProgressText(state.digest),
    `elapsed ${formatDuration(state.elapsedSeconds)}`,
    state.etaSeconds === undefined ? "" : `ETA ${formatDuration(state.etaSeconds)}`,
    state.lastStatus === undefined ? "" : `last: ${state.lastStatus}`,
  ];
  return parts.filter((part) => part !== "").join("  ");
}

/** Plain lines, when stderr is not a terminal. */
export function runStartedLine(position: number, total: number | undefined, run: PlannedRun): string {
  return `sweep: ${of(position, total)}: ${run.id}, limit ${run.limit.spelling}${run.warmup ? " (warm-up)" : ""}\n`;
}

export function runFinishedLine(record: RunRecord): string {
  const stopped = record.stoppedBy === undefined ? "" : `, stopped by the sweep (${record.stoppedBy}${spiralDumpWords(record)})`;
  return `sweep: ${record.id}: ${record.status} (exit ${record.exitCode ?? record.signal ?? "?"}${stopped}) in ${record.wallSeconds.toFixed(1)} s\n`;
}

/** For a run stopped in a spiral: whether the heap dump the sweep asked for came. */
function spiralDumpWords(record: RunRecord): string {
  const dump = record.spiralHeapDump;
  if (dump === undefined) return "";
  return dump.taken ? `, heap dump taken in ${dump.seconds.toFixed(1)} s` : `, no heap dump: ${dump.problem ?? "?"}`;
}

/** Why the heap dump the sweep asked a spiralling server for did not come (run.json's spiralHeapDump.problem). */
export const spiralDumpProblems = {
  serverGone: "the server was gone before its heap dump was written",
  interrupted: "interrupted (Ctrl-C) while the heap dump was written",
  notStarted: (ms: number): string => `the server had not begun writing its heap dump ${formatDuration(ms / 1000)} after it was asked`,
  stalled: (bytes: number, ms: number): string => `the heap dump stopped growing at ${(bytes / 2 ** 20).toFixed(1)} MiB for ${formatDuration(ms / 1000)}`,
  deadline: (ms: number): string => `the heap dump was not done after ${formatDuration(ms / 1000)}`,
};

export function versionLine(bazel: string, version: BazelVersion): string {
  const how = version.source === "--version" ? "bazel --version" : version.source === "package" ? "its package, confirmed by a flag probe" : "a flag probe";
  return `sweep: ${bazel} is Bazel ${version.label} (from ${how})\n`;
}

export function resumeLine(out: string): string {
  return `sweep: resuming the sweep in ${out}: finished runs are kept, unfinished and interrupted ones redone\n`;
}

export function outNotAFolder(out: string, throughFile: boolean): string {
  return throughFile
    ? `--out: part of ${out} is a file, not a folder; choose a new or empty folder`
    : `--out: ${out} exists and is not a folder; choose a new or empty folder`;
}

/** Who holds a sweep folder's lock, as the lock file says. */
export interface LockHolderView {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly argv: readonly string[];
}

/** The holder's command line, short: the script's file name instead of node and its path. */
function commandOf(holder: LockHolderView): string {
  const [, script, ...rest] = holder.argv;
  const words = [script === undefined ? "?" : (script.split("/").pop() ?? script), ...rest];
  const text = words.join(" ");
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

export function sweepLocked(out: string, lockFile: string, holder: LockHolderView, elsewhere: boolean): string {
  const who = `pid ${holder.pid}${elsewhere ? ` on host ${holder.host}` : ""}, started ${holder.startedAt}: ${commandOf(holder)}`;
  return elsewhere
    ? `--out: ${out} is in use by a sweep on another host (${who}); wait for it to finish, or if it is gone, delete ${lockFile}`
    : `--out: ${out} is in use by another sweep (${who}); wait for it to finish, or choose another --out`;
}

export function lockUnreadable(out: string, lockFile: string): string {
  return `--out: ${lockFile} is not a lock this tool wrote; if no sweep writes into ${out}, delete it and try again`;
}

export function lockTakenOverLine(out: string, holder: LockHolderView): string {
  return `sweep: the sweep that locked ${out} is gone (pid ${holder.pid}, started ${holder.startedAt}); taking its lock over\n`;
}

/** `started`: runs had begun (sweep.json written); otherwise the sweep left nothing behind. */
export function diskFull(out: string, started: boolean): string {
  return started
    ? `the disk of ${out} is full; finished runs are kept and the unfinished one was deleted: free some space, then run the same command again to go on`
    : `the disk of ${out} is full; free some space, or choose an --out on another disk`;
}

export function notASweepFolder(out: string): string {
  return `--out: ${out} already holds other files and no sweep.json; choose a new or empty folder`;
}

export const INTERRUPTED_LINE = "sweep: interrupted; finished runs are kept, run the same command again to go on\n";

// ---- summary ---------------------------------------------------------------------------------------------

/** Why a run was left out of the threshold, in a few words (the table's last column, the report's). */
export function leftOutReasonText(reason: LeftOutReason): string {
  switch (reason) {
    case "failed":
      return "the build failed for another reason than memory";
    case "timeout-without-pressure":
      return "timed out without GC pressure: too slow, not short of heap";
    case "timeout-unknown-pressure":
      return "timed out, and no GC log tells whether memory was why";
    case "server-died":
      return "the Bazel server died without running out of memory (killed from outside?)";
    case "interrupted":
      return "interrupted";
  }
}

/** The table of runs, one line each; a run left out of the threshold says why in its last column. */
export function runsTable(records: readonly RunRecord[]): string {
  const header = ["run", "limit", "status", "exit", "wall s", "threshold"];
  const rows = records.map((record) => {
    const role = thresholdRole(record);
    return [
      record.id,
      record.limit,
      record.status + (record.warmup ? " (warm-up)" : ""),
      record.exitCode === null ? (record.signal ?? "-") : String(record.exitCode),
      record.wallSeconds.toFixed(1),
      role.kind === "left-out" ? `left out: ${leftOutReasonText(role.reason)}` : "",
    ];
  });
  const numeric = new Set([3, 4]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export function gridThresholdLine(threshold: Threshold): string {
  const { lowestOk, highestFailing, leftOut } = threshold;
  const ignored = leftOut.length === 0 ? "" : `; ${leftOut.length} run${leftOut.length === 1 ? "" : "s"} left out, see the table`;
  if (lowestOk === undefined && highestFailing === undefined) {
    return leftOut.length === 0 ? "threshold: no runs yet\n" : `threshold: unknown: no run measured the heap${ignored}\n`;
  }
  if (lowestOk === undefined) return `threshold: above ${highestFailing!.limit}: a build failed even at the highest limit; add a higher one to --limits${ignored}\n`;
  if (highestFailing === undefined) return `threshold: at most ${lowestOk.limit}: every build succeeded, even at the lowest limit${ignored}\n`;
  return `threshold: ${lowestOk.limit} (every build succeeded from ${lowestOk.limit} up; a build failed at ${highestFailing.limit})${ignored}\n`;
}

export function searchResultLines(step: SearchStep | undefined, resolution: number): string {
  if (step === undefined) return "threshold: the search was interrupted before it finished\n";
  switch (step.kind) {
    case "done":
      return step.below === undefined
        ? `threshold: at most ${formatBytes(step.threshold)} (it succeeded even at the lowest heap tried), ${step.builds} builds\n`
        : `threshold: ${formatBytes(step.threshold)}, bracket ${formatBytes(step.below)}..${formatBytes(step.threshold)} (resolution ${formatBytes(resolution)}), ${step.builds} builds\n`;
    case "stuck":
      return step.reason === "no-success"
        ? `threshold: not found: the build ran out of memory even at ${formatBytes(step.limitBytes)}, ${step.builds} builds\n`
        : `threshold: not found: at ${formatBytes(step.limitBytes)} the build ended "${step.status}" ${MAX_LEFT_OUT_PER_LIMIT} times in a row, which says nothing about the heap; see their console.log (${step.builds} builds)\n`;
    case "run":
      return "threshold: the search has not finished\n";
  }
}

export function outputsLines(out: string, indexFiles: readonly string[]): string {
  return `outputs: ${out}\n  runs:   ${out}/runs/<id>/ (run.json, console.log, profile.json.gz, ...)\n  tables: ${indexFiles.map((name) => `${out}/${name}`).join(", ")}\n`;
}

export function reportLine(path: string): string {
  return `report: ${path}\n`;
}

export function reportNotWritten(out: string, path: string, reason: string): string {
  return `sweep: the report ${path} was not written (${reason}); the runs are intact: try \`bazel run //analysis:report -- ${out}\`\n`;
}

export function digestFailedLine(runDir: string, reason: string): string {
  return `sweep: the heap dump in ${runDir} could not be digested (${reason}); it is kept there\n`;
}

/** After the runs table: blame's verdict and its top three suspects. */
export function sweepBlameLines(result: BlameResult): string {
  const lines = [verdictLine(result)];
  // Suspects with evidence against them only: a zero score is a name, not a finding.
  for (const suspect of result.suspects.filter((candidate) => candidate.score > 0).slice(0, 3)) {
    const words = evidenceWords(suspect);
    lines.push(`  ${suspect.score.toFixed(1).padStart(5)}  ${suspect.file === undefined ? suspect.function : `${suspect.function} (${suspect.file})`}${words === "" ? "" : `: ${words}`}`);
  }
  return `${lines.join("\n")}\n`;
}

export function blameNotDone(out: string, reason: string): string {
  return `sweep: blame could not be computed (${reason}); the runs are intact: try \`bazel run //analysis:blame -- ${out}\`\n`;
}
