/**
 * Dominator tree and retained sizes of a heap graph, as Eclipse MAT defines them: a super-root points at every
 * GC root; object d dominates o when every path from the super-root to o goes through d; o's retained size is
 * the sum of the shallow sizes of the objects it dominates (what the GC would free if o were gone).
 *
 * Semi-NCA (Georgiadis' variant of Lengauer-Tarjan: semidominators by path-compressed evaluation, then each
 * immediate dominator as the nearest common ancestor on the DFS tree), iterative, every array typed and indexed
 * by DFS preorder. Objects without references (byte[] behind every String: about half of a Bazel heap) take no
 * part: a leaf's dominator is its one referrer, or the nearest common dominator of its referrers, found while
 * the DFS meets them. An object with one referrer whose references all go to leaves that only it references (a
 * String and its byte[]: 98% of the objects with references in a Bazel dump of hoarded strings) heads a
 * "bundle": no vertex either; it is a leaf of its referrer and its leaves are its own, found by their distance in
 * the dump (a String's byte[] is next to it), so the per-vertex arrays follow the objects that can dominate more
 * than their own leaves. Most objects have one referrer, which is their DFS parent: the DFS keeps only the other
 * edges into vertices (330k of 5.2M in a 640 MB Bazel dump; in memory, or on the spill store when the memory
 * limit leaves them too little room: cross-edges.ts), so no predecessor lists are built, and the caller
 * may let go of the edges as soon as the DFS is done (`searchHeap`, then `dominators()`; or `releaseEdges`).
 * The DFS parents and those other edges stay with the tree: every vertex's referrers without the edges. The
 * semidominator phase's arrays become the results, taken from the released edges' memory when the caller hands
 * it over (memory: 4 bytes per object and 16 per vertex, of which 12 can be the edges' own). Unreachable
 * objects get no number: garbage the JVM had not collected when it wrote the dump (a dump on OutOfMemoryError
 * comes before any final GC).
 */

import { CrossEdgeWriter, type CrossEdges, type CrossEdgeSpill } from "./cross-edges.js";
import type { EdgeStarts } from "./edge-starts.js";
import { ScratchPool } from "./scratch.js";
import type { ShallowSizes } from "./shallow-sizes.js";
import { SpillableColumn, type SpillStore } from "./spill.js";

export interface HeapGraph {
  readonly objectCount: number;
  /** Targets of object i: edgeTargets[edgeStart.of(i) … edgeStart.of(i + 1)). */
  readonly edgeStart: EdgeStarts;
  readonly edgeTargets: Uint32Array;
  readonly shallowSizes: ShallowSizes;
  /** GC roots (object indices; repeats allowed). */
  readonly roots: Uint32Array;
  /**
   * Objects that stay vertices even when they could head a bundle (the holders a caller looks for among the
   * vertices); none when absent.
   */
  readonly keepsVertex?: (node: number) => boolean;
  /**
   * Per root, the object that holds it instead of the super-root, or objectCount for none: a thread's Java
   * locals belong to that thread's object, as Eclipse MAT shows them, so that what one thread's stack keeps
   * alive is retained by the thread and not by the super-root.
   */
  readonly rootHolders?: Uint32Array;
  /**
   * Where the shallow sizes wait while the search runs (it asks for none), lending their memory to its referrer
   * counts; without it the counts take new memory (a quarter byte an object: 7 MB in a 1.43 GB dump).
   */
  readonly spill?: SpillStore;
  /**
   * Where the search's cross edges go when memory is short (cross-edges.ts); without it they stay in memory.
   */
  readonly crossEdgeSpill?: CrossEdgeSpill;
  /**
   * Told the vertices numbered so far each time they reach a multiple of `every` (a power of two): the memory
   * check as the search goes, which may throw.
   */
  readonly vertexCheck?: { readonly every: number; readonly check: (vertices: number) => void };
}

/** The flag, in DominatorTree.otherSources, of an edge from a holder to a root it adopted. */
export const ADOPTED = 0x80000000;
/** preorderOf's value for an object no root reaches. */
export const UNREACHABLE = 0xffffffff;
/**
 * preorderOf's flag for a leaf (an object without references, or a bundle's head): the rest is its dominator's
 * vertex, unless BUNDLED is set too.
 */
