// Wording of `snapshot`: the heap a build leaves in a live Bazel server (core/heap/snapshot-document.ts), its
// progress lines, its refusals and the command's help.
import { formatDuration } from "../core/duration.js";
import type { BazelVersion } from "../core/run/bazel-flags.js";
import { heapAgreement, type SnapshotDocument } from "../core/heap/snapshot-document.js";
import type { BuildMode } from "../core/vocabulary.js";
import { formatSize, holderLines } from "./heap.js";
import { SWEEP_OPTION_HELP } from "./sweep.js";
import { groupDigits } from "../core/counts.js";

export const SNAPSHOT_SUMMARY = "Build once, cold, and digest the heap the build leaves in the live Bazel server.";

export const SNAPSHOT_DESCRIPTION =
  "Build a workspace once, cold, in a Bazel server of its own; then ask Bazel for its heap after a full garbage " +
  "collection and take a heap dump of the live server (reachable objects only), and say in Starlark terms who holds " +
  "that heap. The snapshot file compares with another (diff), checks against a budget, and turns into a pprof profile.";

export const SNAPSHOT_HELP_FOOTER = `
The build runs in an output base of the snapshot's own (a temporary folder, deleted at the end), so it is cold
and leaves the user's server alone; by default it stops after analysis (--mode nobuild), where the Starlark
memory is spent. Right after it the snapshot asks Bazel for used-heap-size-after-gc and takes a heap dump of the
live server through the JVM's attach protocol (no JDK needed), digests it as heap does, deletes it (unless
--keep-heap-dumps) and shuts the server down.

The snapshot file is heap --json's ({ schema, dumps: [digest] }) plus a "snapshot" object: the Bazel version,
workspace, targets, mode, flags, the git commit (and whether the checkout had changes), Bazel's
used-heap-size-after-gc and when it was taken. Its .bzl files are named relative to the workspace (external
repositories as external/<repo>/...), so snapshots of two checkouts in two folders compare with diff.

Examples:
  This repository's reproduction (--config=eat //...):
    bazel run //analysis:snapshot
  Another workspace, before and after a change, then the comparison:
    bazel run //analysis:snapshot -- --workspace ~/src/app --targets //server/... --out before.json
    bazel run //analysis:snapshot -- --workspace ~/src/app --targets //server/... --out after.json
    bazel run //analysis:diff -- before.json after.json --fail-over 10%
  A budget, checked at once:
    bazel run //analysis:snapshot -- --budget heap-budget.json
  A CI gate comparing a change with main: tools/scripts/heap-gate.sh --help

Exit codes: 0 snapshot written (and every budget held), 1 the build failed (its console is kept beside the
snapshot file) or a budget is exceeded, 2 usage error or bad input, 3 internal error.`;

export const SNAPSHOT_OPTION_HELP = {
  workspace: SWEEP_OPTION_HELP.workspace,
  targets: SWEEP_OPTION_HELP.targets,
  bazel: SWEEP_OPTION_HELP.bazel,
  mode: SWEEP_OPTION_HELP.mode,
  config: SWEEP_OPTION_HELP.config,
  buildFlag: SWEEP_OPTION_HELP.buildFlag,
  startupFlag: SWEEP_OPTION_HELP.startupFlag,
  out: "the snapshot file (default: <workspace>/measurements/snapshot-<time>-<commit>.json)",
  keepHeapDumps: "keep the heap dump beside the snapshot file (<out>.hprof; as large as the heap)",
  budget: "check the snapshot against the heap budget in FILE (JSON, as diff --budget takes it); exit 1 when it is exceeded",
  json: "print the snapshot file's JSON instead of text",
} as const;

export function versionLine(bazel: string, version: BazelVersion): string {
  const how = version.source === "--version" ? "bazel --version" : version.source === "package" ? "its package, confirmed by a flag probe" : "a flag probe";
  return `snapshot: ${bazel} is Bazel ${version.label} (from ${how})\n`;
}

