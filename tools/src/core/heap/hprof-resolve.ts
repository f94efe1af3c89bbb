/**
 * After the pass: the objects' arrays moved behind the class objects, objects whose class came late given it,
 * and the references turned from ids into object indices (CSR arrays), in place: each id replaced by its
 * object's index, references to objects the dump does not hold (cut off, or never written) dropped, and each
 * object's repeated targets kept once.
 */
import type { DumpClass } from "./hprof-classes.js";
import { EdgeStarts } from "./edge-starts.js";
import { grownTo, makeFloat64, makeUint32 } from "./hprof-columns.js";
import { HprofError, idAt, u32, type ByteSource } from "./hprof-format.js";
import type { IdLookup } from "./hprof-index.js";
import type { DumpPass } from "./hprof-records.js";
import type { ShallowSizes } from "./shallow-sizes.js";

/** A resolved reference to an object the dump does not hold. */
const MISSING = 0xffffffff;

/** The per-object arrays, indexed by object (class objects first), and where each object's references start. */
export interface PlacedObjects {
  readonly classSlots: Uint16Array | Uint32Array;
  readonly sizes: ShallowSizes;
  /** Per object, its first reference in the pass's edges; the start at objectCount is their end. */
  readonly edgeStart: EdgeStarts;
}

/**
 * Moves the objects' slots behind the `classCount` class objects (they are there already unless classes came
 * after the first object, never in HotSpot's dumps) and their edges behind the classes' references.
 */
export function placeObjects(pass: DumpPass, classCount: number): PlacedObjects {
  const objectCount = classCount + pass.n;
  if (pass.objectBase < 0) pass.objectBase = pass.at = classCount;
  let { classSlots, firstEdges } = pass;
  const sizes = pass.sizes;
  if (objectCount + 1 > pass.objectCapacity) {
    // Only when the first allocation fell short, or classes came after objects.
    classSlots = grownTo(classSlots, objectCount + 1, (length) => pass.makeSlots(length));
    sizes.growTo(objectCount + 1);
    firstEdges = firstEdges.grownTo(objectCount + 1);
  }
  if (pass.objectBase !== classCount) {
    classSlots.copyWithin(classCount, pass.objectBase, pass.at);
    sizes.copyWithin(classCount, pass.objectBase, pass.at);
  }
  const classEdges = pass.classEdges;
  if (pass.edgeBase < 0) pass.edgeBase = pass.e = classEdges;
  const move = classEdges - pass.edgeBase;
  if (move !== 0) {
    if (pass.e + move > pass.edgeCapacity) {
      pass.edgeCapacity = pass.e + move;
      pass.edges = grownTo(pass.edges, pass.edgeCapacity, makeUint32);
      if (pass.plainEdges !== undefined) pass.plainEdges = grownTo(pass.plainEdges, pass.edgeCapacity, makeFloat64);
    }
    pass.edges.copyWithin(classEdges, pass.edgeBase, pass.e);
    pass.plainEdges?.copyWithin(classEdges, pass.edgeBase, pass.e);
    pass.e += move;
  }
  if (pass.objectBase !== classCount || move !== 0) {
    // The starts written again behind the classes (whose own are written when the references are resolved).
    const moved = new EdgeStarts(firstEdges.capacity);
    for (let k = 0; k < pass.n; k++) moved.set(classCount + k, firstEdges.of(pass.objectBase + k) + move);
    firstEdges = moved;
  }
  firstEdges.set(objectCount, pass.e);
  return { classSlots, sizes, edgeStart: firstEdges };
}

/**
 * Objects whose CLASS DUMP came after them get their class (and instances their size) from their record, read
 * again; their references, by object number. A class that never came is corrupt, or the cut's (left unresolved).
 */
export function resolveLateObjects(source: ByteSource, pass: DumpPass, placed: PlacedObjects, classes: readonly DumpClass[]): Map<number, number[]> {
  const lateTargets = new Map<number, number[]>();
  const classCount = classes.length;
  const idSize = pass.idSize;
  for (const late of pass.lateObjects) {
    const classIndex = pass.classIndexById.get(idOfRecord(source, late.offset, idSize, late.array ? 1 + idSize + 8 : 1 + idSize + 4));
    if (classIndex === undefined) {
      if (pass.truncated) continue;
      throw new HprofError("an object names a class that the dump never describes; the file is corrupt", late.offset);
    }
    placed.classSlots[classCount + late.position] = classIndex;
    if (late.array) continue;
    placed.sizes.set(classCount + late.position, classes[classIndex]!.heapInstanceBytes);
    const found = referencesOfRecord(source, late.offset, idSize, classes[classIndex]!.referenceOffsets);
    if (found.length > 0) lateTargets.set(late.position, found);
  }
  return lateTargets;
}