const LEAF = 0x80000000;
/** With LEAF: a leaf of a bundle, dominated by its head; the rest is BUNDLE_REACH + (its index − its head's). */
const BUNDLED = 0x40000000;
const VERTEX_BITS = 0x3fffffff;
/** While the DFS runs: a leaf with several referrers (listed aside), its dominator not known yet. */
const SHARED_LEAF = (LEAF | 0x3ffffffe) >>> 0;
/** Vertices are numbered below this (the rest of the code space holds the flags and SHARED_LEAF). */
const MAX_VERTICES = SHARED_LEAF & VERTEX_BITS;
/**
 * How far (in object indices, that is in the dump's order) a bundle's leaves may be from its head: a String's
 * byte[] is next to it in 14.0 M of the 14.0 M bundles of a 1.43 GB Bazel dump, 2,300 are further than 16 away.
 */
export const BUNDLE_REACH = 64;

/** The head of the bundled leaf `node` whose code is `code`. */
function headOf(node: number, code: number): number {
  return node - ((code & VERTEX_BITS) - BUNDLE_REACH);
}

/** The vertex that dominates a leaf or a bundle's head (`code` ≥ LEAF), or a bundled leaf's head. */
function leafContext(preorderOf: Uint32Array, node: number, code: number): number {
  return (code & BUNDLED) !== 0 ? preorderOf[headOf(node, code)]! & VERTEX_BITS : code & VERTEX_BITS;
}

export class DominatorTree {
  /** Per vertex: the object; objectAt.at(0) is the super-root (= objectCount). */
  readonly objectAt: SpillableColumn;
  /** Per vertex: its immediate dominator's vertex (0: only the super-root dominates it). */
  readonly idom: SpillableColumn;
  /** Per vertex: retained bytes in `retainedUnit`s (8 when every size is a multiple of 8: half the memory). */
  private readonly retained: SpillableColumn;
  /**
   * Every edge into a vertex, as vertices: the DFS parent (searchParent.at(v); 0, the super-root, for a GC root)
   * and the others (crossEdges, sorted by target). A root a holder adopted (see HeapGraph.rootHolders) comes
   * from its holder: such an edge is no reference in the heap, and says so by isAdoptedParent(v), or ADOPTED
   * set in its cross edge's source.
   */
  readonly searchParent: SpillableColumn;

  constructor(
    /**
     * Per object: its vertex (DFS preorder number, ≥ 1), LEAF | its dominator's vertex (a leaf, a bundle's
     * head), LEAF | BUNDLED | its distance from its head (a bundle's leaf), or UNREACHABLE.
     */
    private readonly preorderOf: Uint32Array,
    columns: { readonly objectAt: Uint32Array; readonly idom: Uint32Array; readonly retained: Uint32Array | Float64Array; readonly searchParent: Uint32Array },
    private readonly retainedUnit: number,
    private readonly shallowSizes: ShallowSizes,
    /** Reachable objects (vertices and leaves). */
    readonly reachableCount: number,
    readonly crossEdges: CrossEdges,
    private readonly adoptedParents: Uint32Array,
  ) {
    this.objectAt = new SpillableColumn(columns.objectAt);
    this.idom = new SpillableColumn(columns.idom);
    this.retained = new SpillableColumn(columns.retained);
    this.searchParent = new SpillableColumn(columns.searchParent);
  }

  /** Vertices, with the super-root. */
  get vertexCount(): number {
    return this.objectAt.length;
  }

  /**
   * Writes the columns the attribute phase reads in vertex order, or for holders only (immediate dominators,
   * retained sizes), to `store`, and hands back their memory for its own per-vertex arrays (memory-budget.ts).
   */
  spillColumns(store: SpillStore): Uint32Array[] {
    const freed: Uint32Array[] = [];
    for (const column of [this.idom, this.retained]) {
      const memory = column.spill(store);
      if (memory !== undefined) freed.push(memory);
    }
    return freed;
  }

  /** Whether vertex v's DFS parent is the holder that adopted it as a root (not a reference in the heap). */
  isAdoptedParent(v: number): boolean {
    return (this.adoptedParents[v >>> 5]! & (1 << (v & 31))) !== 0;
  }

