// Wording of `heap`: a heap digest (core/heap/heap-digest.ts) as text, and the command's help.
import type { DigestThread, Evidence, FunctionRef, HeapDigest, HolderGroup, HeapVerdict, Suspect } from "../core/heap/heap-digest.js";
import { workspaceRelative } from "../core/blame/source-file.js";
import { workspaceRelativeText } from "../core/heap/digest-document.js";
import { groupDigits, MAX_TOP } from "../core/counts.js";
import { BASE_BYTES, type MemoryLimitError } from "../core/heap/memory-budget.js";

export const HEAP_DESCRIPTION =
  "Read a JVM heap dump of a Bazel server (the one it wrote when it ran out of memory) and say, in Starlark terms, " +
  "who holds the heap: the Starlark stacks at the crash, retained bytes by provider, action and frame, the largest " +
  "objects, and the function most likely to blame.";

export const HEAP_SUMMARY = "Digest a heap dump of a crashed Bazel server: the Starlark code that holds the heap.";

export const HEAP_HELP_FOOTER = `
PATH is a heap dump (.hprof or .hprof.gz), a sweep's run folder or sweep folder (every run that left one),
or the output base of a build that ran out of memory (Bazel leaves java_pid<pid>.hprof there).

Examples:
  After a crash, straight from the output base:
    bazel run //analysis:heap -- $(bazel info output_base)
  Every crash of a sweep, as JSON:
    bazel run //analysis:heap -- measurements/sweep-5e064179 --json

Retained bytes are Eclipse MAT's (the dominator tree); sizes assume compressed references, as any Bazel
server below 32 GB of heap has. A dump cut short is digested as far as it goes and marked truncated.
Exit codes: 0 digested, 2 not a heap dump (or nothing to digest), 3 internal error.`;

export const HEAP_OPTION_HELP = {
  json: "print the digest as JSON ({ schema, dumps: [...] }) instead of text",
  top: "how many holders, largest objects and labels to show",
  out: "write to FILE (replaced in one step) instead of stdout",
  maxMemory: "the most memory a digest may take, e.g. 8g (default: the memory free for it, within any container's limit); a dump that needs more is refused, saying how much it needs",
  stateDir: "the folder where a digest keeps part of its state while it runs (a file no one sees, gone when it ends; default: the dump's folder, else the system's temp folder)",
} as const;

/** --state-dir names what is not a folder. */
export function stateDirProblem(stateDir: string): string {
  return `--state-dir: ${stateDir} is not a folder; give a folder on a disk with room for the heap digest's state`;
}

/** The digest's state file cannot be created in `folder` (`code`: the system's error). */
export function stateFileProblem(folder: string, code: string): string {
  return `cannot create the heap digest's state file in ${folder} (${code}); name a folder you can write with --state-dir`;
}

/** The disk of `folder` is full: the digest's state needed `bytes` more there, at least. */
/**
 * `needed`: the state's whole size as far as the digest knows it (`atMost`: what it said it would write at most;
 * else what it had written with the write that failed), and how much of it was written.
 */
export function stateRoomProblem(folder: string, needed: { readonly bytes: number; readonly atMost: boolean; readonly written: number }, code: string): string {
  const written = needed.written > 0 ? `${roundedUpMiB(needed.written)} of it written` : "none of it written";
  return `no room in ${folder} for the heap digest's state: it needs ${needed.atMost ? "up to" : "at least"} ${roundedUpMiB(needed.bytes)} there, ${written} when the disk filled (${code}): free some there, or name a folder with room with --state-dir`;
}

export function maxMemoryProblem(text: string): string {
  return `--max-memory: "${text}" is not a size of at least ${BASE_BYTES / 2 ** 20}m; give one like 512m or 8g (the most memory a digest may take)`;
}

export function topProblem(text: string): string {
  return `--top: "${text}" is not a whole number from 1 to ${MAX_TOP}`;
}

export function heapWritten(path: string, dumps: number): string {
  return `wrote the digest of ${dumps} heap dump${dumps === 1 ? "" : "s"} to ${path}\n`;
}

const MIB = 2 ** 20;

/**
 * A need in MiB, the unit --max-memory is most often given in, rounded up to a tenth (formatSize rounds to the
 * nearest: 541.03 MiB would read as the 541.0 MiB it exceeds).
 */
function roundedUpMiB(bytes: number): string {
  return `${Math.max(0.1, Math.ceil((bytes / MIB) * 10) / 10).toFixed(1)} MiB`;
}