export interface ResolvedEdges {
  readonly start: EdgeStarts;
  readonly targets: Uint32Array;
  /** Words of the targets' buffer the pass or the resolution wrote (their pages are in memory). */
  readonly touchedWords: number;
  /** The ids' memory, done with: scratch for the phases after (see ScratchPool). */
  readonly spare: { readonly words: Uint32Array; readonly touched: number };
}

/**
 * Each object keeps an edge to a target once. Repeated edges change neither dominators nor retained sizes, and a
 * list-heavy heap (an Object[] holding a few objects millions of times) keeps only its distinct ones. Most
 * objects have a handful of references: a repeat is found among the object's kept targets, which are in cache;
 * an object with more marks, per target, the last source that kept an edge to it (source + 1), in stamps that
 * take the pass's id array, done with once the lookup is built (its pages are in memory already).
 */
class DistinctTargets {
  private stamps: Uint32Array | undefined;

  constructor(
    private readonly pass: DumpPass,
    private readonly objectCount: number,
  ) {}

  /** Stamps to mark targets with (see firstEdgeTo), for a source of more than SCANNED_TARGETS references. */
  forMany(): Uint32Array {
    if (this.stamps === undefined) {
      const spare = this.pass.ids;
      this.pass.ids = new Uint32Array(0);
      this.stamps = spare.length >= this.objectCount ? spare.subarray(0, this.objectCount).fill(0) : new Uint32Array(this.objectCount);
    }
    return this.stamps;
  }

  /** The memory of the ids (or of the stamps that took it), done with once the edges are resolved. */
  spare(): { readonly words: Uint32Array; readonly touched: number } {
    if (this.stamps !== undefined) return { words: new Uint32Array(this.stamps.buffer), touched: this.stamps.length };
    const ids = this.pass.ids;
    this.pass.ids = new Uint32Array(0);
    return { words: ids, touched: this.pass.n };
  }
}

/** References of one source up to which a repeat is looked for among its kept targets, not stamped. */
const SCANNED_TARGETS = 8;

/**
 * Whether the current source's edge to `target` is its first to it: looked for among its kept targets
 * targets[first … out) when it has few references (no stamps), else by its stamp (marked here).
 */
function firstEdgeTo(target: number, targets: Uint32Array, first: number, out: number, stamps: Uint32Array | undefined, stamp: number): boolean {
  if (stamps === undefined) {
    for (let j = first; j < out; j++) if (targets[j] === target) return false;
    return true;
  }
  if (stamps[target] === stamp) return false;
  stamps[target] = stamp;
  return true;
}

/** The references as CSR arrays of object indices: each object's distinct targets in order of first reference. */
export function resolveEdges(pass: DumpPass, placed: PlacedObjects, lookup: IdLookup, classCount: number, lateTargets: ReadonlyMap<number, readonly number[]>): ResolvedEdges {
  const objectCount = classCount + pass.n;
  const distinct = new DistinctTargets(pass, objectCount);
  if (lateTargets.size > 0) return resolveWithLateTargets(pass, placed, lookup, classCount, lateTargets, distinct);
  const { edges, plainEdges, rawClasses, pool } = pass;
  // The starts rewritten in place: each object's is read (as its predecessor's end) before it is rewritten.
  const passStarts = placed.edgeStart;
  const edgeStart = passStarts.rewrite();
  let out = 0;
  for (let c = 0; c < classCount; c++) {
    edgeStart.set(c, out);
    const first = out;
    const raw = rawClasses[c]!;
    const stamps = raw.staticEnd - raw.staticStart + 1 > SCANNED_TARGETS ? distinct.forMany() : undefined;
    for (let f = raw.staticStart - 1; f < raw.staticEnd; f++) {
      // The loader first (f = staticStart - 1), then the statics.
      const id = f < raw.staticStart ? raw.loaderId : pool.staticTargets[f]!;
      const target = id === 0 ? -1 : lookup.indexOf(id);
      if (target >= 0 && firstEdgeTo(target, edges, first, out, stamps, c + 1)) edges[out++] = target;
    }
  }
  let from = pass.classEdges;
  for (let i = classCount; i < objectCount; i++) {
    const to = passStarts.of(i + 1);
    const first = out;
    const stamps = to - from > SCANNED_TARGETS ? distinct.forMany() : undefined;
    edgeStart.set(i, out);
    for (let k = from; k < to; k++) {
      const target = plainEdges === undefined ? lookup.indexOfCompact(edges[k]!) : lookup.indexOf(plainEdges[k]!);
      if (target >= 0 && firstEdgeTo(target, edges, first, out, stamps, i + 1)) edges[out++] = target;
    }
    from = to;
  }
  edgeStart.set(objectCount, out);
  return { start: edgeStart, targets: edges.subarray(0, out), touchedWords: Math.max(out, pass.e), spare: distinct.spare() };
}

