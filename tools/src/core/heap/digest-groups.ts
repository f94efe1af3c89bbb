/**
 * What holders hold, and holders → groups: one pass over the reachable objects gives each holder (and each
 * function's shared objects, and Bazel's classes) its exclusive bytes and objects; the holders then add up to
 * their groups (kind, function charged, provider…), with the bytes and objects of each target in a group.
 */
import type { DominatorTree } from "./dominators.js";
import type { FunctionRef, HolderGroup, TargetBytes } from "./digest-model.js";
import type { Holders, Placement } from "./digest-holders.js";
import type { Heap } from "./hprof.js";

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
 * object of their own: shallowBytes 0). Per group, its labels with what each holds, the largest `top` kept. Ties
 * keep the order of first appearance (of a group's first holder; of a label's first holder in its group).
 * Typed columns and one sort, no object per holder or per target: a monorepo's dump has a provider, an action and
 * a target per node of its graph (a Map of labels per group and an entry per label to sort took 80 MB of garbage
 * for 600,000 holders).
 */
export function holderGroupsOf(
  holders: Holders,
  placement: Placement,
  sharedByFunction: SharedTally,
  functionRefs: readonly FunctionRef[],
  share: (bytes: number) => number,
  top: number,
): HolderGroup[] {
  const groupCount = placement.groups.length;
  const group = { bytes: new Float64Array(groupCount), objects: new Float64Array(groupCount), shallowBytes: new Float64Array(groupCount), instances: new Float64Array(groupCount), targets: new Float64Array(groupCount), first: new Int32Array(groupCount).fill(-1) };
  let labelled = 0;
  for (let holder = 0; holder < holders.count; holder++) {
    const index = placement.groupOf[holder]!;
    if (holders.bytes[holder] === 0 || index < 0) continue;
    if (group.first[index]! < 0) group.first[index] = holder;
    group.bytes[index] = group.bytes[index]! + holders.bytes[holder]!;
    group.objects[index] = group.objects[index]! + holders.objects[holder]!;
    group.shallowBytes[index] = group.shallowBytes[index]! + holders.shallowBytes[holder]!;
    group.instances[index] = group.instances[index]! + 1;
    if (placement.labelOf[holder]! >= 0) labelled++;
  }
  // The labelled holders by (group, label, holder): each run is one target of one group, its first holder first.
  const byTarget = new Uint32Array(labelled);
  for (let holder = 0, at = 0; holder < holders.count; holder++) {
    if (holders.bytes[holder] !== 0 && placement.groupOf[holder]! >= 0 && placement.labelOf[holder]! >= 0) byTarget[at++] = holder;
  }
  const { groupOf, labelOf } = placement;
  byTarget.sort((a, b) => groupOf[a]! - groupOf[b]! || labelOf[a]! - labelOf[b]! || a - b);
  const topTargets: TargetBytes[][] = Array.from({ length: groupCount }, () => []);
  const firstOfTop: number[][] = Array.from({ length: groupCount }, () => []);
  for (let start = 0; start < byTarget.length; ) {
    const first = byTarget[start]!;
    const index = groupOf[first]!;
    const label = labelOf[first]!;
    let retainedBytes = 0;
    let objects = 0;
    let shallowBytes = 0;
    let end = start;
    for (; end < byTarget.length && groupOf[byTarget[end]!] === index && labelOf[byTarget[end]!] === label; end++) {
      const holder = byTarget[end]!;
      retainedBytes += holders.bytes[holder]!;
      objects += holders.objects[holder]!;
      shallowBytes += holders.shallowBytes[holder]!;
    }
    group.targets[index] = group.targets[index]! + 1;
    // Into the group's largest `top`, after those that hold as much and came first.
    const kept = topTargets[index]!;
    const keptFirst = firstOfTop[index]!;
    let at = kept.length;
    while (at > 0 && (kept[at - 1]!.retainedBytes < retainedBytes || (kept[at - 1]!.retainedBytes === retainedBytes && keptFirst[at - 1]! > first))) at--;
    if (at < top) {
      kept.splice(at, 0, { label: placement.labels[label]!, retainedBytes, objects, shallowBytes });
      keptFirst.splice(at, 0, first);
      if (kept.length > top) {
        kept.pop();
        keptFirst.pop();
      }
    }
    start = end;
  }
  // Holder groups in order of their first holder, then the shared bytes of each function: ties keep that order.
  const made: { group: HolderGroup; order: number }[] = [];
  for (let index = 0; index < groupCount; index++) {
    if (group.first[index]! < 0) continue;
    const identity = placement.groups[index]!;
    const targets = topTargets[index]!;
    made.push({
      order: group.first[index]!,
      group: {
        kind: identity.kind,
        function: identity.function,
        retainedBytes: group.bytes[index]!,
        share: share(group.bytes[index]!),
        objects: group.objects[index]!,
        shallowBytes: group.shallowBytes[index]!,
        ...(identity.provider === undefined ? {} : { provider: identity.provider, providerFile: identity.providerFile }),
        ...(identity.ownerKind === undefined ? {} : { ownerKind: identity.ownerKind }),
        instances: group.instances[index]!,
        targets: group.targets[index]!,
        topLabels: targets.map((target) => target.label),
        topTargets: targets,
        ...(identity.thread === undefined ? {} : { thread: identity.thread }),
      },
    });
  }
  sharedByFunction.bytes.forEach((bytes, index) => {
    if (bytes <= 0) return;
    const objects = sharedByFunction.objects[index]!;
    made.push({
      order: holders.count + index,
      group: { kind: "shared", function: functionRefs[index], retainedBytes: bytes, share: share(bytes), objects, shallowBytes: 0, instances: 0, targets: 0, topLabels: [], topTargets: [] },
    });
  });
  return made.sort((a, b) => b.group.retainedBytes - a.group.retainedBytes || a.order - b.order).map(({ group: made }) => made);
}
