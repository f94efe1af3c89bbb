// dominatorTree() against references written here, independent of it: Cooper–Harvey–Kennedy's iterative
// dominators on an explicit graph (super-root and root edges spelt out), retained sizes summed over that tree,
// and "retained(o) = bytes reachable from the roots − bytes reachable with o removed" by plain BFS. Compared on
// random graphs (cycles, shared leaves, repeated roots, leaves as roots, roots adopted by holders) and on the real
// heaps of test/fixtures/hprof.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ADOPTED, BUNDLE_REACH, dominatorTree, type DominatorTree, type HeapGraph } from "../../../src/core/heap/dominators.js";
import { EdgeStarts } from "../../../src/core/heap/edge-starts.js";
import { bytesSource, readHeap, type Heap } from "../../../src/core/heap/hprof.js";
import { ScratchPool } from "../../../src/core/heap/scratch.js";
import { ShallowSizes } from "../../../src/core/heap/shallow-sizes.js";
import { MemorySpill } from "../../../src/core/heap/spill.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";
import { random } from "../../helpers/random.js";

// ---- the reference ------------------------------------------------------------------------------------------

/**
 * The graph dominatorTree() is defined on, spelt out: node `objectCount` is the super-root; it points at every
 * root without a holder; a holder points at the roots it adopts; a root whose holder is not reachable that way
 * is still a GC root: the super-root points at it too.
 */
function explicitGraph(graph: HeapGraph): number[][] {
  const n = graph.objectCount;
  const out: number[][] = Array.from({ length: n + 1 }, (_, node) => (node < n ? [...graph.edgeTargets.subarray(graph.edgeStart.of(node), graph.edgeStart.of(node + 1))] : []));
  const holderOf = (r: number): number => graph.rootHolders?.[r] ?? n;
  graph.roots.forEach((root, r) => (holderOf(r) === n ? out[n]! : out[holderOf(r)]!).push(root));
  const reached = new Uint8Array(n + 1);
  const reach = (from: number): void => {
    const queue = [from];
    reached[from] = 1;
    while (queue.length > 0) {
      for (const target of out[queue.pop()!]!) {
        if (reached[target] === 0) {
          reached[target] = 1;
          queue.push(target);
        }
      }
    }
  };
  reach(n);
  graph.roots.forEach((root, r) => {
    if (holderOf(r) !== n && reached[holderOf(r)] === 0) out[n]!.push(root);
  });
  return out;
}

interface Reference {
  readonly reachable: Uint8Array;
  /** Per node: its immediate dominator (the super-root is objectCount), -1 when unreachable. */
  readonly idom: Int32Array;
  readonly retained: Float64Array;
  readonly reachableBytes: number;
}

/** Cooper, Harvey & Kennedy, "A Simple, Fast Dominance Algorithm" (2001): iterate to a fixpoint in reverse postorder. */
function referenceDominators(graph: HeapGraph): Reference {
  const n = graph.objectCount;
  const out = explicitGraph(graph);
  // Postorder by an iterative DFS from the super-root.
  const postorder = new Int32Array(n + 1).fill(-1);
  const order: number[] = [];
  const visited = new Uint8Array(n + 1);
  const stack: { node: number; next: number }[] = [{ node: n, next: 0 }];
  visited[n] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < out[top.node]!.length) {
      const target = out[top.node]![top.next++]!;
      if (visited[target] === 0) {
        visited[target] = 1;
        stack.push({ node: target, next: 0 });
      }
    } else {
      postorder[top.node] = order.length;
      order.push(top.node);
      stack.pop();
    }
  }
  const preds: number[][] = Array.from({ length: n + 1 }, () => []);
  out.forEach((targets, from) => {
    if (visited[from] === 1) for (const target of targets) preds[target]!.push(from);
  });
  const idom = new Int32Array(n + 1).fill(-1);
  idom[n] = n;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (postorder[x]! < postorder[y]!) x = idom[x]!;
      while (postorder[y]! < postorder[x]!) y = idom[y]!;
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const node = order[k]!;
      let next = -1;
      for (const pred of preds[node]!) if (idom[pred] !== -1) next = next === -1 ? pred : intersect(pred, next);
      if (idom[node] !== next) {
        idom[node] = next;
        changed = true;
      }
    }
  }
  // Retained: each node's shallow bytes added to every dominator above it, children before parents.
  const retained = new Float64Array(n + 1);
  for (const node of order) if (node < n) retained[node] = graph.shallowSizes.bytesOf(node);
  for (const node of order) if (node < n) retained[idom[node]!] += retained[node]!;
  idom[n] = -1;
  return { reachable: visited.subarray(0, n), idom: idom.subarray(0, n), retained: retained.subarray(0, n), reachableBytes: retained[n]! };
}

