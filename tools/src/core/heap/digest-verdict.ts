/**
 * From holder groups to suspects (per function: the bytes it holds, and whether it was on a stack at the
 * crash) and to the verdict: one culprit, several functions, or no Starlark at all.
 */
import type { Evidence, FunctionRef, HeldCounts, HeapVerdict, HolderGroup, HolderKind, Suspect } from "./digest-model.js";
import { functionKey } from "./digest-names.js";
import type { StarlarkStack } from "./digest-stacks.js";
import { byCodeUnits } from "../text-order.js";

/**
 * When one function is the culprit: it holds at least this share of the reachable heap… A dump is written
 * when the heap is full, so a function that holds a tenth of it is a real weight; below that, Bazel's own
 * structures or many small holders explain the crash better.
 */
export const CULPRIT_MIN_SHARE = 0.1;
/** …and at least this many times as much as the next function (otherwise the memory is spread over several). */
export const CULPRIT_DOMINANCE = 3;

/** Per function: what it holds, and whether it was on a stack at the crash. Only groups with a function count. */
export function suspectsOf(groups: readonly HolderGroup[], stacks: readonly StarlarkStack[], share: (bytes: number) => number): Suspect[] {
  const byFunction = new Map<string, { fn: FunctionRef; bytes: number; evidence: Evidence[] }>();
  const entry = (fn: FunctionRef): { fn: FunctionRef; bytes: number; evidence: Evidence[] } => {
    let found = byFunction.get(functionKey(fn));
    if (found === undefined) byFunction.set(functionKey(fn), (found = { fn, bytes: 0, evidence: [] }));
    return found;
  };
  for (const group of groups) {
    if (group.function === undefined) continue;
    const suspect = entry(group.function);
    suspect.bytes += group.retainedBytes;
    const counts = heldCounts(group);
    switch (group.kind) {
      case "provider":
        suspect.evidence.push({ kind: "providers", bytes: group.retainedBytes, provider: group.provider ?? "?", targets: group.targets, ...counts });
        break;
      case "action":
        suspect.evidence.push({ kind: "actions", bytes: group.retainedBytes, count: group.instances, ...counts });
        break;
      case "frame-locals":
        suspect.evidence.push({ kind: "frame-locals", bytes: group.retainedBytes, thread: group.thread ?? "?", ...counts });
        break;
      case "in-flight":
        suspect.evidence.push({ kind: "in-flight", bytes: group.retainedBytes, thread: group.thread ?? "?", ...counts });
        break;
      case "analysis":
        suspect.evidence.push({ kind: "analysis", bytes: group.retainedBytes, ...counts });
        break;
      case "shared":
        suspect.evidence.push({ kind: "shared", bytes: group.retainedBytes, ...counts });
        break;
    }
  }
  for (const stack of stacks) {
    const seen = new Set<string>();
    for (const frame of stack.thread.frames) {
      if (frame.builtin || seen.has(functionKey(frame))) continue;
      seen.add(functionKey(frame));
      entry({ function: frame.function, file: frame.file }).evidence.push({ kind: "on-stack", thread: stack.thread.name, threwError: stack.thread.threwError, line: frame.line });
    }
  }
  return [...byFunction.values()]
    .sort((a, b) => b.bytes - a.bytes || byCodeUnits(a.fn.function, b.fn.function))
    .map(({ fn, bytes, evidence }) => ({ function: fn.function, file: fn.file, retainedBytes: bytes, share: share(bytes), evidence }));
}

/** The kind of holder group each kind of evidence comes from. */
export const HOLDER_OF_EVIDENCE: Readonly<Record<Exclude<Evidence["kind"], "on-stack">, HolderKind>> = {
  providers: "provider",
  actions: "action",
  "frame-locals": "frame-locals",
  "in-flight": "in-flight",
  analysis: "analysis",
  shared: "shared",
};

/** The holder group behind a suspect's evidence, when the digest kept it (it keeps the largest groups only). */
export function holderOfEvidence(holders: readonly HolderGroup[], fn: FunctionRef, evidence: Exclude<Evidence, { kind: "on-stack" }>): HolderGroup | undefined {
  const kind = HOLDER_OF_EVIDENCE[evidence.kind];
  return holders.find(
    (holder) =>
      holder.kind === kind &&
      holder.function !== undefined &&
      holder.function.function === fn.function &&
      holder.function.file === fn.file &&
      (evidence.kind !== "providers" || holder.provider === evidence.provider) &&
      // Locals and work in progress: a group per thread (an older digest's merged one has its first thread).
      (!("thread" in evidence) || holder.thread === undefined || holder.thread === evidence.thread),
  );
}

/** The group's objects and shallow bytes, as far as it has them. */
function heldCounts(group: HolderGroup): HeldCounts {
  return { ...(group.objects === undefined ? {} : { objects: group.objects }), ...(group.shallowBytes === undefined ? {} : { shallowBytes: group.shallowBytes }) };
}

export function verdictOf(suspects: readonly Suspect[], stacks: readonly StarlarkStack[], groups: readonly HolderGroup[], starlarkShare: number): HeapVerdict {
  if (stacks.length === 0 && groups.length === 0) return { kind: "no-starlark" };
  const [first, second] = suspects;
  if (first !== undefined && first.share >= CULPRIT_MIN_SHARE && first.retainedBytes >= CULPRIT_DOMINANCE * (second?.retainedBytes ?? 0)) {
    return { kind: "culprit", suspect: first, runnerUp: second };
  }
  return { kind: "no-single-culprit", starlarkShare, top: suspects.slice(0, 3) };
}
