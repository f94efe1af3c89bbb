/**
 * Who holds the heap, in Starlark terms, from a heap dump of a Bazel server (core/heap/hprof.ts, core/heap/dominators.ts).
 *
 * Retained bytes (the dominator tree, as Eclipse MAT defines them) are split among "holders" — Starlark
 * structures found in the dump by their classes — and each holder is charged to the Starlark function behind it:
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
 */
import type { ScratchPool } from "./scratch.js";
import { ADOPTED, searchHeap, type DominatorTree, type HeapSearch } from "./dominators.js";
import { HprofError, KIND_INSTANCE, type ByteSource, type Heap } from "./hprof.js";
import { HeapView, NONE } from "./heap-view.js";

export const HEAP_DIGEST_SCHEMA = 1;

/**
 * When one function is the culprit: it holds at least this share of the reachable heap… A dump is written
 * when the heap is full, so a function that holds a tenth of it is a real weight; below that, Bazel's own
 * structures or many small holders explain the crash better.
 */
export const CULPRIT_MIN_SHARE = 0.1;
/** …and at least this many times as much as the next function (otherwise the memory is spread over several). */
export const CULPRIT_DOMINANCE = 3;

export interface FunctionRef {
  readonly function: string;
  /** The .bzl file as the dump names it (usually absolute); undefined for builtins and when unknown. */
  readonly file: string | undefined;
}

export interface DigestFrame extends FunctionRef {
  /** The line being executed (innermost frame: where the error hit). */
  readonly line: number | undefined;
  readonly builtin: boolean;
  /** Bytes the frame's local variables retain (values shared only with the thread's own Java stack included). */
  readonly localsRetainedBytes: number;
  /** The biggest locals, by retained bytes. */
  readonly locals: readonly { readonly name: string; readonly retainedBytes: number }[];
}

export interface DigestThread {
  readonly name: string;
  /** This thread was the one that ran out of memory (HotSpot marks it with an OutOfMemoryError.<init> frame). */
  readonly threwError: boolean;
  /** Innermost first. */
  readonly frames: readonly DigestFrame[];
}

export type HolderKind = "frame-locals" | "in-flight" | "provider" | "action" | "analysis" | "shared";

export interface HolderGroup {
  readonly kind: HolderKind;
  /** The function charged; undefined when the dump does not say (then nobody is charged). */
  readonly function: FunctionRef | undefined;
  readonly retainedBytes: number;
  readonly share: number;
  /** provider: its name and the file that declared it. */
  readonly provider?: string;
  readonly providerFile?: string;
  /** rule or aspect implementation (provider, action, analysis). */
  readonly ownerKind?: "rule" | "aspect";
  /** Instances and distinct targets (labels) behind the group, and the labels holding most. */
  readonly instances: number;
  readonly targets: number;
  readonly topLabels: readonly string[];
  /** frame-locals / in-flight: the thread. */
  readonly thread?: string;
}

export interface LargeObject {
  readonly className: string;
  readonly shallowBytes: number;
  readonly retainedBytes: number;
  /** Strings (and a String's byte[]): the text's start, escaped, at most PREVIEW_CHARS characters. */
  readonly preview: string | undefined;
  /** Who holds it, in Starlark terms when a holder does. */
  readonly owner: string;
}

export type Evidence =
  | { readonly kind: "providers"; readonly bytes: number; readonly provider: string; readonly targets: number }
  | { readonly kind: "actions"; readonly bytes: number; readonly count: number }
  | { readonly kind: "frame-locals"; readonly bytes: number; readonly thread: string }
  | { readonly kind: "in-flight"; readonly bytes: number; readonly thread: string }
  | { readonly kind: "analysis"; readonly bytes: number }
  | { readonly kind: "shared"; readonly bytes: number }
  | { readonly kind: "on-stack"; readonly thread: string; readonly threwError: boolean; readonly line: number | undefined };

export interface Suspect extends FunctionRef {
  readonly retainedBytes: number;
  readonly share: number;
  readonly evidence: readonly Evidence[];
}

export type HeapVerdict =
  | { readonly kind: "culprit"; readonly suspect: Suspect; readonly runnerUp: Suspect | undefined }
  | { readonly kind: "no-single-culprit"; readonly starlarkShare: number; readonly top: readonly Suspect[] }
  | { readonly kind: "no-starlark" };

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
  readonly errorThread: { readonly name: string; readonly inStarlark: boolean; readonly javaFrames: readonly string[] } | undefined;
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
}

export const PREVIEW_CHARS = 80;
/** How many largest objects, holder groups and labels a digest keeps unless asked otherwise. */
export const DEFAULT_DIGEST_TOP = 5;

const STARLARK_THREAD = "net.starlark.java.eval.StarlarkThread";
const FRAME = "net.starlark.java.eval.StarlarkThread$Frame";
const STARLARK_FUNCTION = "net.starlark.java.eval.StarlarkFunction";
const BUILTIN_FUNCTION = "net.starlark.java.eval.BuiltinFunction";
const JAVA_THREAD = "java.lang.Thread";
const STARLARK_INFO = "com.google.devtools.build.lib.packages.StarlarkInfo";
const ABSTRACT_ACTION = "com.google.devtools.build.lib.actions.AbstractAction";
const RULE_CONFIGURED_TARGET = "com.google.devtools.build.lib.analysis.configuredtargets.RuleConfiguredTarget";
const ASPECT_VALUE = "com.google.devtools.build.lib.analysis.AspectValue";
const CONFIGURED_ASPECT = "com.google.devtools.build.lib.analysis.ConfiguredAspect";
const RULE_CLASS = "com.google.devtools.build.lib.packages.RuleClass";
const STARLARK_DEFINED_ASPECT = "com.google.devtools.build.lib.packages.StarlarkDefinedAspect";
const STRING = "java.lang.String";
const OOM_CONSTRUCTOR = { className: "java.lang.OutOfMemoryError", method: "<init>" };

/** Kinds of holder objects, by class (0: not a holder). */
const H_NONE = 0;
const H_FRAME = 1;
const H_THREAD = 2;
const H_PROVIDER = 3;
const H_ACTION = 4;
const H_OWNER = 5;

interface Holder {
  readonly node: number;
  readonly kind: number;
  /** Exclusive bytes: what it retains minus what holders inside it retain. */
  bytes: number;
}

interface Owner {
  readonly node: number;
  readonly kind: "rule" | "aspect";
  readonly label: string | undefined;
  readonly function: FunctionRef | undefined;
}

