/**
 * The heap digest's memory, written down: what each phase holds per object, per vertex (an object with
 * references), per distinct edge and per cross edge (an edge into a vertex besides its depth-first tree edge),
 * from the arrays the code allocates, and the check that refuses a dump the limit cannot hold, from the counts
 * the reader has when it decides (not from the file's size: a list-heavy dump holds few objects per byte).
 *
 * Per phase, cumulative (o objects, v vertices ≤ o, e distinct edges, c cross edges ≤ e; compact ids, fewer
 * than 65,280 classes, as in every Bazel dump):
 *
 *   phase       per o  per v  per e  per c   what
 *   read           9     -      4      -     class slot 2, shallow size 1 (shallow-sizes.ts), first edge 2
 *                                            (edge-starts.ts: and 4 a block of 256), id 4 (file offsets kept:
 *                                            20 bytes per 64 objects, hprof-index.ts; these fractions, 1/3 a
 *                                            byte, are in BASE_BYTES); references as ids, an array's distinct
 *   resolve       10     -      4      -     + id lookup (a residue of a byte in the shallow sizes' while they
 *                                            wait on disk: spill.ts; ~¼ bucket table); ids → indices in place;
 *                                            + lookupExtraBytes (hprof-index.ts: residues wider than a byte, and
 *                                            the order and a sorted copy of ids not in order, never in a Bazel
 *                                            dump read here)
 *   search        10     4      4      8     − id lookup (to disk), + preorder 4 (in the ids' memory, done
 *                                            with), DFS parent per vertex, cross edges as (target, source);
 *                                            how many refer to each object (2 bits, in the shallow sizes'
 *                                            byte while they wait on disk)
 *   stacks        10     4      4      8     + owner per object: the shallow sizes' byte while they wait on disk
 *                                            again, or WIDE_STACK_OWNER_BYTES when 253 or more parts of the
 *                                            stacks may claim objects (digest-stacks.ts' stackClaimsBound:
 *                                            every Starlark thread's frames and locals; our dumps have a few
 *                                            dozen, a monorepo's machine runs dozens of Starlark threads at
 *                                            once); the flood's path: 8 per level of depth
 *   dominators    12    16      -      8     edges let go (their memory holds the tree's 12 per vertex)
 *   attribute     12    22      -      8     + holder context 4 and referrer 2 per vertex (from freed memory),
 *                                            and HOLDER_BYTES per holder (h: its columns, its owner's label
 *                                            and record, the JS heap's garbage while they are placed)
 *    tree on disk 12    16      -      8     the tree's immediate dominators and retained sizes to the spill
 *                                            store (SpillableColumn), the context and referrer in their memory
 *
 * and, from the read to the end, LARGE_OBJECT_BYTES per object whose size is not kept in its one byte (over
 * 2,032 bytes: 389 of 28 M objects in a Bazel dump).
 *
 * The cross edges (the 8 per c, from the search to the end) stay in memory only while the limit leaves them
 * room (crossEdgeMemoryPairs); else they go to the spill store (cross-edges.ts: sorted runs merged into blocks,
 * 16 bytes a cross edge on disk) and the phases hold none of them. So no check refuses a dump for its cross
 * edges: the checks count those the search holds in memory, none before it.
 *
 * The tree's columns likewise (treeOnDisk): when the attribute phase would not fit with them in memory, the
 * immediate dominators and retained sizes (8 bytes a vertex) go to the spill store once the tree is built, read
 * back in vertex order or for holders only, and the holder contexts and referrers (6) take their memory: the
 * attribute phase then holds no more per vertex than the dominators phase. The cross edges' room is judged with
 * the tree on disk: its columns go first, as they are read far more cheaply from disk.
 *
 * Ids that are not compact (heaps of 32 GB and more: uncompressed references) take 8 bytes, not 4, per object
 * and per edge while reading and resolving (WIDE_ID_BYTES).
 *
 * The checks: during the pass, what it holds (with what io/ holds beside it: its read-ahead, ReadOptions.heldBytes);
 * after the pass, every phase without a vertex or a cross edge; during the search, every 2^20 vertices it numbers,
 * every phase with those (checkSearchMemory: the DFS parents are allocated for the upper bound, the objects with
 * references, but only the vertices' pages are written); after the search, every phase with the vertices and
 * cross edges it counted (checkTreeMemory): a bundle (dominators.ts: an object with one referrer and its own
 * leaves, a String and its byte[]) takes no vertex. From the search on, the checks and the cross edges' room
 * count wide owners when the stacks' parts may need them (wideStackOwners). Plus BASE_BYTES for the rest of the
 * process.
 *
 * Measured with `heap` on a 1.43 GB Bazel 4.2.3 dump of the reproduction (o 28.35 M, 14.28 M with references of
 * which 14.0 M head a bundle: v 0.27 M; e 28.77 M, c 0.35 M): the table's peak is the search and stacks phases, 381
 * MiB of arrays + BASE_BYTES = 541.1 MiB; the process peaked at 466 MiB as the launcher runs node (0.341× of the
 * dump; the bench's child, the digest without the rest of the CLI, 458 MiB: 0.335×; a small young generation, the
 * id lookup on disk from the search on, the shallow sizes' byte lent to the ids' residues, to the referrer counts
 * and to the owners while the sizes wait on disk, a bundle of one byte a character, no ICU, no read-ahead thread
 * for a dump in the page cache; with one, for a dump read from the disk, 11 MiB more). --max-memory 540m is refused
 * after the pass naming 540.1 MiB (the resolve phase), 541m after the search naming 541.1 MiB, 542m digests it; at
 * 545m the bench's child peaked at 471 MB, the same digest (it was refused below 596m while the stacks phase
 * counted 2 bytes an object for its owners and the check after the pass the DFS parents of every object with
 * references: 14.28 M, not 0.27 M). What holds the string-heavy shape near 0.35× of the dump: the reader's
 * per-object arrays (class 2, shallow size 1, first edge 2, id then preorder 4: 9 bytes for an object of ~50 bytes
 * in the file) and its edges, all needed until the stacks' flood.
 *
 * On a monorepo-shaped 754 MB Bazel 4.2.3 dump (many-targets: o 12.79 M, v 11.65 M, e 36.46 M, c 21.77 M and
 * 600,034 holders: few Strings, so nearly every object is a vertex) the table's peak is the attribute phase, 790
 * MiB with BASE_BYTES and HOLDER_BYTES; the bench's child peaked at 695 MiB (0.97× the dump). No table of
 * in-memory arrays gets such a dump near 0.35×: its edges alone take 0.19× of it, its cross edges 0.23×. With
 * --max-memory 640m its cross edges go to the state file: the table says 624 MiB, the process peaked at 520 MiB
 * (0.73×), the attribute phase still the peak (per object and per vertex), 17.2 s against 16.6 s. With its tree's
 * columns on disk too the table says 548.3 MiB (the attribute phase, by its holders: HOLDER_BYTES); at
 * --max-memory 549m the bench's child peaked at 477 MB (0.63×), the same digest (548m is refused naming 548.3).
 */

