/**
 * A reader of JVM heap dumps (HPROF "JAVA PROFILE 1.0.2", as HotSpot writes them on OutOfMemoryError or with
 * `jcmd PID GC.heap_dump`) that keeps the heap as typed arrays: no JavaScript object per heap object.
 *
 * In: a ByteSource (random access to the dump's bytes; io/hprof-file.ts adapts a file, bytesSource a buffer).
 * Out: a Heap (hprof-format.ts): per object its class, shallow size, kind, id, file offset and distinct
 * references (CSR arrays of object indices), the classes with their field layouts, the GC roots, and the threads
 * with their Java stack traces. This module is the public entry; the others hold its parts:
 *   hprof-format.ts   the format's words (tags, types, sizes), the Heap's types, the header, byte decoders
 *   hprof-cursor.ts   a sequential reader over the source, one window at a time
 *   hprof-records.ts  the one pass: records and sub-records dispatched by tag to their decoders
 *   hprof-classes.ts  class layouts and statics as the pass collects them, and as the Heap gives them out
 *   hprof-resolve.ts  after the pass: objects behind the classes, late classes, ids → object indices
 *   hprof-index.ts    id → object index, and object → file offset
 *   edge-starts.ts    where each object's references start, in 2 bytes an object
 *   hprof-seen-ids.ts the ids one object array has referenced lately
 *   hprof-layout.ts   which object layout the JVM used, from the objects' addresses
 *
 * One sequential pass over the file, through windows of it, collects classes (LOAD CLASS, CLASS DUMP: field
 * layouts and static references), Java stack traces, GC roots, where the names are (UTF8), and for every instance
 * and array its id, class, shallow size and the ids it references; an object array's repeats are dropped as it is read (hprof-seen-ids.ts), so
 * the edges grow with distinct targets, not with the file; the ids are then resolved to object indices, each object
 * keeping its distinct targets once (an Object[] holding one object a million times has one edge to it:
 * dominators and retained sizes do not change). Anything else (a field value, a string's characters) is read
 * later at the object's offset, on demand (every 16th object's offset is kept; the others are found from there).
 *
 * Memory: each per-object value is written once, into an array allocated at the most the file's size allows
 * (pages never written take no memory), that becomes the Heap's; no JavaScript object per heap object, and
 * none per field or name either (a Bazel dump has ~150k of those, which grew V8's young generation to its
 * maximum). For a 641 MB Bazel dump the Heap takes ~145 MB.
 *
 * Object numbering: class objects first (0 … classCount-1), then instances and arrays in file order. HotSpot
 * writes objects in address order, so their ids come sorted and an id is found in its bucket of the ids'
 * offsets within their bucket (1 byte per object in a Bazel heap), where an even spread puts it, else by halves;
 * a dump in another order gets a sorted copy.
 *
 * Shallow sizes are estimated as HotSpot lays objects out: with compressed oops and class pointers (below 32 GB
 * of heap) 12-byte object headers, 16-byte array headers, 4-byte references, everything padded to 8 bytes; at 32 GB
 * and more 8-byte references (and before JDK 15 16-byte headers): the objects' addresses tell which
 * (hprof-layout.ts). HPROF itself records ids as 8 bytes, so the file is larger than
 * the heap it describes.
 *
 * A dump cut short (the JVM killed while writing) yields what is complete, with `truncated` set; anything that
 * is not HPROF, or is corrupt before its end, throws HprofError with the byte offset. Nothing the file says
 * makes the reader allocate more than the file's size allows, but for the sizes of objects over 2 KB
 * (shallow-sizes.ts: 48 bytes each, ~1 in 70,000 objects of a real heap; a forged class of thousands of fields
 * makes every small instance record one): the memory check counts them, so the limit stops the reader first.
 */