export function buildingLine(targets: readonly string[], mode: BuildMode, outputBase: string): string {
  return `snapshot: building ${targets.join(" ")} cold (${mode}) in the output base ${outputBase}\n`;
}

export function dumpingLine(pid: number, bytes: number): string {
  return `snapshot: took a live heap dump of the server (pid ${pid}, ${formatSize(bytes)}); digesting it\n`;
}

export function commandLineRefused(bazelError: string | null): string {
  return `Bazel refused the build's command line: ${bazelError ?? "(it said nothing)"}; fix the --build-flag, --config, --startup-flag or --targets`;
}

/** One line: the build failed, why (Bazel's first error), and where its console is kept. */
export function buildFailed(exitCode: number | null, signal: string | null, bazelError: string | null, consoleFile: string): string {
  const how = exitCode === null ? `ended by ${signal ?? "a signal"}` : `failed (exit ${exitCode}${exitCode === 33 ? ": out of memory" : ""})`;
  return `snapshot: the build ${how}${bazelError === null ? "" : `: ${bazelError}`}; no snapshot written; its console is in ${consoleFile}\n`;
}

export function oomHang(consoleFile: string): string {
  return `snapshot: the server ran out of memory and hung, so it was stopped; no snapshot written; its console is in ${consoleFile}\n`;
}

export const INTERRUPTED_LINE = "snapshot: interrupted; no snapshot written\n";

export function serverGone(outputBase: string): string {
  return `snapshot: the Bazel server of ${outputBase} was gone right after the build (killed from outside?); no snapshot written; run it again`;
}

export function infoFailed(exitCode: number | null, output: string): string {
  const last = output.trim().split("\n").filter((line) => line.trim() !== "").pop() ?? "no output";
  return `snapshot: bazel info used-heap-size-after-gc gave no figure (exit ${exitCode}: ${last}); the snapshot records none\n`;
}

export function snapshotWritten(path: string): string {
  return `wrote the snapshot to ${path}\n`;
}

export function dumpKept(path: string): string {
  return `kept the heap dump at ${path}\n`;
}

/** The snapshot as text: what was built, the heap by Bazel's figure and by the dump's, and who holds it. */
export function snapshotText(document: SnapshotDocument, top: number): string {
  const { snapshot } = document;
  const digest = document.dumps[0]!;
  const flags = [...snapshot.configs.map((config) => `--config=${config}`), ...snapshot.buildFlags];
  const commit = snapshot.commit === null ? "not in a git checkout" : `commit ${snapshot.commit.sha.slice(0, 12)}${snapshot.commit.dirty ? " with uncommitted changes" : ""}`;
  const lines = [
    `snapshot of ${snapshot.targets.join(" ")}${flags.length === 0 ? "" : ` ${flags.join(" ")}`} (${snapshot.mode}) in ${snapshot.workspace}, ${commit}, Bazel ${snapshot.bazel.version}`,
    `  cold build ${formatDuration(snapshot.buildSeconds)}; live heap dump ${formatSize(snapshot.heapDump.fileBytes)}: ${groupDigits(digest.dump.reachableObjects)} objects, reachable ${formatSize(digest.dump.reachableBytes)}`,
  ];
  const figure = snapshot.usedHeapSizeAfterGc;
  if (figure !== null) {
    const agreement = heapAgreement(digest.dump.reachableBytes, figure);
    lines.push(
      `  Bazel's used-heap-size-after-gc: ${figure.printed} (${formatSize(figure.bytes)}); the dump's reachable heap is ${(agreement.share * 100).toFixed(1)}% of it ` +
        `(${formatSize(Math.abs(agreement.shortfallBytes))} ${agreement.shortfallBytes >= 0 ? "less" : "more"})`,
    );
  }
  lines.push("", ...holderLines(digest, undefined, top));
  return `${lines.join("\n")}\n`;
}