  get superRoot(): number {
    return this.objectAt.at(0);
  }

  /** Every reachable byte (what the super-root retains). */
  get reachableBytes(): number {
    return this.retained.at(0) * this.retainedUnit;
  }

  isReachable(node: number): boolean {
    return this.preorderOf[node] !== UNREACHABLE;
  }

  /** The object's vertex, or -1 when it is none (a leaf, a bundle, unreachable). */
  vertexOf(node: number): number {
    const code = this.preorderOf[node]!;
    return code < LEAF ? code : -1;
  }

  /**
   * Calls `visit` with each vertex that references vertex v, once per reference (the super-root and the holders
   * that adopted a root are no referrers: theirs are no references in the heap). Every reference into an object
   * with references of its own is there, the edges long gone.
   */
  forEachReferrer(v: number, visit: (from: number) => void): void {
    const parent = this.searchParent.at(v);
    if (parent !== 0 && !this.isAdoptedParent(v)) visit(parent);
    // The filter made once (the owners' searches ask millions of times); `visit` in a field while it runs.
    const outer = this.referrerVisit;
    this.referrerVisit = visit;
    this.crossEdges.forEachSource(v, this.visitCrossSource);
    this.referrerVisit = outer;
  }

  private referrerVisit: (from: number) => void = () => undefined;
  private readonly visitCrossSource = (from: number): void => {
    if (from !== 0 && from < ADOPTED) this.referrerVisit(from);
  };

  /** The object's immediate dominator (an object index), the super-root's index for roots, -1 if unreachable. */
  dominatorOf(node: number): number {
    const code = this.preorderOf[node]!;
    if (code === UNREACHABLE) return -1;
    if (code >= LEAF && (code & BUNDLED) !== 0) return headOf(node, code);
    const vertex = code >= LEAF ? code & VERTEX_BITS : this.idom.at(code);
    return this.objectAt.at(vertex);
  }

  /**
   * The vertex whose dominator-tree context the object shares: its own for a vertex, its dominator's for a leaf
   * or a bundle's head, its head's dominator's for a bundle's leaf; -1 when unreachable.
   */
  contextVertexOf(node: number): number {
    const code = this.preorderOf[node]!;
    if (code === UNREACHABLE) return -1;
    return code < LEAF ? code : leafContext(this.preorderOf, node, code);
  }

  /** Bytes the object retains (0 when unreachable); a bundle's head, its leaves too (within BUNDLE_REACH of it). */
  retainedOf(node: number): number {
    const code = this.preorderOf[node]!;
    if (code === UNREACHABLE) return 0;
    if (code < LEAF) return this.retained.at(code) * this.retainedUnit;
    let bytes = this.shallowSizes.bytesOf(node);
    if ((code & BUNDLED) !== 0) return bytes;
    const last = Math.min(this.preorderOf.length - 1, node + BUNDLE_REACH);
    for (let other = Math.max(0, node - BUNDLE_REACH); other <= last; other++) {
      const otherCode = this.preorderOf[other]!;
      if (otherCode !== UNREACHABLE && otherCode >= LEAF && (otherCode & BUNDLED) !== 0 && headOf(other, otherCode) === node) bytes += this.shallowSizes.bytesOf(other);
    }
    return bytes;
  }
}

export function dominatorTree(graph: HeapGraph, releaseEdges: () => ScratchPool | void = () => undefined): DominatorTree {
  const search = searchHeap(graph);
  return search.dominators(releaseEdges() ?? new ScratchPool([]));
}

/**
 * The depth-first search of dominatorTree, the one part that reads the edges: reachability is known after it,
 * and the caller may use the edges for its own work before letting them go and asking for the tree.
 */
export function searchHeap(graph: HeapGraph, scratch: ScratchPool = new ScratchPool([])): HeapSearch {
  return new HeapSearch(graph.objectCount, graph.shallowSizes, depthFirst(graph, scratch));
}

export class HeapSearch {
  private done = false;

  constructor(
    private readonly objectCount: number,
    private readonly shallowSizes: ShallowSizes,
    private readonly result: ReturnType<typeof depthFirst>,
  ) {}

  isReachable(node: number): boolean {
    return this.result.preorderOf[node] !== UNREACHABLE;
  }