/** A frame as the digest fills it in (its locals are measured after the stacks are read). */
type MeasuredFrame = { -readonly [K in keyof DigestFrame]: DigestFrame[K] };

interface StarlarkStack {
  readonly starlarkThread: number;
  /** The same objects as thread.frames, to fill in. */
  readonly frames: MeasuredFrame[];
  readonly javaThread: number;
  /** The Java thread's serial in the dump (its stack's roots carry it). */
  readonly threadSerial: number | undefined;
  readonly thread: DigestThread;
  /** The frames' objects and functions, innermost first (parallel to thread.frames). */
  readonly frameNodes: readonly number[];
  /** Innermost frame of a function defined in Starlark (not a builtin). */
  readonly innermostUser: FunctionRef | undefined;
}

export function digestHeap(heap: Heap, source: ByteSource, options: DigestOptions): HeapDigest {
  // A dump cut before its first instance has nothing to say; a digest of it would look like an empty heap.
  if (heap.objectCount === heap.classCount) throw new HprofError("the dump holds no objects: it was cut short before the JVM wrote its heap", heap.fileBytes);
  const view = new HeapView(heap, source);
  const search = searchHeap(
    { objectCount: heap.objectCount, edgeStart: heap.edgeStart, edgeTargets: heap.edgeTargets, shallowBytes: heap.shallowBytes, roots: heap.roots, rootHolders: rootHolders(heap) },
  );
  const names = new Names(view);
  const stacks = starlarkStacks(heap, view, search, names);
  // What only a Starlark call stack keeps alive (its locals, a builtin's work in progress), by frame and local:
  // the last use of the edges (a third of the reader's memory), let go before the tree is built.
  const ownership = stackOwnership(heap, view, stacks);
  const scratch = heap.releaseEdges();
  const tree = search.dominators(scratch);
  adoptEnclosingThreads(heap, view, tree, stacks);
  const reachableBytes = tree.reachableBytes;
  let totalBytes = 0;
  for (let i = 0; i < heap.objectCount; i++) totalBytes += heap.shallowBytes[i]!;

  const holderKindOfClass = holderKinds(heap, view);
  const owners = new Owners(heap, view, tree, names);
  // ---- one pass down the dominator tree: each vertex's innermost holder, each holder's exclusive bytes ------
  const vertices = tree.objectAt.length;
  const context = scratch.takeInt32(vertices).fill(-1);
  const holders: Holder[] = [];
  const holderIndexOfNode = new Map<number, number>();
  const addHolder = (node: number, kind: number): number => {
    holders.push({ node, kind, bytes: 0 });
    holderIndexOfNode.set(node, holders.length - 1);
    return holders.length - 1;
  };
  const ownerHolders: number[] = ownership.owners.map(() => -1);
  for (let v = 1; v < vertices; v++) {
    const node = tree.objectAt[v]!;
    const kind = node < heap.classCount ? H_NONE : holderKindOfClass[heap.classOf[node]!]!;
    const owner = ownership.ownerOf[node]!;
    if (kind !== H_NONE && (kind !== H_THREAD || stacks.some((stack) => stack.javaThread === node))) {
      context[v] = holderIndexOfNode.get(node) ?? addHolder(node, kind);
    } else if (owner > 0) {
      // Held only by a call stack: its frame's (or, for a builtin's work in progress, its thread's).
      const entry = ownership.owners[owner - 1]!;
      if (ownerHolders[owner - 1] === -1) ownerHolders[owner - 1] = holderIndexOfNode.get(entry.holderNode) ?? addHolder(entry.holderNode, entry.kind);
      context[v] = ownerHolders[owner - 1]!;
    } else {
      context[v] = context[tree.idom[v]!]!;
    }
  }
  // The largest objects now, while ownerOf says which frame's local each is; then its 2 bytes an object hold
  // the last per-vertex array.
  const largest = largestObjects(heap, view, tree, options.top, (node) => describeOwner(node, { view, tree, names, owners, stacks, ownership }));
  scratch.give(new Uint32Array(ownership.ownerOf.buffer, ownership.ownerOf.byteOffset, ownership.ownerOf.byteLength >>> 2));
  ownership.ownerOf = new Uint16Array(0);

  // ---- each holder's group, and the function charged for it ------------------------------------------------
  const placeContext: PlaceContext = { view, tree, names, owners, stacks, holderIndexOfNode, holders };
  const placements = holders.map((holder) => placeHolder(holder, placeContext));
  const functionIndex = new Map<string, number>();
  const functionRefs: FunctionRef[] = [];
  const holderFunction = Int32Array.from(placements, (placed) => {
    const fn = placed?.group.function;
    if (fn === undefined) return -1;
    let index = functionIndex.get(key(fn));
    if (index === undefined) {
      index = functionRefs.push(fn) - 1;
      functionIndex.set(key(fn), index);
    }
    return index;
  });

  // ---- objects no holder dominates, but that only one function's holders reference (shared among its own
  // providers, say: the retained sizes of a dominator tree split nothing that is shared) → that function ------
  const shared = sharedByOneFunction(tree, context, holderFunction, functionRefs.length, scratch);

  const bazelByClass = new Float64Array(heap.classes.length);
  const sharedBytes = new Float64Array(functionRefs.length);
  let reachableObjects = 0;
  for (let node = 0; node < heap.objectCount; node++) {
    const v = tree.contextVertexOf(node);
    if (v < 0) continue;
    reachableObjects++;
    const holder = context[v]!;
    const bytes = heap.shallowBytes[node]!;
    if (holder >= 0) holders[holder]!.bytes += bytes;
    else if (shared[v]! >= 0) sharedBytes[shared[v]!] = sharedBytes[shared[v]!]! + bytes;
    else bazelByClass[heap.classOf[node]!] = bazelByClass[heap.classOf[node]!]! + bytes;
  }

  // ---- holders → groups → suspects ------------------------------------------------------------------------
  const groups = new Map<string, MutableGroup>();
  holders.forEach((holder, index) => {
    const placed = placements[index];
    if (holder.bytes === 0 || placed === undefined) return;
    let group = groups.get(placed.key);
    if (group === undefined) groups.set(placed.key, (group = { ...placed.group, retainedBytes: 0, instances: 0, labels: new Map() }));
    group.retainedBytes += holder.bytes;
    group.instances++;
    if (placed.label !== undefined) group.labels.set(placed.label, (group.labels.get(placed.label) ?? 0) + holder.bytes);
  });
  sharedBytes.forEach((bytes, index) => {
    if (bytes > 0) groups.set(`shared|${index}`, { kind: "shared", function: functionRefs[index], retainedBytes: bytes, instances: 0, labels: new Map() });
  });
  const share = (bytes: number): number => (reachableBytes > 0 ? bytes / reachableBytes : 0);
  const holderGroups: HolderGroup[] = [...groups.values()]
    .sort((a, b) => b.retainedBytes - a.retainedBytes)
    .map((group) => ({
      kind: group.kind,
      function: group.function,
      retainedBytes: group.retainedBytes,
      share: share(group.retainedBytes),
      ...(group.provider === undefined ? {} : { provider: group.provider, providerFile: group.providerFile }),
      ...(group.ownerKind === undefined ? {} : { ownerKind: group.ownerKind }),
      instances: group.instances,
      targets: group.labels.size,
      topLabels: [...group.labels].sort((a, b) => b[1] - a[1]).slice(0, options.top).map(([label]) => label),
      ...(group.thread === undefined ? {} : { thread: group.thread }),
    }));
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

interface MutableGroup {
  kind: HolderKind;
  function: FunctionRef | undefined;
  provider?: string;
  providerFile?: string;
  ownerKind?: "rule" | "aspect";
  thread?: string;
  retainedBytes: number;
  instances: number;
  labels: Map<string, number>;
}

interface PlaceContext {
  readonly view: HeapView;
  readonly tree: DominatorTree;
  readonly names: Names;
  readonly owners: Owners;
  readonly stacks: readonly StarlarkStack[];
  readonly holderIndexOfNode: ReadonlyMap<number, number>;
  readonly holders: readonly Holder[];
}

/** The group a holder's bytes go to, with the label it stands for; undefined for Bazel's own threads. */
function placeHolder(
  holder: Holder,
  c: PlaceContext,
): { key: string; group: Omit<MutableGroup, "retainedBytes" | "instances" | "labels">; label: string | undefined } | undefined {
  const node = holder.node;
  switch (holder.kind) {
    case H_FRAME: {
      const stack = c.stacks.find((candidate) => candidate.frameNodes.includes(node));
      const index = stack?.frameNodes.indexOf(node) ?? -1;
      const frame = stack === undefined || index < 0 ? undefined : stack.thread.frames[index];
      // A builtin's frame (join's) belongs to the Starlark function that called it.
      const fn = frame === undefined ? undefined : frame.builtin ? callerOf(stack!, index) : { function: frame.function, file: frame.file };
      return { key: `frame-locals|${key(fn)}`, group: { kind: "frame-locals", function: fn, ...(stack === undefined ? {} : { thread: stack.thread.name }) }, label: undefined };
    }
    case H_THREAD: {
      const stack = c.stacks.find((candidate) => candidate.javaThread === node);
      if (stack === undefined) return undefined;
      return { key: `in-flight|${key(stack.innermostUser)}`, group: { kind: "in-flight", function: stack.innermostUser, thread: stack.thread.name }, label: undefined };
    }
    case H_PROVIDER: {
      const provider = c.names.provider(node);
      const owner = c.owners.ownerOfProvider(node);
      return {
        key: `provider|${provider.name}|${provider.file ?? ""}|${key(owner?.function)}`,
        group: { kind: "provider", function: owner?.function, provider: provider.name, ...(provider.file === undefined ? {} : { providerFile: provider.file }), ...(owner === undefined ? {} : { ownerKind: owner.kind }) },
        label: owner?.label,
      };
    }
    case H_ACTION: {
      const owner = c.owners.ownerOfAction(node);
      return { key: `action|${key(owner?.function)}`, group: { kind: "action", function: owner?.function, ...(owner === undefined ? {} : { ownerKind: owner.kind }) }, label: owner?.label };
    }
    case H_OWNER: {
      const owner = c.owners.owner(node);
      if (owner === undefined) return undefined;
      return { key: `analysis|${key(owner.function)}`, group: { kind: "analysis", function: owner.function, ownerKind: owner.kind }, label: owner.label };
    }
    default:
      return undefined;
  }
}

function callerOf(stack: StarlarkStack, index: number): FunctionRef | undefined {
  for (let i = index + 1; i < stack.thread.frames.length; i++) {
    const frame = stack.thread.frames[i]!;
    if (!frame.builtin) return { function: frame.function, file: frame.file };
  }
  return undefined;
}

function key(fn: FunctionRef | undefined): string {
  return fn === undefined ? "?" : `${fn.function}\u0000${fn.file ?? ""}`;
}

/** Per function: what it holds, and whether it was on a stack at the crash. Only groups with a function count. */
function suspectsOf(groups: readonly HolderGroup[], stacks: readonly StarlarkStack[], share: (bytes: number) => number): Suspect[] {
  const byFunction = new Map<string, { fn: FunctionRef; bytes: number; evidence: Evidence[] }>();
  const entry = (fn: FunctionRef): { fn: FunctionRef; bytes: number; evidence: Evidence[] } => {
    let found = byFunction.get(key(fn));
    if (found === undefined) byFunction.set(key(fn), (found = { fn, bytes: 0, evidence: [] }));
    return found;
  };
  for (const group of groups) {
    if (group.function === undefined) continue;
    const suspect = entry(group.function);
    suspect.bytes += group.retainedBytes;
    switch (group.kind) {
      case "provider":
        suspect.evidence.push({ kind: "providers", bytes: group.retainedBytes, provider: group.provider ?? "?", targets: group.targets });
        break;
      case "action":
        suspect.evidence.push({ kind: "actions", bytes: group.retainedBytes, count: group.instances });
        break;
      case "frame-locals":
        suspect.evidence.push({ kind: "frame-locals", bytes: group.retainedBytes, thread: group.thread ?? "?" });
        break;
      case "in-flight":
        suspect.evidence.push({ kind: "in-flight", bytes: group.retainedBytes, thread: group.thread ?? "?" });
        break;
      case "analysis":
        suspect.evidence.push({ kind: "analysis", bytes: group.retainedBytes });
        break;
      case "shared":
        suspect.evidence.push({ kind: "shared", bytes: group.retainedBytes });
        break;
    }
  }
  for (const stack of stacks) {
    const seen = new Set<string>();
    for (const frame of stack.thread.frames) {
      if (frame.builtin || seen.has(key(frame))) continue;
      seen.add(key(frame));
      entry({ function: frame.function, file: frame.file }).evidence.push({ kind: "on-stack", thread: stack.thread.name, threwError: stack.thread.threwError, line: frame.line });
    }
  }
  return [...byFunction.values()]
    .sort((a, b) => b.bytes - a.bytes || a.fn.function.localeCompare(b.fn.function))
    .map(({ fn, bytes, evidence }) => ({ function: fn.function, file: fn.file, retainedBytes: bytes, share: share(bytes), evidence }));
}

function verdictOf(suspects: readonly Suspect[], stacks: readonly StarlarkStack[], groups: readonly HolderGroup[], starlarkShare: number): HeapVerdict {
  if (stacks.length === 0 && groups.length === 0) return { kind: "no-starlark" };
  const [first, second] = suspects;
  if (first !== undefined && first.share >= CULPRIT_MIN_SHARE && first.retainedBytes >= CULPRIT_DOMINANCE * (second?.retainedBytes ?? 0)) {
    return { kind: "culprit", suspect: first, runnerUp: second };
  }
  return { kind: "no-single-culprit", starlarkShare, top: suspects.slice(0, 3) };
}

const UNSET = -1;
const MIXED = -2;
/** Enough for any real heap (a referrer's answer reaching a vertex before it in preorder takes a sweep). */
const MAX_SHARED_SWEEPS = 16;

/**
 * Per vertex outside every holder: the function whose holders (and only theirs) reference it, or -1. Referrers
 * are the tree's (DFS parent and other edges into the vertex: the edges themselves are gone by now). A referrer
 * outside every holder passes on its own answer, so the sweeps repeat until nothing changes (preorder resolves
 * a chain of DFS parents in one; a vertex only goes from unknown to a function to "several", so they end); a
 * referrer not answered yet is left out meanwhile. Referrers that are Bazel's own, or another function's, leave
 * the object to Bazel ("shared by several holders"). Then each answer passes down the dominator tree.
 */
function sharedByOneFunction(
  tree: DominatorTree,
  context: Int32Array,
  holderFunction: Int32Array,
  functions: number,
  scratch: ScratchPool,
): Int16Array | Int32Array {
  const vertices = context.length;
  const { searchParent, otherTargets, otherSources } = tree;
  // Function numbers, UNSET and MIXED: 16 bits do for any real heap, and fit where ownerOf was.
  const referrer = (functions <= 0x7fff ? scratch.takeInt16(vertices) : scratch.takeInt32(vertices)).fill(UNSET);
  // A holder without a function (a native rule's target, Bazel's own thread) is Bazel's: MIXED.
  const functionOf = (from: number): number => (context[from]! >= 0 ? (holderFunction[context[from]!]! >= 0 ? holderFunction[context[from]!]! : MIXED) : referrer[from]!);
  const combine = (sofar: number, from: number): number => {
    const fn = functionOf(from);
    return fn === UNSET ? sofar : sofar === UNSET || sofar === fn ? fn : MIXED;
  };
  for (let sweep = 0, changed = true; changed && sweep < MAX_SHARED_SWEEPS; sweep++) {
    changed = false;
    let other = 0;
    for (let v = 1; v < vertices; v++) {
      while (other < otherTargets.length && otherTargets[other]! < v) other++;
      // Objects inside a holder are that holder's already; being a GC root (the super-root's reference, or that
      // of a thread that adopted it) says nothing of who else holds an object.
      if (context[v]! >= 0) continue;
      let answer = searchParent[v] === 0 || tree.isAdoptedParent(v) ? UNSET : combine(UNSET, searchParent[v]!);
      for (let i = other; answer !== MIXED && i < otherTargets.length && otherTargets[i] === v; i++) {
        const from = otherSources[i]!;
        if (from !== 0 && from !== v && from < ADOPTED) answer = combine(answer, from);
      }
      if (answer !== referrer[v]) {
        referrer[v] = answer;
        changed = true;
      }
    }
  }
  // Down the tree (dominators precede what they dominate): nearest answered ancestor outside every holder.
  const shared = referrer;
  for (let v = 1; v < vertices; v++) {
    if (context[v]! >= 0) {
      shared[v] = -1;
      continue;
    }
    const own = shared[v]!;
    const parent = tree.idom[v]!;
    shared[v] = own >= 0 ? own : parent > 0 && context[parent]! < 0 ? shared[parent]! : -1;
  }
  shared[0] = -1;
  return shared;
}

/** Which holder kind each class is (by name, subclasses included). */
function holderKinds(heap: Heap, view: HeapView): Uint8Array {
  const kinds = new Uint8Array(heap.classes.length);
  const mark = (name: string, kind: number): void => {
    for (const index of view.classesNamed(name)) kinds[index] = kind;
  };
  mark(JAVA_THREAD, H_THREAD);
  mark(FRAME, H_FRAME);
  mark(STARLARK_INFO, H_PROVIDER);
  mark(ABSTRACT_ACTION, H_ACTION);
  mark(RULE_CONFIGURED_TARGET, H_OWNER);
  mark(ASPECT_VALUE, H_OWNER);
  mark(CONFIGURED_ASPECT, H_OWNER);
  return kinds;
}

/** Java locals (frame roots) belong to their thread's object: per root, the thread that holds it. */
function rootHolders(heap: Heap): Uint32Array {
  const threadBySerial = new Map(heap.threads.filter((thread) => thread.object >= 0).map((thread) => [thread.serial, thread.object]));
  const holders = new Uint32Array(heap.roots.length).fill(heap.objectCount);
  for (let r = 0; r < heap.roots.length; r++) {
    const kind = heap.rootKinds[r];
    if (kind !== "java-frame" && kind !== "jni-local" && kind !== "thread-block") continue;
    const thread = threadBySerial.get(heap.rootThreadSerials[r]!);
    if (thread !== undefined && thread !== heap.roots[r]) holders[r] = thread;
  }
  return holders;
}

/** Names of Starlark things read from the dump: functions, providers, labels (memoised). */
class Names {
  private readonly functions = new Map<number, FunctionRef & { builtin: boolean }>();
  private readonly labels = new Map<number, string | undefined>();

  constructor(private readonly view: HeapView) {}

  /** A callable: StarlarkFunction (name and file from its resolved function), BuiltinFunction, or its class. */
  function(fn: number): FunctionRef & { builtin: boolean } {
    let found = this.functions.get(fn);
    if (found !== undefined) return found;
    const view = this.view;
    if (fn === NONE) {
      found = { function: "?", file: undefined, builtin: false };
    } else if (view.isA(fn, STARLARK_FUNCTION)) {
      const resolved = view.ref(fn, "rfn");
      found = {
        function: view.string(view.ref(resolved, "name")) ?? "?",
        file: view.string(view.refPath(resolved, "location", "file")) || undefined,
        builtin: false,
      };
    } else if (view.isA(fn, BUILTIN_FUNCTION)) {
      found = { function: view.string(view.ref(fn, "methodName")) ?? "?", file: undefined, builtin: true };
    } else {
      found = { function: view.className(fn).replace(/^.*[.$]/, ""), file: undefined, builtin: true };
    }
    this.functions.set(fn, found);
    return found;
  }

  /** A com.google.devtools.build.lib.cmdline.Label as Bazel prints it: //pkg:name or @repo//pkg:name. */
  label(label: number): string | undefined {
    if (label === NONE) return undefined;
    if (this.labels.has(label)) return this.labels.get(label);
    const view = this.view;
    const pkg = view.ref(label, "packageIdentifier");
    const name = view.string(view.ref(label, "name"));
    // Bazel 4: a PathFragment (normalizedPath); Bazel 7: a String.
    const pkgField = view.ref(pkg, "pkgName");
    const pkgName = view.string(pkgField) ?? view.string(view.ref(pkgField, "normalizedPath"));
    let repository = view.string(view.refPath(pkg, "repository", "name")) ?? "";
    if (repository.startsWith("@")) repository = repository.slice(1);
    const text = name === undefined || pkgName === undefined ? undefined : `${repository === "" ? "" : `@${repository}`}//${pkgName}:${name}`;
    this.labels.set(label, text);
    return text;
  }

  provider(info: number): { name: string; file: string | undefined } {
    const key = this.view.refPath(info, "provider", "key");
    const name = this.view.string(this.view.ref(key, "exportedName")) ?? this.view.className(this.view.ref(info, "provider")).replace(/^.*[.$]/, "");
    return { name, file: this.label(this.view.ref(key, "extensionLabel")) };
  }
}

/** Configured targets and aspects: who they are, which implementation made them, what they hold. */
class Owners {
  private readonly byNode = new Map<number, Owner | undefined>();
  private providerOwners: Map<number, number> | undefined;
  private actionOwners: Map<number, number> | undefined;
  private ruleFunctions: Map<string, FunctionRef | undefined> | undefined;
  private aspectFunctions: Map<number, FunctionRef> | undefined;
  private aspectValueOfConfiguredAspect: Map<number, number> | undefined;

  constructor(
    private readonly heap: Heap,
    private readonly view: HeapView,
    private readonly tree: DominatorTree,
    private readonly names: Names,
  ) {}

  private readonly instancesByClass = new Map<string, number[]>();

  /** Every instance of a class (and subclasses), in object order. */
  private instances(className: string): number[] {
    const memo = this.instancesByClass.get(className);
    if (memo !== undefined) return memo;
    const classes = this.view.classesNamed(className);
    const found: number[] = [];
    if (classes.size > 0) {
      const marks = new Uint8Array(this.heap.classes.length);
      for (const index of classes) marks[index] = 1;
      for (let node = this.heap.classCount; node < this.heap.objectCount; node++) if (marks[this.heap.classOf[node]!] === 1) found.push(node);
    }
    this.instancesByClass.set(className, found);
    return found;
  }

  private allOwners(): number[] {
    return [...this.instances(RULE_CONFIGURED_TARGET), ...this.instances(ASPECT_VALUE), ...this.instances(CONFIGURED_ASPECT)].filter((node) => this.tree.isReachable(node));
  }

  owner(node: number): Owner | undefined {
    if (this.byNode.has(node)) return this.byNode.get(node);
    const view = this.view;
    let owner: Owner | undefined;
    if (view.isA(node, RULE_CONFIGURED_TARGET)) {
      const label = this.names.label(view.ref(node, "label")) ?? this.names.label(view.refPath(node, "actionLookupKey", "label"));
      owner = { node, kind: "rule", label, function: this.ruleFunction(view.string(view.ref(node, "ruleClassString"))) };
    } else if (view.isA(node, ASPECT_VALUE)) {
      const label = this.names.label(view.refPath(node, "key", "baseConfiguredTargetKey", "label")) ?? this.names.label(view.refPath(node, "key", "label"));
      const aspectClass = view.refPath(node, "aspect", "aspectDescriptor", "aspectClass");
      owner = { node, kind: "aspect", label, function: this.aspectFunction(aspectClass) };
    } else if (view.isA(node, CONFIGURED_ASPECT)) {
      this.aspectValueOfConfiguredAspect ??= new Map(this.instances(ASPECT_VALUE).map((value) => [view.ref(value, "configuredAspect"), value]));
      const value = this.aspectValueOfConfiguredAspect.get(node);
      const valueOwner = value === undefined ? undefined : this.owner(value);
      owner = valueOwner === undefined ? undefined : { ...valueOwner, node };
    }
    this.byNode.set(node, owner);
    return owner;
  }

  /** The owner of a provider instance: the nearest owner above it in the dominator tree, else one that lists it. */
  ownerOfProvider(info: number): Owner | undefined {
    return this.nearestOwner(info) ?? this.listedOwner(info, () => (this.providerOwners ??= this.index("providers", STARLARK_INFO)));
  }

  ownerOfAction(action: number): Owner | undefined {
    return this.nearestOwner(action) ?? this.listedOwner(action, () => (this.actionOwners ??= this.index("actions", ABSTRACT_ACTION)));
  }

  private nearestOwner(node: number): Owner | undefined {
    let current = this.tree.dominatorOf(node);
    for (let depth = 0; depth < 64 && current >= 0 && current !== this.tree.superRoot; depth++) {
      const owner = this.isOwner(current) ? this.owner(current) : undefined;
      if (owner !== undefined) return owner;
      current = this.tree.dominatorOf(current);
    }
    return undefined;
  }

  private isOwner(node: number): boolean {
    return node >= this.heap.classCount && (this.view.isA(node, RULE_CONFIGURED_TARGET) || this.view.isA(node, ASPECT_VALUE) || this.view.isA(node, CONFIGURED_ASPECT));
  }

  private listedOwner(node: number, index: () => Map<number, number>): Owner | undefined {
    const owner = index().get(node);
    return owner === undefined ? undefined : this.owner(owner);
  }

  /** object → the first owner whose `field` (providers or actions) reaches it within a few references. */
  private index(field: string, className: string): Map<number, number> {
    const found = new Map<number, number>();
    const classes = this.view.classesNamed(className);
    const isTarget = (node: number): boolean => node >= this.heap.classCount && classes.has(this.heap.classOf[node]!);
    for (const owner of this.allOwners()) {
      // The providers map's value array, or the actions list's array: a few references deep; never inside a target.
      for (const node of this.view.reachableWithin(this.view.ref(owner, field), 3, 500, isTarget)) {
        if (isTarget(node) && !found.has(node)) found.set(node, owner);
      }
    }
    return found;
  }

  /** A rule's implementation: the RuleClass of that name (when only one has it) → configuredTargetFunction. */
  private ruleFunction(ruleClass: string | undefined): FunctionRef | undefined {
    if (ruleClass === undefined) return undefined;
    if (this.ruleFunctions === undefined) {
      const byName = new Map<string, FunctionRef | undefined>();
      const seen = new Map<string, number>();
      for (const node of this.instances(RULE_CLASS)) {
        const name = this.view.string(this.view.ref(node, "name"));
        const fn = this.view.ref(node, "configuredTargetFunction");
        if (name === undefined || fn === NONE) continue;
        const ref = this.names.function(fn);
        const previous = byName.get(name);
        // Two rule classes of one name with different implementations: not knowable from the target alone.
        if (seen.has(name) && (previous === undefined || key(previous) !== key(ref))) byName.set(name, undefined);
        else byName.set(name, { function: ref.function, file: ref.file });
        seen.set(name, (seen.get(name) ?? 0) + 1);
      }
      this.ruleFunctions = byName;
    }
    return this.ruleFunctions.get(ruleClass);
  }

  /** An aspect's implementation: the StarlarkDefinedAspect whose aspectClass is this one → implementation. */
  private aspectFunction(aspectClass: number): FunctionRef | undefined {
    if (aspectClass === NONE) return undefined;
    if (this.aspectFunctions === undefined) {
      this.aspectFunctions = new Map();
      for (const node of this.instances(STARLARK_DEFINED_ASPECT)) {
        const fn = this.view.ref(node, "implementation");
        const ofClass = this.view.ref(node, "aspectClass");
        if (fn !== NONE && ofClass !== NONE) {
          const ref = this.names.function(fn);
          this.aspectFunctions.set(ofClass, { function: ref.function, file: ref.file });
        }
      }
    }
    return this.aspectFunctions.get(aspectClass);
  }
}

/**
 * The Starlark call stacks in the dump, innermost frame first, each with the Java thread running it: the
 * thread whose Java stack holds the StarlarkThread or one of its frames (a profiler may hold it too, so the
 * dominator tree alone cannot tell). Frames' locals are measured later (stackOwnership).
 */
function starlarkStacks(heap: Heap, view: HeapView, search: HeapSearch, names: Names): StarlarkStack[] {
  const stacks: StarlarkStack[] = [];
  const classes = view.classesNamed(STARLARK_THREAD);
  if (classes.size === 0) return stacks;
  const threadBySerial = new Map(heap.threads.filter((thread) => thread.object >= 0).map((thread) => [thread.serial, thread.object]));
  const stackRootThread = new Map<number, number>();
  for (let r = 0; r < heap.roots.length; r++) {
    const thread = STACK_ROOTS.has(heap.rootKinds[r]!) ? threadBySerial.get(heap.rootThreadSerials[r]!) : undefined;
    if (thread !== undefined && !stackRootThread.has(heap.roots[r]!)) stackRootThread.set(heap.roots[r]!, thread);
  }
  const isStarlarkThread = new Uint8Array(heap.classes.length);
  for (const index of classes) isStarlarkThread[index] = 1;
  for (let node = heap.classCount; node < heap.objectCount; node++) {
    if (isStarlarkThread[heap.classOf[node]!] === 0 || !search.isReachable(node)) continue;
    const frameNodes = view.listElements(view.ref(node, "callstack")).filter((frame) => frame !== NONE).reverse();
    if (frameNodes.length === 0) continue;
    // NONE for now when no stack root names the thread: adoptEnclosingThreads asks the dominator tree.
    const javaThread = [node, ...frameNodes].map((candidate) => stackRootThread.get(candidate)).find((thread) => thread !== undefined) ?? NONE;
    const frames: MeasuredFrame[] = frameNodes.map((frame) => {
      const fn = names.function(view.ref(frame, "fn"));
      const location = view.ref(frame, "loc");
      const line = location === NONE ? undefined : view.field(location, "line");
      return {
        function: fn.function,
        file: fn.file ?? builtinAware(view.string(view.ref(location, "file"))),
        line: typeof line === "number" && line > 0 ? line : undefined,
        builtin: fn.builtin,
        localsRetainedBytes: 0,
        locals: [],
      };
    });
    const userFrame = frames.find((frame) => !frame.builtin);
    stacks.push({
      starlarkThread: node,
      frames,
      ...onThread(heap, view, javaThread, frames),
      frameNodes,
      innermostUser: userFrame === undefined ? undefined : { function: userFrame.function, file: userFrame.file },
    });
  }
  return stacks;
}

function onThread(heap: Heap, view: HeapView, javaThread: number, frames: MeasuredFrame[]): Pick<StarlarkStack, "javaThread" | "threadSerial" | "thread"> {
  const info = heap.threads.find((thread) => thread.object === javaThread && javaThread !== NONE);
  const name = javaThread === NONE ? "?" : (view.string(view.ref(javaThread, "name")) ?? "?");
  const threwError = info?.frames[0]?.className === OOM_CONSTRUCTOR.className && info.frames[0].method === OOM_CONSTRUCTOR.method;
  return { javaThread, threadSerial: info?.serial, thread: { name, threwError, frames } };
}

/**
 * A stack no root of a thread's Java stack named (a profiler's reference found first, say) runs on the thread
 * that dominates its StarlarkThread. Found after the tree, so such a thread's own Java stack was not told apart
 * from the rest of the heap by stackOwnership: its work in progress stays Bazel's (never seen in a real dump).
 */
function adoptEnclosingThreads(heap: Heap, view: HeapView, tree: DominatorTree, stacks: StarlarkStack[]): void {
  stacks.forEach((stack, index) => {
    if (stack.javaThread === NONE) stacks[index] = { ...stack, ...onThread(heap, view, enclosingThread(tree, view, stack.starlarkThread), stack.frames) };
  });
}

/** Root kinds that belong to one thread's Java stack. */
const STACK_ROOTS: ReadonlySet<string> = new Set(["java-frame", "jni-local", "thread-block"]);

interface StackOwner {
  readonly kind: typeof H_FRAME | typeof H_THREAD;
  /** The holder object: the frame, or the Java thread for what only the thread's Java stack holds. */
  readonly holderNode: number;
  readonly stack: number;
  /** The frame's index in its stack (innermost 0); -1 for the thread's own. */
  readonly frame: number;
  /** The local variable's name; undefined for the frame's other objects (its locals table) or the thread's. */
  readonly local: string | undefined;
}

interface StackOwnership {
  /** Per object: 1 + the index in `owners` of the call stack part that alone keeps it, or 0; emptied once used. */
  ownerOf: Uint16Array;
  readonly owners: readonly StackOwner[];
}

/**
 * What each Starlark call stack alone keeps alive, as a Java-free answer to "what would go if this call
 * were gone": first everything the rest of the heap reaches is marked — from every root but the Starlark
 * threads' Java stacks, never passing through a StarlarkThread or its frames (profilers and contexts point
 * at them); then, innermost frame first and local by local, what a frame's locals reach unmarked is that
 * local's; last, what the thread's Java stack reaches unmarked is the thread's (a builtin's work in progress).
 * Retained sizes of a dominator tree cannot say this: a local shared with the Java stack that is joining it
 * has no dominator below the super-root.
 */
function stackOwnership(heap: Heap, view: HeapView, stacks: readonly StarlarkStack[]): StackOwnership {
  const ownerOf = new Uint16Array(heap.objectCount);
  const owners: StackOwner[] = [];
  if (stacks.length === 0) return { ownerOf, owners };
  // ownerOf doubles as the flood's bookkeeping: MARKED (reached from the rest of the heap), BLOCKED (a
  // StarlarkThread or frame: never passed through), else the claiming owner + 1.
  const MARKED = 0xffff;
  const BLOCKED = 0xfffe;
  const starlarkSerials = new Set<number>();
  for (const stack of stacks) {
    ownerOf[stack.starlarkThread] = BLOCKED;
    for (const frame of stack.frameNodes) ownerOf[frame] = BLOCKED;
    if (stack.threadSerial !== undefined) starlarkSerials.add(stack.threadSerial);
  }
  // Every object is pushed once at most (marked as it is): room for all of them, of which only the pages a
  // flood reaches take memory (a growing stack's discarded copies would add to the peak).
  const pending = new Uint32Array(heap.objectCount);
  /** Marks with `mark` everything reachable from `starts` that is not marked yet (depth first). */
  const flood = (starts: Iterable<number>, mark: number): void => {
    let depth = 0;
    const push = (node: number): void => {
      pending[depth++] = node;
    };
    for (const start of starts) {
      if (start < 0 || ownerOf[start] !== 0) continue;
      ownerOf[start] = mark;
      push(start);
    }
    while (depth > 0) {
      const node = pending[--depth]!;
      for (let e = heap.edgeStart[node]!; e < heap.edgeStart[node + 1]!; e++) {
        const target = heap.edgeTargets[e]!;
        if (ownerOf[target] !== 0) continue;
        ownerOf[target] = mark;
        push(target);
      }
    }
  };
  const isStarlarkStackRoot = (r: number): boolean => STACK_ROOTS.has(heap.rootKinds[r]!) && starlarkSerials.has(heap.rootThreadSerials[r]!);
  const rest: number[] = [];
  for (let r = 0; r < heap.roots.length; r++) if (!isStarlarkStackRoot(r)) rest.push(heap.roots[r]!);
  flood(rest, MARKED);
  const claim = (owner: StackOwner, starts: Iterable<number>): void => {
    if (owners.length >= BLOCKED - 1) return; // more than 65k locals in flight: the rest stays unnamed
    owners.push(owner);
    flood(starts, owners.length);
  };
  stacks.forEach((stack, stackIndex) => {
    stack.frameNodes.forEach((frame, frameIndex) => {
      const holder = { kind: H_FRAME, holderNode: frame, stack: stackIndex, frame: frameIndex } as const;
      for (const local of localValues(view, frame)) if (local.value !== NONE) claim({ ...holder, local: local.name }, [local.value]);
      claim({ ...holder, local: undefined }, [view.ref(frame, "locals")]);
    });
    if (stack.javaThread !== NONE && stack.threadSerial !== undefined) {
      const roots: number[] = [];
      for (let r = 0; r < heap.roots.length; r++) if (STACK_ROOTS.has(heap.rootKinds[r]!) && heap.rootThreadSerials[r] === stack.threadSerial) roots.push(heap.roots[r]!);
      claim({ kind: H_THREAD, holderNode: stack.javaThread, stack: stackIndex, frame: -1, local: undefined }, roots);
    }
  });
  // The marks of the rest of the heap are not owners; the stacks' own objects are their threads'.
  for (let node = 0; node < heap.objectCount; node++) if (ownerOf[node] >= BLOCKED) ownerOf[node] = 0;
  // Each frame's bytes, and its biggest locals, for the threads at the crash.
  const bytes = new Float64Array(owners.length + 1);
  for (let node = 0; node < heap.objectCount; node++) if (ownerOf[node] !== 0) bytes[ownerOf[node]!] = bytes[ownerOf[node]!]! + heap.shallowBytes[node]!;
  stacks.forEach((stack, stackIndex) => {
    stack.frameNodes.forEach((_, frameIndex) => {
      const mine = owners.map((owner, index) => ({ owner, bytes: bytes[index + 1]! })).filter(({ owner }) => owner.stack === stackIndex && owner.frame === frameIndex);
      const frame = stack.frames[frameIndex]!;
      frame.localsRetainedBytes = mine.reduce((sum, entry) => sum + entry.bytes, 0);
      frame.locals = mine
        .filter(({ owner, bytes: size }) => owner.local !== undefined && size > 0)
        .map(({ owner, bytes: size }) => ({ name: owner.local!, retainedBytes: size }))
        .sort((a, b) => b.retainedBytes - a.retainedBytes)
        .slice(0, 3);
    });
  });
  return { ownerOf, owners };
}

/** A location's file, undefined for builtins ("<builtin>") and when unknown. */
function builtinAware(file: string | undefined): string | undefined {
  return file === undefined || file === "" || file === "<builtin>" ? undefined : file;
}

/** The java.lang.Thread above an object in the dominator tree (its stack holds it), or NONE. */
function enclosingThread(tree: DominatorTree, view: HeapView, node: number): number {
  let current = tree.dominatorOf(node);
  for (let depth = 0; depth < 64 && current >= 0 && current !== tree.superRoot; depth++) {
    if (view.isA(current, JAVA_THREAD)) return current;
    current = tree.dominatorOf(current);
  }
  return NONE;
}

/** A frame's local variables: a LinkedHashMap name → value (Bazel 4) or an Object[] named by its function's locals (7). */
function localValues(view: HeapView, frame: number): { name: string; value: number }[] {
  const container = view.ref(frame, "locals");
  if (container === NONE) return [];
  if (view.heap.kindOf(container) !== KIND_INSTANCE) {
    const values = view.elements(container, 1024);
    const bindings = view.listElements(view.refPath(frame, "fn", "rfn", "locals"), 1024);
    return values.map((value, index) => ({ name: view.string(view.refPath(bindings[index] ?? NONE, "first", "name")) ?? `#${index}`, value }));
  }
  return view.mapEntries(container, 1024).map((entry) => ({ name: view.string(entry.key) ?? "?", value: entry.value }));
}

function errorThreadOf(heap: Heap, view: HeapView, stacks: readonly StarlarkStack[]): HeapDigest["errorThread"] {
  const thread = heap.threads.find((candidate) => candidate.frames[0]?.className === OOM_CONSTRUCTOR.className && candidate.frames[0].method === OOM_CONSTRUCTOR.method);
  if (thread === undefined) return undefined;
  return {
    name: thread.object < 0 ? `thread ${thread.serial}` : (view.string(view.ref(thread.object, "name")) ?? `thread ${thread.serial}`),
    inStarlark: stacks.some((stack) => stack.javaThread === thread.object),
    javaFrames: thread.frames.slice(1, 9).map((frame) => `${frame.className}.${frame.method}${frame.line > 0 ? `:${frame.line}` : ""}`),
  };
}

/** The biggest objects by shallow size (a String's byte[] shown as its String), with who holds them. */
function largestObjects(heap: Heap, view: HeapView, tree: DominatorTree, top: number, owner: (node: number) => string): LargeObject[] {
  const candidates: number[] = [];
  let floor = 0;
  for (let node = heap.classCount; node < heap.objectCount; node++) {
    const bytes = heap.shallowBytes[node]!;
    if (bytes <= floor || !tree.isReachable(node)) continue;
    candidates.push(node);
    if (candidates.length > top * 4) {
      candidates.sort((a, b) => heap.shallowBytes[b]! - heap.shallowBytes[a]!);
      candidates.length = top;
      floor = heap.shallowBytes[candidates[top - 1]!]!;
    }
  }
  candidates.sort((a, b) => heap.shallowBytes[b]! - heap.shallowBytes[a]!);
  return candidates.slice(0, top).map((node) => {
    const holder = tree.dominatorOf(node);
    const asString = holder >= 0 && holder < heap.objectCount && view.isA(holder, STRING) && view.ref(holder, "value") === node ? holder : node;
    const text = view.string(asString, PREVIEW_CHARS + 1);
    return {
      className: view.className(node),
      shallowBytes: heap.shallowBytes[node]!,
      retainedBytes: tree.retainedOf(node),
      preview: text === undefined ? undefined : escapePreview(text),
      owner: owner(asString),
    };
  });
}

/** Control characters and quotes escaped, cut at PREVIEW_CHARS with an ellipsis. */
export function escapePreview(text: string): string {
  const cut = text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS) : text;
  const escaped = JSON.stringify(cut).slice(1, -1);
  return text.length > PREVIEW_CHARS ? `${escaped}…` : escaped;
}

