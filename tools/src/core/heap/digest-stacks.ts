/**
 * The Starlark call stacks in a dump (each StarlarkThread's frames, innermost first, with the Java thread
 * running it), and what each stack alone keeps alive: its frames' local variables, and a builtin's work in
 * progress on the thread's Java stack.
 */
import { CLASSES, classesOfAny, FIELDS, follow, followNumber, followText, isAny, OOM_CONSTRUCTOR } from "./bazel-layouts.js";
import type { DominatorTree, HeapSearch } from "./dominators.js";
import { H_FRAME, H_THREAD, type DigestFrame, type DigestThread, type ErrorThread, type FunctionRef } from "./digest-model.js";
import { builtinAware, type Names } from "./digest-names.js";
import { NONE, type HeapView } from "./heap-view.js";
import { KIND_INSTANCE, type Heap } from "./hprof.js";
import { grownTo, makeUint32 } from "./hprof-columns.js";

/** A frame as the digest fills it in (its locals are measured after the stacks are read). */
export type MeasuredFrame = { -readonly [K in keyof DigestFrame]: DigestFrame[K] };

export interface StarlarkStack {
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

/** Java locals (frame roots) belong to their thread's object: per root, the thread that holds it. */
export function rootHolders(heap: Heap): Uint32Array {
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

/**
 * The call stacks the search reached (of starlarkCallstacks'), innermost frame first, each with the Java thread
 * running it: the thread whose Java stack holds the StarlarkThread or one of its frames (a profiler may hold it
 * too, so the dominator tree alone cannot tell). Frames' locals are measured later (stackOwnership).
 */
export function starlarkStacks(heap: Heap, view: HeapView, search: HeapSearch, names: Names, callstacks: readonly Callstack[]): StarlarkStack[] {
  const stacks: StarlarkStack[] = [];
  const threadBySerial = new Map(heap.threads.filter((thread) => thread.object >= 0).map((thread) => [thread.serial, thread.object]));
  const stackRootThread = new Map<number, number>();
  for (let r = 0; r < heap.roots.length; r++) {
    const thread = STACK_ROOTS.has(heap.rootKinds[r]!) ? threadBySerial.get(heap.rootThreadSerials[r]!) : undefined;
    if (thread !== undefined && !stackRootThread.has(heap.roots[r]!)) stackRootThread.set(heap.roots[r]!, thread);
  }
  for (const { node, frameNodes } of callstacks) {
    if (!search.isReachable(node)) continue;
    // NONE for now when no stack root names the thread: adoptEnclosingThreads asks the dominator tree.
    const javaThread = [node, ...frameNodes].map((candidate) => stackRootThread.get(candidate)).find((thread) => thread !== undefined) ?? NONE;
    const frames: MeasuredFrame[] = frameNodes.map((frame) => {
      const fn = names.function(follow(view, frame, FIELDS.frameFunction));
      const location = follow(view, frame, FIELDS.frameLocation);
      const line = location === NONE ? undefined : followNumber(view, location, FIELDS.locationLine);
      return {
        function: fn.function,
        file: fn.file ?? builtinAware(followText(view, location, FIELDS.locationFile)),
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

/** A StarlarkThread object running Starlark, with its frames' objects innermost first. */
export interface Callstack {
  readonly node: number;
  readonly frameNodes: readonly number[];
}

/**
 * Every StarlarkThread in the dump that is running Starlark, reached or not, found once before the search: the
 * memory checks need how many parts they may claim (stackClaimsBound), the digest the reached ones (starlarkStacks).
 */
export function starlarkCallstacks(heap: Heap, view: HeapView): Callstack[] {
  const callstacks: Callstack[] = [];
  const classes = classesOfAny(view, CLASSES.starlarkThread);
  if (classes.size === 0) return callstacks;
  const isStarlarkThread = new Uint8Array(heap.classes.length);
  for (const index of classes) isStarlarkThread[index] = 1;
  for (let node = heap.classCount; node < heap.objectCount; node++) {
    if (isStarlarkThread[heap.classOf[node]!] === 0) continue;
    const frameNodes = view.listElements(follow(view, node, FIELDS.callstack)).filter((frame) => frame !== NONE).reverse();
    if (frameNodes.length > 0) callstacks.push({ node, frameNodes });
  }
  return callstacks;
}

function onThread(heap: Heap, view: HeapView, javaThread: number, frames: MeasuredFrame[]): Pick<StarlarkStack, "javaThread" | "threadSerial" | "thread"> {
  const info = heap.threads.find((thread) => thread.object === javaThread && javaThread !== NONE);
  const name = javaThread === NONE ? "?" : (followText(view, javaThread, FIELDS.threadName) ?? "?");
  const threwError = info?.frames[0]?.className === OOM_CONSTRUCTOR.className && info.frames[0].method === OOM_CONSTRUCTOR.method;
  return { javaThread, threadSerial: info?.serial, thread: { name, threwError, frames } };
}

/**
 * A stack no root of a thread's Java stack named (a profiler's reference found first, say) runs on the thread
 * that dominates its StarlarkThread. Found after the tree, so such a thread's own Java stack was not told apart
 * from the rest of the heap by stackOwnership: its work in progress stays Bazel's (never seen in a real dump).
 */
export function adoptEnclosingThreads(heap: Heap, view: HeapView, tree: DominatorTree, stacks: StarlarkStack[]): void {
  stacks.forEach((stack, index) => {
    if (stack.javaThread === NONE) stacks[index] = { ...stack, ...onThread(heap, view, enclosingThread(tree, view, stack.starlarkThread), stack.frames) };
  });
}

/** Root kinds that belong to one thread's Java stack. */
const STACK_ROOTS: ReadonlySet<string> = new Set(["java-frame", "jni-local", "thread-block"]);

export interface StackOwner {
  readonly kind: typeof H_FRAME | typeof H_THREAD;
  /** The holder object: the frame, or the Java thread for what only the thread's Java stack holds. */
  readonly holderNode: number;
  readonly stack: number;
  /** The frame's index in its stack (innermost 0); -1 for the thread's own. */
  readonly frame: number;
  /** The local variable's name; undefined for the frame's other objects (its locals table) or the thread's. */
  readonly local: string | undefined;
}

export interface StackOwnership {
  /**
   * Per object: 1 + the index in `owners` of the call stack part that alone keeps it, or 0; emptied once used.
   * One byte an object while the owners are fewer than 253 (every real dump: a few dozen locals in flight).
   */
  ownerOf: Uint8Array | Uint16Array;
  readonly owners: readonly StackOwner[];
}

/** What one part of a Starlark call stack claims: the objects its flood starts from. */
export interface StackClaim {
  readonly owner: StackOwner;
  readonly starts: readonly number[];
}

/**
 * What each part of the stacks claims, innermost frame first and local by local, then the thread's Java stack:
 * counted before the flood, so that who owns each object is as narrow as their count allows (wideStackOwners).
 */
export function stackClaims(heap: Heap, view: HeapView, stacks: readonly StarlarkStack[]): StackClaim[] {
  const claims: StackClaim[] = [];
  stacks.forEach((stack, stackIndex) => {
    stack.frameNodes.forEach((frame, frameIndex) => {
      const holder = { kind: H_FRAME, holderNode: frame, stack: stackIndex, frame: frameIndex } as const;
      for (const local of localValues(view, frame)) if (local.value !== NONE) claims.push({ owner: { ...holder, local: local.name }, starts: [local.value] });
      claims.push({ owner: { ...holder, local: undefined }, starts: [follow(view, frame, FIELDS.frameLocals)] });
    });
    if (stack.javaThread !== NONE && stack.threadSerial !== undefined) {
      const roots: number[] = [];
      for (let r = 0; r < heap.roots.length; r++) if (STACK_ROOTS.has(heap.rootKinds[r]!) && heap.rootThreadSerials[r] === stack.threadSerial) roots.push(heap.roots[r]!);
      claims.push({ owner: { kind: H_THREAD, holderNode: stack.javaThread, stack: stackIndex, frame: -1, local: undefined }, starts: roots });
    }
  });
  return claims;
}

/**
 * Whether who owns each object takes 2 bytes an object of its own (memory-budget.ts' WIDE_STACK_OWNER_BYTES), for
 * this many parts of the stacks claiming objects: a byte numbers 252 owners beside its flood's two marks and "none".
 */
export function wideStackOwners(claims: number): boolean {
  return claims >= 0xfd;
}

/**
 * At most how many parts of the stacks will claim objects (stackClaims), known before the search: every
 * StarlarkThread's frames and locals, reached or not, and its Java stack whether a root names it or not. The
 * memory checks count who owns each object as wide from the start when this bound is (a monorepo's machine runs
 * dozens of Starlark threads at once), so that the cross edges never take the room it needs.
 */
export function stackClaimsBound(view: HeapView, callstacks: readonly Callstack[]): number {
  let claims = 0;
  for (const { frameNodes } of callstacks) {
    claims += 1 + frameNodes.length;
    for (const frame of frameNodes) for (const local of localValues(view, frame)) if (local.value !== NONE) claims++;
  }
  return claims;
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
export function stackOwnership(heap: Heap, stacks: readonly StarlarkStack[], claims: readonly StackClaim[]): StackOwnership {
  const owners: StackOwner[] = [];
  // ownerOf doubles as the flood's bookkeeping: MARKED (reached from the rest of the heap), BLOCKED (a
  // StarlarkThread or frame: never passed through), else the claiming owner + 1. A byte an object takes the
  // shallow sizes' memory while they wait on disk (frameBytes, after the flood, needs them back).
  const ownerOf = wideStackOwners(claims.length) ? new Uint16Array(heap.objectCount) : heap.shallowSizes.lend(heap.spill).fill(0);
  if (stacks.length === 0) return { ownerOf, owners };
  const MARKED = ownerOf instanceof Uint8Array ? 0xff : 0xffff;
  const BLOCKED = MARKED - 1;
  const starlarkSerials = new Set<number>();
  for (const stack of stacks) {
    ownerOf[stack.starlarkThread] = BLOCKED;
    for (const frame of stack.frameNodes) ownerOf[frame] = BLOCKED;
    if (stack.threadSerial !== undefined) starlarkSerials.add(stack.threadSerial);
  }
  // The path being followed, per object on it its next edge and its edges' end: as deep as the longest path the
  // flood follows, not as wide as the heap (pushing every target at once held up to 4 bytes per object: 65 MB of
  // a 1.43 GB dump).
  let pathEdge: Uint32Array = new Uint32Array(1 << 12);
  let pathEnd: Uint32Array = new Uint32Array(1 << 12);
  /** Marks with `mark` everything reachable from `starts` that is not marked yet (depth first). */
  const flood = (starts: Iterable<number>, mark: number): void => {
    const { edgeStart, edgeTargets } = heap;
    for (const start of starts) {
      if (start < 0 || ownerOf[start] !== 0) continue;
      ownerOf[start] = mark;
      let depth = 0;
      pathEdge[0] = edgeStart.of(start);
      pathEnd[0] = edgeStart.of(start + 1);
      while (depth >= 0) {
        const edge = pathEdge[depth]!;
        if (edge >= pathEnd[depth]!) {
          depth--;
          continue;
        }
        pathEdge[depth] = edge + 1;
        const target = edgeTargets[edge]!;
        if (ownerOf[target] !== 0) continue;
        ownerOf[target] = mark;
        if (++depth === pathEdge.length) {
          pathEdge = grownTo(pathEdge, 2 * pathEdge.length, makeUint32);
          pathEnd = grownTo(pathEnd, 2 * pathEnd.length, makeUint32);
        }
        pathEdge[depth] = edgeStart.of(target);
        pathEnd[depth] = edgeStart.of(target + 1);
      }
    }
  };
  const isStarlarkStackRoot = (r: number): boolean => STACK_ROOTS.has(heap.rootKinds[r]!) && starlarkSerials.has(heap.rootThreadSerials[r]!);
  const rest: number[] = [];
  for (let r = 0; r < heap.roots.length; r++) if (!isStarlarkStackRoot(r)) rest.push(heap.roots[r]!);
  flood(rest, MARKED);
  for (const { owner, starts } of claims) {
    if (owners.length >= BLOCKED - 1) break; // more than 65k locals in flight: the rest stays unnamed
    owners.push(owner);
    flood(starts, owners.length);
  }
  // The marks of the rest of the heap are not owners; the stacks' own objects are their threads'.
  for (let node = 0; node < heap.objectCount; node++) if (ownerOf[node] >= BLOCKED) ownerOf[node] = 0;
  return { ownerOf, owners };
}

/**
 * Each frame's bytes, and its biggest locals, for the threads at the crash, from who owns each object
 * (stackOwnership) and the shallow sizes (back from the store once the edges' memory is free: heap-digest.ts).
 */
export function frameBytes(heap: Heap, stacks: readonly StarlarkStack[], { ownerOf, owners }: StackOwnership): void {
  const bytes = new Float64Array(owners.length + 1);
  for (let node = 0; node < heap.objectCount; node++) if (ownerOf[node] !== 0) bytes[ownerOf[node]!] = bytes[ownerOf[node]!]! + heap.shallowSizes.bytesOf(node);
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
}

/** The java.lang.Thread above an object in the dominator tree (its stack holds it), or NONE. */
function enclosingThread(tree: DominatorTree, view: HeapView, node: number): number {
  let current = tree.dominatorOf(node);
  for (let depth = 0; depth < 64 && current >= 0 && current !== tree.superRoot; depth++) {
    if (isAny(view, current, CLASSES.javaThread)) return current;
    current = tree.dominatorOf(current);
  }
  return NONE;
}

/** A frame's local variables: a LinkedHashMap name → value (Bazel 4) or an Object[] named by its function's locals (7). */
function localValues(view: HeapView, frame: number): { name: string; value: number }[] {
  const container = follow(view, frame, FIELDS.frameLocals);
  if (container === NONE) return [];
  if (view.heap.kindOf(container) !== KIND_INSTANCE) {
    const values = view.elements(container, 1024);
    const bindings = view.listElements(follow(view, frame, FIELDS.frameBindings), 1024);
    return values.map((value, index) => ({ name: followText(view, bindings[index] ?? NONE, FIELDS.bindingName) ?? `#${index}`, value }));
  }
  return view.mapEntries(container, 1024).map((entry) => ({ name: view.string(entry.key) ?? "?", value: entry.value }));
}

export function errorThreadOf(heap: Heap, view: HeapView, stacks: readonly StarlarkStack[]): ErrorThread | undefined {
  const thread = heap.threads.find((candidate) => candidate.frames[0]?.className === OOM_CONSTRUCTOR.className && candidate.frames[0].method === OOM_CONSTRUCTOR.method);
  if (thread === undefined) return undefined;
  return {
    name: thread.object < 0 ? `thread ${thread.serial}` : (followText(view, thread.object, FIELDS.threadName) ?? `thread ${thread.serial}`),
    inStarlark: stacks.some((stack) => stack.javaThread === thread.object),
    javaFrames: thread.frames.slice(1, 9).map((frame) => `${frame.className}.${frame.method}${frame.line > 0 ? `:${frame.line}` : ""}`),
  };
}
