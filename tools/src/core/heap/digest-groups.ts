/**
 * What holders hold, and holders → groups: one pass over the reachable objects gives each holder (and each
 * function's shared objects, and Bazel's classes) its exclusive bytes and objects; the holders then add up to
 * their groups (kind, function charged, provider…), with the bytes and objects of each target in a group.
 */
import type { DominatorTree } from "./dominators.js";
import type { FunctionRef, HolderGroup } from "./digest-model.js";
import type { GroupIdentity, Holders, Placement } from "./digest-holders.js";
import type { Heap } from "./hprof.js";
import { grownTo, makeFloat64 } from "./hprof-columns.js";

/** What holders retain, summed: per group, and per target of a group. */
interface Tally {
  retainedBytes: number;
  objects: number;
  shallowBytes: number;
}

interface MutableGroup extends GroupIdentity, Tally {
  instances: number;
  /** Per target (label): its index in the targets' tallies. */
  labels: Map<string, number>;
}

/** Per (group, target) pair, what its holders retain: a column per field, one entry per pair. */
class TargetTallies {
  count = 0;
  retainedBytes: Float64Array = new Float64Array(1024);
  objects: Float64Array = new Float64Array(1024);
  shallowBytes: Float64Array = new Float64Array(1024);

  add(): number {
    if (this.count === this.retainedBytes.length) {
      const length = 2 * this.count;
      this.retainedBytes = grownTo(this.retainedBytes, length, makeFloat64);
      this.objects = grownTo(this.objects, length, makeFloat64);
      this.shallowBytes = grownTo(this.shallowBytes, length, makeFloat64);
    }
    return this.count++;
  }
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
  holders: Holders,
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
      holders.bytes[holder] = holders.bytes[holder]! + bytes;
      holders.objects[holder] = holders.objects[holder]! + 1;
    } else if (shared[v]! >= 0) {
      sharedBytes[shared[v]!] = sharedBytes[shared[v]!]! + bytes;
      sharedObjects[shared[v]!] = sharedObjects[shared[v]!]! + 1;
    } else {
      bazelByClass[heap.classOf[node]!] = bazelByClass[heap.classOf[node]!]! + bytes;
    }
  }
  return { bazelByClass, sharedByFunction: { bytes: sharedBytes, objects: sharedObjects }, reachableObjects };
}

/**
 * Holders → groups (largest first), with the shared bytes of each function as a group of their own (no holder
 * object of their own: shallowBytes 0). Per group, its labels with what each holds, the largest `top` kept.
 */
export function holderGroupsOf(
  holders: Holders,
  placement: Placement,
  sharedByFunction: SharedTally,
  functionRefs: readonly FunctionRef[],
  share: (bytes: number) => number,
  top: number,
): HolderGroup[] {
  const groups = new Map<string, MutableGroup>();
  const byIndex: (MutableGroup | undefined)[] = [];
  const targets = new TargetTallies();
  for (let holder = 0; holder < holders.count; holder++) {
    const index = placement.groupOf[holder]!;
    if (holders.bytes[holder] === 0 || index < 0) continue;
    let group = byIndex[index];
    if (group === undefined) {
      byIndex[index] = group = { ...placement.groups[index]!, retainedBytes: 0, objects: 0, shallowBytes: 0, instances: 0, labels: new Map() };
      groups.set(`holder|${index}`, group);
    }
    group.retainedBytes += holders.bytes[holder]!;
    group.objects += holders.objects[holder]!;
    group.shallowBytes += holders.shallowBytes[holder]!;
    group.instances++;
    const label = placement.labelOf[holder];
    if (label !== undefined) {
      let target = group.labels.get(label);
      if (target === undefined) group.labels.set(label, (target = targets.add()));
      targets.retainedBytes[target] = targets.retainedBytes[target]! + holders.bytes[holder]!;
      targets.objects[target] = targets.objects[target]! + holders.objects[holder]!;
      targets.shallowBytes[target] = targets.shallowBytes[target]! + holders.shallowBytes[holder]!;
    }
  }
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
        .sort((a, b) => targets.retainedBytes[b[1]]! - targets.retainedBytes[a[1]]!)
        .slice(0, top)
        .map(([label, target]) => ({ label, retainedBytes: targets.retainedBytes[target]!, objects: targets.objects[target]!, shallowBytes: targets.shallowBytes[target]! }));
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
