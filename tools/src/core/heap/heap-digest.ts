/**
 * Who holds the heap, in Starlark terms, from a heap dump of a Bazel server.
 *
 * In: a parsed dump (core/heap/hprof.ts: classes, objects, references, GC roots, threads' Java stacks) and
 * random access to its bytes for the few thousand objects whose fields are read (core/heap/heap-view.ts).
 * Out: a HeapDigest — the Starlark stacks in flight at the crash, the holder groups with the function charged
 * for each, the largest objects with who holds them, the bytes left to Bazel itself, the suspects (per
 * function) and a verdict: one culprit, several functions, or no Starlark.
 *
 * Retained bytes (the dominator tree, as Eclipse MAT defines them: core/heap/dominators.ts) are split among
 * "holders" — Starlark structures found in the dump by their classes — and each holder is charged to the
 * Starlark function behind it:
 *   - provider instances (StarlarkInfo) → the rule or aspect implementation that returned them, through the
 *     configured target or aspect value that holds them;
 *   - actions (AbstractAction: ctx.actions.write's FileWriteAction and its compressed contents, spawn actions…)
 *     → the implementation that registered them;
 *   - Starlark frames in flight (StarlarkThread$Frame) → their function, with their local variables (including
 *     values the thread's Java stack shares with them, e.g. the list a builtin is joining);
 *   - what else a thread running Starlark holds (a builtin's half-built result) → the innermost Starlark function
 *     on that thread;
 *   - the rest of a configured target or aspect → its implementation ("analysis").
 * Everything else is Bazel's own (Skyframe, packages, classes). The dump's own class layouts are read for every
 * field, so a field that moved between Bazel versions degrades to "unknown", never to a wrong name.
 *
 * The parts: digest-stacks.ts (Starlark stacks and what they alone keep alive), digest-owners.ts (configured
 * targets and aspects), digest-names.ts (function, label and provider names), digest-holders.ts (holders and
 * the group each goes to), digest-groups.ts (what each holds: bytes, objects, per target; the groups),
 * digest-largest.ts (the largest objects), digest-verdict.ts (suspects and verdict), digest-model.ts (the
 * records handed out), bazel-layouts.ts (the Bazel class and field names read).
 */
import { UNOBSERVED, type DigestObserver } from "./digest-phases.js";
import { searchHeap } from "./dominators.js";
import { holderGroupsOf, tallyBytes } from "./digest-groups.js";
import { countHolders, holderKinds, innermostHolders, isHolderNode, placeHolders, sharedByOneFunction } from "./digest-holders.js";
import { describeOwner, largestObjects } from "./digest-largest.js";
import type { DigestThread, ErrorThread, HolderGroup, HeapVerdict, LargeObject, Suspect } from "./digest-model.js";
import { Names } from "./digest-names.js";
import { Owners } from "./digest-owners.js";
import { adoptEnclosingThreads, errorThreadOf, frameBytes, rootHolders, stackClaims, stackClaimsBound, stackOwnership, starlarkCallstacks, starlarkStacks, wideStackOwners } from "./digest-stacks.js";
import { suspectsOf, verdictOf } from "./digest-verdict.js";
import { HeapView } from "./heap-view.js";
import { HprofError, type ByteSource, type Heap } from "./hprof.js";
import { checkSearchMemory, checkTreeMemory, crossEdgeMemoryPairs, stateBytesAfterThePass, TREE_DISK_BYTES, treeGoesToDisk } from "./memory-budget.js";
import { CROSS_BLOCK_PAIRS, MIN_RUN_PAIRS } from "./cross-edges.js";

export type { DigestFrame, DigestThread, ErrorThread, Evidence, FunctionRef, HeldCounts, HeapVerdict, HolderGroup, HolderKind, LargeObject, Suspect, TargetBytes } from "./digest-model.js";
export { escapePreview, PREVIEW_CHARS } from "./digest-largest.js";
export { CULPRIT_DOMINANCE, CULPRIT_MIN_SHARE } from "./digest-verdict.js";

export const HEAP_DIGEST_SCHEMA = 1;

/** How many largest objects, holder groups and labels a digest keeps unless asked otherwise. */
export const DEFAULT_DIGEST_TOP = 5;