import { LimitSyntaxError, parseByteSize } from "../sweep/heap-limit.js";

/**
 * What `heap` takes beside the table's arrays: Node and the bundle's code, the JS heap (class tables, names,
 * holders) with the garbage V8 keeps, and a gzipped dump's inflation. Measured as the CLI's peak RSS less the
 * table's arrays at the peak phase: 86 MiB for a 10 k-object dump, 94 for the 1.43 GB string-heavy one, 116–150
 * on the real Bazel dumps of tools/test/fixtures (the most on the 7.7.1 reproduction's, gzipped).
 */
export const BASE_BYTES = 160 * 2 ** 20;

/**
 * The attribute phase's memory per holder (a provider instance, an action, a configured target…), beyond the
 * table's arrays: measured on a monorepo-shaped Bazel 4.2.3 dump (many-targets: 754 MB, 12.8 M objects, 11.7 M
 * vertices, 21.8 M cross edges, 600,034 holders) as the peak RSS's growth from the dominators phase to the
 * attribute phase with the tree's columns on disk (whose per-vertex arrays then take freed memory): 426 → 475 MB,
 * 82 bytes a holder (its columns, its owner's label and record, the JS heap's garbage while they are placed).
 * Its labels are short (13 characters: //p183:t49); a monorepo's run to 60 and more, ~48 bytes more a target, a
 * third of the holders: 98, rounded up to 112. It was ~105 (and the constant 128) before the owners' walks were
 * shared, ~210 while each holder made its own objects (a key, a group, an owner, a copy of each instance read:
 * garbage that outlived the young generation).
 */
