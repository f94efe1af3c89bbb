/**
 * Holders: the Starlark structures found in the dump by their class (frames, threads running Starlark, provider
 * instances, actions, configured targets and aspects). One pass down the dominator tree gives each object its
 * innermost holder; each holder then goes to a group (kind, function charged, provider, label) and objects no
 * holder dominates but only one function's holders reference are charged to that function ("shared").
 * digest-groups.ts tallies what each holds and makes the groups.
 */
import { CLASSES, classesOfAny, type ClassNames } from "./bazel-layouts.js";
import { ADOPTED, type DominatorTree } from "./dominators.js";
import { H_ACTION, H_FRAME, H_NONE, H_OWNER, H_PROVIDER, H_THREAD, type FunctionRef, type HolderKind } from "./digest-model.js";
import { functionKey, type Names } from "./digest-names.js";
import type { Owners } from "./digest-owners.js";
import type { StackOwnership, StarlarkStack } from "./digest-stacks.js";
import type { HeapView } from "./heap-view.js";
import type { Heap } from "./hprof.js";
import type { ScratchPool } from "./scratch.js";

export interface Holder {
  readonly node: number;
  readonly kind: number;
  /** The holder object's own size. */
  readonly shallowBytes: number;
  /** Exclusive bytes: what it retains minus what holders inside it retain. */
  bytes: number;
  /** Exclusive objects, as bytes counts them (the holder itself included). */
  objects: number;
}

/** Per dominator-tree vertex, the index in `holders` of its innermost holder (-1: none). */
export interface InnermostHolders {
  readonly context: Int32Array;
  readonly holders: Holder[];
  readonly holderIndexOfNode: ReadonlyMap<number, number>;
}

/** One pass down the dominator tree: each vertex's innermost holder (a holder's own vertex is its own). */
export function innermostHolders(
  heap: Heap,
  holderKindOfClass: Uint8Array,
  tree: DominatorTree,
  scratch: ScratchPool,
  stacks: readonly StarlarkStack[],
  ownership: StackOwnership,
): InnermostHolders {
  const vertices = tree.objectAt.length;
  const context = scratch.takeInt32(vertices).fill(-1);
  const holders: Holder[] = [];
  const holderIndexOfNode = new Map<number, number>();
  const addHolder = (node: number, kind: number): number => {
    holders.push({ node, kind, shallowBytes: heap.shallowSizes.bytesOf(node), bytes: 0, objects: 0 });
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
  return { context, holders, holderIndexOfNode };
}

/**
 * Which holder kind each class is (by name, subclasses included; H_NONE for the rest). Their objects stay
 * vertices of the dominator tree (HeapGraph.keepsVertex), where innermostHolders looks for them.
 */
export function holderKinds(heap: Heap, view: HeapView): Uint8Array {
  const kinds = new Uint8Array(heap.classes.length);
  const mark = (names: ClassNames, kind: number): void => {
    for (const index of classesOfAny(view, names)) kinds[index] = kind;
  };
  mark(CLASSES.javaThread, H_THREAD);
  mark(CLASSES.frame, H_FRAME);
  mark(CLASSES.providerInstance, H_PROVIDER);
  mark(CLASSES.action, H_ACTION);
  mark(CLASSES.ruleTarget, H_OWNER);
  mark(CLASSES.aspectValue, H_OWNER);
  mark(CLASSES.configuredAspect, H_OWNER);
  return kinds;
}

/** Which group a holder's bytes go to (digest-groups.ts adds them up). */
export interface GroupIdentity {
  readonly kind: HolderKind;
  readonly function: FunctionRef | undefined;
  readonly provider?: string;
  readonly providerFile?: string;
  readonly ownerKind?: "rule" | "aspect";
  readonly thread?: string;
}

export interface PlaceContext {
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
): { key: string; group: GroupIdentity; label: string | undefined } | undefined {
  const node = holder.node;
  switch (holder.kind) {
    case H_FRAME: {
      const stack = c.stacks.find((candidate) => candidate.frameNodes.includes(node));
      const index = stack?.frameNodes.indexOf(node) ?? -1;
      const frame = stack === undefined || index < 0 ? undefined : stack.thread.frames[index];
      // A builtin's frame (join's) belongs to the Starlark function that called it.
      const fn = frame === undefined ? undefined : frame.builtin ? callerOf(stack!, index) : { function: frame.function, file: frame.file };
      // One group per function and thread: each thread's locals are its own (threads running the same rule
      // merged under one thread's name overstated what that thread held).
      const thread = stack?.thread.name;
      return { key: `frame-locals|${functionKey(fn)}|${thread ?? ""}`, group: { kind: "frame-locals", function: fn, ...(thread === undefined ? {} : { thread }) }, label: undefined };
    }
    case H_THREAD: {
      const stack = c.stacks.find((candidate) => candidate.javaThread === node);
      if (stack === undefined) return undefined;
      return { key: `in-flight|${functionKey(stack.innermostUser)}|${stack.thread.name}`, group: { kind: "in-flight", function: stack.innermostUser, thread: stack.thread.name }, label: undefined };
    }
    case H_PROVIDER: {
      const provider = c.names.provider(node);
      const owner = c.owners.ownerOfProvider(node);
      return {
        key: `provider|${provider.name}|${provider.file ?? ""}|${functionKey(owner?.function)}`,
        group: { kind: "provider", function: owner?.function, provider: provider.name, ...(provider.file === undefined ? {} : { providerFile: provider.file }), ...(owner === undefined ? {} : { ownerKind: owner.kind }) },
        label: owner?.label,
      };
    }
    case H_ACTION: {
      const owner = c.owners.ownerOfAction(node);
      return { key: `action|${functionKey(owner?.function)}`, group: { kind: "action", function: owner?.function, ...(owner === undefined ? {} : { ownerKind: owner.kind }) }, label: owner?.label };
    }
    case H_OWNER: {
      const owner = c.owners.owner(node);
      if (owner === undefined) return undefined;
      return { key: `analysis|${functionKey(owner.function)}`, group: { kind: "analysis", function: owner.function, ownerKind: owner.kind }, label: owner.label };
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

/** A holder's group, the function charged for it, and the label it stands for. */
export type Placement = NonNullable<ReturnType<typeof placeHolder>>;

/** Each holder's placement, and the functions charged, numbered (holderFunction: per holder, -1 for none). */
export function placeHolders(holders: readonly Holder[], c: PlaceContext): { placements: (Placement | undefined)[]; functionRefs: FunctionRef[]; holderFunction: Int32Array } {
  const placements = holders.map((holder) => placeHolder(holder, c));
  const functionIndex = new Map<string, number>();
  const functionRefs: FunctionRef[] = [];
  const holderFunction = Int32Array.from(placements, (placed) => {
    const fn = placed?.group.function;
    if (fn === undefined) return -1;
    let index = functionIndex.get(functionKey(fn));
    if (index === undefined) {
      index = functionRefs.push(fn) - 1;
      functionIndex.set(functionKey(fn), index);
    }
    return index;
  });
  return { placements, functionRefs, holderFunction };
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
export function sharedByOneFunction(
  tree: DominatorTree,
  context: Int32Array,
  holderFunction: Int32Array,
  functions: number,
  scratch: ScratchPool,
): Int16Array | Int32Array {
  const vertices = context.length;
  const { searchParent, otherTargets, otherSources } = tree;
  // Function numbers, UNSET and MIXED: 16 bits do for any real heap (where ownerOf was, and more).
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
