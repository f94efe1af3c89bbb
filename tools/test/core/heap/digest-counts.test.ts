// What a holder group counts besides retained bytes: its objects, its holder objects' own size, and per target
// (topTargets). Checked on heaps shaped like Bazel's against a reference written here, independent of the
// dominator tree: the objects a holder retains are those no longer reachable from the GC roots once it is gone.
import { describe, expect, it } from "vitest";
import { digestHeap, type HeapDigest, type HolderGroup } from "../../../src/core/heap/heap-digest.js";
import { HeapView } from "../../../src/core/heap/heap-view.js";
import { bytesSource, readHeap, type Heap } from "../../../src/core/heap/hprof.js";
import { bazelShapedHeap, SCENARIO as s, type BazelLayout } from "./digest-bazel-heap.js";

/** Objects reachable from the GC roots, not passing through `removed`. */
function reachable(heap: Heap, removed: number): Uint8Array {
  const seen = new Uint8Array(heap.objectCount);
  const queue: number[] = [];
  const visit = (node: number): void => {
    if (node !== removed && seen[node] === 0) {
      seen[node] = 1;
      queue.push(node);
    }
  };
  for (const root of heap.roots) visit(root);
  while (queue.length > 0) {
    const node = queue.pop()!;
    for (let edge = heap.edgeStart.of(node); edge < heap.edgeStart.of(node + 1); edge++) visit(heap.edgeTargets[edge]!);
  }
  return seen;
}

/** What `node` alone keeps alive (itself included): Eclipse MAT's retained set, by its definition. */
function retainedSet(heap: Heap, node: number): { objects: number; bytes: number } {
  const all = reachable(heap, -1);
  const without = reachable(heap, node);
  let objects = 0;
  let bytes = 0;
  for (let other = 0; other < heap.objectCount; other++) {
    if (all[other] === 1 && without[other] === 0) {
      objects++;
      bytes += heap.shallowSizes.bytesOf(other);
    }
  }
  return { objects, bytes };
}

function digestAndHeap(layout: BazelLayout): { digest: HeapDigest; heap: Heap; view: HeapView } {
  const bytes = bazelShapedHeap(layout);
  const digestSource = bytesSource(bytes);
  const digest = digestHeap(readHeap(digestSource), digestSource, { top: 5 });
  // A heap of its own for the reference: the digest lets go of its edges.
  const source = bytesSource(bytes);
  const heap = readHeap(source);
  return { digest, heap, view: new HeapView(heap, source) };
}

/** The instances of the classes whose names match. */
function instances(heap: Heap, view: HeapView, name: RegExp): number[] {
  const found: number[] = [];
  for (let node = heap.classCount; node < heap.objectCount; node++) if (name.test(view.className(node))) found.push(node);
  return found;
}

describe.each(["4.2.3", "7.7.1", "8-9"] as const)("a heap with Bazel %s's class layouts", (layout) => {
  const { digest, heap, view } = digestAndHeap(layout);
  const group = (kind: HolderGroup["kind"], fn: string, provider?: string): HolderGroup =>
    digest.holders.find((entry) => entry.kind === kind && entry.function?.function === fn && entry.provider === provider)!;

  // Each of these groups is one holder with no holder inside it, so it counts that holder's retained set. The
  // rule's provider instance holds the bigger byte[] (items), the aspect's the smaller (traverse).
  const providers = [
    { name: s.ruleProvider, fn: s.ruleImpl, label: s.label, holdsItems: true },
    { name: s.aspectProvider, fn: s.aspectImpl, label: s.aspectLabel, holdsItems: false },
  ];

  it.each(providers)("counts the objects and bytes $name retains, and the instance's own size", ({ name, fn, label, holdsItems }) => {
    const infos = instances(heap, view, /\.StarlarkInfo(WithSchema)?$/);
    expect(infos).toHaveLength(2);
    const node = infos.find((info) => retainedSet(heap, info).bytes > s.sizes.items === holdsItems)!;
    const expected = retainedSet(heap, node);
    const found = group("provider", fn, name);
    expect(found).toMatchObject({ retainedBytes: expected.bytes, objects: expected.objects, shallowBytes: heap.shallowSizes.bytesOf(node), instances: 1, targets: 1 });
    expect(found.objects).toBeGreaterThan(2);
    expect(found.shallowBytes).toBeLessThan(100);
    expect(found.topTargets).toEqual([{ label, retainedBytes: expected.bytes, objects: expected.objects, shallowBytes: heap.shallowSizes.bytesOf(node) }]);
    expect(found.topLabels).toEqual([label]);
  });

  it("counts what the rule's action retains", () => {
    const actions = instances(heap, view, /FileWriteAction/);
    expect(actions).toHaveLength(2);
    const ruleAction = actions.find((node) => retainedSet(heap, node).bytes > s.sizes.fileContents)!;
    const expected = retainedSet(heap, ruleAction);
    expect(group("action", s.ruleImpl)).toMatchObject({ retainedBytes: expected.bytes, objects: expected.objects, shallowBytes: heap.shallowSizes.bytesOf(ruleAction) });
  });

  it("gives each suspect's evidence its group's objects and shallow bytes", () => {
    for (const suspect of digest.suspects) {
      for (const evidence of suspect.evidence) {
        if (evidence.kind === "on-stack") continue;
        const kind = { providers: "provider", actions: "action" }[evidence.kind as string] ?? evidence.kind;
        const source = digest.holders.find(
          (entry) => entry.kind === kind && entry.function?.function === suspect.function && (evidence.kind !== "providers" || entry.provider === evidence.provider),
        )!;
        expect(evidence, `${suspect.function} ${evidence.kind}`).toMatchObject({ bytes: source.retainedBytes, objects: source.objects, shallowBytes: source.shallowBytes });
      }
    }
  });

  it("counts the frames' locals with the frames, and no object twice", () => {
    // The holders are the two frames (the aspect's, and the builtin's it called, charged to the aspect's).
    const frames = instances(heap, view, /StarlarkThread\$Frame$/);
    const locals = group("frame-locals", s.aspectImpl);
    expect(locals.instances).toBe(2);
    expect(locals.shallowBytes).toBe(frames.reduce((sum, frame) => sum + heap.shallowSizes.bytesOf(frame), 0));
    // Each local a StarlarkList, its Object[] and its byte[], at least.
    expect(locals.objects).toBeGreaterThanOrEqual(frames.length + 2 * 3);
    expect(locals.retainedBytes).toBeGreaterThan(s.sizes.repeated + s.sizes.lines);
    const counted = digest.holders.reduce((sum, entry) => sum + entry.objects!, 0);
    expect(counted).toBeLessThanOrEqual(digest.dump.reachableObjects);
  });
});
