/**
 * Holders: the Starlark structures found in the dump by their class (frames, threads running Starlark, provider
 * instances, actions, configured targets and aspects). One pass down the dominator tree gives each object its
 * innermost holder; each holder then goes to a group (kind, function charged, provider, label) and objects no
 * holder dominates but only one function's holders reference are charged to that function ("shared").
 * digest-groups.ts tallies what each holds and makes the groups.
 */
import { CLASSES, classesOfAny, type ClassNames } from "./bazel-layouts.js";
import { CrossEdgeCursor } from "./cross-edges.js";
import { ADOPTED, type DominatorTree } from "./dominators.js";
import { H_ACTION, H_FRAME, H_NONE, H_OWNER, H_PROVIDER, H_THREAD, type FunctionRef, type HolderKind } from "./digest-model.js";
import { functionKey, type Names } from "./digest-names.js";
import type { Owners } from "./digest-owners.js";
import type { StackOwnership, StarlarkStack } from "./digest-stacks.js";
import type { HeapView } from "./heap-view.js";
import { grownTo, makeFloat64, makeUint32, makeUint8 } from "./hprof-columns.js";
import type { Heap } from "./hprof.js";
import type { ScratchPool } from "./scratch.js";

/**
 * The holders found, a column per field: a monorepo's dump has a provider instance, an action and a target per
 * node of its build graph, millions of them (an object per holder took about 530 bytes of JS heap with its
 * placement: 80 MB for 150,000 holders).
 */
export class Holders {
  count = 0;
  node: Uint32Array;
  kind: Uint8Array;
  /** The holder object's own size. */
  shallowBytes: Float64Array;
  /** Exclusive bytes: what it retains minus what holders inside it retain. */
  bytes: Float64Array;
  /** Exclusive objects, as bytes counts them (the holder itself included). */
  objects: Float64Array;

  /** `capacity`: how many there will be, when known (countHolders): no doubling, whose copies held both. */
  constructor(capacity = 1024) {
    const length = Math.max(1, capacity);
    this.node = new Uint32Array(length);
    this.kind = new Uint8Array(length);
    this.shallowBytes = new Float64Array(length);
    this.bytes = new Float64Array(length);
    this.objects = new Float64Array(length);
  }

  /** Adds a holder; returns its index. */
  add(node: number, kind: number, shallowBytes: number): number {
    if (this.count === this.node.length) {
      const length = 2 * this.count;
      this.node = grownTo(this.node, length, makeUint32);
      this.kind = grownTo(this.kind, length, makeUint8);
      this.shallowBytes = grownTo(this.shallowBytes, length, makeFloat64);
      this.bytes = grownTo(this.bytes, length, makeFloat64);
      this.objects = grownTo(this.objects, length, makeFloat64);
    }
    const index = this.count++;
    this.node[index] = node;
    this.kind[index] = kind;
    this.shallowBytes[index] = shallowBytes;
    return index;
  }
}

/** Per dominator-tree vertex, the index of its innermost holder (-1: none). */
export interface InnermostHolders {
  readonly context: Int32Array;
  readonly holders: Holders;
}

