/**
 * What holders hold, and holders → groups: one pass over the reachable objects gives each holder (and each
 * function's shared objects, and Bazel's classes) its exclusive bytes and objects; the holders then add up to
 * their groups (kind, function charged, provider…), with the bytes and objects of each target in a group.
 */
import type { DominatorTree } from "./dominators.js";
import type { FunctionRef, HolderGroup } from "./digest-model.js";
import type { GroupIdentity, Holder, Placement } from "./digest-holders.js";
import type { Heap } from "./hprof.js";

/** What holders retain, summed: per group, and per target of a group. */
interface Tally {
  retainedBytes: number;
  objects: number;
  shallowBytes: number;
}

interface MutableGroup extends GroupIdentity, Tally {
  instances: number;
  labels: Map<string, Tally>;
}

function addHolderTo(tally: Tally, holder: Holder): void {
  tally.retainedBytes += holder.bytes;
  tally.objects += holder.objects;
  tally.shallowBytes += holder.shallowBytes;
}

/** Bytes and objects that only one function's holders reference, per function number. */
export interface SharedTally {
  readonly bytes: Float64Array;
  readonly objects: Float64Array;
}

/**
 * Where the reachable objects (their count and shallow bytes) go: their holder's, a function's shared ones, or
 * Bazel's (bytes by class).
 */
export function tallyBytes(
  heap: Heap,
  tree: DominatorTree,
  context: Int32Array,
  shared: Int16Array | Int32Array,
  holders: Holder[],
  functions: number,
): { bazelByClass: Float64Array; sharedByFunction: SharedTally; reachableObjects: number } {
  const bazelByClass = new Float64Array(heap.classes.length);
  const sharedBytes = new Float64Array(functions);
  const sharedObjects = new Float64Array(functions);
  let reachableObjects = 0;
  for (let node = 0; node < heap.objectCount; node++) {
    const v = tree.contextVertexOf(node);
    if (v < 0) continue;
    reachableObjects++;
    const holder = context[v]!;
    const bytes = heap.shallowSizes.bytesOf(node);
    if (holder >= 0) {
      const tally = holders[holder]!;
      tally.bytes += bytes;
      tally.objects++;
    } else if (shared[v]! >= 0) {
      sharedBytes[shared[v]!] = sharedBytes[shared[v]!]! + bytes;
      sharedObjects[shared[v]!] = sharedObjects[shared[v]!]! + 1;
    } else {
      bazelByClass[heap.classOf[node]!] = bazelByClass[heap.classOf[node]!]! + bytes;
    }
  }
  return { bazelByClass, sharedByFunction: { bytes: sharedBytes, objects: sharedObjects }, reachableObjects };
}

/** Holders → groups (largest first), with the shared bytes of each function as a group of their own. */
/**
 * Holders → groups (largest first), with the shared bytes of each function as a group of their own (no holder
 * object of their own: shallowBytes 0). Per group, its labels with what each holds, the largest `top` kept.
 */
export function holderGroupsOf(
  holders: readonly Holder[],
  placements: readonly (Placement | undefined)[],
  sharedByFunction: SharedTally,
  functionRefs: readonly FunctionRef[],
  share: (bytes: number) => number,
  top: number,
): HolderGroup[] {
  const groups = new Map<string, MutableGroup>();
  holders.forEach((holder, index) => {
    const placed = placements[index];
    if (holder.bytes === 0 || placed === undefined) return;
    let group = groups.get(placed.key);
    if (group === undefined) groups.set(placed.key, (group = { ...placed.group, retainedBytes: 0, objects: 0, shallowBytes: 0, instances: 0, labels: new Map() }));
    addHolderTo(group, holder);
    group.instances++;
    if (placed.label !== undefined) {
      let target = group.labels.get(placed.label);
      if (target === undefined) group.labels.set(placed.label, (target = { retainedBytes: 0, objects: 0, shallowBytes: 0 }));
      addHolderTo(target, holder);
    }
  });
  sharedByFunction.bytes.forEach((bytes, index) => {
    if (bytes > 0) {
      const objects = sharedByFunction.objects[index]!;
      groups.set(`shared|${index}`, { kind: "shared", function: functionRefs[index], retainedBytes: bytes, objects, shallowBytes: 0, instances: 0, labels: new Map() });
    }
  });
  return [...groups.values()]
    .sort((a, b) => b.retainedBytes - a.retainedBytes)
    .map((group) => {
      const topTargets = [...group.labels]
        .sort((a, b) => b[1].retainedBytes - a[1].retainedBytes)
        .slice(0, top)
        .map(([label, tally]) => ({ label, retainedBytes: tally.retainedBytes, objects: tally.objects, shallowBytes: tally.shallowBytes }));
      return {
        kind: group.kind,
        function: group.function,
        retainedBytes: group.retainedBytes,
        share: share(group.retainedBytes),
        objects: group.objects,
        shallowBytes: group.shallowBytes,
        ...(group.provider === undefined ? {} : { provider: group.provider, providerFile: group.providerFile }),
        ...(group.ownerKind === undefined ? {} : { ownerKind: group.ownerKind }),
        instances: group.instances,
        targets: group.labels.size,
        topLabels: topTargets.map((target) => target.label),
        topTargets,
        ...(group.thread === undefined ? {} : { thread: group.thread }),
      };
    });
}