/** Bytes reachable from the super-root in the explicit graph, without passing through `removed`. */
function bytesReachableWithout(graph: HeapGraph, out: readonly (readonly number[])[], removed: number): number {
  const n = graph.objectCount;
  const seen = new Uint8Array(n + 1);
  seen[n] = 1;
  if (removed >= 0) seen[removed] = 1;
  const queue = [n];
  let bytes = 0;
  while (queue.length > 0) {
    for (const target of out[queue.pop()!]!) {
      if (seen[target] === 1) continue;
      seen[target] = 1;
      bytes += graph.shallowSizes.bytesOf(target);
      queue.push(target);
    }
  }
  return bytes;
}

/** Every node's dominator, retained bytes and reachability from the tree, beside the reference's; differences listed. */
function differences(graph: HeapGraph, tree: DominatorTree, reference: Reference): string[] {
  const found: string[] = [];
  for (let node = 0; node < graph.objectCount; node++) {
    const reachable = reference.reachable[node] === 1;
    if (tree.isReachable(node) !== reachable) found.push(`${node}: reachable ${tree.isReachable(node)}, expected ${reachable}`);
    if (tree.dominatorOf(node) !== reference.idom[node]) found.push(`${node}: dominator ${tree.dominatorOf(node)}, expected ${reference.idom[node]}`);
    if (tree.retainedOf(node) !== (reachable ? reference.retained[node] : 0)) found.push(`${node}: retained ${tree.retainedOf(node)}, expected ${reference.retained[node]}`);
  }
  if (tree.reachableBytes !== reference.reachableBytes) found.push(`reachable bytes ${tree.reachableBytes}, expected ${reference.reachableBytes}`);
  const reachableCount = reference.reachable.reduce((sum, flag) => sum + flag, 0);
  if (tree.reachableCount !== reachableCount) found.push(`reachable count ${tree.reachableCount}, expected ${reachableCount}`);
  return found;
}

// ---- random graphs ------------------------------------------------------------------------------------------

/** Overwrites every start in place (a rewrite of zeros): what reads them afterwards reads nonsense. */
function clobber(starts: EdgeStarts, length: number): void {
  const zeros = starts.rewrite();
  for (let i = 0; i < length; i++) zeros.set(i, 0);
}

interface Shape {
  readonly nodes: number;
  /** Mean references of a node that has any. */
  readonly degree: number;
  /** Share of nodes without references (they become leaves). */
  readonly leaves: number;
  readonly roots: number;
  /** Share of roots adopted by a holder. */
  readonly adopted: number;
  /** Edges mostly to nearby nodes (long chains, deep DFS) instead of anywhere. */
  readonly local: boolean;
  /**
   * Share of nodes made bundle-like: a reference to a next node or two without references (a String and its
   * byte[]), some of those also referenced from elsewhere, some too far, some kept as vertices by keepsVertex.
   */
  readonly bundles?: number;
}