/** The rare path: objects whose class came late get their references after their others, in new arrays. */
function resolveWithLateTargets(
  pass: DumpPass,
  placed: PlacedObjects,
  lookup: IdLookup,
  classCount: number,
  lateTargets: ReadonlyMap<number, readonly number[]>,
  distinct: DistinctTargets,
): ResolvedEdges {
  const { edges, plainEdges, rawClasses, pool } = pass;
  const edgeStart = placed.edgeStart.toArray(classCount + pass.n + 1);
  const targets = edges.subarray(0, pass.e);
  let k = 0;
  for (let c = 0; c < classCount; c++) {
    edgeStart[c] = k;
    const raw = rawClasses[c]!;
    if (raw.loaderId !== 0) targets[k++] = lookup.indexOf(raw.loaderId); // -1: MISSING, dropped below
    for (let f = raw.staticStart; f < raw.staticEnd; f++) if (pool.staticTargets[f] !== 0) targets[k++] = lookup.indexOf(pool.staticTargets[f]!);
  }
  for (let j = pass.classEdges; j < pass.e; j++) targets[j] = plainEdges === undefined ? lookup.indexOfCompact(edges[j]!) : lookup.indexOf(plainEdges[j]!);
  const merged = withLateTargets(edgeStart, targets, lateTargets, classCount, lookup);
  const kept = keptEdges(merged.start, merged.targets, distinct.forMany());
  return { start: EdgeStarts.from(kept.start), targets: kept.targets, touchedWords: merged.targets.length, spare: distinct.spare() };
}

/** The CSR arrays with each late object's references (read from its record after the pass) after its others. */
function withLateTargets(
  start: Uint32Array,
  targets: Uint32Array,
  late: ReadonlyMap<number, readonly number[]>,
  classCount: number,
  lookup: IdLookup,
): { start: Uint32Array; targets: Uint32Array } {
  let extra = 0;
  for (const list of late.values()) extra += list.length;
  const nodes = start.length - 1;
  const newStart = new Uint32Array(nodes + 1);
  const newTargets = new Uint32Array(targets.length + extra);
  let out = 0;
  for (let i = 0; i < nodes; i++) {
    newStart[i] = out;
    for (let e = start[i]!; e < start[i + 1]!; e++) newTargets[out++] = targets[e]!;
    const list = i >= classCount ? late.get(i - classCount) : undefined;
    if (list !== undefined) for (const id of list) newTargets[out++] = lookup.indexOf(id);
  }
  newStart[nodes] = out;
  return { start: newStart, targets: newTargets };
}

/**
 * Removes edges whose target is MISSING (-1 as a Uint32) and repeats of a source's edge (by stamps, as
 * DistinctTargets), compacting in place (no copy: a view of the kept part).
 */
function keptEdges(start: Uint32Array, targets: Uint32Array, stamps: Uint32Array): { start: Uint32Array; targets: Uint32Array } {
  let out = 0;
  const nodes = start.length - 1;
  let from = start[0]!;
  for (let i = 0; i < nodes; i++) {
    const to = start[i + 1]!;
    start[i] = out;
    for (let e = from; e < to; e++) {
      const target = targets[e]!;
      if (target !== MISSING && stamps[target] !== i + 1) {
        stamps[target] = i + 1;
        targets[out++] = target;
      }
    }
    from = to;
  }
  start[nodes] = out;
  return { start, targets: out === targets.length ? targets : targets.subarray(0, out) };
}

/** The id at `at` bytes into the record at `offset`. */
function idOfRecord(source: ByteSource, offset: number, idSize: number, at: number): number {
  return idAt(source.read(offset + at, idSize), 0, idSize);
}

/** The non-null references of the INSTANCE DUMP at `offset`, given its class's reference offsets. */
function referencesOfRecord(source: ByteSource, offset: number, idSize: number, references: Int32Array): number[] {
  const headerBytes = 1 + 2 * idSize + 8;
  const bytes = u32(source.read(offset, headerBytes), headerBytes - 4);
  const data = source.read(offset + headerBytes, bytes).slice();
  const found: number[] = [];
  for (let k = 0; k < references.length; k++) {
    if (references[k]! + idSize > bytes) break;
    const target = idAt(data, references[k]!, idSize);
    if (target !== 0) found.push(target);
  }
  return found;
}
