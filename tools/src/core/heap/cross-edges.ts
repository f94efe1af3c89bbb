/**
 * The depth-first search's cross edges (every edge into a vertex besides its DFS parent's: core/heap/dominators.ts),
 * as (target, source) pairs of vertices sorted by target: read backwards once by the semidominators, forwards by
 * the sweeps of sharedByOneFunction, and a target at a time by the owners' upward search (forEachSource).
 *
 * They stay in memory (8 bytes a pair) while the memory limit leaves them room. A monorepo-shaped dump has nearly
 * as many as it has references (21.8 M of 36.5 M on the 754 MB many-targets dump: 0.23× of the dump), so when the
 * limit leaves them less, they go to the spill store instead (io/: a file beside the dump or in --state-dir):
 * the search fills a run of `runPairs` in memory, sorts it and writes it; at the end the runs are merged into one
 * sorted sequence of blocks of `blockPairs`, each block written and read whole (the targets, then the sources),
 * with the first target of each block kept in memory to find a target's block. On disk that takes 8 bytes a pair
 * twice (the runs, then their merge); in memory, one run while the search runs, a block per run while they merge.
 */
import { firstAtOrAfter } from "../sorted.js";
import { release, releasableArray, type SpillStore } from "./spill.js";

/** A block of pairs in ascending target order. */
export interface CrossEdgeBlock {
  readonly targets: Uint32Array;
  readonly sources: Uint32Array;
}

export interface CrossEdges {
  readonly count: number;
  /** Whether they are held in memory (else on the spill store, read a block at a time). */
  readonly inMemory: boolean;
  readonly blockCount: number;
  /** Block `index` (blocks in ascending target order); a view that the next call of block() may overwrite. */
  block(index: number): CrossEdgeBlock;
  /** Calls `visit` with the source of each edge into vertex v. */
  forEachSource(v: number, visit: (source: number) => void): void;
}

/** When the cross edges go to the spill store, and how. */
export interface CrossEdgeSpill {
  readonly store: SpillStore;
  /** The most pairs kept in memory: more than that all go to the store. */
  readonly memoryPairs: number;
  /** Pairs per sorted run written while the search goes on (at least memoryPairs are held until it knows). */
  readonly runPairs: number;
  /** Pairs per block of the merged sequence (the unit read back). */
  readonly blockPairs: number;
}

/** Pairs per block on disk: 4 KiB, a page; the owners' search reads one block per target it asks about. */
export const CROSS_BLOCK_PAIRS = 512;
/**
 * The fewest pairs a run holds, however short memory is (512 KiB, within BASE_BYTES's margin): the merge then
 * reads at most 16,384 runs per 2^30 pairs, a block of each at a time.
 */
export const MIN_RUN_PAIRS = 1 << 16;

const EMPTY = new Uint32Array(0);

/** Elements of the longest Uint32Array Node makes (4 GiB). */
const MAX_TYPED_ELEMENTS = 2 ** 30;

/** Collects the pairs as the search finds them; finish() sorts them (in memory, or runs merged on the store). */
export class CrossEdgeWriter {
  private targets: Uint32Array;
  private sources: Uint32Array;
  private length = 0;
  private readonly runs: BlockIndex[] = [];

  /**
   * `bound`: the most pairs there can be (their memory is taken as it is written: no doubling, whose copy held
   * both arrays for a moment). `spill`: when and how they go to the store; without it, all stay in memory.
   */
  constructor(
    bound: number,
    private readonly spill?: CrossEdgeSpill,
  ) {
    const held = spill === undefined ? Infinity : Math.max(spill.memoryPairs, spill.runPairs, 1);
    const capacity = Math.max(1, Math.min(bound, MAX_TYPED_ELEMENTS, held));
    // Arrays that may go to the store are given back at once when they do; the others are plain, which V8 reads
    // faster than arrays over a resizable buffer (the digest's dominators and attribute phases read them often).
    const make = spill !== undefined && spill.memoryPairs < bound ? (length: number) => releasableArray(Uint32Array, length) : (length: number) => new Uint32Array(length);
    this.targets = make(capacity);
    this.sources = make(capacity);
  }