export interface HeapDigest {
  readonly schema: typeof HEAP_DIGEST_SCHEMA;
  readonly dump: {
    readonly fileBytes: number;
    readonly writtenAt: string;
    readonly objects: number;
    readonly reachableObjects: number;
    readonly reachableBytes: number;
    readonly unreachableBytes: number;
    readonly truncated: boolean;
    readonly rootsInferred: boolean;
  };
  /** The thread that ran out of memory, when the dump marks one. */
  readonly errorThread: ErrorThread | undefined;
  readonly threads: readonly DigestThread[];
  readonly holders: readonly HolderGroup[];
  /** Bytes no Starlark holder accounts for, and the classes that make most of them. */
  readonly bazel: { readonly retainedBytes: number; readonly share: number; readonly topClasses: readonly { readonly className: string; readonly bytes: number }[] };
  readonly largest: readonly LargeObject[];
  readonly suspects: readonly Suspect[];
  readonly verdict: HeapVerdict;
}

export interface DigestOptions {
  /** How many largest objects, holder groups and labels per group to keep. */
  readonly top: number;
  /** Told when each phase begins. */
  readonly observer?: DigestObserver;
  /**
   * The most memory the digest may take (memory-budget.ts): MemoryLimitError after the search when the vertices
   * it counted say the rest would need more (readHeap checked the phases before).
   */
  readonly memoryLimitBytes?: number;
  /**
   * When and how the search's cross edges go to the spill store (cross-edges.ts); default: when the memory limit
   * leaves them too little room (crossEdgeMemoryPairs), else in memory. Tests set small runs and blocks.
   */
  readonly crossEdgeSpill?: { readonly memoryPairs: number; readonly runPairs: number; readonly blockPairs: number };
  /**
   * Whether the tree's immediate dominators and retained sizes go to the spill store before the attribute phase;
   * default: when the memory limit leaves them too little room (treeGoesToDisk). Tests set it.
   */
  readonly treeOnDisk?: boolean;
  /** How many vertices the search numbers between two memory checks (a power of two); default VERTEX_CHECK_EVERY. Tests set it. */
  readonly vertexCheckEvery?: number;
}

/** The search checks its memory every 2^20 vertices it numbers (as the pass does every 2^20 objects). */
const VERTEX_CHECK_EVERY = 1 << 20;