  /** The vertices it numbered (with the super-root): what the tree's per-vertex arrays follow. */
  get vertexCount(): number {
    return this.result.size;
  }

  /** Edges into a vertex besides its DFS parent's. */
  get crossEdgeCount(): number {
    return this.result.crossEdges.count;
  }

  /** Cross edges it holds in memory (none when they went to the spill store). */
  get crossEdgesInMemory(): number {
    return this.result.crossEdges.inMemory ? this.result.crossEdges.count : 0;
  }

  /**
   * The dominator tree (once: its arrays become the tree's). Needs no edges; its three new per-vertex arrays
   * come from `scratch` (the released edges' memory, say).
   */
  dominators(scratch: ScratchPool = new ScratchPool([])): DominatorTree {
    if (this.done) throw new Error("HeapSearch.dominators() called twice");
    this.done = true;
    const { objectCount, shallowSizes } = this;
    const { preorderOf, parent, size, crossEdges, sharedLeaves, adoptedParents } = this.result;
    const { semi, label, ancestor } = semidominators(parent, size, crossEdges, scratch);
    // idom by nearest common ancestor: each vertex's dominator precedes it, so one forward sweep suffices. It
    // goes where the forest was (done with), so that the DFS parents stay: the referrers of every vertex.
    const idom = ancestor;
    idom[0] = 0;
    for (let w = 1; w < size; w++) {
      let d = parent[w]!;
      const s = semi[w]!;
      while (d > s) d = idom[d]!;
      idom[w] = d;
    }
    // A leaf with several referrers: the nearest common dominator of them all.
    for (let i = 0; i < sharedLeaves.length; i += 2) {
      const leaf = sharedLeaves[i]!;
      const referrer = sharedLeaves[i + 1]!;
      const code = preorderOf[leaf]!;
      preorderOf[leaf] = LEAF | (code === SHARED_LEAF ? referrer : commonDominator(idom, code & VERTEX_BITS, referrer));
    }
    // The semidominator phase's arrays become the results (no new allocation at the peak): objectAt in semi's,
    // retained in label's, in units of 8 bytes, when every size is a multiple of 8 and the total fits (always,
    // in a HotSpot dump); otherwise in a Float64Array of bytes.
    let total = 0;
    let lowBits = 0;
    for (let node = 0; node < objectCount; node++) {
      const bytes = shallowSizes.bytesOf(node);
      total += bytes;
      lowBits |= bytes;
    }
    const unit = (lowBits & 7) === 0 && total / 8 <= 0xffffffff ? 8 : 1;
    const retained = unit === 8 ? label.fill(0) : new Float64Array(size);
    const objectAt = semi;
    objectAt[0] = objectCount;
    let reachable = 0;
    for (let node = 0; node < objectCount; node++) {
      const code = preorderOf[node]!;
      if (code === UNREACHABLE) continue;
      reachable++;
      const units = shallowSizes.bytesOf(node) / unit;
      if (code >= LEAF) {
        const dominator = leafContext(preorderOf, node, code);
        retained[dominator] = retained[dominator]! + units;
      } else {
        objectAt[code] = node;
        retained[code] = retained[code]! + units;
      }
    }
    // Children after parents in preorder: summing backwards gives every subtree.
    for (let v = size - 1; v >= 1; v--) retained[idom[v]!] = retained[idom[v]!]! + retained[v]!;
    return new DominatorTree(preorderOf, { objectAt, idom, retained, searchParent: parent.subarray(0, size) }, unit, shallowSizes, reachable, crossEdges, adoptedParents);
  }
}

function commonDominator(idom: Uint32Array, a: number, b: number): number {
  let x = a;
  let y = b;
  while (x !== y) {
    while (x > y) x = idom[x]!;
    while (y > x) y = idom[y]!;
  }
  return x;
}

/** A list of numbers in one typed array, doubled when full. */
class GrowingUint32 {
  values: Uint32Array;
  length = 0;