function randomGraph(seed: number, shape: Shape): HeapGraph {
  const next = random(seed);
  const pick = (count: number): number => Math.floor(next() * count);
  const n = shape.nodes;
  const edgeStart = new Uint32Array(n + 1);
  const targets: number[] = [];
  const bundleLeaves: number[] = [];
  for (let node = 0; node < n; node++) {
    edgeStart[node] = targets.length;
    if (next() < shape.leaves) continue;
    if (next() < (shape.bundles ?? 0)) {
      // Its leaves: the next one or two nodes (made leaves below), or one further than BUNDLE_REACH.
      const far = next() < 0.05 ? BUNDLE_REACH + 1 + pick(3) : 1;
      for (let k = 0, count = 1 + pick(2); k < count && node + far + k < n; k++) targets.push(node + far + k);
      bundleLeaves.push(...targets.slice(edgeStart[node]));
      continue;
    }
    const degree = 1 + pick(2 * shape.degree);
    for (let k = 0; k < degree; k++) {
      // Self-references and repeated targets included: heaps have both.
      targets.push(shape.local && next() < 0.8 ? Math.min(n - 1, Math.max(0, node + 1 + pick(3) - (next() < 0.1 ? pick(node + 1) : 0))) : pick(n));
    }
  }
  edgeStart[n] = targets.length;
  if (bundleLeaves.length > 0) {
    // The bundles' leaves lose their own references; most lose references from anything but their head, and
    // most heads keep only their first referrer: a few stay shared.
    const leafSet = new Set(bundleLeaves);
    const heads = new Set<number>();
    for (let node = 0; node < n; node++) if (targets.slice(edgeStart[node], edgeStart[node + 1]).some((target) => leafSet.has(target) && Math.abs(target - node) <= BUNDLE_REACH + 3)) heads.add(node);
    const referenced = new Set<number>();
    const kept: number[] = [];
    const starts = new Uint32Array(n + 1);
    for (let node = 0; node < n; node++) {
      starts[node] = kept.length;
      if (leafSet.has(node)) continue;
      for (const target of targets.slice(edgeStart[node], edgeStart[node + 1])) {
        if (leafSet.has(target) && !heads.has(node) && next() < 0.9) continue;
        if (heads.has(target) && referenced.has(target) && next() < 0.8) continue;
        referenced.add(target);
        kept.push(target);
      }
    }
    starts[n] = kept.length;
    edgeStart.set(starts);
    targets.length = 0;
    targets.push(...kept);
  }
  const roots = Uint32Array.from({ length: shape.roots }, () => pick(n));
  // Roots repeat (the same object listed twice, as HPROF does for a thread's frames).
  if (roots.length > 1) roots[roots.length - 1] = roots[0]!;
  const holders = Array.from({ length: 3 }, () => pick(n));
  const rootHolders = Uint32Array.from(roots, () => (next() < shape.adopted ? holders[pick(holders.length)]! : n));
  // Odd seeds: sizes that are not multiples of 8 (retained kept in bytes rather than 8-byte units); some above
  // 2,032 bytes (kept outside the one-byte units).
  const shallowSizes = ShallowSizes.of(Array.from({ length: n }, () => 8 * (1 + pick(300)) - (seed % 2 === 1 ? pick(8) : 0)));
  const keptVertices = new Set(Array.from({ length: shape.bundles === undefined ? 0 : 3 }, () => pick(n)));
  return { objectCount: n, edgeStart: EdgeStarts.from(edgeStart), edgeTargets: Uint32Array.from(targets), shallowSizes, roots, rootHolders, ...(keptVertices.size > 0 ? { keepsVertex: (node: number) => keptVertices.has(node) } : {}) };
}

const SHAPES: readonly { readonly name: string; readonly shape: Shape }[] = [
  { name: "tiny, dense", shape: { nodes: 8, degree: 2, leaves: 0.3, roots: 2, adopted: 0, local: false } },
  { name: "small, sparse, half leaves", shape: { nodes: 60, degree: 1, leaves: 0.5, roots: 3, adopted: 0, local: false } },
  { name: "medium, cyclic", shape: { nodes: 300, degree: 3, leaves: 0.2, roots: 6, adopted: 0, local: false } },
  { name: "chains (deep DFS)", shape: { nodes: 2000, degree: 1, leaves: 0.05, roots: 2, adopted: 0, local: true } },
  { name: "adopted roots", shape: { nodes: 200, degree: 2, leaves: 0.4, roots: 12, adopted: 0.5, local: false } },
  { name: "mostly adopted roots, many leaves", shape: { nodes: 150, degree: 1, leaves: 0.7, roots: 20, adopted: 0.9, local: false } },
  { name: "many roots", shape: { nodes: 400, degree: 2, leaves: 0.5, roots: 150, adopted: 0.2, local: true } },
  { name: "strings (bundles)", shape: { nodes: 500, degree: 3, leaves: 0.1, roots: 40, adopted: 0.3, local: false, bundles: 0.25 } },
  { name: "strings in chains (bundles)", shape: { nodes: 1500, degree: 2, leaves: 0.05, roots: 30, adopted: 0.2, local: true, bundles: 0.2 } },
];

