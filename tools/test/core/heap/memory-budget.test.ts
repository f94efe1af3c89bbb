// The digest's memory budget (core/heap/memory-budget.ts): the table's arithmetic, the two checks, the reader
// stopping a real Bazel dump that a limit cannot hold, and the arrays the reader and the tree keep, per object,
// vertex and edge, held to the table on real Bazel dumps of both shapes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { searchHeap } from "../../../src/core/heap/dominators.js";
import { countHolders, holderKinds, isHolderNode } from "../../../src/core/heap/digest-holders.js";
import { digestHeap } from "../../../src/core/heap/heap-digest.js";
import { Names } from "../../../src/core/heap/digest-names.js";
import { rootHolders, stackClaims, stackClaimsBound, stackOwnership, starlarkCallstacks, starlarkStacks, wideStackOwners, type StackClaim } from "../../../src/core/heap/digest-stacks.js";
import { HeapView } from "../../../src/core/heap/heap-view.js";
import { UNOBSERVED } from "../../../src/core/heap/digest-phases.js";
import { bytesSource, HprofError, readHeap } from "../../../src/core/heap/hprof.js";
import { readHeader } from "../../../src/core/heap/hprof-format.js";
import { DumpPass, MAX_EDGES } from "../../../src/core/heap/hprof-records.js";
import { bazelShapedHeap } from "./digest-bazel-heap.js";
import {
  ATTRIBUTE_VERTEX_BYTES_TREE_ON_DISK,
  BASE_BYTES,
  checkDigestMemory,
  checkPassMemory,
  checkSearchMemory,
  checkTreeMemory,
  CROSS_EDGE_DISK_BYTES,
  crossEdgeMemoryPairs,
  digestPeakBytes,
  HOLDER_BYTES,
  LARGE_OBJECT_BYTES,
  MemoryLimitError,
  parseMemoryLimit,
  PHASE_BYTES,
  stateBytesAfterThePass,
  TREE_DISK_BYTES,
  treeGoesToDisk,
  WIDE_STACK_OWNER_BYTES,
  type HeapCounts,
} from "../../../src/core/heap/memory-budget.js";
import { idOrder, lookupExtraBytes } from "../../../src/core/heap/hprof-index.js";
import { CountingSpill } from "../../helpers/counting-spill.js";
import { BAZEL_VERSIONS, FIXTURES_DIR } from "../../helpers/fixtures.js";

const counts = (objects: number, edges: number, vertices = objects): HeapCounts => ({ objects, vertices, edges, crossEdges: 0, largeObjects: 0, wideIds: false });

const dumpBytes = (version: string, name: string): Uint8Array =>
  new Uint8Array(gunzipSync(readFileSync(join(FIXTURES_DIR, `bazel-${version}`, "heap-dump", `${name}.hprof.gz`))));