/** Who holds an object, in Starlark terms: the first holder above it, described. */
function describeOwner(node: number, c: Pick<PlaceContext, "view" | "tree" | "names" | "owners" | "stacks"> & { readonly ownership: StackOwnership }): string {
  const view = c.view;
  const owner = c.ownership.ownerOf[node]! > 0 ? c.ownership.owners[c.ownership.ownerOf[node]! - 1] : undefined;
  if (owner !== undefined) {
    const stack = c.stacks[owner.stack]!;
    if (owner.kind === H_THREAD) return inFlightText(stack);
    const info = stack.thread.frames[owner.frame]!;
    const where = `${info.function}${info.file === undefined ? "" : ` (${info.file}${info.line === undefined ? "" : `:${info.line}`})`}`;
    return `${owner.local === undefined ? "the locals table" : `local \`${owner.local}\``} of ${where} on thread ${stack.thread.name}`;
  }
  let child = node;
  let current = node;
  for (let depth = 0; depth < 64 && current >= 0 && current !== c.tree.superRoot; depth++) {
    if (view.isA(current, STARLARK_INFO)) {
      const provider = c.names.provider(current);
      const owner = c.owners.ownerOfProvider(current);
      const fieldName = providerField(view, current, child);
      return `${provider.name}${fieldName === undefined ? "" : `.${fieldName}`}${owner?.label === undefined ? "" : ` of ${owner.label}`}${ownerSuffix(owner)}`;
    }
    if (view.isA(current, ABSTRACT_ACTION)) {
      const owner = c.owners.ownerOfAction(current);
      return `contents of a ${view.className(current).replace(/^.*[.]/, "")}${owner?.label === undefined ? "" : ` of ${owner.label}`}${ownerSuffix(owner)}`;
    }
    if (view.isA(current, JAVA_THREAD)) {
      const stack = c.stacks.find((candidate) => candidate.javaThread === current);
      return stack === undefined ? `the stack of thread ${view.string(view.ref(current, "name")) ?? "?"} (Bazel)` : inFlightText(stack);
    }
    child = current;
    current = c.tree.dominatorOf(current);
  }
  return current === c.tree.superRoot && child !== node ? `Bazel: ${view.className(child).replace(/^.*[.]/, "")}` : "Bazel (shared)";
}

function inFlightText(stack: StarlarkStack): string {
  const innermost = stack.thread.frames[0];
  const caller = innermost?.builtin === true && stack.innermostUser !== undefined ? ` called by ${stack.innermostUser.function}` : "";
  return `in flight on thread ${stack.thread.name}${innermost === undefined ? "" : ` in ${innermost.function}${caller}`}`;
}

function ownerSuffix(owner: Owner | undefined): string {
  if (owner === undefined) return "";
  const fn = owner.function;
  return fn === undefined ? ` (${owner.kind})` : ` (returned by ${fn.function}${fn.file === undefined ? "" : `, ${fn.file}`})`;
}

/** The field of a provider instance that holds `value` (directly or through its field table), if readable. */
function providerField(view: HeapView, info: number, value: number): string | undefined {
  // Bazel 4: table = [keys…, values…]; Bazel 7 (StarlarkInfoWithSchema): table = values, names in provider.schema.
  const table = view.elements(view.ref(info, "table"), 4096);
  const index = table.indexOf(value);
  if (index < 0) return undefined;
  const schema = view.listElements(view.refPath(info, "provider", "schema"), 4096);
  if (schema.length > 0) return view.string(schema[index] ?? NONE);
  const half = table.length / 2;
  return index >= half ? view.string(table[index - half] ?? NONE) : undefined;
}