describe("dominatorTree on random graphs, against Cooper–Harvey–Kennedy", () => {
  describe.each(SHAPES)("$name", ({ shape }) => {
    it.each(Array.from({ length: 40 }, (_, k) => k + 1))("seed %i", (seed) => {
      const graph = randomGraph(seed * 7919 + shape.nodes, shape);
      const reference = referenceDominators(graph);
      const tree = dominatorTree(graph);
      expect(differences(graph, tree, reference)).toEqual([]);
    });
  });

  it.each(SHAPES.flatMap(({ name, shape }) => [1, 2, 3, 4, 5].map((seed) => ({ name, shape, seed }))))(
    "$name, seed $seed: the same with its cross edges on the spill store (runs of 7, blocks of 3), then its columns too",
    ({ shape, seed }) => {
      const graph = randomGraph(seed * 7919 + shape.nodes, shape);
      const store = new MemorySpill();
      const tree = dominatorTree({ ...graph, crossEdgeSpill: { store, memoryPairs: 0, runPairs: 7, blockPairs: 3 } });
      expect(tree.crossEdges.inMemory).toBe(tree.crossEdges.count === 0);
      expect(differences(graph, tree, referenceDominators(graph))).toEqual([]);
      const inMemory = dominatorTree(graph);
      expect(inMemory.crossEdges.inMemory).toBe(true);
      for (let v = 1; v < tree.objectAt.length; v++) {
        const referrers = (of: DominatorTree): number[] => {
          const found: number[] = [];
          of.forEachReferrer(v, (from) => found.push(from));
          return found.sort((a, b) => a - b);
        };
        expect(referrers(tree), `vertex ${v}`).toEqual(referrers(inMemory));
      }
      // The columns the attribute phase reads after (memory-budget.ts' "tree on disk"), read back from the store.
      // (Odd seeds' sizes are no multiples of 8: their retained sizes are doubles, kept in memory.)
      const freed = tree.spillColumns(store);
      expect([freed.length, tree.idom.inMemory]).toEqual([seed % 2 === 0 ? 2 : 1, false]);
      expect(differences(graph, tree, referenceDominators(graph))).toEqual([]);
      for (let v = 0; v < tree.vertexCount; v++) expect(tree.idom.at(v), `vertex ${v}`).toBe(inMemory.idom.at(v));
    },
  );

  it.each(SHAPES.filter(({ shape }) => shape.bundles !== undefined).flatMap(({ name, shape }) => [1, 2, 3].map((seed) => ({ name, shape, seed }))))(
    "$name, seed $seed: bundles take no vertex",
    ({ shape, seed }) => {
      const graph = randomGraph(seed * 7919 + shape.nodes, shape);
      const tree = dominatorTree(graph);
      let withReferences = 0;
      for (let node = 0; node < graph.objectCount; node++) if (tree.isReachable(node) && graph.edgeStart.hasEdges(node)) withReferences++;
      expect(tree.objectAt.length - 1).toBeLessThan(withReferences);
    },
  );

  it.each(SHAPES.flatMap(({ name, shape }) => [1, 2, 3].map((seed) => ({ name, shape, seed }))))(
    "$name, seed $seed: each vertex's referrers are the objects that reference it, not the super-root nor an adopting holder",
    ({ shape, seed }) => {
      const graph = randomGraph(seed * 7919 + shape.nodes, shape);
      const tree = dominatorTree(graph);
      const expected = new Map<number, Set<number>>();
      for (let from = 0; from < graph.objectCount; from++) {
        if (!tree.isReachable(from)) continue;
        for (const to of graph.edgeTargets.subarray(graph.edgeStart.of(from), graph.edgeStart.of(from + 1))) {
          if (tree.vertexOf(to) > 0) expected.set(to, (expected.get(to) ?? new Set()).add(from));
        }
      }
      for (let v = 1; v < tree.objectAt.length; v++) {
        const found = new Set<number>();
        tree.forEachReferrer(v, (from) => found.add(tree.objectAt.at(from)));
        expect([...found].sort((a, b) => a - b), `vertex ${v}`).toEqual([...(expected.get(tree.objectAt.at(v)) ?? [])].sort((a, b) => a - b));
      }
    },
  );

  it("bundles: a head and the leaves only it references take no vertex; a shared leaf, a far one or a kept head does", () => {
    // 0 (root) → 1, 3, 5, 8, 10 and 4; 1 → 2; 3 → 4 (shared with 0); 5 → 6, 7; 8 → 9 (8 kept as a vertex);
    // 10 → its leaf one further than BUNDLE_REACH.
    const n = 12 + BUNDLE_REACH;
    const far = 11 + BUNDLE_REACH;
    const lists: number[][] = Array.from({ length: n }, () => []);
    lists[0] = [1, 3, 5, 8, 10, 4];
    lists[1] = [2];
    lists[3] = [4];
    lists[5] = [6, 7];
    lists[8] = [9];
    lists[10] = [far];
    const edgeStart = new Uint32Array(n + 1);
    lists.forEach((list, node) => (edgeStart[node + 1] = edgeStart[node]! + list.length));
    const graph: HeapGraph = {
      objectCount: n,
      edgeStart: EdgeStarts.from(edgeStart),
      edgeTargets: Uint32Array.from(lists.flat()),
      shallowSizes: ShallowSizes.of(Array.from({ length: n }, (_, node) => 8 * (node + 1))),
      roots: Uint32Array.of(0),
      keepsVertex: (node) => node === 8,
    };
    const tree = dominatorTree(graph);
    expect(differences(graph, tree, referenceDominators(graph))).toEqual([]);
    const vertices = Array.from({ length: tree.vertexCount - 1 }, (_, v) => tree.objectAt.at(v + 1)).sort((a, b) => a - b);
    expect(vertices).toEqual([0, 3, 8, 10]);
    expect(tree.dominatorOf(2)).toBe(1);
    expect(tree.dominatorOf(7)).toBe(5);
    expect(tree.retainedOf(5)).toBe(48 + 56 + 64);
    expect(tree.contextVertexOf(7)).toBe(tree.contextVertexOf(0));
  });

  it("gives the same tree without holders as with every root held by none", () => {
    const graph = randomGraph(42, SHAPES[2]!.shape);
    const { rootHolders: _, ...unheld } = graph;
    const none = new Uint32Array(graph.roots.length).fill(graph.objectCount);
    const a = dominatorTree(unheld);
    const b = dominatorTree({ ...unheld, rootHolders: none });
    expect(differences(unheld, a, referenceDominators(unheld))).toEqual([]);
    for (let node = 0; node < graph.objectCount; node++) expect(a.dominatorOf(node)).toBe(b.dominatorOf(node));
  });

  it("needs the edges only until it releases them", () => {
    const graph = randomGraph(7, SHAPES[4]!.shape);
    const reference = referenceDominators(graph);
    const copy = { ...graph, edgeStart: EdgeStarts.from(graph.edgeStart.toArray(graph.objectCount + 1)), edgeTargets: graph.edgeTargets.slice() };
    let released = 0;
    const tree = dominatorTree(copy, () => {
      released++;
      clobber(copy.edgeStart, graph.objectCount + 1);
      copy.edgeTargets.fill(0xffffffff);
    });
    expect(released).toBe(1);
    expect(differences(graph, tree, reference)).toEqual([]);
  });

  it("builds the tree in the released edges' memory, whatever it holds, and in new memory when that is too small", () => {
    const graph = randomGraph(11, SHAPES[4]!.shape);
    const reference = referenceDominators(graph);
    for (const words of [4 * graph.objectCount, 3]) {
      const copy = { ...graph, edgeStart: EdgeStarts.from(graph.edgeStart.toArray(graph.objectCount + 1)), edgeTargets: graph.edgeTargets.slice() };
      const scratch = new Uint32Array(words).fill(0xdeadbeef);
      const tree = dominatorTree(copy, () => {
        clobber(copy.edgeStart, graph.objectCount + 1);
        copy.edgeTargets.fill(0xffffffff);
        return new ScratchPool([{ words: scratch, touched: words / 2 }]);
      });
      expect(differences(graph, tree, reference)).toEqual([]);
    }
  });

  it.each(SHAPES.flatMap(({ name, shape }) => [1, 2].map((seed) => ({ name, shape, seed }))))(
    "$name, seed $seed: gives every vertex's referrers (heap edges, GC roots, adopting holders) without the edges",
    ({ shape, seed }) => {
      const graph = randomGraph(seed, shape);
      const tree = dominatorTree(graph);
      const n = graph.objectCount;
      const vertexOf = (node: number): number => tree.contextVertexOf(node);
      const isVertex = (node: number): boolean => tree.isReachable(node) && tree.objectAt.at(vertexOf(node)) === node;
      const expected = new Map<number, Set<string>>();
      const add = (target: number, referrer: string): void => {
        if (!isVertex(target)) return;
        if (!expected.has(vertexOf(target))) expected.set(vertexOf(target), new Set());
        expected.get(vertexOf(target))!.add(referrer);
      };
      for (let node = 0; node < n; node++) {
        if (!tree.isReachable(node)) continue;
        for (let e = graph.edgeStart.of(node); e < graph.edgeStart.of(node + 1); e++) add(graph.edgeTargets[e]!, String(vertexOf(node)));
      }
      graph.roots.forEach((root, r) => {
        const holder = graph.rootHolders![r]!;
        add(root, holder === n || !tree.isReachable(holder) ? "0" : `adopted by ${vertexOf(holder)}`);
      });
      const actual = new Map<number, Set<string>>();
      const found = (v: number, referrer: string): void => {
        if (!actual.has(v)) actual.set(v, new Set());
        actual.get(v)!.add(referrer);
      };
      for (let v = 1; v < tree.objectAt.length; v++) found(v, tree.isAdoptedParent(v) ? `adopted by ${tree.searchParent.at(v)}` : String(tree.searchParent.at(v)));
      for (let b = 0; b < tree.crossEdges.blockCount; b++) {
        const { targets, sources } = tree.crossEdges.block(b);
        targets.forEach((v, i) => {
          const source = sources[i]!;
          found(v, source >= ADOPTED ? `adopted by ${source - ADOPTED}` : String(source));
        });
      }
      expect(actual).toEqual(expected);
    },
  );

  it.each<{ name: string; graph: HeapGraph; dominators: number[]; retained: number[] }>([
    {
      // 0 → 1 → 2, 0 → 2: 2's dominator is 0; 3 is garbage.
      name: "a diamond's join",
      graph: { objectCount: 4, edgeStart: EdgeStarts.from([0, 2, 3, 3, 4]), edgeTargets: Uint32Array.of(1, 2, 2, 0), shallowSizes: ShallowSizes.of([8, 16, 32, 64]), roots: Uint32Array.of(0) },
      dominators: [4, 0, 0, -1],
      retained: [56, 16, 32, 0],
    },
    {
      // A cycle 0 → 1 → 2 → 0 entered at 0; a leaf 3 referenced by 1 and 2 (their common dominator: 1).
      name: "a cycle and a shared leaf",
      graph: { objectCount: 4, edgeStart: EdgeStarts.from([0, 1, 3, 5, 5]), edgeTargets: Uint32Array.of(1, 2, 3, 0, 3), shallowSizes: ShallowSizes.of([8, 8, 8, 100]), roots: Uint32Array.of(0, 0) },
      dominators: [4, 0, 1, 1],
      retained: [124, 116, 8, 100],
    },
    {
      // A leaf that is a root and referenced: only the super-root dominates it.
      name: "a leaf as a root",
      graph: { objectCount: 2, edgeStart: EdgeStarts.from([0, 1, 1]), edgeTargets: Uint32Array.of(1), shallowSizes: ShallowSizes.of([8, 40]), roots: Uint32Array.of(0, 1) },
      dominators: [2, 2],
      retained: [8, 40],
    },
    {
      // Root 1 (a leaf) adopted by holder 0 (also a leaf, itself a root): 0 retains it.
      name: "a leaf adopted by a leaf holder",
      graph: { objectCount: 2, edgeStart: EdgeStarts.from([0, 0, 0]), edgeTargets: new Uint32Array(0), shallowSizes: ShallowSizes.of([8, 40]), roots: Uint32Array.of(0, 1), rootHolders: Uint32Array.of(2, 0) },
      dominators: [2, 0],
      retained: [48, 40],
    },
    {
      // Root 1 adopted by holder 0, which no root reaches: the super-root takes it.
      name: "an adopted root whose holder nothing reaches",
      graph: { objectCount: 2, edgeStart: EdgeStarts.from([0, 0, 0]), edgeTargets: new Uint32Array(0), shallowSizes: ShallowSizes.of([8, 40]), roots: Uint32Array.of(1), rootHolders: Uint32Array.of(0) },
      dominators: [-1, 2],
      retained: [0, 40],
    },
    {
      // Root 2 adopted by holder 3, which nothing reaches, and referenced by 1: still a GC root, 1 does not retain it.
      name: "an orphaned adopted root that an object references too",
      graph: {
        objectCount: 4,
        edgeStart: EdgeStarts.from([0, 1, 2, 2, 3]),
        edgeTargets: Uint32Array.of(1, 2, 2),
        shallowSizes: ShallowSizes.of([8, 16, 40, 8]),
        roots: Uint32Array.of(0, 2),
        rootHolders: Uint32Array.of(4, 3),
      },
      dominators: [4, 0, 4, -1],
      retained: [24, 16, 40, 0],
    },
    {
      // The same root with its holder reached: the holder and 1 both refer to it, their common dominator (0) retains it.
      name: "an adopted root that an object references too",
      graph: {
        objectCount: 4,
        edgeStart: EdgeStarts.from([0, 2, 3, 3, 3]),
        edgeTargets: Uint32Array.of(1, 3, 2),
        shallowSizes: ShallowSizes.of([8, 16, 40, 8]),
        roots: Uint32Array.of(0, 2),
        rootHolders: Uint32Array.of(4, 3),
      },
      dominators: [4, 0, 0, 0],
      retained: [72, 16, 40, 8],
    },
  ])("$name", ({ graph, dominators, retained }) => {
    const tree = dominatorTree(graph);
    expect(Array.from({ length: graph.objectCount }, (_, node) => tree.dominatorOf(node))).toEqual(dominators);
    expect(Array.from({ length: graph.objectCount }, (_, node) => tree.retainedOf(node))).toEqual(retained);
    expect(differences(graph, tree, referenceDominators(graph))).toEqual([]);
  });
});