  push(target: number, source: number): void {
    if (this.length === this.targets.length) {
      if (this.spill !== undefined) this.writeRun(this.spill);
      else this.grow();
    }
    this.targets[this.length] = target;
    this.sources[this.length++] = source;
  }

  /** The pairs sorted by target (once: the writer is done with after). */
  finish(): CrossEdges {
    if (this.runs.length === 0 && (this.spill === undefined || this.length <= this.spill.memoryPairs)) {
      const targets = this.targets.subarray(0, this.length);
      const sources = this.sources.subarray(0, this.length);
      sortPairs(targets, sources);
      return new InMemoryCrossEdges(targets, sources);
    }
    const spill = this.spill!;
    if (this.length > 0) this.writeRun(spill);
    release(this.targets);
    release(this.sources);
    this.targets = EMPTY;
    this.sources = EMPTY;
    const merged = this.runs.length === 1 ? this.runs[0]! : mergeRuns(spill.store, this.runs, spill.blockPairs);
    return new SpilledCrossEdges(spill.store, merged, spill.blockPairs);
  }

  private writeRun(spill: CrossEdgeSpill): void {
    const targets = this.targets.subarray(0, this.length);
    const sources = this.sources.subarray(0, this.length);
    sortPairs(targets, sources);
    const out = new BlockWriter(spill.store, spill.blockPairs);
    for (let i = 0; i < targets.length; i++) out.push(targets[i]!, sources[i]!);
    this.runs.push(out.finish());
    this.length = 0;
  }

  private grow(): void {
    const length = this.targets.length * 2;
    const targets = new Uint32Array(length);
    const sources = new Uint32Array(length);
    targets.set(this.targets);
    sources.set(this.sources);
    release(this.targets);
    release(this.sources);
    this.targets = targets;
    this.sources = sources;
  }
}

/** A sorted sequence of blocks on the store: where each block is and its first target. */
interface BlockIndex {
  readonly count: number;
  readonly offsets: Float64Array;
  readonly firstTargets: Uint32Array;
}

/** Writes pairs (ascending by target) to the store a block at a time: its targets, then its sources. */
class BlockWriter {
  private readonly staged: Uint32Array;
  private length = 0;
  private count = 0;
  private readonly offsets: number[] = [];
  private readonly firstTargets: number[] = [];

  constructor(
    private readonly store: SpillStore,
    private readonly blockPairs: number,
  ) {
    this.staged = new Uint32Array(2 * blockPairs);
  }

  push(target: number, source: number): void {
    if (this.length === this.blockPairs) this.writeBlock();
    this.staged[this.length] = target;
    this.staged[this.blockPairs + this.length++] = source;
  }

  finish(): BlockIndex {
    if (this.length > 0) this.writeBlock();
    return { count: this.count, offsets: Float64Array.from(this.offsets), firstTargets: Uint32Array.from(this.firstTargets) };
  }

  private writeBlock(): void {
    const length = this.length;
    // A last block shorter than the rest: its sources follow its targets directly.
    if (length < this.blockPairs) this.staged.copyWithin(length, this.blockPairs, this.blockPairs + length);
    this.firstTargets.push(this.staged[0]!);
    this.offsets.push(this.store.write(new Uint8Array(this.staged.buffer, 0, 8 * length)));
    this.count += length;
    this.length = 0;
  }
}

/** Reads one sequence's blocks into a buffer of its own. */
class BlockReader {
  private readonly buffer: Uint32Array;
  private loaded = -1;
  targets: Uint32Array = EMPTY;
  sources: Uint32Array = EMPTY;

  constructor(
    private readonly store: SpillStore,
    private readonly index: BlockIndex,
    private readonly blockPairs: number,
  ) {
    this.buffer = new Uint32Array(2 * blockPairs);
  }

  /** Pairs in block `block` (every block but the last is full). */
  lengthOf(block: number): number {
    return Math.min(this.blockPairs, this.index.count - block * this.blockPairs);
  }