export const HOLDER_BYTES = 112;

/** Bytes per object, vertex, edge and cross edge at each phase's peak (the table above). */
export const PHASE_BYTES = {
  read: { object: 9, vertex: 0, edge: 4, cross: 0 },
  resolve: { object: 10, vertex: 0, edge: 4, cross: 0 },
  search: { object: 10, vertex: 4, edge: 4, cross: 8 },
  stacks: { object: 10, vertex: 4, edge: 4, cross: 8 },
  dominators: { object: 12, vertex: 16, edge: 0, cross: 8 },
  attribute: { object: 12, vertex: 22, edge: 0, cross: 8 },
} as const;

/**
 * A size ShallowSizes keeps in its table: 12 bytes a slot, at most 4 slots an entry after the table doubles
 * (the doubling itself holds both tables for a moment: the pass's counts check between objects).
 */
export const LARGE_OBJECT_BYTES = 48;

/** The attribute phase's bytes per vertex when the tree's columns are on disk (the table's "tree on disk" row). */
export const ATTRIBUTE_VERTEX_BYTES_TREE_ON_DISK = 16;

/** Who owns each object in the stacks phase, when its byte (the shallow sizes', lent) numbers too few owners. */
export const WIDE_STACK_OWNER_BYTES = 2;

/** What ids that are not compact add per object and per edge in the read and resolve phases. */
export const WIDE_ID_BYTES = 4;

/**
 * A --max-memory size (`512m`, `8g`, `4096m`; --limits' spelling), or null when it is not one or is below
 * BASE_BYTES (Node alone takes that).
 */
export function parseMemoryLimit(text: string): number | null {
  let bytes: number;
  try {
    bytes = parseByteSize(text);
  } catch (error) {
    if (error instanceof LimitSyntaxError) return null;
    throw error;
  }
  return bytes >= BASE_BYTES ? bytes : null;
}

export interface HeapCounts {
  readonly objects: number;
  /**
   * The dominator tree's vertices: before the search, the objects with at least one reference (an upper bound: a
   * bundle's head takes none, dominators.ts); after it, the vertices it numbered.
   */
  readonly vertices: number;
  readonly edges: number;
  /**
   * Cross edges held in memory: none before the search (they go to the spill store when the limit leaves them
   * no room: crossEdgeMemoryPairs); after it, those it kept in memory.
   */
  readonly crossEdges: number;
  /** Holders (instances of the classes digest-holders.ts looks for): known after the search, 0 before. */
  readonly holders?: number;
  /** The tree's immediate dominators and retained sizes go to the spill store before the attribute phase. */
  readonly treeOnDisk?: boolean;
  /**
   * Bytes an object the id lookup takes in the resolve phase beyond the table's row (lookupExtraBytes: residues
   * wider than a byte, the order and a sorted copy of ids not in order); 0 when absent.
   */
  readonly lookupExtraBytes?: number;
  /**
   * 253 or more parts of the Starlark stacks may claim objects: who owns each takes 2 bytes of its own in the stacks
   * phase. Known from before the search (digest-stacks.ts' stackClaimsBound); not to the pass's checks.
   */
  readonly wideStackOwners?: boolean;
  /** Objects whose shallow size is kept outside its one byte (shallow-sizes.ts). */
  readonly largeObjects: number;
  /** Ids are not compact (8 bytes each in the pass). */
  readonly wideIds: boolean;
}