// ---- real heaps -------------------------------------------------------------------------------------------------

type Dump = "shapes" | "oom";
const heaps = new Map<Dump, Heap>();
function heapOf(name: Dump): Heap {
  let heap = heaps.get(name);
  if (heap === undefined) heaps.set(name, (heap = readHeap(bytesSource(new Uint8Array(gunzipSync(readFileSync(join(FIXTURES_DIR, "hprof", `${name}.hprof.gz`))))))));
  return heap;
}

/** A thread's Java locals belong to the thread's object (what heap-digest hands dominatorTree). */
function threadHolders(heap: Heap): Uint32Array {
  const threadBySerial = new Map(heap.threads.filter((thread) => thread.object >= 0).map((thread) => [thread.serial, thread.object]));
  return Uint32Array.from(heap.roots, (root, r) => {
    const kind = heap.rootKinds[r];
    const thread = kind === "java-frame" || kind === "jni-local" || kind === "thread-block" ? threadBySerial.get(heap.rootThreadSerials[r]!) : undefined;
    return thread !== undefined && thread !== root ? thread : heap.objectCount;
  });
}

function graphOf(heap: Heap, held: boolean): HeapGraph {
  return {
    objectCount: heap.objectCount,
    edgeStart: heap.edgeStart,
    edgeTargets: heap.edgeTargets,
    shallowSizes: heap.shallowSizes,
    roots: heap.roots,
    ...(held ? { rootHolders: threadHolders(heap) } : {}),
  };
}