  load(block: number): void {
    if (block === this.loaded) return;
    const length = this.lengthOf(block);
    this.store.read(this.index.offsets[block]!, new Uint8Array(this.buffer.buffer, 0, 8 * length));
    this.targets = this.buffer.subarray(0, length);
    this.sources = this.buffer.subarray(length, 2 * length);
    this.loaded = block;
  }
}

/**
 * The runs merged into one sorted sequence of blocks: a block of each run in memory at a time, the runs' heads
 * in a binary heap by target.
 */
function mergeRuns(store: SpillStore, runs: readonly BlockIndex[], blockPairs: number): BlockIndex {
  const readers = runs.map((run) => new BlockReader(store, run, blockPairs));
  const block = new Uint32Array(runs.length);
  const at = new Uint32Array(runs.length);
  // The heap: run numbers, the smallest head target first.
  const heap = new Uint32Array(runs.length);
  let size = 0;
  const head = (run: number): number => readers[run]!.targets[at[run]!]!;
  const siftDown = (from: number): void => {
    const run = heap[from]!;
    const key = head(run);
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && head(heap[child + 1]!) < head(heap[child]!)) child++;
      if (head(heap[child]!) >= key) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = run;
  };
  for (let run = 0; run < runs.length; run++) {
    if (runs[run]!.count === 0) continue;
    readers[run]!.load(0);
    heap[size++] = run;
  }
  for (let i = (size >>> 1) - 1; i >= 0; i--) siftDown(i);
  const out = new BlockWriter(store, blockPairs);
  while (size > 0) {
    const run = heap[0]!;
    const reader = readers[run]!;
    out.push(reader.targets[at[run]!]!, reader.sources[at[run]!]!);
    if (++at[run]! === reader.targets.length) {
      // The run's next block, or the run is done.
      if ((block[run]! + 1) * blockPairs < runs[run]!.count) {
        reader.load(++block[run]!);
        at[run] = 0;
      } else {
        heap[0] = heap[--size]!;
      }
    }
    if (size > 0) siftDown(0);
  }
  return out.finish();
}

/** Cross edges in two typed arrays, one block. */
class InMemoryCrossEdges implements CrossEdges {
  readonly inMemory = true;

  constructor(
    private readonly targets: Uint32Array,
    private readonly sources: Uint32Array,
  ) {}

  get count(): number {
    return this.targets.length;
  }

  get blockCount(): number {
    return this.targets.length > 0 ? 1 : 0;
  }

  block(): CrossEdgeBlock {
    return { targets: this.targets, sources: this.sources };
  }

  forEachSource(v: number, visit: (source: number) => void): void {
    const targets = this.targets;
    for (let i = firstAtOrAfter(targets, v); i < targets.length && targets[i] === v; i++) visit(this.sources[i]!);
  }
}

/** Cross edges in the spill store's blocks; the first target of each block in memory. */
class SpilledCrossEdges implements CrossEdges {
  readonly inMemory = false;
  /** For block(): the readers' sequential walks. */
  private readonly walk: BlockReader;
  /** For forEachSource(): its own buffer, so a lookup never overwrites a block a walk holds. */
  private readonly lookup: BlockReader;

  constructor(
    store: SpillStore,
    private readonly index: BlockIndex,
    blockPairs: number,
  ) {
    this.walk = new BlockReader(store, index, blockPairs);
    this.lookup = new BlockReader(store, index, blockPairs);
  }

  get count(): number {
    return this.index.count;
  }

  get blockCount(): number {
    return this.index.offsets.length;
  }

  block(index: number): CrossEdgeBlock {
    this.walk.load(index);
    return { targets: this.walk.targets, sources: this.walk.sources };
  }

  forEachSource(v: number, visit: (source: number) => void): void {
    const firstTargets = this.index.firstTargets;
    // v's pairs start in the last block that starts before v (its tail), or in the first that starts at v.
    for (let block = Math.max(0, firstAtOrAfter(firstTargets, v) - 1); block < firstTargets.length && firstTargets[block]! <= v; block++) {
      this.lookup.load(block);
      const { targets, sources } = this.lookup;
      for (let i = firstAtOrAfter(targets, v); i < targets.length && targets[i] === v; i++) visit(sources[i]!);
    }
  }
}