type Phase = keyof typeof PHASE_BYTES;
const PHASES = Object.keys(PHASE_BYTES) as Phase[];
/** The phases whose memory the counts after the pass bound; the later ones follow the search's vertices. */
const BEFORE_THE_TREE: readonly Phase[] = ["read", "resolve", "search"];

/**
 * The most memory the digest holds at any phase, for these counts, with `heldDuringRead` bytes the caller holds
 * beside it while the pass reads (io's read-ahead, let go when the pass ends: ReadOptions.passEnded).
 */
export function digestPeakBytes(counts: HeapCounts, heldDuringRead = 0, phases: readonly Phase[] = PHASES): number {
  let peak = 0;
  for (const phase of phases) peak = Math.max(peak, phaseBytes(phase, counts) + (phase === "read" ? heldDuringRead : 0));
  return BASE_BYTES + peak;
}

/** What one phase holds for these counts (without Node itself). */
function phaseBytes(phase: Phase, counts: HeapCounts): number {
  const bytes = PHASE_BYTES[phase];
  const wide = counts.wideIds && (phase === "read" || phase === "resolve") ? WIDE_ID_BYTES : 0;
  const vertexBytes = phase === "attribute" && counts.treeOnDisk === true ? ATTRIBUTE_VERTEX_BYTES_TREE_ON_DISK : bytes.vertex;
  const lookup = phase === "resolve" ? (counts.lookupExtraBytes ?? 0) : 0;
  const owners = phase === "stacks" && counts.wideStackOwners === true ? WIDE_STACK_OWNER_BYTES : 0;
  return (
    (bytes.object + wide + lookup + owners) * counts.objects +
    vertexBytes * counts.vertices +
    (bytes.edge + wide) * counts.edges +
    bytes.cross * counts.crossEdges +
    LARGE_OBJECT_BYTES * counts.largeObjects +
    (phase === "attribute" ? HOLDER_BYTES * (counts.holders ?? 0) : 0)
  );
}

/** The digest would need more memory than it may use. */
export class MemoryLimitError extends Error {
  override readonly name = "MemoryLimitError";
  constructor(
    /** About how much it needs (extrapolated from what was read when `complete` is false). */
    readonly neededBytes: number,
    readonly limitBytes: number,
    /** The counts it was judged by. */
    readonly counts: HeapCounts,
    /** Whether the whole dump had been read when it was judged. */
    readonly complete: boolean,
    /** The file offset the pass had reached. */
    readonly offset: number,
    readonly fileBytes: number,
    /**
     * The vertices the depth-first search had numbered when it stopped (checkSearchMemory): the need is then at
     * least neededBytes, from the vertices so far.
     */
    readonly searchedVertices?: number,
  ) {
    super(`the digest needs about ${neededBytes} bytes of memory, more than the ${limitBytes} it may use`);
  }
}

/**
 * During the pass: a MemoryLimitError once what the pass already holds, with the caller's `heldBytes`, is over
 * the limit (so a dump that would fit is never stopped), with the whole digest's need extrapolated from the share
 * of the file read.
 */
export function checkPassMemory(counts: HeapCounts, offset: number, fileBytes: number, limitBytes: number, heldBytes = 0): void {
  if (BASE_BYTES + phaseBytes("read", counts) + heldBytes <= limitBytes) return;
  const scale = fileBytes / Math.max(1, offset);
  const whole = {
    ...counts,
    objects: counts.objects * scale,
    vertices: counts.vertices * scale,
    edges: counts.edges * scale,
    crossEdges: 0,
    largeObjects: counts.largeObjects * scale,
  };
  throw new MemoryLimitError(Math.round(neededBeforeTheSearch(whole, heldBytes)), limitBytes, counts, false, offset, fileBytes);
}

/**
 * What a refusal before the search names: every phase without a vertex or a cross edge. The vertices' need is
 * known as the search numbers them (checkSearchMemory, checkTreeMemory): their upper bound would count every
 * String as a vertex, overstating a string-heavy dump's need by a third.
 */