describe("digestPeakBytes", () => {
  it("is Node's base plus the costliest phase of the table", () => {
    // 1 M objects, a tenth of them vertices, 4 M edges, no cross edges: the search and stacks phases (10 o + 4 v + 4 e).
    expect(digestPeakBytes({ objects: 1e6, vertices: 1e5, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false })).toBe(BASE_BYTES + 10e6 + 4e5 + 16e6);
    // Vertices every object and many cross edges: the attribute phase (12 o + 22 v + 8 c) costs most.
    expect(digestPeakBytes({ objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 1e6, largeObjects: 0, wideIds: false })).toBe(BASE_BYTES + 12e6 + 22e6 + 8e6);
  });

  it("counts LARGE_OBJECT_BYTES for each size kept outside its byte, in every phase", () => {
    const none = { objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 1e6, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes({ ...none, largeObjects: 1e4 }) - digestPeakBytes(none)).toBe(LARGE_OBJECT_BYTES * 1e4);
  });

  it("counts HOLDER_BYTES per holder in the attribute phase only", () => {
    // Vertices every object and many cross edges: the attribute phase costs most, with or without holders.
    const none = { objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 1e6, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes({ ...none, holders: 5e4 }) - digestPeakBytes(none)).toBe(HOLDER_BYTES * 5e4);
    // Few vertices: the stacks phase costs most, and holders change nothing until they outweigh it.
    const fewVertices = { objects: 1e6, vertices: 1e5, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes({ ...fewVertices, holders: 100 })).toBe(digestPeakBytes(fewVertices));
  });

  it("counts 4 bytes more per object and edge while reading ids that are not compact", () => {
    const compact = { objects: 1e6, vertices: 0, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes(compact)).toBe(BASE_BYTES + 10e6 + 16e6);
    // resolve: (10 + 4) o + (4 + 4) e = 14e6 + 32e6.
    expect(digestPeakBytes({ ...compact, wideIds: true })).toBe(BASE_BYTES + 14e6 + 32e6);
  });

  it("counts the id lookup's extra bytes an object in the resolve phase only", () => {
    // Few vertices: resolve, search and stacks cost the same (10 o + 4 e); the lookup's extra makes resolve the peak.
    const counts = { objects: 1e6, vertices: 0, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes({ ...counts, lookupExtraBytes: 10 }) - digestPeakBytes(counts)).toBe(10e6);
    // Every object a vertex: the attribute phase stays the peak, whatever the lookup took before.
    const vertices = { ...counts, vertices: 1e6, edges: 1e6 };
    expect(digestPeakBytes({ ...vertices, lookupExtraBytes: 10 })).toBe(digestPeakBytes(vertices));
  });

  it("counts WIDE_STACK_OWNER_BYTES an object in the stacks phase when a byte numbers too few owners", () => {
    const counts = { objects: 1e6, vertices: 1e5, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    expect(digestPeakBytes({ ...counts, wideStackOwners: true }) - digestPeakBytes(counts)).toBe(WIDE_STACK_OWNER_BYTES * 1e6);
    const vertices = { ...counts, vertices: 1e6, edges: 1e6 };
    expect(digestPeakBytes({ ...vertices, wideStackOwners: true })).toBe(digestPeakBytes(vertices));
  });
});

describe("lookupExtraBytes", () => {
  // Compact ids are id / 8; 16 to 32 a bucket: a residue takes a byte while 256 ids' worth of range holds 16 ids.
  const dense = Uint32Array.from({ length: 1000 }, (_, i) => 100 + 3 * i);
  const sparse = (step: number): Uint32Array => Uint32Array.from({ length: 1000 }, (_, i) => 100 + step * i);
  it.each<{ name: string; ids: { compact: boolean; values: Uint32Array | Float64Array }; bytes: number }>([
    { name: "compact, in order, residues of a byte (lent)", ids: { compact: true, values: dense }, bytes: 0 },
    { name: "compact, in order, residues of 2 bytes", ids: { compact: true, values: sparse(1000) }, bytes: 2 },
    { name: "compact, in order, residues of 4 bytes", ids: { compact: true, values: sparse(1_000_000) }, bytes: 4 },
    { name: "compact, out of order: the order and a sorted copy", ids: { compact: true, values: dense.slice().reverse() }, bytes: 8 },
    { name: "compact, a repeat: out of order", ids: { compact: true, values: Uint32Array.from([1, 2, 2, 3]) }, bytes: 8 },
    { name: "not compact, in order: the ids themselves", ids: { compact: false, values: Float64Array.from(dense, (id) => id * 2 ** 24) }, bytes: 0 },
    { name: "not compact, out of order", ids: { compact: false, values: Float64Array.from(dense, (id) => id * 2 ** 24).reverse() }, bytes: 12 },
    { name: "none", ids: { compact: true, values: new Uint32Array(0) }, bytes: 0 },
  ])("$name: $bytes", ({ ids, bytes }) => {
    // IdLookup takes its residues' width from the same bucketShift and residueBytes.
    expect(lookupExtraBytes(ids, idOrder(ids.values))).toBe(bytes);
  });
});

describe("the checks", () => {
  it("lets the pass go on while what it holds fits, however large the extrapolation", () => {
    const held = BASE_BYTES + PHASE_BYTES.read.object * 1e6 + PHASE_BYTES.read.edge * 1e6;
    expect(() => checkPassMemory(counts(1e6, 1e6), 1, 1e12, held)).not.toThrow();
  });

  it("stops the pass once it holds more, with the whole need extrapolated from the share read", () => {
    const held = BASE_BYTES + PHASE_BYTES.read.object * 1e6 + PHASE_BYTES.read.edge * 1e6;
    let thrown: unknown;
    try {
      checkPassMemory(counts(1e6, 1e6), 250, 1000, held - 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MemoryLimitError);
    const error = thrown as MemoryLimitError;
    expect(error.complete).toBe(false);
    expect(error.offset).toBe(250);
    // A quarter read: four times the counts, every phase without a vertex or a cross edge (the search checks its
    // vertices as it numbers them; cross edges can go to the spill store).
    const whole = { objects: 4e6, vertices: 0, edges: 4e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    expect(error.neededBytes).toBe(digestPeakBytes(whole));
  });

  it("counts what the caller holds during the pass in the read phase only", () => {
    const compact = { objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 0, largeObjects: 0, wideIds: false };
    const read = PHASE_BYTES.read.object * 1e6 + PHASE_BYTES.read.edge * 1e6;
    expect(digestPeakBytes(compact, 1e6)).toBe(digestPeakBytes(compact));
    expect(digestPeakBytes(compact, 1e8)).toBe(BASE_BYTES + read + 1e8);
    expect(() => checkPassMemory(compact, 1, 1, BASE_BYTES + read + 10, 10)).not.toThrow();
    expect(() => checkPassMemory(compact, 1, 1, BASE_BYTES + read + 10, 11)).toThrow(MemoryLimitError);
  });

  it("refuses after the pass when the phases up to the search need more than the limit without a vertex, and only then", () => {
    const before = digestPeakBytes({ ...counts(1e6, 2e6), vertices: 0 }, 0, ["read", "resolve", "search"]);
    // Every object a vertex: the search's and the tree's phases need more, which the pass does not know yet.
    expect(digestPeakBytes(counts(1e6, 2e6), 0, ["search"])).toBeGreaterThan(before);
    expect(() => checkDigestMemory(counts(1e6, 2e6), 1, before)).not.toThrow();
    expect(() => checkDigestMemory(counts(1e6, 2e6), 1, before - 1)).toThrow(MemoryLimitError);
  });

  it.each([
    // During the search, at least what the vertices so far need: the tree's columns on disk, no cross edge in memory.
    { when: "during the search, at least so much", check: checkSearchMemory, needed: digestPeakBytes({ ...counts(1e6, 2e6, 3e5), treeOnDisk: true }), searchedVertices: 3e5 },
    { when: "after the search", check: checkTreeMemory, needed: digestPeakBytes(counts(1e6, 2e6, 3e5)), searchedVertices: undefined },
  ])("refuses $when once the vertices need more than the limit, and only then", ({ check, needed, searchedVertices }) => {
    expect(() => check(counts(1e6, 2e6, 3e5), 1, needed)).not.toThrow();
    let thrown: unknown;
    try {
      check(counts(1e6, 2e6, 3e5), 1, needed - 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MemoryLimitError);
    const refused = thrown as MemoryLimitError;
    expect([refused.neededBytes, refused.complete, refused.searchedVertices]).toEqual([needed, true, searchedVertices]);
  });

  it("bounds what the digest writes to its state after the pass: every cross edge when not all may stay in memory, the tree's columns when the limit may not hold them", () => {
    const tight = { objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 0, holders: 1e4, largeObjects: 0, wideIds: false };
    expect(stateBytesAfterThePass(tight, 2e6, Infinity, undefined)).toBe(0);
    expect(stateBytesAfterThePass(tight, 2e6, 1e6, undefined)).toBe(CROSS_EDGE_DISK_BYTES * 2e6);
    const treeOnDisk = digestPeakBytes({ ...tight, treeOnDisk: true });
    expect(stateBytesAfterThePass(tight, 2e6, 0, treeOnDisk)).toBe(CROSS_EDGE_DISK_BYTES * 2e6 + TREE_DISK_BYTES * 1e6);
    expect(stateBytesAfterThePass(tight, 2e6, 2e6, digestPeakBytes({ ...tight, crossEdges: 2e6 }))).toBe(0);
  });

  it("spills the tree's columns before the cross edges: their room is judged with the tree on disk", () => {
    const tight = { objects: 1e6, vertices: 1e6, edges: 1e6, crossEdges: 0, holders: 1e4, largeObjects: 0, wideIds: false };
    const treeOnDisk = digestPeakBytes({ ...tight, treeOnDisk: true });
    expect(digestPeakBytes(tight) - treeOnDisk).toBe((PHASE_BYTES.attribute.vertex - ATTRIBUTE_VERTEX_BYTES_TREE_ON_DISK) * 1e6);
    // At the need with the tree on disk: no room for a cross edge in memory, and the tree goes to disk.
    expect(crossEdgeMemoryPairs(tight, treeOnDisk)).toBe(0);
    expect(crossEdgeMemoryPairs(tight, treeOnDisk + 8000)).toBe(1000);
    expect(treeGoesToDisk(tight, treeOnDisk)).toBe(true);
    expect(treeGoesToDisk(tight, digestPeakBytes(tight))).toBe(false);
  });
});

describe("parseMemoryLimit", () => {
  it.each([
    ["8g", 8 * 2 ** 30],
    ["512m", 512 * 2 ** 20],
    ["160m", 160 * 2 ** 20],
  ])("%s is %d bytes", (text, bytes) => expect(parseMemoryLimit(text)).toBe(bytes));

  it.each(["", "lots", "-1g", "1.5g", "8x", "159m", "64m", "1k"])("%j is no limit a digest can work in", (text) => expect(parseMemoryLimit(text)).toBeNull());
});

describe.each(BAZEL_VERSIONS)("real Bazel %s dumps", (version) => {
  it.each(["reproduction", "list-lattice"])("%s: a limit below its need stops the reader, one above lets it through", (name) => {
    const bytes = dumpBytes(version, name);
    const heap = readHeap(bytesSource(bytes));
    let refused: MemoryLimitError | undefined;
    try {
      readHeap(bytesSource(bytes), { memoryLimitBytes: BASE_BYTES + 1 });
    } catch (error) {
      if (error instanceof MemoryLimitError) refused = error;
    }
    expect(refused).toBeDefined();
    // The pass checks every 2^20 objects; these dumps hold fewer, so the counts at its end decide.
    expect(refused!.complete).toBe(true);
    expect(refused!.counts.objects).toBe(heap.objectCount);
    expect(refused!.neededBytes).toBeGreaterThan(BASE_BYTES);
    expect(() => readHeap(bytesSource(bytes), { memoryLimitBytes: refused!.neededBytes })).not.toThrow();
  });

  it.each(["reproduction", "list-lattice"])(
    "%s: after the search, a limit below what its vertices need stops the digest; one that leaves its tree's columns or its cross edges too little room digests it with them on the spill store, the same digest",
    (name) => {
      const bytes = dumpBytes(version, name);
      const heap = readHeap(bytesSource(bytes));
      const search = searchHeap({ ...heap, rootHolders: rootHolders(heap) }, heap.scratch);
      const holders = countHolders(heap, holderKinds(heap, new HeapView(heap, bytesSource(bytes))));
      expect(holders).toBeGreaterThan(0);
      const cross = search.crossEdgeCount;
      expect(cross).toBeGreaterThan(0);
      const vertices = search.vertexCount;
      // With the cross edges and the tree's columns on disk; the tree in memory; and (before the search knows
      // its vertices) everything in memory.
      const needed = digestPeakBytes({ ...heap.counts, vertices, crossEdges: 0, holders, treeOnDisk: true });
      const treeInMemory = digestPeakBytes({ ...heap.counts, vertices, crossEdges: 0, holders });
      const roomForAll = digestPeakBytes({ ...heap.counts, crossEdges: cross, holders });
      // The attribute phase is these dumps' peak, so the tree's columns on disk lower it.
      expect(treeInMemory).toBeGreaterThan(needed);
      // Fewer vertices than objects with references: the bundles (a String and its byte[]).
      expect(vertices).toBeLessThan(heap.counts.vertices);
      const digest = (limit: number | undefined): { digest: unknown; spilled: number } => {
        const source = bytesSource(bytes);
        const spill = new CountingSpill();
        try {
          return { digest: JSON.stringify(digestHeap(readHeap(source, { memoryLimitBytes: limit, spill }), source, { top: 5, memoryLimitBytes: limit })), spilled: spill.written };
        } catch (error) {
          if (error instanceof MemoryLimitError) return { digest: error, spilled: spill.written };
          throw error;
        }
      };
      const refused = digest(needed - 1).digest;
      expect(refused).toBeInstanceOf(MemoryLimitError);
      expect([(refused as MemoryLimitError).neededBytes, (refused as MemoryLimitError).complete]).toEqual([needed, true]);
      const unlimited = digest(undefined);
      const allOnDisk = digest(needed);
      const crossOnDisk = digest(treeInMemory);
      const inMemory = digest(roomForAll);
      for (const limited of [allOnDisk, crossOnDisk, inMemory]) expect(limited.digest).toBe(unlimited.digest);
      // What went to the store only when memory was short: the cross edges' runs and their merge (or their one
      // run), 8 to 16 bytes each; the tree's two columns, 4 bytes a vertex each.
      expect(inMemory.spilled).toBe(unlimited.spilled);
      expect(crossOnDisk.spilled - unlimited.spilled).toBeGreaterThanOrEqual(8 * cross);
      expect(crossOnDisk.spilled - unlimited.spilled).toBeLessThanOrEqual(16 * cross);
      expect(allOnDisk.spilled - crossOnDisk.spilled).toBe(8 * vertices);
    },
  );

  it.each(["reproduction", "list-lattice"])("%s: the search stops once the vertices it has numbered need more than the limit, at least that; checked every 2^20 only after it", (name) => {
    const bytes = dumpBytes(version, name);
    const heap = readHeap(bytesSource(bytes));
    const holders = countHolders(heap, holderKinds(heap, new HeapView(heap, bytesSource(bytes))));
    const vertices = searchHeap({ ...heap, rootHolders: rootHolders(heap) }, heap.scratch).vertexCount;
    // What the pass lets through (no vertex yet), and what the vertices the search will number need at least.
    const afterThePass = digestPeakBytes({ ...heap.counts, vertices: 0, crossEdges: 0, holders });
    expect(digestPeakBytes({ ...heap.counts, vertices, crossEdges: 0, holders, treeOnDisk: true })).toBeGreaterThan(afterThePass);
    const refusal = (every: number | undefined): MemoryLimitError => {
      const source = bytesSource(bytes);
      try {
        digestHeap(readHeap(source, { memoryLimitBytes: afterThePass }), source, { top: 5, memoryLimitBytes: afterThePass, vertexCheckEvery: every });
      } catch (error) {
        if (error instanceof MemoryLimitError) return error;
        throw error;
      }
      throw new Error("digested");
    };
    const during = refusal(64);
    expect(during.searchedVertices).toBeGreaterThan(0);
    expect(during.searchedVertices! % 64).toBe(0);
    expect(during.searchedVertices).toBeLessThan(vertices);
    expect(during.neededBytes).toBe(digestPeakBytes({ ...heap.counts, vertices: during.searchedVertices!, crossEdges: 0, holders, treeOnDisk: true }));
    expect(during.neededBytes).toBeGreaterThan(afterThePass);
    // These dumps hold fewer than 2^20 vertices: the check after the search refuses them, naming the whole need.
    const after = refusal(undefined);
    expect(after.searchedVertices).toBeUndefined();
    expect(after.neededBytes).toBeGreaterThanOrEqual(during.neededBytes);
  });

  it.each(["reproduction", "list-lattice"])("%s: memory the caller holds beside the pass counts within the limit and in the need, in the read phase only", (name) => {
    const bytes = dumpBytes(version, name);
    const refusal = (options: { memoryLimitBytes: number; heldBytes?: number }): MemoryLimitError | undefined => {
      try {
        readHeap(bytesSource(bytes), options);
      } catch (error) {
        if (error instanceof MemoryLimitError) return error;
        throw error;
      }
      return undefined;
    };
    const need = refusal({ memoryLimitBytes: BASE_BYTES + 1 })!.neededBytes;
    expect(refusal({ memoryLimitBytes: need })).toBeUndefined();
    // Held as much as the whole need: the read phase, with it, is the peak; the limit named is the one given.
    const refused = refusal({ memoryLimitBytes: need, heldBytes: need })!;
    expect(refused.limitBytes).toBe(need);
    expect(refused.neededBytes).toBeGreaterThan(need + BASE_BYTES);
    expect(refused.neededBytes).toBeLessThanOrEqual(2 * need);
    expect(refusal({ memoryLimitBytes: refused.neededBytes, heldBytes: need })).toBeUndefined();
    // Held one byte: the read phase stays below the peak, and the need is the same.
    expect(refusal({ memoryLimitBytes: need, heldBytes: 1 })).toBeUndefined();
  });

  it.each(["reproduction", "list-lattice"])("%s: the reader's and the search's arrays stay within the table", (name) => {
    const heap = readHeap(bytesSource(dumpBytes(version, name)));
    // A Bazel server below 32 GB: compressed references, as its objects' addresses tell the reader.
    expect(heap.layout).toBe("compressed");
    const objects = heap.objectCount;
    const edges = heap.edgeTargets.length;
    // What the Heap keeps per object and edge (the id lookup is inside it: at most 2 more per object), and per
    // large object (the table's smallest size, 16 slots, counted apart).
    const reader = heap.classOf.byteLength + heap.shallowSizes.byteLength + heap.edgeStart.byteLength + heap.edgeTargets.byteLength;
    const large = Math.max(LARGE_OBJECT_BYTES * heap.shallowSizes.largeCount, 16 * 12);
    expect(reader).toBeLessThanOrEqual((PHASE_BYTES.resolve.object - 2) * objects + PHASE_BYTES.resolve.edge * edges + large + 8);
    const search = searchHeap({ objectCount: objects, edgeStart: heap.edgeStart, edgeTargets: heap.edgeTargets, shallowSizes: heap.shallowSizes, roots: heap.roots }, heap.scratch);
    const tree = search.dominators(heap.releaseEdges());
    const vertices = tree.objectAt.length;
    const cross = tree.crossEdges.count;
    expect(tree.crossEdges.inMemory).toBe(true);
    const { targets, sources } = tree.crossEdges.block(0);
    // The tree's per-vertex arrays (objectAt, idom, DFS parent) and cross edges: within the dominators phase's
    // 16 per vertex and 8 per cross edge, the retained sizes (in label's memory) included.
    const treeBytes = tree.objectAt.byteLength + tree.idom.byteLength + tree.searchParent.byteLength + targets.byteLength + sources.byteLength;
    expect(treeBytes).toBeLessThanOrEqual((PHASE_BYTES.dominators.vertex - 4) * vertices + PHASE_BYTES.dominators.cross * cross);
  });
});

describe.each(BAZEL_VERSIONS)("the stacks phase on real Bazel %s dumps", (version) => {
  it.each(["reproduction", "list-lattice"])("%s: who owns each object takes the shallow sizes' byte an object while they wait on disk", (name) => {
    const bytes = dumpBytes(version, name);
    const heap = readHeap(bytesSource(bytes));
    const source = bytesSource(bytes);
    const view = new HeapView(heap, source);
    const search = searchHeap({ objectCount: heap.objectCount, edgeStart: heap.edgeStart, edgeTargets: heap.edgeTargets, shallowSizes: heap.shallowSizes, roots: heap.roots, rootHolders: rootHolders(heap) }, heap.scratch);
    const stacks = starlarkStacks(heap, view, search, new Names(view), starlarkCallstacks(heap, view));
    const sizes = heap.shallowSizes.toArray();
    const units = heap.shallowSizes.units;
    const ownership = stackOwnership(heap, stacks, stackClaims(heap, view, stacks));
    expect(stacks.length).toBeGreaterThan(0);
    expect(ownership.owners.length).toBeLessThan(0xfd);
    expect(ownership.ownerOf).toBeInstanceOf(Uint8Array);
    expect(ownership.ownerOf.length).toBe(heap.objectCount);
    expect(ownership.ownerOf.buffer).toBe(units.buffer);
    expect([heap.shallowSizes.lent, heap.shallowSizes.units.length]).toEqual([true, 0]);
    // Back from the store into other memory, every size as it was; the owners untouched.
    const owners = ownership.ownerOf.slice();
    heap.shallowSizes.restore(heap.spill, new Uint8Array(heap.objectCount));
    expect(heap.shallowSizes.lent).toBe(false);
    expect(heap.shallowSizes.toArray()).toEqual(sizes);
    expect(ownership.ownerOf).toEqual(owners);
    expect(owners.some((owner) => owner !== 0)).toBe(true);
  });

  it.each(["reproduction"])("%s: with 253 parts of the stacks claiming objects, who owns each takes 2 bytes of its own (the table's wide owners)", (name) => {
    const bytes = dumpBytes(version, name);
    const heap = readHeap(bytesSource(bytes));
    const view = new HeapView(heap, bytesSource(bytes));
    const search = searchHeap({ ...heap, rootHolders: rootHolders(heap) }, heap.scratch);
    const stacks = starlarkStacks(heap, view, search, new Names(view), starlarkCallstacks(heap, view));
    const claims = stackClaims(heap, view, stacks);
    expect([wideStackOwners(claims.length), wideStackOwners(252), wideStackOwners(253)]).toEqual([false, false, true]);
    // Before the search, at least as many as there will be.
    expect(stackClaimsBound(view, starlarkCallstacks(heap, view))).toBeGreaterThanOrEqual(claims.length);
    // Padded with parts that claim nothing, up to a byte's last free number and one past it.
    const padded = (count: number): StackClaim[] => [...claims, ...Array.from({ length: count - claims.length }, () => ({ owner: claims[0]!.owner, starts: [] }))];
    const wide = stackOwnership(heap, stacks, padded(253));
    expect(wide.ownerOf).toBeInstanceOf(Uint16Array);
    expect(heap.shallowSizes.lent).toBe(false);
    // The same owners as with a byte an object.
    const narrow = stackOwnership(heap, stacks, padded(252));
    expect(heap.shallowSizes.lent).toBe(true);
    expect([...wide.ownerOf]).toEqual([...narrow.ownerOf]);
  });
});

describe("a heap whose stacks have more parts claiming objects than a byte an object numbers", () => {
  it("is refused when who owns each object (2 bytes an object) would not fit, naming that need; digested the same when it fits, the cross edges leaving it room", () => {
    const bytes = bazelShapedHeap("7.7.1", { moreAspectLocals: 300 });
    const heap = readHeap(bytesSource(bytes));
    const view = new HeapView(heap, bytesSource(bytes));
    const kinds = holderKinds(heap, view);
    const holders = countHolders(heap, kinds);
    // Holders stay vertices, as the digest's search keeps them.
    const search = searchHeap({ ...heap, rootHolders: rootHolders(heap), keepsVertex: (node) => isHolderNode(heap, kinds, node) }, heap.scratch);
    const claims = stackClaims(heap, view, starlarkStacks(heap, view, search, new Names(view), starlarkCallstacks(heap, view)));
    expect(wideStackOwners(claims.length)).toBe(true);
    expect(stackClaimsBound(view, starlarkCallstacks(heap, view))).toBe(claims.length);
    const counts = { ...heap.counts, vertices: search.vertexCount, crossEdges: 0, holders, treeOnDisk: true };
    const narrow = digestPeakBytes(counts);
    const wide = digestPeakBytes({ ...counts, wideStackOwners: true });
    // Leaves the locals hold: the stacks phase is the costliest, and wide owners make it costlier.
    expect(wide).toBeGreaterThan(narrow);
    const digest = (limit: number | undefined): string | MemoryLimitError => {
      const source = bytesSource(bytes);
      try {
        return JSON.stringify(digestHeap(readHeap(source, { memoryLimitBytes: limit }), source, { top: 5, memoryLimitBytes: limit }));
      } catch (error) {
        if (error instanceof MemoryLimitError) return error;
        throw error;
      }
    };
    const refused = digest(narrow);
    expect(refused).toBeInstanceOf(MemoryLimitError);
    expect([(refused as MemoryLimitError).neededBytes, (refused as MemoryLimitError).complete]).toEqual([wide, true]);
    const unlimited = digest(undefined);
    expect(unlimited).toContain(`{"name":"local_0",`);
    expect(digest(wide)).toBe(unlimited);
  });
});

describe("the reader's own limit", () => {
  it("refuses, with one line and where it was, more references than its 32-bit edge offsets index", () => {
    expect(MAX_EDGES).toBe(2 ** 32 - 1);
    const bytes = dumpBytes("4.2.3", "list-lattice");
    // The same pass with a limit of 1,000 references instead of 2^32 - 1 (this dump keeps 541,838).
    const pass = new DumpPass(bytesSource(bytes), readHeader(bytesSource(bytes)), false, UNOBSERVED, Infinity, 0, 1000);
    let thrown: unknown;
    try {
      pass.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HprofError);
    expect((thrown as HprofError).message).toBe("the dump holds more than 1,000 references after repeats are dropped, more than this reader indexes (32-bit edge offsets)");
    expect((thrown as HprofError).offset).toBeGreaterThan(0);
    expect((thrown as HprofError).offset).toBeLessThan(bytes.length);
  });
});