/** One line: the dump would need more memory than the digest may take, how much, and what to do. */
export function memoryLimitProblem(path: string, error: MemoryLimitError, limitGiven: boolean): string {
  const counts = `${groupDigits(error.counts.objects)} objects, ${groupDigits(error.counts.edges)} references`;
  const basis =
    error.searchedVertices !== undefined
      ? `(${counts}; its depth-first search had met ${groupDigits(error.searchedVertices)} objects with references of its own when it stopped)`
      : error.complete
        ? `(${counts})`
        : `(estimated after reading ${percent(error.offset / Math.max(1, error.fileBytes))} of it: ${counts} so far)`;
  const limit = limitGiven ? `the ${formatSize(error.limitBytes)} --max-memory allows` : `the ${formatSize(error.limitBytes)} free for it here (within any container's memory limit)`;
  const fix = limitGiven ? "give --max-memory more, up to what the machine has free" : "free memory or raise the container's limit, or digest it on a machine with more";
  return `${path}: digesting this dump needs ${error.searchedVertices !== undefined ? "at least" : "about"} ${roundedUpMiB(error.neededBytes)} of memory ${basis}, more than ${limit}; ${fix}`;
}

/** Bytes for people: 119.0 MiB, 4.2 KiB, 80 B. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(2)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** "traverse_impl (memory/private/traverse.bzl)", the file relative to the workspace when it is inside. */
export function functionName(fn: FunctionRef | undefined, workspace: string | undefined): string {
  if (fn === undefined) return "(unknown function)";
  const file = workspaceRelative(fn.file, workspace);
  return file === undefined ? fn.function : `${fn.function} (${file})`;
}

export function heapText(source: string, digest: HeapDigest, workspace: string | undefined, top: number): string {
  const lines: string[] = [];
  const { dump } = digest;
  lines.push(`heap dump: ${source} (${formatSize(dump.fileBytes)} on disk, written ${dump.writtenAt.replace("T", " ").replace(/\.\d+Z$/, " UTC")})`);
  lines.push(
    `  ${groupDigits(dump.objects)} objects; reachable ${formatSize(dump.reachableBytes)} in ${groupDigits(dump.reachableObjects)}, ` +
      `unreachable (garbage not yet collected) ${formatSize(dump.unreachableBytes)}; ${dump.truncated ? "TRUNCATED: the dump was cut short, this is what it holds" : "complete"}` +
      (dump.rootsInferred ? "; no GC roots in it (cut before them): unreferenced objects taken as roots" : ""),
  );
  lines.push("", "At the crash (Starlark stacks, innermost frame first):");
  if (digest.threads.length === 0) lines.push("  no thread was running Starlark");
  for (const thread of digest.threads) lines.push(...threadLines(thread, workspace));
  if (digest.errorThread !== undefined && !digest.errorThread.inStarlark) {
    lines.push(`  the OutOfMemoryError was thrown on ${digest.errorThread.name}, outside Starlark: ${digest.errorThread.javaFrames.slice(0, 3).join(" < ")}`);
  }
  lines.push("", ...holderLines(digest, workspace, top));
  lines.push("", "Largest objects:");
  for (const object of digest.largest.slice(0, top)) {
    const retains = object.retainedBytes > object.shallowBytes * 1.5 ? ` (retains ${formatSize(object.retainedBytes)})` : "";
    const preview = object.preview === undefined ? "" : `  "${object.preview}"`;
    lines.push(`  ${sizeColumn(object.shallowBytes)}  ${shortClass(object.className)}${retains}${preview}`);
    lines.push(`             ${workspaceRelativeText(object.owner, workspace)}`);
  }
  lines.push("", verdictLine(digest.verdict, workspace));
  return `${lines.join("\n")}\n`;
}

/** "Who holds the heap": the largest holder groups, then what is Bazel's own (also `snapshot`'s). */
export function holderLines(digest: HeapDigest, workspace: string | undefined, top: number): string[] {
  const lines = ["Who holds the heap (retained bytes, share of the reachable heap):"];
  for (const group of digest.holders.slice(0, top)) lines.push(`  ${sizeColumn(group.retainedBytes)}  ${percent(group.share).padStart(6)}  ${holderText(group, workspace)}`);
  const bazelClasses = digest.bazel.topClasses.slice(0, 3).map((entry) => `${shortClass(entry.className)} ${formatSize(entry.bytes)}`).join(", ");
  lines.push(`  ${sizeColumn(digest.bazel.retainedBytes)}  ${percent(digest.bazel.share).padStart(6)}  Bazel's own structures, no Starlark holder (${bazelClasses})`);
  return lines;
}

function sizeColumn(bytes: number): string {
  return formatSize(bytes).padStart(10);
}

function shortClass(name: string): string {
  return name.replace(/^(java\.lang|java\.util|net\.starlark\.java\.eval|com\.google\.devtools\.build\.lib(\.\w+)*)\./, "");
}