/** Walks the cross edges forwards, a target at a time (targets asked in ascending order). */
export class CrossEdgeCursor {
  private targets: Uint32Array = EMPTY;
  private sources: Uint32Array = EMPTY;
  private at = 0;
  private next = 0;

  constructor(private readonly edges: CrossEdges) {}

  /** The source of the next edge into v and moves past it, or -1 when no more go into v; v never below the last asked. */
  nextSourceInto(v: number): number {
    for (;;) {
      const targets = this.targets;
      while (this.at < targets.length && targets[this.at]! < v) this.at++;
      if (this.at < targets.length) return targets[this.at] === v ? this.sources[this.at++]! : -1;
      if (this.next === this.edges.blockCount) return -1;
      ({ targets: this.targets, sources: this.sources } = this.edges.block(this.next++));
      this.at = 0;
    }
  }
}

/**
 * Sorts (key, value) pairs by key, in place and in no memory of its own (MSD radix sort, 8 bits a level,
 * "American flag": each element swapped into its bucket; short ranges by insertion). Not stable: every reader of
 * the cross edges takes a target's sources in any order (a minimum, a merge, a set). A monorepo's 21.8 M cross
 * edges took 174 MB more at the search's peak with the stable sort's two buffers.
 */
export function sortPairs(keys: Uint32Array, values: Uint32Array): void {
  let max = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i]! > max) max = keys[i]!;
  const bits = 32 - Math.clz32(max);
  const levels = Math.max(1, Math.ceil(bits / RADIX_BITS));
  const counts = Array.from({ length: levels }, () => ({ next: new Uint32Array(RADIX), end: new Uint32Array(RADIX) }));
  sortRange(keys, values, 0, keys.length, (levels - 1) * RADIX_BITS, counts);
}

const RADIX_BITS = 8;
const RADIX = 1 << RADIX_BITS;
/** Ranges this short are sorted by insertion. */
const INSERTION_RANGE = 32;

function sortRange(keys: Uint32Array, values: Uint32Array, from: number, to: number, shift: number, counts: readonly { next: Uint32Array; end: Uint32Array }[]): void {
  if (to - from <= INSERTION_RANGE) {
    for (let i = from + 1; i < to; i++) {
      const key = keys[i]!;
      const value = values[i]!;
      let j = i;
      for (; j > from && keys[j - 1]! > key; j--) {
        keys[j] = keys[j - 1]!;
        values[j] = values[j - 1]!;
      }
      keys[j] = key;
      values[j] = value;
    }
    return;
  }
  const { next, end } = counts[shift / RADIX_BITS]!;
  end.fill(0);
  for (let i = from; i < to; i++) end[(keys[i]! >>> shift) & (RADIX - 1)]++;
  let sum = from;
  for (let digit = 0; digit < RADIX; digit++) {
    next[digit] = sum;
    sum += end[digit]!;
    end[digit] = sum;
  }
  // Each bucket filled from its start: an element not of it is swapped to the next free place of its own.
  for (let digit = 0; digit < RADIX; digit++) {
    while (next[digit]! < end[digit]!) {
      let key = keys[next[digit]!]!;
      let value = values[next[digit]!]!;
      for (let own = (key >>> shift) & (RADIX - 1); own !== digit; own = (key >>> shift) & (RADIX - 1)) {
        const at = next[own]++;
        const swappedKey = keys[at]!;
        const swappedValue = values[at]!;
        keys[at] = key;
        values[at] = value;
        key = swappedKey;
        value = swappedValue;
      }
      keys[next[digit]!] = key;
      values[next[digit]++] = value;
    }
  }
  if (shift === 0) return;
  // The buckets' bounds, before the next level reuses its own counts.
  let start = from;
  const bounds = Array.from(end);
  for (const bucketEnd of bounds) {
    if (bucketEnd - start > 1) sortRange(keys, values, start, bucketEnd, shift - RADIX_BITS, counts);
    start = bucketEnd;
  }
}