function neededBeforeTheSearch(counts: HeapCounts, heldDuringRead: number): number {
  return digestPeakBytes({ ...counts, vertices: 0, crossEdges: 0 }, heldDuringRead);
}

/**
 * After the pass: a MemoryLimitError when the phases up to the search (with `heldDuringRead` in the read phase's)
 * need more than the limit without a vertex: the search checks its vertices as it numbers them
 * (checkSearchMemory; its DFS parents are allocated for the upper bound, but only the vertices' pages are
 * written: a string-heavy dump's upper bound overstated its need by 54 MiB), and the phases after it are checked
 * once it has counted them (checkTreeMemory).
 */
export function checkDigestMemory(counts: HeapCounts, fileBytes: number, limitBytes: number, heldDuringRead = 0): void {
  if (digestPeakBytes({ ...counts, vertices: 0 }, heldDuringRead, BEFORE_THE_TREE) <= limitBytes) return;
  throw new MemoryLimitError(neededBeforeTheSearch(counts, heldDuringRead), limitBytes, counts, true, fileBytes, fileBytes);
}

/**
 * While the search numbers vertices: a MemoryLimitError once the vertices so far make the digest need more than
 * the limit, with no cross edge in memory and the tree's columns on disk (a lower bound of its need).
 */
export function checkSearchMemory(counts: HeapCounts, fileBytes: number, limitBytes: number): void {
  const needed = digestPeakBytes({ ...counts, crossEdges: 0, treeOnDisk: true });
  if (needed > limitBytes) throw new MemoryLimitError(needed, limitBytes, counts, true, fileBytes, fileBytes, counts.vertices);
}

/**
 * How many cross edges the search may keep in memory: what the limit leaves beside every phase's other arrays,
 * for these counts (before the search: the vertices' upper bound, the holders counted) with the tree's columns
 * on disk, at 8 bytes each.
 */
export function crossEdgeMemoryPairs(counts: HeapCounts, limitBytes: number): number {
  return Math.floor(Math.max(0, limitBytes - digestPeakBytes({ ...counts, crossEdges: 0, treeOnDisk: true })) / PHASE_BYTES.search.cross);
}

/** Bytes a cross edge takes in the state file (its run, then the merge: cross-edges.ts). */
export const CROSS_EDGE_DISK_BYTES = 16;
/** Bytes a vertex takes in the state file when the tree's two columns go there. */
export const TREE_DISK_BYTES = 8;

/**
 * At most what the digest writes to its state file after the pass, for these counts (before the search: the
 * vertices' upper bound), `crossEdgeBound` cross edges at most of which `memoryPairs` may stay in memory, and the
 * limit (undefined: none): every cross edge when not all may stay, and the tree's columns when the limit may
 * leave them too little room.
 */
export function stateBytesAfterThePass(counts: HeapCounts, crossEdgeBound: number, memoryPairs: number, limitBytes: number | undefined): number {
  const crossOnDisk = memoryPairs < crossEdgeBound;
  const treeOnDisk = limitBytes !== undefined && treeGoesToDisk({ ...counts, crossEdges: Math.min(memoryPairs, crossEdgeBound) }, limitBytes);
  return (crossOnDisk ? CROSS_EDGE_DISK_BYTES * crossEdgeBound : 0) + (treeOnDisk ? TREE_DISK_BYTES * counts.vertices : 0);
}

/**
 * After the search: whether the tree's columns must go to disk for the digest to fit the limit (the vertices it
 * counted, the cross edges it kept in memory).
 */
export function treeGoesToDisk(counts: HeapCounts, limitBytes: number): boolean {
  return digestPeakBytes({ ...counts, treeOnDisk: false }) > limitBytes;
}

/**
 * After the search: a MemoryLimitError when the digest, with the vertices it counted and the cross edges it kept
 * in memory, needs more than the limit.
 */
export function checkTreeMemory(counts: HeapCounts, fileBytes: number, limitBytes: number): void {
  const needed = digestPeakBytes(counts);
  if (needed > limitBytes) throw new MemoryLimitError(needed, limitBytes, counts, true, fileBytes, fileBytes);
}