function threadLines(thread: DigestThread, workspace: string | undefined): string[] {
  const lines = [`  thread ${thread.name}${thread.threwError ? " (threw the OutOfMemoryError)" : ""}`];
  const width = Math.max(...thread.frames.map((frame) => frame.function.length));
  for (const frame of thread.frames) {
    const where = frame.builtin ? "(builtin)" : `${workspaceRelative(frame.file, workspace) ?? "?"}${frame.line === undefined ? "" : `:${frame.line}`}`;
    const locals =
      frame.localsRetainedBytes > 0
        ? `  locals retain ${formatSize(frame.localsRetainedBytes)}${frame.locals.length === 0 ? "" : ` (${frame.locals.map((local) => `${local.name} ${formatSize(local.retainedBytes)}`).join(", ")})`}`
        : "";
    lines.push(`    ${frame.function.padEnd(width)}  ${where}${locals}`);
  }
  return lines;
}

function holderText(group: HolderGroup, workspace: string | undefined): string {
  const fn = functionName(group.function, workspace);
  const labels = group.topLabels.length === 0 ? "" : `: ${group.topLabels.slice(0, 3).join(", ")}${group.targets > 3 ? ", …" : ""}`;
  const owner = group.ownerKind === undefined ? "" : ` (${group.ownerKind})`;
  switch (group.kind) {
    case "frame-locals":
      return `local variables of ${fn}, in flight on ${group.thread ?? "?"}`;
    case "in-flight":
      return `other objects in flight on ${group.thread ?? "?"}, in a call from ${fn} (a builtin's work in progress)`;
    case "provider":
      return `${group.provider ?? "?"} returned by ${fn}${owner}, ${group.instances} instance${group.instances === 1 ? "" : "s"} on ${group.targets} target${group.targets === 1 ? "" : "s"}${labels}`;
    case "action":
      return `actions registered by ${fn}${owner}, ${group.instances} action${group.instances === 1 ? "" : "s"}${labels}`;
    case "analysis":
      return `other analysis data of ${fn}${owner} targets${labels}`;
    case "shared":
      return `objects shared among the holders above of ${fn}, and held by nothing else`;
  }
}

export function verdictLine(verdict: HeapVerdict, workspace: string | undefined): string {
  switch (verdict.kind) {
    case "culprit":
      return `verdict: culprit: ${functionName(verdict.suspect, workspace)} holds ${percent(verdict.suspect.share)} of the heap — ${evidenceText(verdict.suspect)}`;
    case "no-single-culprit": {
      const top = verdict.top.map((suspect) => `${suspect.function} ${percent(suspect.share)}`).join(", ");
      return `verdict: no single culprit: Starlark holders account for ${percent(verdict.starlarkShare)} of the heap${top === "" ? "" : `, spread over several functions (${top})`}; the rest is Bazel's own`;
    }
    case "no-starlark":
      return "verdict: no Starlark state in this dump (not a Bazel server, or it died before running any Starlark)";
  }
}

/** A suspect's evidence in words: "frame locals 74.7%, TraverseInfo 2.8% on 151 targets, …; on the failing thread's stack". */
export function evidenceText(suspect: Suspect): string {
  const parts = suspect.evidence.flatMap((evidence, index) => evidencePart(evidence, index, suspect));
  return parts.join(", ");
}

/**
 * Words for one piece of evidence. Its calls in flight on several threads (one implementation on many evaluator
 * threads) are one part with their sum and the number of threads, at the first one's place: the holders' list
 * has each thread's.
 */
function evidencePart(evidence: Evidence, index: number, suspect: Suspect): string[] {
  const share = (bytes: number): string => percent(suspect.share * (suspect.retainedBytes > 0 ? bytes / suspect.retainedBytes : 0));
  const perThread = (kind: "frame-locals" | "in-flight", oneThread: string, threads: (count: number) => string): string[] => {
    const all = suspect.evidence.filter((other) => other.kind === kind);
    if (suspect.evidence.findIndex((other) => other.kind === kind) !== index) return [];
    const bytes = all.reduce((sum, other) => sum + (other.kind === kind ? other.bytes : 0), 0);
    if (bytes / Math.max(1, suspect.retainedBytes) < 0.01) return [];
    return [`${all.length === 1 ? oneThread : threads(all.length)} ${share(bytes)}`];
  };
  switch (evidence.kind) {
    case "frame-locals":
      return perThread(evidence.kind, "its local variables", (count) => `its local variables on ${count} threads`);
    case "in-flight":
      return perThread(evidence.kind, "work in progress on its thread", (count) => `work in progress on ${count} threads`);
    case "providers":
      return [`${evidence.provider} on ${evidence.targets} targets ${share(evidence.bytes)}`];
    case "actions":
      return [`${evidence.count} actions ${share(evidence.bytes)}`];
    case "analysis":
      return evidence.bytes / Math.max(1, suspect.retainedBytes) >= 0.01 ? [`other analysis data ${share(evidence.bytes)}`] : [];
    case "shared":
      return evidence.bytes / Math.max(1, suspect.retainedBytes) >= 0.01 ? [`objects its holders share ${share(evidence.bytes)}`] : [];
    case "on-stack":
      return [evidence.threwError ? `on the stack of ${evidence.thread}, which threw the error` : `on the stack of ${evidence.thread}`];
  }
}