import { UNOBSERVED, type DigestObserver } from "./digest-phases.js";
import { DumpClass } from "./hprof-classes.js";
import { checkDigestMemory, type HeapCounts } from "./memory-budget.js";
import { Cursor } from "./hprof-cursor.js";
import {
  HprofError,
  idAt,
  javaName,
  KIND_CLASS,
  KIND_INSTANCE,
  KIND_OBJECT_ARRAY,
  KIND_PRIMITIVE_ARRAY,
  PRIMITIVE_ARRAY_CLASS,
  PRIMITIVE_ARRAY_NAMES,
  readHeader,
  ROOT_KINDS,
  type ByteSource,
  type DumpHeader,
  type Heap,
  type HeapClass,
  type RootKind,
  type ThreadInfo,
} from "./hprof-format.js";
import { EdgeStarts } from "./edge-starts.js";
import { firstAtOrAfter } from "../sorted.js";
import { IdLookup, idOrder, lookupExtraBytes, ObjectOffsets, type DumpIds, type IdOrder, type SpilledIdLookup } from "./hprof-index.js";
import { DumpPass, TOO_MANY_CLASSES, UNRESOLVED_ARRAY } from "./hprof-records.js";
import { placeObjects, resolveEdges, resolveLateObjects, type PlacedObjects, type ResolvedEdges } from "./hprof-resolve.js";
import { ScratchPool } from "./scratch.js";
import { MemorySpill, type SpillStore } from "./spill.js";
import type { ShallowSizes } from "./shallow-sizes.js";

export {
  bytesSource,
  HprofError,
  idAt,
  javaName,
  KIND_CLASS,
  KIND_INSTANCE,
  KIND_OBJECT_ARRAY,
  KIND_PRIMITIVE_ARRAY,
  TYPE_BOOLEAN,
  TYPE_BYTE,
  TYPE_CHAR,
  TYPE_DOUBLE,
  TYPE_FLOAT,
  TYPE_INT,
  TYPE_LONG,
  TYPE_OBJECT,
  TYPE_SHORT,
} from "./hprof-format.js";
export type { ByteSource, FieldLayout, Heap, HeapClass, RootKind, StackFrame, ThreadInfo } from "./hprof-format.js";

export interface ReadOptions {
  /** Told when each phase begins and how far the pass has read. */
  readonly observer?: DigestObserver;
  /**
   * The most memory the whole digest may take (memory-budget.ts): MemoryLimitError as soon as the pass holds
   * more, or when the counts at its end say the digest would.
   */
  readonly memoryLimitBytes?: number;
  /**
   * Memory the caller holds beside the pass while it reads (io's read-ahead: its ring and thread), counted within
   * the limit and in what a refusal says is needed, in the read phase only: passEnded lets it go.
   */
  readonly heldBytes?: number;
  /** Called once the pass has read the file from start to end: what the caller holds for it can go. */
  readonly passEnded?: () => void;
  /**
   * Where the digest keeps what it needs only now and then (spill.ts: the id lookup once the references are
   * resolved, the shallow sizes for a while): a file io/ opens beside the dump; default: memory.
   */
  readonly spill?: SpillStore;
}

/**
 * Parses the whole dump in one sequential pass. Throws HprofError for non-HPROF input and for corruption, and
 * MemoryLimitError for a dump the memory limit cannot hold.
 */
export function readHeap(source: ByteSource, options: ReadOptions = {}): Heap {
  const observer = options.observer ?? UNOBSERVED;
  const held = options.heldBytes ?? 0;
  const limit = options.memoryLimitBytes ?? Infinity;
  const header = readHeader(source);
  observer.phase("read");
  let pass: DumpPass;
  try {
    pass = new DumpPass(source, header, false, observer, limit, held).run();
  } catch (error) {
    if (error !== TOO_MANY_CLASSES) throw error;
    pass = new DumpPass(source, header, true, observer, limit, held).run();
  }
  options.passEnded?.();
  const order = idOrder(passIds(pass).values);
  const counts = countsAfter(pass, order);
  checkDigestMemory(counts, source.size, limit, held);
  observer.phase("resolve");
  return assemble(source, header, pass, order, counts, options.spill ?? new MemorySpill());
}

/** The counts the whole digest's memory follows, once the pass is done (no cross edges in memory yet). */
function countsAfter(pass: DumpPass, order: IdOrder): HeapCounts {
  let vertices = pass.rawClasses.length;
  const firstEdges = pass.firstEdges;
  for (let at = pass.objectBase; at >= 0 && at < pass.at; at++) if ((at + 1 < pass.at ? firstEdges.of(at + 1) : pass.e) > firstEdges.of(at)) vertices++;
  const counts = pass.counts();
  return { ...counts, objects: pass.rawClasses.length + pass.n, vertices, crossEdges: 0, lookupExtraBytes: lookupExtraBytes(passIds(pass), order) };
}