export function digestHeap(heap: Heap, source: ByteSource, options: DigestOptions): HeapDigest {
  // A dump cut before its first instance has nothing to say; a digest of it would look like an empty heap.
  if (heap.objectCount === heap.classCount) throw new HprofError("the dump holds no objects: it was cut short before the JVM wrote its heap", heap.fileBytes);
  const observer = options.observer ?? UNOBSERVED;
  const view = new HeapView(heap, source);
  observer.phase("search");
  const holderKindOfClass = holderKinds(heap, view);
  const holderCount = countHolders(heap, holderKindOfClass);
  const callstacks = starlarkCallstacks(heap, view);
  // What the memory checks count from here: the holders, and whether who owns each object may need 2 bytes.
  const counts = { ...heap.counts, holders: holderCount, wideStackOwners: wideStackOwners(stackClaimsBound(view, callstacks)) };
  const limit = options.memoryLimitBytes;
  const memoryPairs = limit === undefined ? Infinity : crossEdgeMemoryPairs(counts, limit);
  const crossEdgeSpill = options.crossEdgeSpill ?? { memoryPairs, runPairs: Math.max(memoryPairs, MIN_RUN_PAIRS), blockPairs: CROSS_BLOCK_PAIRS };
  // A state file whose disk fills says how much the digest needs there: at most, each reference and root a cross
  // edge, each object with references a vertex (the search counts both).
  heap.spill.expect?.(stateBytesAfterThePass(counts, heap.edgeTargets.length + heap.roots.length, crossEdgeSpill.memoryPairs, limit));
  const search = searchHeap(
    {
      objectCount: heap.objectCount,
      edgeStart: heap.edgeStart,
      edgeTargets: heap.edgeTargets,
      shallowSizes: heap.shallowSizes,
      roots: heap.roots,
      rootHolders: rootHolders(heap),
      keepsVertex: (node) => isHolderNode(heap, holderKindOfClass, node),
      spill: heap.spill,
      crossEdgeSpill: { store: heap.spill, ...crossEdgeSpill },
      vertexCheck:
        limit === undefined
          ? undefined
          : { every: options.vertexCheckEvery ?? VERTEX_CHECK_EVERY, check: (vertices) => checkSearchMemory({ ...counts, vertices }, heap.fileBytes, limit) },
    },
    heap.scratch,
  );
  const treeCounts = { ...counts, vertices: search.vertexCount, crossEdges: search.crossEdgesInMemory };
  const treeOnDisk = options.treeOnDisk ?? (limit !== undefined && treeGoesToDisk(treeCounts, limit));
  if (limit !== undefined) checkTreeMemory({ ...treeCounts, treeOnDisk }, heap.fileBytes, limit);
  heap.spill.expect?.(treeOnDisk ? TREE_DISK_BYTES * search.vertexCount : 0);
  observer.phase("stacks");
  const names = new Names(view);
  const stacks = starlarkStacks(heap, view, search, names, callstacks);
  // What only a Starlark call stack keeps alive (its locals, a builtin's work in progress), by frame and local:
  // the last use of the edges (a third of the reader's memory), let go before the tree is built.
  const ownership = stackOwnership(heap, stacks, stackClaims(heap, view, stacks));
  const scratch = heap.releaseEdges();
  if (heap.shallowSizes.lent) heap.shallowSizes.restore(heap.spill, scratch.takeBytes(heap.objectCount));
  frameBytes(heap, stacks, ownership);
  observer.phase("dominators");
  const tree = search.dominators(scratch);
  adoptEnclosingThreads(heap, view, tree, stacks);
  // The attribute phase's per-vertex arrays then take the columns' memory (memory-budget.ts).
  if (treeOnDisk) for (const memory of tree.spillColumns(heap.spill)) scratch.give(memory);
  observer.phase("attribute");
  const reachableBytes = tree.reachableBytes;
  let totalBytes = 0;
  for (let i = 0; i < heap.objectCount; i++) totalBytes += heap.shallowSizes.bytesOf(i);

  const owners = new Owners(heap, view, tree, names);
  // One pass down the dominator tree: each vertex's innermost holder.
  const { context, holders } = innermostHolders(heap, holderKindOfClass, tree, scratch, stacks, ownership, holderCount);
  // The largest objects now, while ownerOf says which frame's local each is; then its 1 or 2 bytes an object hold
  // the last per-vertex array.
  const largest = largestObjects(heap, view, tree, options.top, (node) => describeOwner(node, { view, tree, names, owners, stacks, ownership }));
  const ownerMemory = ownership.ownerOf.buffer;
  scratch.give(new Uint32Array(ownerMemory, 0, ownerMemory.byteLength >>> 2), ownership.ownerOf.byteLength >>> 2);
  ownership.ownerOf = new Uint8Array(0);

  // Each holder's group, and the function charged for it.
  const { placement, functionRefs, holderFunction } = placeHolders(holders, { view, tree, names, owners, stacks });
  // Objects no holder dominates, but that only one function's holders reference (shared among its own
  // providers, say: the retained sizes of a dominator tree split nothing that is shared) → that function.
  const shared = sharedByOneFunction(tree, context, holderFunction, functionRefs.length, scratch);
  const { bazelByClass, sharedByFunction, reachableObjects } = tallyBytes(heap, tree, context, shared, holders, functionRefs.length);

  // Holders → groups → suspects.
  const share = (bytes: number): number => (reachableBytes > 0 ? bytes / reachableBytes : 0);
  const holderGroups = holderGroupsOf(holders, placement, sharedByFunction, functionRefs, share, options.top);
  const starlarkBytes = holderGroups.reduce((sum, group) => sum + group.retainedBytes, 0);
  const bazelBytes = Math.max(0, reachableBytes - starlarkBytes);
  const topClasses = [...bazelByClass.entries()]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top)
    .map(([index, bytes]) => ({ className: heap.classes[index]!.name, bytes }));

  const suspects = suspectsOf(holderGroups, stacks, share);
  const errorThread = errorThreadOf(heap, view, stacks);

  return {
    schema: HEAP_DIGEST_SCHEMA,
    dump: {
      fileBytes: heap.fileBytes,
      writtenAt: new Date(heap.timestamp).toISOString(),
      objects: heap.objectCount,
      reachableObjects,
      reachableBytes,
      unreachableBytes: Math.max(0, totalBytes - reachableBytes),
      truncated: heap.truncated,
      rootsInferred: heap.rootsInferred,
    },
    errorThread,
    threads: stacks.map((stack) => stack.thread),
    holders: holderGroups.slice(0, Math.max(options.top, 10)),
    bazel: { retainedBytes: bazelBytes, share: share(bazelBytes), topClasses },
    largest,
    suspects,
    verdict: verdictOf(suspects, stacks, holderGroups, share(starlarkBytes)),
  };
}