/** One pass down the dominator tree: each vertex's innermost holder (a holder's own vertex is its own). */
export function innermostHolders(
  heap: Heap,
  holderKindOfClass: Uint8Array,
  tree: DominatorTree,
  scratch: ScratchPool,
  stacks: readonly StarlarkStack[],
  ownership: StackOwnership,
  holderCount: number,
): InnermostHolders {
  const vertices = tree.vertexCount;
  const context = scratch.takeInt32(vertices).fill(-1);
  const holders = new Holders(holderCount);
  // A frame or thread holds what only its call stack keeps alive, so it may be met as a holder twice: as a
  // vertex, and as the owner of such objects. Every other holder is one vertex, met once.
  const stackHolders = new Map<number, number>();
  const addHolder = (node: number, kind: number): number => {
    const index = holders.add(node, kind, heap.shallowSizes.bytesOf(node));
    if (kind === H_FRAME || kind === H_THREAD) stackHolders.set(node, index);
    return index;
  };
  const ownerHolders: number[] = ownership.owners.map(() => -1);
  for (let v = 1; v < vertices; v++) {
    const node = tree.objectAt.at(v);
    const kind = node < heap.classCount ? H_NONE : holderKindOfClass[heap.classOf[node]!]!;
    const owner = ownership.ownerOf[node]!;
    if (kind !== H_NONE && (kind !== H_THREAD || stacks.some((stack) => stack.javaThread === node))) {
      context[v] = stackHolders.get(node) ?? addHolder(node, kind);
    } else if (owner > 0) {
      // Held only by a call stack: its frame's (or, for a builtin's work in progress, its thread's).
      const entry = ownership.owners[owner - 1]!;
      if (ownerHolders[owner - 1] === -1) ownerHolders[owner - 1] = stackHolders.get(entry.holderNode) ?? addHolder(entry.holderNode, entry.kind);
      context[v] = ownerHolders[owner - 1]!;
    } else {
      context[v] = context[tree.idom.at(v)]!;
    }
  }
  return { context, holders };
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

/** Whether the object is of a holder kind (an instance, not a class object, of a class holderKinds marked). */
export function isHolderNode(heap: Heap, holderKindOfClass: Uint8Array, node: number): boolean {
  return node >= heap.classCount && holderKindOfClass[heap.classOf[node]!] !== H_NONE;
}

/** How many objects are of a holder kind (the memory table's holders: a thread running no Starlark counted too). */
export function countHolders(heap: Heap, holderKindOfClass: Uint8Array): number {
  let holders = 0;
  for (let node = heap.classCount; node < heap.objectCount; node++) if (isHolderNode(heap, holderKindOfClass, node)) holders++;
  return holders;
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
}

/** The group a frame's or thread's bytes go to, by its key; undefined for Bazel's own threads. */
function placeStackHolder(node: number, kind: number, c: PlaceContext): { key: string; group: GroupIdentity } | undefined {
  switch (kind) {
    case H_FRAME: {
      const stack = c.stacks.find((candidate) => candidate.frameNodes.includes(node));
      const index = stack?.frameNodes.indexOf(node) ?? -1;
      const frame = stack === undefined || index < 0 ? undefined : stack.thread.frames[index];
      // A builtin's frame (join's) belongs to the Starlark function that called it.
      const fn = frame === undefined ? undefined : frame.builtin ? callerOf(stack!, index) : { function: frame.function, file: frame.file };
      // One group per function and thread: each thread's locals are its own (threads running the same rule
      // merged under one thread's name overstated what that thread held).
      const thread = stack?.thread.name;
      return { key: `frame-locals|${functionKey(fn)}|${thread ?? ""}`, group: { kind: "frame-locals", function: fn, ...(thread === undefined ? {} : { thread }) } };
    }
    case H_THREAD: {
      const stack = c.stacks.find((candidate) => candidate.javaThread === node);
      if (stack === undefined) return undefined;
      return { key: `in-flight|${functionKey(stack.innermostUser)}|${stack.thread.name}`, group: { kind: "in-flight", function: stack.innermostUser, thread: stack.thread.name } };
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

/**
 * Where each holder's bytes go: the distinct groups, and per holder its group's index (-1: none, a thread of
 * Bazel's own) and the index of the label it stands for in `labels` (-1: none).
 */
export interface Placement {
  readonly groups: readonly GroupIdentity[];
  readonly groupOf: Int32Array;
  readonly labels: readonly string[];
  readonly labelOf: Int32Array;
}

/**
 * placeHolders' group numbers: kind + GROUP_KINDS × (the owner's function + 1 + GROUP_FUNCTIONS × the provider),
 * exact as doubles.
 */
const GROUP_KINDS = 8;
const GROUP_FUNCTIONS = 2 ** 24;

/** Each holder's placement, and the functions charged, numbered (holderFunction: per holder, -1 for none). */
export function placeHolders(holders: Holders, c: PlaceContext): { placement: Placement; functionRefs: FunctionRef[]; holderFunction: Int32Array } {
  // Placed in the dump's order: a holder's owner and its label sit near it in the file, so that the reads hit
  // the blocks read last (in the tree's order nearly every read was a new block: 7 s of a monorepo's 26).
  const byNode = new Uint32Array(holders.count);
  for (let holder = 0; holder < holders.count; holder++) byNode[holder] = holder;
  byNode.sort((a, b) => holders.node[a]! - holders.node[b]!);
  const placedGroups: GroupIdentity[] = [];
  const placedGroupOf = new Int32Array(holders.count).fill(-1);
  const labels: string[] = [];
  const labelIndex = new Map<string, number>();
  const labelOf = new Int32Array(holders.count).fill(-1);
  // Frames and threads (a few) by a text key; providers, actions and targets (a monorepo's 600,000) by a number
  // made of their kind, their owner's function (the owner records number each function once) and their provider,
  // with no object per holder (their keys, groups and owners were tens of MB of garbage at a monorepo's peak).
  const byText = new Map<string, number>();
  const byNumber = new Map<number, number>();
  const providerIds = new Map<string, number>();
  const providerIdOfName = new Map<object, number>();
  const providerId = (provider: { readonly name: string; readonly file: string | undefined }): number => {
    let id = providerIdOfName.get(provider);
    if (id === undefined) {
      const key = `${provider.name}|${provider.file ?? ""}`;
      id = providerIds.get(key);
      if (id === undefined) providerIds.set(key, (id = providerIds.size));
      providerIdOfName.set(provider, id);
    }
    return id;
  };
  for (const holder of byNode) {
    const node = holders.node[holder]!;
    const kind = holders.kind[holder]!;
    if (kind === H_FRAME || kind === H_THREAD) {
      const placed = placeStackHolder(node, kind, c);
      if (placed === undefined) continue;
      let index = byText.get(placed.key);
      if (index === undefined) byText.set(placed.key, (index = placedGroups.push(placed.group) - 1));
      placedGroupOf[holder] = index;
      continue;
    }
    const { owners } = c;
    const record = kind === H_PROVIDER ? owners.recordOfProvider(node) : kind === H_ACTION ? owners.recordOfAction(node) : owners.recordOf(node);
    // A target or aspect that could not be read places nothing; a provider or an action without one is no one's.
    if (kind === H_OWNER && record < 0) continue;
    const functionIndex = record < 0 ? -1 : owners.recordFunctionIndex(record);
    const provider = kind === H_PROVIDER ? c.names.provider(node) : undefined;
    const key = kind + GROUP_KINDS * (functionIndex + 1 + GROUP_FUNCTIONS * (provider === undefined ? 0 : providerId(provider)));
    let index = byNumber.get(key);
    if (index === undefined) {
      const fn = owners.recordFunctionAt(functionIndex);
      const ownerKind = record < 0 ? {} : { ownerKind: owners.recordKind(record) };
      const group: GroupIdentity =
        kind === H_PROVIDER
          ? { kind: "provider", function: fn, provider: provider!.name, ...(provider!.file === undefined ? {} : { providerFile: provider!.file }), ...ownerKind }
          : { kind: kind === H_ACTION ? "action" : "analysis", function: fn, ...ownerKind };
      byNumber.set(key, (index = placedGroups.push(group) - 1));
    }
    placedGroupOf[holder] = index;
    const label = record < 0 ? undefined : owners.recordLabel(record);
    if (label !== undefined) {
      let labelNumber = labelIndex.get(label);
      if (labelNumber === undefined) labelIndex.set(label, (labelNumber = labels.push(label) - 1));
      labelOf[holder] = labelNumber;
    }
  }
  // Groups and functions numbered in the holders' order (the tree's), as the groups' ties are broken.
  const groups: GroupIdentity[] = [];
  const groupOfPlaced = new Int32Array(placedGroups.length).fill(-1);
  const groupFunction: number[] = [];
  const functionIndex = new Map<string, number>();
  const functionRefs: FunctionRef[] = [];
  const groupOf = new Int32Array(holders.count).fill(-1);
  const holderFunction = new Int32Array(holders.count).fill(-1);
  for (let holder = 0; holder < holders.count; holder++) {
    const placed = placedGroupOf[holder]!;
    if (placed < 0) continue;
    if (groupOfPlaced[placed]! < 0) {
      const identity = placedGroups[placed]!;
      groupOfPlaced[placed] = groups.push(identity) - 1;
      const fn = identity.function;
      let fnIndex = fn === undefined ? -1 : functionIndex.get(functionKey(fn));
      if (fn !== undefined && fnIndex === undefined) {
        fnIndex = functionRefs.push(fn) - 1;
        functionIndex.set(functionKey(fn), fnIndex);
      }
      groupFunction.push(fnIndex ?? -1);
    }
    const group = groupOfPlaced[placed]!;
    groupOf[holder] = group;
    holderFunction[holder] = groupFunction[group]!;
  }
  return { placement: { groups, groupOf, labels, labelOf }, functionRefs, holderFunction };
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
  const { searchParent, crossEdges } = tree;
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
    const cross = new CrossEdgeCursor(crossEdges);
    for (let v = 1; v < vertices; v++) {
      // Objects inside a holder are that holder's already; being a GC root (the super-root's reference, or that
      // of a thread that adopted it) says nothing of who else holds an object. An answer of several functions is
      // final (every referrer's answer only goes on toward it): not asked again.
      if (context[v]! >= 0 || referrer[v] === MIXED) continue;
      const parent = searchParent.at(v);
      let answer = parent === 0 || tree.isAdoptedParent(v) ? UNSET : combine(UNSET, parent);
      for (let from = cross.nextSourceInto(v); answer !== MIXED && from >= 0; from = cross.nextSourceInto(v)) {
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
    const parent = tree.idom.at(v);
    shared[v] = own >= 0 ? own : parent > 0 && context[parent]! < 0 ? shared[parent]! : -1;
  }
  shared[0] = -1;
  return shared;
}