/** The instances' and arrays' ids the pass read. */
function passIds(pass: DumpPass): DumpIds {
  return pass.plainIds === undefined ? { compact: true, values: pass.ids.subarray(0, pass.n) } : { compact: false, values: pass.plainIds.subarray(0, pass.n) };
}

/** The Heap from what the pass collected. */
function assemble(source: ByteSource, header: DumpHeader, pass: DumpPass, order: IdOrder, counts: HeapCounts, spill: SpillStore): Heap {
  const names = decodeNames(source, pass);
  const nameOf = (id: number): string => names.get(id) ?? `<name 0x${id.toString(16)}>`;
  const classes = describeClasses(pass, nameOf);
  const classCount = classes.length;
  // An object's class index needs a class to point at, even one standing in for the class that never came.
  if (classCount === 0 && pass.n > 0) throw new HprofError("the dump holds objects but no class (no CLASS DUMP record); the file is corrupt", pass.checkpoints.first() ?? 0);
  const objectCount = classCount + pass.n;
  const classByName = new Map<string, HeapClass>();
  for (const heapClass of classes) if (!classByName.has(heapClass.name)) classByName.set(heapClass.name, heapClass);
  const placed = placeObjects(pass, classCount);
  const lateTargets = resolveLateObjects(source, pass, placed, classes);
  const classOf = placed.classSlots.subarray(0, objectCount);
  const shallowSizes = placed.sizes;
  shallowSizes.trimTo(objectCount);
  assignClasses(pass.markBase, classOf, shallowSizes, classes, classByName);
  const ids = passIds(pass);
  // The shallow sizes wait in the store while the references are resolved: their byte an object holds the ids'
  // residues (hprof-index.ts), where new memory would add 28 MB to the peak of a 1.43 GB dump.
  const lentSizes = shallowSizes.lend(spill);
  const lookup = new IdLookup(ids, order, pass.classIndexById, classCount, lentSizes);
  pass.plainIds = undefined; // the lookup has what it needs; resolveEdges takes the ids' memory
  const edges = resolveEdges(pass, placed, lookup, classCount, lateTargets);
  // Only the Heap keeps the arrays from here.
  pass.edges = new Uint32Array(0);
  pass.plainEdges = undefined;
  const roots = gcRoots(pass, lookup, edges.targets, objectCount, classCount);
  const threads = threadsOf(pass, lookup, names, nameOf);
  const spilledLookup = lookup.spill(spill);
  shallowSizes.restore(spill, lentSizes);
  return {
    idSize: header.idSize,
    timestamp: header.timestamp,
    fileBytes: source.size,
    truncated: pass.truncated,
    layout: pass.layout.name,
    spill,
    ...roots,
    objectCount,
    counts,
    classCount,
    classes,
    classOf,
    shallowSizes,
    ...releasableEdges(edges, objectCount),
    threads,
    classByName,
    ...objectQueries(source, pass, placed, spilledLookup, classes),
  };
}

/** The names of classes, fields and frames (only those are decoded), from a second look at their UTF8 records. */
function decodeNames(source: ByteSource, pass: DumpPass): Map<number, string> {
  const wanted = new Set<number>(pass.classNameIds.values());
  const pool = pass.pool;
  for (const raw of pass.rawClasses) {
    for (let f = raw.fieldStart; f < raw.fieldEnd; f++) wanted.add(pool.fieldNames[f]!);
    for (let f = raw.staticStart; f < raw.staticEnd; f++) wanted.add(pool.staticNames[f]!);
  }
  for (const frame of pass.frames.values()) {
    wanted.add(frame.methodId);
    wanted.add(frame.sourceId);
  }
  // A sorted array and binary search: a Set of ~150k doubles (hashed as heap numbers) measured 5× slower.
  const wantedSorted = Float64Array.from(wanted).sort();
  const isWanted = (id: number): boolean => wantedSorted[firstAtOrAfter(wantedSorted, id)] === id;
  const names = new Map<number, string>();
  const utf8 = new TextDecoder("utf-8");
  const cursor = new Cursor(source, pass.idSize, 1 << 20);
  const ids = pass.utf8Ids.view();
  const offsets = pass.utf8Offsets.view();
  for (let i = 0; i < ids.length; i++) {
    if (!isWanted(ids[i]!)) continue;
    // The record again: its length, then the text after the id.
    cursor.seek(offsets[i]! + 5);
    if (!cursor.ensure(4)) continue;
    const textBytes = cursor.u4() - pass.idSize;
    cursor.skip(pass.idSize);
    if (cursor.ensure(textBytes)) names.set(ids[i]!, utf8.decode(cursor.buf.subarray(cursor.pos, cursor.pos + textBytes)));
  }
  return names;
}