  constructor(capacity = 1 << 12) {
    this.values = new Uint32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Uint32Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  /** The numbers pushed, in the array that holds them (no copy: its pages beyond them were never touched). */
  pushed(): Uint32Array {
    return this.values.subarray(0, this.length);
  }
}

/**
 * Depth-first search from a super-root (vertex 0) whose references are the GC roots (a root adopted by a holder
 * is instead its holder's last reference, unless nothing reaches the holder). Returns the preorder numbers of the objects with references
 * (vertices), the DFS tree's parents, every other edge into a vertex (`crossEdges`, sorted by target, in memory
 * or on the spill store; the tree edge is the parent), and each leaf's referrer: LEAF | referrer when it has one,
 * SHARED_LEAF with (leaf, referrer) pairs aside otherwise. A bundle's head is a leaf of its one referrer; its
 * leaves are marked LEAF | BUNDLED as the head is met (none has another referrer).
 */
function depthFirst(
  graph: HeapGraph,
  scratch: ScratchPool,
): {
  preorderOf: Uint32Array;
  parent: Uint32Array;
  size: number;
  crossEdges: CrossEdges;
  sharedLeaves: Uint32Array;
  adoptedParents: Uint32Array;
} {
  const { objectCount, edgeStart, edgeTargets } = graph;
  const adopted = adoptedRoots(graph);
  const { spill, shallowSizes } = graph;
  const lent = spill !== undefined && !shallowSizes.lent ? { spill, memory: shallowSizes.lend(spill) } : undefined;
  const bundles = bundleHeads(graph, adopted, lent?.memory ?? new Uint8Array((objectCount + 3) >>> 2));
  const preorderOf = scratch.take(objectCount).fill(UNREACHABLE);
  // At most one vertex per object with references or adopted roots, plus the super-root.
  let bound = 1 + adopted.holders;
  for (let node = 0; node < objectCount; node++) if (edgeStart.hasEdges(node)) bound++;
  const parent = new Uint32Array(bound);
  const adoptedParents = new Uint32Array((bound + 31) >>> 5);
  // An edge besides the tree's is one of the heap's, or a root's (the super-root's, an adopting holder's): as many
  // as those at most. Their memory sized for that at once: a monorepo's 21.8 M cross edges (of 36.5 M) took
  // 130 MB more while both arrays doubled.
  const crossEdges = new CrossEdgeWriter(edgeTargets.length + graph.roots.length, graph.crossEdgeSpill);
  const shared = new GrowingUint32();
  // Per level of the path: the object, its next edge and its edges' end (decoded once, not per edge).
  let stackNode: Uint32Array = new Uint32Array(1 << 12);
  let stackEdge: Uint32Array = new Uint32Array(1 << 12);
  let stackEnd: Uint32Array = new Uint32Array(1 << 12);
  let count = 1;
  const checkMask = graph.vertexCheck === undefined ? -1 : graph.vertexCheck.every - 1;
  // Two passes from the super-root: its own roots, then the adopted roots whose holder the first pass did not
  // reach (a thread object missing from the dump): still GC roots, so the super-root's too.
  for (let pass = 0; pass < 2; pass++) {
    const rootList = pass === 0 ? adopted.superRootRoots : adopted.orphans((holder) => preorderOf[holder] === UNREACHABLE);
    let depth = 0;
    stackNode[0] = objectCount; // the super-root
    stackEdge[0] = 0;
    while (depth >= 0) {
      const node = stackNode[depth]!;
      const edge = stackEdge[depth]!;
      let target: number;
      let from: number;
      let adoption = false;
      if (node === objectCount) {
        if (edge >= rootList.length) {
          depth--;
          continue;
        }
        target = rootList[edge]!;
        from = 0;
      } else {
        const end = stackEnd[depth]!;
        if (edge < end) {
          target = edgeTargets[edge]!;
        } else {
          // Past its references, a holder's adopted roots (its stack's locals) are its next edges.
          const extra = adopted.of(node);
          if (extra === undefined || edge - end >= extra.length) {
            depth--;
            continue;
          }
          target = extra[edge - end]!;
          adoption = true;
        }
        from = preorderOf[node]!;
      }
      stackEdge[depth] = edge + 1;
      const code = preorderOf[target]!;
      if (code < LEAF) {
        // A vertex met again: an edge besides the tree's.
        crossEdges.push(code, adoption ? (from | ADOPTED) >>> 0 : from);
        continue;
      }
      if (code === UNREACHABLE && (edgeStart.hasEdges(target) || adopted.isHolder(target))) {
        if (bundles.heads(target)) {
          bundles.mark(preorderOf, target, from);
          continue;
        }
        if (count === MAX_VERTICES) throw new RangeError(`the heap has more than ${MAX_VERTICES} objects that reference others besides their own leaves: more than the digest can number`);
        if ((count & checkMask) === 0) graph.vertexCheck?.check(count);
        preorderOf[target] = count;
        if (adoption) adoptedParents[count >>> 5] |= 1 << (count & 31);
        parent[count++] = from;
        depth++;
        if (depth === stackNode.length) {
          stackNode = grow(stackNode);
          stackEdge = grow(stackEdge);
          stackEnd = grow(stackEnd);
        }
        stackNode[depth] = target;
        stackEdge[depth] = edgeStart.of(target);
        stackEnd[depth] = edgeStart.of(target + 1);
        continue;
      }
      // A leaf: the first referrer is its dominator until a second one comes.
      if (code === UNREACHABLE) {
        preorderOf[target] = LEAF | from;
      } else if (code !== SHARED_LEAF) {
        if ((code & VERTEX_BITS) === from) continue;
        shared.push(target);
        shared.push(code & VERTEX_BITS);
        preorderOf[target] = SHARED_LEAF;
        shared.push(target);
        shared.push(from);
      } else {
        shared.push(target);
        shared.push(from);
      }
    }
  }
  if (lent !== undefined) shallowSizes.restore(lent.spill, lent.memory);
  return { preorderOf, parent, size: count, crossEdges: crossEdges.finish(), sharedLeaves: shared.pushed(), adoptedParents };
}

/**
 * Which objects head a bundle: with references, one referrer, not an adopted holder nor kept as a vertex, and
 * all its references to leaves only it references, within BUNDLE_REACH of it. `mark` codes the head as a leaf of
 * its referrer `from` and its leaves as BUNDLED. The referrer counts live in `countsMemory`.
 */
function bundleHeads(
  graph: HeapGraph,
  adopted: ReturnType<typeof adoptedRoots>,
  countsMemory: Uint8Array,
): { heads(node: number): boolean; mark(preorderOf: Uint32Array, head: number, from: number): void } {
  const { edgeStart, edgeTargets } = graph;
  const referrers = referrerCounts(graph, countsMemory);
  const keepsVertex = graph.keepsVertex ?? ((): boolean => false);
  return {
    heads(node) {
      if (referrers.count(node) !== 1 || adopted.isHolder(node) || keepsVertex(node)) return false;
      const end = edgeStart.of(node + 1);
      for (let edge = edgeStart.of(node); edge < end; edge++) {
        const target = edgeTargets[edge]!;
        if (edgeStart.hasEdges(target) || referrers.count(target) !== 1 || Math.abs(target - node) > BUNDLE_REACH || adopted.isHolder(target)) return false;
      }
      return true;
    },
    mark(preorderOf, head, from) {
      preorderOf[head] = LEAF | from;
      const end = edgeStart.of(head + 1);
      for (let edge = edgeStart.of(head); edge < end; edge++) {
        const leaf = edgeTargets[edge]!;
        preorderOf[leaf] = LEAF | BUNDLED | (BUNDLE_REACH + leaf - head);
      }
    },
  };
}

/**
 * How many objects (or GC roots) reference each object: 0, 1, or 2 for more (2 bits an object). A GC root counts
 * as referenced twice: a root is never part of a bundle. In `memory` (a quarter byte an object or more).
 */
function referrerCounts(graph: HeapGraph, memory: Uint8Array): { count(node: number): number } {
  const counts = memory.subarray(0, (graph.objectCount + 3) >>> 2).fill(0);
  const { edgeTargets } = graph;
  const edges = graph.edgeStart.of(graph.objectCount);
  const add = (node: number, by: number): void => {
    const shift = (node & 3) << 1;
    const sofar = (counts[node >>> 2]! >>> shift) & 3;
    const next = Math.min(2, sofar + by);
    counts[node >>> 2] = (counts[node >>> 2]! & ~(3 << shift)) | (next << shift);
  };
  for (let edge = 0; edge < edges; edge++) add(edgeTargets[edge]!, 1);
  for (let r = 0; r < graph.roots.length; r++) add(graph.roots[r]!, 2);
  return { count: (node) => (counts[node >>> 2]! >>> ((node & 3) << 1)) & 3 };
}

/**
 * The roots each holder adopts (graph.rootHolders), as a small map (holders are threads, a few dozen) behind a
 * bitmap of node numbers' low bits, so that the DFS's checks of every leaf and every finished node rarely reach the map.
 */
function adoptedRoots(graph: HeapGraph): {
  readonly holders: number;
  readonly superRootRoots: Uint32Array;
  /** The adopted roots whose holder is `unreached`. */
  orphans(unreached: (holder: number) => boolean): Uint32Array;
  isHolder(node: number): boolean;
  of(node: number): Uint32Array | undefined;
} {
  const holderOf = graph.rootHolders;
  const byHolder = new Map<number, number[]>();
  const superRootRoots: number[] = [];
  for (let r = 0; r < graph.roots.length; r++) {
    const holder = holderOf === undefined ? graph.objectCount : holderOf[r]!;
    if (holder === graph.objectCount) {
      superRootRoots.push(graph.roots[r]!);
      continue;
    }
    let list = byHolder.get(holder);
    if (list === undefined) byHolder.set(holder, (list = []));
    list.push(graph.roots[r]!);
  }
  const arrays = new Map([...byHolder].map(([holder, list]) => [holder, Uint32Array.from(list)]));
  const maybe = new Uint8Array(1 << 16);
  for (const holder of arrays.keys()) maybe[holder & 0xffff] = 1;
  return {
    holders: arrays.size,
    superRootRoots: Uint32Array.from(superRootRoots),
    orphans: (unreached) => Uint32Array.from([...arrays].filter(([holder]) => unreached(holder)).flatMap(([, list]) => [...list])),
    isHolder: (node) => maybe[node & 0xffff] === 1 && arrays.has(node),
    of: (node) => (maybe[node & 0xffff] === 1 ? arrays.get(node) : undefined),
  };
}

function grow(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Semidominators by Lengauer-Tarjan's path-compressed evaluation, in reverse preorder. A vertex's
 * predecessors are its DFS parent and its cross edges (sorted by target: read from the end as w goes down).
 * The forest is `ancestor`, a copy of the parents compressed as it goes: a vertex is linked once processed,
 * that is when its number is above the one being processed.
 */
function semidominators(
  parent: Uint32Array,
  size: number,
  crossEdges: CrossEdges,
  scratch: ScratchPool,
): { semi: Uint32Array; label: Uint32Array; ancestor: Uint32Array } {
  const semi = scratch.take(size);
  const label = scratch.take(size);
  const ancestor = scratch.take(size);
  ancestor.set(parent.subarray(0, size));
  for (let v = 0; v < size; v++) {
    semi[v] = v;
    label[v] = v;
  }
  let path: Uint32Array = new Uint32Array(1 << 12);
  // The cross edges from the last block back, a block at a time.
  let block = crossEdges.blockCount;
  let targets: Uint32Array = new Uint32Array(0);
  let sources: Uint32Array = targets;
  let p = 0;
  for (let w = size - 1; w >= 1; w--) {
    let best = parent[w]!;
    for (;;) {
      if (p === 0) {
        if (block === 0) break;
        ({ targets, sources } = crossEdges.block(--block));
        p = targets.length;
        continue;
      }
      if (targets[p - 1] !== w) break;
      const v = (sources[--p]! & VERTEX_BITS) >>> 0;
      let s = v;
      if (v > w) {
        // evaluate(v): compress the path from v up to its tree's root in the forest, top first.
        let depth = 0;
        let u = v;
        while (ancestor[u]! > w) {
          if (depth === path.length) path = grow(path);
          path[depth++] = u;
          u = ancestor[u]!;
        }
        while (depth > 0) {
          const x = path[--depth]!;
          const a = ancestor[x]!;
          if (semi[label[a]!]! < semi[label[x]!]!) label[x] = label[a]!;
          ancestor[x] = ancestor[a]!;
        }
        s = semi[label[v]!]!;
      }
      if (s < best) best = s;
    }
    semi[w] = best;
  }
  return { semi, label, ancestor };
}
