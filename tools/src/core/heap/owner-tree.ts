/**
 * A heap digest as a tree of owners, for a picture of who held the heap: the Starlark functions (largest first),
 * under each what holds its bytes (its local variables, a provider it returned, its actions…), under those the
 * targets holding most. Sizes are retained bytes, so a node's children add up to it (the targets the digest did
 * not keep, one node of "other targets"). Bazel's own structures are not in the tree: the digest charges them to
 * no function; `bazelBytes` and `unknownFunctionBytes` say what the tree leaves out.
 */
import type { TreemapNode } from "../plot/treemap.js";
import { HOLDER_OF_EVIDENCE, holderOfEvidence } from "./digest-verdict.js";
import type { Evidence, FunctionRef, HeapDigest, HolderKind } from "./heap-digest.js";

export type OwnerItem =
  | { readonly kind: "function"; readonly function: FunctionRef; readonly culprit: boolean; readonly bytes: number; readonly share: number; readonly objects: number | undefined }
  /** Functions too small to draw, together. */
  | { readonly kind: "other-functions"; readonly count: number; readonly bytes: number; readonly share: number }
  /** Starlark holders the dump does not say the function of. */
  | { readonly kind: "unknown-function"; readonly bytes: number; readonly share: number }
  | {
      readonly kind: "holder";
      readonly holder: HolderKind;
      readonly function: FunctionRef;
      readonly bytes: number;
      readonly share: number;
      readonly objects: number | undefined;
      /** providers: the provider's name. */
      readonly provider?: string;
      /** frame-locals, in-flight: the thread. */
      readonly thread?: string;
      /** providers: on how many targets; actions: how many. */
      readonly targets?: number;
      readonly actions?: number;
    }
  | { readonly kind: "target"; readonly label: string; readonly bytes: number; readonly share: number; readonly objects: number | undefined }
  | { readonly kind: "other-targets"; readonly count: number; readonly bytes: number; readonly share: number };

export interface OwnerTree {
  /** Functions (then other functions, then holders of no known function), largest first. */
  readonly roots: readonly TreemapNode<OwnerItem>[];
  readonly reachableBytes: number;
  /** What the roots add up to: the bytes Starlark holders retain. */
  readonly starlarkBytes: number;
  readonly bazelBytes: number;
  readonly unknownFunctionBytes: number;
}

export interface OwnerTreeOptions {
  /** At most this many functions of their own; the rest are one "other functions" node. */
  readonly maxFunctions: number;
  /** A function below this share of the Starlark bytes joins the other functions (too small to see). */
  readonly minShare: number;
}

export const DEFAULT_OWNER_TREE_OPTIONS: OwnerTreeOptions = { maxFunctions: 12, minShare: 0.002 };

export function ownerTree(digest: HeapDigest, options: OwnerTreeOptions = DEFAULT_OWNER_TREE_OPTIONS): OwnerTree {
  const reachableBytes = digest.dump.reachableBytes;
  const share = (bytes: number): number => (reachableBytes > 0 ? bytes / reachableBytes : 0);
  const suspects = digest.suspects.filter((suspect) => suspect.retainedBytes > 0);
  const suspectBytes = suspects.reduce((sum, suspect) => sum + suspect.retainedBytes, 0);
  const bazelBytes = digest.bazel.retainedBytes;
  // The digest keeps only the largest holder groups, but what no function is charged for is what is left.
  const unknownFunctionBytes = Math.max(0, reachableBytes - bazelBytes - suspectBytes);
  const starlarkBytes = suspectBytes + unknownFunctionBytes;
  const visible = (bytes: number): boolean => bytes >= options.minShare * starlarkBytes;
  const culprit = digest.verdict.kind === "culprit" ? digest.verdict.suspect : undefined;

  const roots: TreemapNode<OwnerItem>[] = [];
  let otherCount = 0;
  let otherBytes = 0;
  suspects.forEach((suspect, index) => {
    if (index >= options.maxFunctions || !visible(suspect.retainedBytes)) {
      otherCount++;
      otherBytes += suspect.retainedBytes;
      return;
    }
    const fn: FunctionRef = { function: suspect.function, file: suspect.file };
    const evidence = suspect.evidence.filter((entry): entry is Exclude<Evidence, { kind: "on-stack" }> => entry.kind !== "on-stack" && entry.bytes > 0);
    const counted = evidence.reduce((sum, entry) => sum + (entry.objects ?? 0), 0);
    const item: OwnerItem = {
      kind: "function",
      function: fn,
      culprit: culprit !== undefined && culprit.function === fn.function && culprit.file === fn.file,
      bytes: suspect.retainedBytes,
      share: share(suspect.retainedBytes),
      objects: evidence.every((entry) => entry.objects !== undefined) ? counted : undefined,
    };
    roots.push({ value: suspect.retainedBytes, item, children: holderNodes(digest, fn, evidence, share) });
  });
  if (otherBytes > 0) roots.push({ value: otherBytes, item: { kind: "other-functions", count: otherCount, bytes: otherBytes, share: share(otherBytes) }, children: [] });
  if (unknownFunctionBytes > 0) {
    roots.push({ value: unknownFunctionBytes, item: { kind: "unknown-function", bytes: unknownFunctionBytes, share: share(unknownFunctionBytes) }, children: [] });
  }
  roots.sort((a, b) => b.value - a.value);
  return { roots, reachableBytes, starlarkBytes, bazelBytes, unknownFunctionBytes };
}

/** A function's holders (largest first), each with its targets when the digest kept their bytes. */
function holderNodes(digest: HeapDigest, fn: FunctionRef, evidence: readonly Exclude<Evidence, { kind: "on-stack" }>[], share: (bytes: number) => number): TreemapNode<OwnerItem>[] {
  return evidence
    .map((entry): TreemapNode<OwnerItem> => {
      const group = holderOfEvidence(digest.holders, fn, entry);
      const item: OwnerItem = {
        kind: "holder",
        holder: HOLDER_OF_EVIDENCE[entry.kind],
        function: fn,
        bytes: entry.bytes,
        share: share(entry.bytes),
        objects: entry.objects,
        ...(entry.kind === "providers" ? { provider: entry.provider, targets: entry.targets } : {}),
        ...(entry.kind === "actions" ? { actions: entry.count } : {}),
        ...("thread" in entry ? { thread: entry.thread } : {}),
      };
      const kept = group?.topTargets ?? [];
      const keptBytes = kept.reduce((sum, target) => sum + target.retainedBytes, 0);
      // Targets only where their bytes are known and fit the holder's (a digest edited by hand might not).
      if (kept.length === 0 || keptBytes > entry.bytes) return { value: entry.bytes, item, children: [] };
      const children: TreemapNode<OwnerItem>[] = kept
        .filter((target) => target.retainedBytes > 0)
        .map((target) => ({ value: target.retainedBytes, item: { kind: "target", label: target.label, bytes: target.retainedBytes, share: share(target.retainedBytes), objects: target.objects }, children: [] }));
      const restBytes = entry.bytes - keptBytes;
      const restCount = Math.max(0, (group?.targets ?? kept.length) - kept.length);
      if (restBytes > 0) children.push({ value: restBytes, item: { kind: "other-targets", count: restCount, bytes: restBytes, share: share(restBytes) }, children: [] });
      return { value: entry.bytes, item, children };
    })
    .sort((a, b) => b.value - a.value);
}