function describeClasses(pass: DumpPass, nameOf: (id: number) => string): DumpClass[] {
  const classes: DumpClass[] = [];
  for (const raw of pass.rawClasses) {
    const nameId = pass.classNameIds.get(raw.id);
    const name = javaName(nameId !== undefined ? nameOf(nameId) : `<class 0x${raw.id.toString(16)}>`);
    const objectKind = !name.endsWith("[]") ? KIND_INSTANCE : PRIMITIVE_ARRAY_NAMES.has(name) ? KIND_PRIMITIVE_ARRAY : KIND_OBJECT_ARRAY;
    classes.push(new DumpClass(classes.length, name, pass.classIndexById.get(raw.superId) ?? -1, objectKind, raw, classes, pass.pool, nameOf, pass.idSize));
  }
  return classes;
}

/**
 * Every object's class index from its slot: primitive arrays get their array class, and a class that never came
 * (a cut dump) counts as java.lang.Object (arrays: java.lang.Object[]); each class its count; each class object
 * is a java.lang.Class.
 */
function assignClasses(
  markBase: number,
  classOf: Uint16Array | Uint32Array,
  shallowSizes: ShallowSizes,
  classes: readonly DumpClass[],
  classByName: ReadonlyMap<string, HeapClass>,
): void {
  const classCount = classes.length;
  const objectClassIndex = classByName.get("java.lang.Object")?.index ?? 0;
  const markedClass = new Uint32Array(256).fill(objectClassIndex);
  for (const [type, name] of Object.entries(PRIMITIVE_ARRAY_CLASS)) markedClass[Number(type)] = classByName.get(javaName(name))?.index ?? objectClassIndex;
  markedClass[UNRESOLVED_ARRAY] = classByName.get("java.lang.Object[]")?.index ?? objectClassIndex;
  const counts = new Uint32Array(classCount);
  for (let i = classCount; i < classOf.length; i++) {
    let classIndex = classOf[i]!;
    if (classIndex >= markBase) classOf[i] = classIndex = markedClass[classIndex - markBase]!;
    counts[classIndex] += 1;
  }
  counts.forEach((count, index) => (classes[index]!.count = count));
  const classClass = classByName.get("java.lang.Class");
  for (let c = 0; c < classCount; c++) {
    classOf[c] = classClass?.index ?? c;
    // The class object itself (its statics live in it since JDK 8): a java.lang.Class instance.
    shallowSizes.set(c, classClass?.heapInstanceBytes ?? 96);
  }
}

/** The roots the dump lists that it holds; when it lists none (cut before them), what nothing references. */
function gcRoots(
  pass: DumpPass,
  lookup: IdLookup,
  targets: Uint32Array,
  objectCount: number,
  classCount: number,
): { roots: Uint32Array; rootKinds: RootKind[]; rootThreadSerials: Uint32Array; rootsInferred: boolean } {
  const rootIds = pass.rootIds.view();
  const listed: number[] = [];
  const rootKinds: RootKind[] = [];
  const listedSerials: number[] = [];
  for (let r = 0; r < rootIds.length; r++) {
    const index = lookup.indexOf(rootIds[r]!);
    if (index < 0) continue;
    listed.push(index);
    rootKinds.push(ROOT_KINDS[pass.rootCodes.values[r]!]!);
    listedSerials.push(pass.rootSerials.values[r]!);
  }
  const rootsInferred = listed.length === 0 && objectCount > 0;
  if (!rootsInferred) return { roots: Uint32Array.from(listed), rootKinds, rootThreadSerials: Uint32Array.from(listedSerials), rootsInferred };
  // Every class, and the orphans of the cut.
  const referenced = new Uint8Array(objectCount);
  for (let e = 0; e < targets.length; e++) referenced[targets[e]!] = 1;
  let count = 0;
  for (let i = 0; i < objectCount; i++) if (i < classCount || referenced[i] === 0) count++;
  const roots = new Uint32Array(count);
  count = 0;
  for (let i = 0; i < objectCount; i++) if (i < classCount || referenced[i] === 0) roots[count++] = i;
  for (let r = 0; r < count; r++) rootKinds.push("unknown");
  return { roots, rootKinds, rootThreadSerials: new Uint32Array(count), rootsInferred };
}