/** The objects of a class (by name), in object order. */
function objectsOf(heap: Heap, className: string): number[] {
  const index = heap.classByName.get(className)!.index;
  const found: number[] = [];
  for (let i = heap.classCount; i < heap.objectCount; i++) if (heap.classOf[i] === index) found.push(i);
  return found;
}

/** The object a static field of a class points at. */
function staticTarget(heap: Heap, className: string, field: string): number {
  return heap.indexOf(heap.classByName.get(className)!.staticReferences.find((candidate) => candidate.name === field)!.id);
}

describe("dominatorTree on real heaps", () => {
  describe.each<{ dump: Dump; held: boolean }>([
    { dump: "shapes", held: true },
    { dump: "shapes", held: false },
    { dump: "oom", held: true },
  ])("$dump, thread-held locals: $held", ({ dump, held }) => {
    it("matches Cooper–Harvey–Kennedy on every object", () => {
      const graph = graphOf(heapOf(dump), held);
      expect(differences(graph, dominatorTree(graph), referenceDominators(graph))).toEqual([]);
    }, 60_000);

    it("retains what removing an object would make unreachable (BFS, sampled objects)", () => {
      const heap = heapOf(dump);
      const graph = graphOf(heap, held);
      const tree = dominatorTree(graph);
      const out = explicitGraph(graph);
      const all = bytesReachableWithout(graph, out, -1);
      expect(tree.reachableBytes).toBe(all);
      // The biggest retainers (the interesting ones) and a spread of others.
      const byRetained = Array.from({ length: heap.objectCount }, (_, node) => node).sort((a, b) => tree.retainedOf(b) - tree.retainedOf(a));
      const sample = [...byRetained.slice(0, 25), ...byRetained.filter((_, k) => k % Math.floor(heap.objectCount / 40) === 0)];
      for (const node of sample) {
        const expected = tree.isReachable(node) ? all - bytesReachableWithout(graph, out, node) : 0;
        expect(tree.retainedOf(node), `object ${node} (${heap.classes[heap.classOf[node]!]!.name})`).toBe(expected);
      }
    }, 60_000);
  });

  it.each<{ name: string; node: (heap: Heap) => number; retained: number; dominator?: (heap: Heap) => number }>([
    // A Payload and its byte[1_000_000].
    { name: "Payload", node: (heap) => staticTarget(heap, "Shapes", "PAYLOAD"), retained: 16 + 1_000_016 },
    // 1000 nodes of 24 bytes, each the only way to the next.
    { name: "the list's head", node: (heap) => staticTarget(heap, "Shapes", "list"), retained: 1000 * 24 },
    // Three members of 24 bytes with a byte[1000] each; the static's target retains the ring.
    { name: "the ring", node: (heap) => staticTarget(heap, "Shapes", "ring"), retained: 3 * (24 + 1016) },
    // The byte[50_000] two Sharers share belongs to neither: their array holds it.
    {
      name: "the Sharers' array",
      node: (heap) => staticTarget(heap, "Shapes", "sharers"),
      retained: 24 + 2 * 16 + 50_016,
      dominator: (heap) => heap.indexOf(heap.classByName.get("Shapes")!.id),
    },
    { name: "a Sharer", node: (heap) => objectsOf(heap, "Shapes$Sharer")[0]!, retained: 16 },
    // Made and dropped: garbage.
    { name: "the garbage", node: (heap) => objectsOf(heap, "Shapes$Garbage")[0]!, retained: 0, dominator: () => -1 },
  ])("shapes: $name retains $retained bytes", ({ node, retained, dominator }) => {
    const heap = heapOf("shapes");
    const tree = dominatorTree(graphOf(heap, true));
    const object = node(heap);
    expect(tree.retainedOf(object)).toBe(retained);
    if (dominator !== undefined) expect(tree.dominatorOf(object)).toBe(dominator(heap));
  });

  it("shapes: the byte[] two Sharers share is dominated by their array, not by either", () => {
    const heap = heapOf("shapes");
    const tree = dominatorTree(graphOf(heap, true));
    const sharers = objectsOf(heap, "Shapes$Sharer");
    const shared = heap.edgeTargets[heap.edgeStart.of(sharers[0]!)]!;
    expect(heap.shallowSizes.bytesOf(shared)).toBe(50_016);
    expect(tree.dominatorOf(shared)).toBe(staticTarget(heap, "Shapes", "sharers"));
    const sharersArray = staticTarget(heap, "Shapes", "sharers");
    expect(Array.from({ length: heap.objectCount }, (_, node) => node).filter((node) => tree.dominatorOf(node) === sharersArray)).toHaveLength(3);
  });

  it("shapes: the long[] only a thread's stack holds is retained by that thread, or by the super-root without holders", () => {
    const heap = heapOf("shapes");
    const longs = heap.classByName.get("long[]")!.index;
    const onStack = [...heap.roots].find((root, r) => heap.rootKinds[r] === "java-frame" && heap.classOf[root] === longs && heap.shallowSizes.bytesOf(root) === 1_000_016)!;
    const thread = heap.threads.find((candidate) => candidate.frames.some((frame) => frame.method === "holdOnStack"))!.object;
    const held = dominatorTree(graphOf(heap, true));
    expect(held.dominatorOf(onStack)).toBe(thread);
    expect(held.retainedOf(thread)).toBeGreaterThanOrEqual(1_000_016);
    const unheld = dominatorTree(graphOf(heap, false));
    expect(unheld.dominatorOf(onStack)).toBe(unheld.superRoot);
    expect(unheld.retainedOf(thread)).toBeLessThan(1_000_016);
  });

  it("oom: the eater's list retains every array it ate", () => {
    const heap = heapOf("oom");
    const tree = dominatorTree(graphOf(heap, true));
    const list = staticTarget(heap, "Oom", "EATEN");
    const ate = objectsOf(heap, "byte[]").filter((array) => heap.shallowSizes.bytesOf(array) === 16 + 64 * 1024);
    expect(ate.length).toBeGreaterThan(100);
    expect(tree.retainedOf(list)).toBeGreaterThanOrEqual(ate.length * (16 + 64 * 1024));
    for (const array of ate) expect(tree.dominatorOf(array)).not.toBe(tree.superRoot);
  });
});