/** The threads the dump lists (THREAD OBJECT roots), each with its stack trace's frames. */
function threadsOf(pass: DumpPass, lookup: IdLookup, names: ReadonlyMap<number, string>, nameOf: (id: number) => string): ThreadInfo[] {
  return pass.threadObjects.map((thread) => ({
    object: lookup.indexOf(thread.id),
    serial: thread.serial,
    frames: (pass.traces.get(thread.traceSerial) ?? []).map((frameId) => {
      const frame = pass.frames.get(frameId);
      if (frame === undefined) return { method: "?", className: "?", sourceFile: "", line: 0 };
      const classId = pass.classSerials.get(frame.classSerial);
      const className = classId === undefined ? "?" : javaName(nameOf(pass.classNameIds.get(classId) ?? -1));
      return { method: nameOf(frame.methodId), className, sourceFile: names.get(frame.sourceId) ?? "", line: frame.line };
    }),
  }));
}

/** The edges with releaseEdges, which hands their memory, whole, to the next phase; the ids' memory as scratch. */
function releasableEdges(edges: ResolvedEdges, objectCount: number): Pick<Heap, "edgeStart" | "edgeTargets" | "releaseEdges" | "scratch"> {
  const touchedWords = edges.touchedWords;
  const scratch = new ScratchPool([edges.spare]);
  return {
    edgeStart: edges.start,
    edgeTargets: edges.targets,
    scratch,
    releaseEdges() {
      const starts = this.edgeStart;
      const targets = this.edgeTargets;
      // Zeros the OS maps lazily: no memory until written.
      this.edgeStart = new EdgeStarts(objectCount + 1);
      this.edgeTargets = new Uint32Array(0);
      const startsMemory = starts.memory();
      scratch.give(startsMemory.words, startsMemory.touched);
      scratch.give(new Uint32Array(targets.buffer), Math.max(targets.byteOffset / 4 + targets.length, touchedWords));
      return scratch;
    },
  };
}

/** The Heap's questions about one object: its kind, id and file offset, and the object of an id. */
function objectQueries(
  source: ByteSource,
  pass: DumpPass,
  placed: PlacedObjects,
  lookup: SpilledIdLookup,
  classes: readonly DumpClass[],
): Pick<Heap, "kindOf" | "indexOf" | "idOf" | "offsetOf"> {
  const classCount = classes.length;
  const objectCount = classCount + pass.n;
  const classOf = placed.classSlots;
  const kindOfClass = Uint8Array.from(classes, (heapClass) => heapClass.objectKind);
  const rawIds = Float64Array.from(pass.rawClasses, (raw) => raw.id);
  const classOffsets = Float64Array.from(pass.rawClasses, (raw) => raw.fileOffset);
  const objectOffsets = new ObjectOffsets(source, pass.idSize, pass.segments, pass.checkpoints.done());
  const inRange = (index: number): void => {
    if (!(index >= 0 && index < objectCount)) throw new RangeError(`no object ${index} (the dump has ${objectCount})`);
  };
  return {
    kindOf: (index) => (index < classCount ? KIND_CLASS : kindOfClass[classOf[index]!]!),
    indexOf: (id) => lookup.indexOf(id),
    idOf: (index) => {
      inRange(index);
      // An instance's or array's id is the first field of its record (after the tag).
      return index < classCount ? rawIds[index]! : idAt(source.read(objectOffsets.of(index - classCount) + 1, pass.idSize), 0, pass.idSize);
    },
    offsetOf: (index) => {
      inRange(index);
      return index < classCount ? classOffsets[index]! : objectOffsets.of(index - classCount);
    },
  };
}
