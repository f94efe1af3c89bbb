/**
 * The reader's one pass over the dump: top-level records dispatched by tag, and within each heap dump segment its
 * sub-records dispatched by tag, each to a decoder of its own. Every decoder writes into typed arrays: per
 * instance or array its id, class slot, shallow size and references (as raw ids, resolved after the pass), no
 * JavaScript object per heap object. One guard (subRecordHead, then beginObject for instances and arrays) checks
 * that a sub-record lies within its segment and records what every object has; one decoder (references) reads
 * every reference.
 */
import { ClassIndexCache, classReferences, completeLayout, FieldPool, instanceBytes, readClassDump, type RawClass } from "./hprof-classes.js";
import { allocateUpTo, Column, grownTo, makeFloat64, makeUint16, makeUint32 } from "./hprof-columns.js";
import { EdgeStarts } from "./edge-starts.js";
import { Cursor, WINDOW_BYTES } from "./hprof-cursor.js";
import type { DigestObserver } from "./digest-phases.js";
import {
  arrayBytes,
  CLASS_DUMP,
  hex2,
  HprofError,
  INSTANCE_DUMP,
  int32At,
  KNOWN_TAGS,
  OBJECT_LAYOUTS,
  OBJECT_ARRAY_DUMP,
  PRIMITIVE_ARRAY_DUMP,
  PRIMITIVE_ELEMENT_BYTES,
  ROOT_JAVA_FRAME,
  ROOT_JNI_LOCAL,
  ROOT_THREAD_BLOCK,
  ROOT_THREAD_OBJECT,
  rootBodyBytes,
  TAG_HEAP_DUMP,
  TAG_HEAP_DUMP_END,
  TAG_HEAP_DUMP_SEGMENT,
  TAG_LOAD_CLASS,
  TAG_STACK_FRAME,
  TAG_STACK_TRACE,
  TAG_UTF8,
  TWO_32,
  u32,
  type ByteSource,
  type DumpHeader,
  type ObjectLayout,
} from "./hprof-format.js";
import { OffsetCheckpoints, STEP_MASK } from "./hprof-index.js";
import { SeenIds } from "./hprof-seen-ids.js";
import { LayoutVotes } from "./hprof-layout.js";
import { ShallowSizes } from "./shallow-sizes.js";
import { checkPassMemory, type HeapCounts } from "./memory-budget.js";
import { groupDigits } from "../counts.js";

/**
 * Class slots above the classes' own (16-bit slots while the classes fit below NARROW_MARK_BASE, else 32-bit):
 * a primitive array's is the mark base + its element type until it gets its array class after the pass; an
 * object's whose CLASS DUMP comes later (or never, in a cut dump) is UNRESOLVED_INSTANCE or _ARRAY above it.
 */
const NARROW_MARK_BASE = 0xff00;
const WIDE_MARK_BASE = 0xffffff00;
export const UNRESOLVED_INSTANCE = 0xff;
export const UNRESOLVED_ARRAY = 0xfe;
/** Thrown (and caught) when a dump has more classes than 16-bit class slots number: read again with 32-bit ones. */
export const TOO_MANY_CLASSES = new Error("more classes than 16-bit class slots can number");
/**
 * Object arrays longer than this have their repeats dropped as the pass reads them (SeenIds; shorter ones, like
 * instances, have their rare repeats dropped when the ids are resolved): the edges grow with distinct targets.
 */
const DISTINCT_FROM = 8;
/**
 * The most references the reader keeps: edge offsets are 32-bit (one typed array holds at most 2^32 elements in
 * Node 20: measured, Uint8Array at 4 GiB, Uint32Array at 16 GiB), so every per-object array of a 64 GB dump fits,
 * and only more than this many distinct references would not.
 */
export const MAX_EDGES = 0xffffffff;
/** The pass checks its memory against the limit every 2^20 objects. */
const MEMORY_CHECK_MASK = (1 << 20) - 1;
/** References of an object array decoded per window: 512 KB of 8-byte ids. */
const ARRAY_BATCH = 1 << 16;

export interface FrameRecord {
  readonly methodId: number;
  readonly sourceId: number;
  readonly classSerial: number;
  readonly line: number;
}

/** An object whose CLASS DUMP had not come yet (never in HotSpot's dumps): its class is read again after the pass. */
export interface LateObject {
  /** Its number among instances and arrays. */
  readonly position: number;
  readonly offset: number;
  readonly array: boolean;
}

/**
 * Stores the id given as two signed halves as the n-th of `ids`, compact (id / 8), or, from the first id that is
 * not, all of them as doubles: the Float64Array returned from then on.
 */
function storeId(ids: Uint32Array, plain: Float64Array | undefined, n: number, high: number, low: number, capacity: number): Float64Array | undefined {
  if (plain === undefined && (low & 7) === 0 && high >= 0 && high < 8) {
    ids[n] = high * 0x20000000 + (low >>> 3);
    return undefined;
  }
  const all = plain ?? toPlainIds(ids, n, capacity);
  all[n] = (high >>> 0) * TWO_32 + (low >>> 0);
  return all;
}

/** A Float64Array copy of the first `count` compact ids (× 8), with room for `length`: ids turned out not compact. */
function toPlainIds(compact: Uint32Array, count: number, length: number): Float64Array {
  const plain = new Float64Array(length);
  for (let i = 0; i < count; i++) plain[i] = compact[i]! * 8;
  return plain;
}

export class DumpPass {
  // ---- the small tables: names, classes, stacks, roots --------------------------------------------------------
  /** UTF8 records, decoded after the pass for the few names used (a Bazel dump has ~150k, mostly method names). */
  readonly utf8Ids = new Column(1 << 12);
  readonly utf8Offsets = new Column(1 << 12);
  readonly classNameIds = new Map<number, number>();
  readonly classSerials = new Map<number, number>();
  readonly frames = new Map<number, FrameRecord>();
  readonly traces = new Map<number, number[]>();
  readonly rawClasses: RawClass[] = [];
  readonly pool = new FieldPool();
  readonly classIndexById = new Map<number, number>();
  readonly rootIds = new Column();
  readonly rootCodes = new Column();
  readonly rootSerials = new Column();
  readonly threadObjects: { readonly id: number; readonly serial: number; readonly traceSerial: number }[] = [];
  /** The heap dump records' bodies (cut at the file's end): where the walks from checkpoints go. */
  readonly segments: { readonly start: number; readonly end: number }[] = [];
  readonly lateObjects: LateObject[] = [];
  truncated = false;
  /** A dump is complete once HEAP DUMP END closes its segments (or one whole HEAP DUMP record holds the heap). */
  ended = false;

  // ---- per instance or array, in file order ---------------------------------------------------------------
  // Class slot, shallow size and first reference at its slot `at` (after the class objects': objectBase), id at
  // its number n (compact, else all of them as doubles); references in `edges`, as ids until resolved. Every
  // object record takes at least 10 + idSize bytes of the file, every reference idSize: the arrays' bounds.
  readonly markBase: number;
  n = 0;
  objectBase = -1;
  at = 0;
  classSlots: Uint16Array | Uint32Array;
  sizes: ShallowSizes;
  firstEdges: EdgeStarts;
  ids: Uint32Array;
  plainIds: Float64Array | undefined;
  objectCapacity: number;
  /** Every 16th object's file offset. */
  readonly checkpoints: OffsetCheckpoints;
  // The classes' references (loader, statics) come first in the edges, then the objects': the pass leaves room
  // for those of the classes met before the first object (HotSpot writes them all first).
  classEdges = 0;
  edgeBase = -1;
  e = 0;
  edges: Uint32Array;
  plainEdges: Float64Array | undefined;
  edgeCapacity: number;

  private readonly seen = new SeenIds();
  /** How objects are laid out: compressed until the addresses have told (layoutKnown). */
  layout: ObjectLayout = OBJECT_LAYOUTS[0]!;
  private layoutKnown = false;
  private readonly layoutVotes = new LayoutVotes();
  private readonly cursor: Cursor;
  private readonly classCache: ClassIndexCache;
  readonly idSize: number;
  private readonly size: number;

  constructor(
    source: ByteSource,
    private readonly header: DumpHeader,
    private readonly wide: boolean,
    observer: DigestObserver,
    private readonly memoryLimitBytes: number,
    /** Memory the caller holds beside the pass (ReadOptions.heldBytes). */
    private readonly heldBytes: number,
    /** The most references kept (MAX_EDGES; smaller only in tests of the limit). */
    private readonly maxEdges = MAX_EDGES,
  ) {
    this.idSize = header.idSize;
    this.size = source.size;
    this.cursor = new Cursor(source, header.idSize, WINDOW_BYTES, (offset) => observer.bytesRead(offset, source.size));
    this.classCache = new ClassIndexCache(this.classIndexById, header.idSize, source.size);
    this.markBase = wide ? WIDE_MARK_BASE : NARROW_MARK_BASE;
    const body = Math.max(0, source.size - header.bodyOffset);
    const offsets = allocateUpTo(makeUint16, Math.floor(body / (10 + this.idSize)) + 2);
    this.firstEdges = new EdgeStarts(offsets.length, offsets);
    this.objectCapacity = offsets.length;
    this.checkpoints = new OffsetCheckpoints(this.objectCapacity);
    this.sizes = new ShallowSizes(new Uint8Array(this.objectCapacity));
    this.ids = makeUint32(this.objectCapacity);
    this.classSlots = this.makeSlots(this.objectCapacity);
    this.edges = allocateUpTo(makeUint32, Math.min(Math.floor(body / this.idSize) + 1, this.maxEdges));
    this.edgeCapacity = this.edges.length;
  }

  makeSlots(length: number): Uint16Array | Uint32Array {
    return this.wide ? new Uint32Array(length) : new Uint16Array(length);
  }

  /** Reads the whole dump: records in file order until its end, or until the first one the end cuts. */
  run(): this {
    const cursor = this.cursor;
    const size = this.size;
    cursor.seek(this.header.bodyOffset);
    while (cursor.offset < size) {
      const recordOffset = cursor.offset;
      if (!cursor.ensure(9)) {
        this.truncated = true;
        break;
      }
      const tag = cursor.u1();
      if (KNOWN_TAGS[tag] === 0) throw new HprofError(`unknown record tag 0x${hex2(tag)}; the file is corrupt or not HPROF`, recordOffset);
      cursor.skip(4); // time since the header's timestamp
      const length = cursor.u4();
      const bodyEnd = recordOffset + 9 + length;
      if (tag === TAG_HEAP_DUMP || tag === TAG_HEAP_DUMP_SEGMENT) {
        if (!this.heapDump(recordOffset + 9, bodyEnd)) {
          this.truncated = true;
          break;
        }
        if (tag === TAG_HEAP_DUMP) this.ended = true;
      } else {
        if (bodyEnd > size) {
          this.truncated = true;
          break;
        }
        this.record(tag, recordOffset, length);
      }
      cursor.seek(bodyEnd);
    }
    if (!this.ended) this.truncated = true;
    if (!this.layoutKnown) this.latchLayout();
    // A class whose super class came later got its layout without the inherited fields: complete it now.
    for (const raw of this.rawClasses) if (raw.layoutIncomplete) completeLayout(raw, this.rawClasses, this.classIndexById, this.pool, this.idSize, this.layout, true);
    return this;
  }

  // ---- top-level records ----------------------------------------------------------------------------------

  /** A whole top-level record other than a heap dump, dispatched by its tag; the cursor is at its body. */
  private record(tag: number, recordOffset: number, length: number): void {
    const cursor = this.cursor;
    const idSize = this.idSize;
    switch (tag) {
      case TAG_UTF8:
        this.fixedFields(length, idSize, "UTF8", recordOffset);
        this.utf8Ids.push(cursor.id());
        this.utf8Offsets.push(recordOffset);
        break;
      case TAG_LOAD_CLASS: {
        this.fixedFields(length, 8 + 2 * idSize, "LOAD CLASS", recordOffset);
        const serial = cursor.u4();
        const classId = cursor.id();
        cursor.skip(4); // stack trace serial
        this.classNameIds.set(classId, cursor.id());
        this.classSerials.set(serial, classId);
        break;
      }
      case TAG_STACK_FRAME: {
        this.fixedFields(length, 4 * idSize + 8, "STACK FRAME", recordOffset);
        const frameId = cursor.id();
        const methodId = cursor.id();
        cursor.skip(idSize); // signature
        const sourceId = cursor.id();
        const classSerial = cursor.u4();
        this.frames.set(frameId, { methodId, sourceId, classSerial, line: cursor.i4() });
        break;
      }
      case TAG_STACK_TRACE:
        this.stackTrace(length, recordOffset);
        break;
      case TAG_HEAP_DUMP_END:
        this.ended = true;
        break;
      default:
        // Other records (START THREAD, CPU samples, control settings…) carry nothing the digest uses.
        break;
    }
  }

  /** Makes a record's `needed` bytes of fixed fields readable; HprofError when its length is shorter. */
  private fixedFields(length: number, needed: number, what: string, recordOffset: number): void {
    if (length < needed) throw new HprofError(`a ${what} record of ${length} bytes is shorter than its ${needed}-byte fields; the file is corrupt`, recordOffset);
    this.cursor.ensure(needed);
  }

  private stackTrace(length: number, recordOffset: number): void {
    const cursor = this.cursor;
    this.fixedFields(length, 12, "STACK TRACE", recordOffset);
    const serial = cursor.u4();
    cursor.skip(4); // thread serial
    const count = cursor.u4();
    if (12 + count * this.idSize !== length) {
      throw new HprofError(`a STACK TRACE record's length ${length} does not fit its ${count} frames; the file is corrupt`, recordOffset);
    }
    cursor.ensure(count * this.idSize);
    const frameIds: number[] = [];
    for (let i = 0; i < count; i++) frameIds.push(cursor.id());
    this.traces.set(serial, frameIds);
  }

  /**
   * A HEAP DUMP or HEAP DUMP SEGMENT body: its sub-records, each dispatched by its tag. False when the file ends
   * inside it (what was whole is kept); HprofError when a sub-record runs past the end of a whole one.
   */
  private heapDump(bodyStart: number, bodyEnd: number): boolean {
    const cursor = this.cursor;
    const complete = bodyEnd <= this.size;
    const end = Math.min(bodyEnd, this.size);
    this.segments.push({ start: bodyStart, end });
    while (cursor.offset < end) {
      const offset = cursor.offset;
      cursor.ensure(1);
      const code = cursor.u1();
      let whole: boolean;
      if (code === INSTANCE_DUMP) whole = this.instance(offset, end);
      else if (code === OBJECT_ARRAY_DUMP) whole = this.objectArray(offset, end);
      else if (code === PRIMITIVE_ARRAY_DUMP) whole = this.primitiveArray(offset, end);
      else if (code === CLASS_DUMP) whole = this.classDump(offset, end);
      else whole = this.root(code, offset, end);
      if (whole) continue;
      if (complete) throw new HprofError("a heap dump record runs past the end of its segment; the file is corrupt", offset);
      return false;
    }
    return complete;
  }

  // ---- heap dump sub-records --------------------------------------------------------------------------------

  /**
   * The guard every sub-record passes first (the cursor just past its tag at `offset`): its `bytes` fixed bytes
   * made readable, and where they start in the cursor's window; -1 when the segment (or the file) ends first.
   */
  private subRecordHead(offset: number, bytes: number, end: number): number {
    if (offset + 1 + bytes > end) return -1;
    this.cursor.ensure(bytes);
    return this.cursor.pos;
  }

  /**
   * What every instance and array has, once its head is at `p` in the window: -1 when its record, ending at
   * `recordEnd`, runs past `end` (cut short); else its slot, with its id, its first edge, and every 16th object's
   * offset kept.
   */
  private beginObject(offset: number, p: number, recordEnd: number, end: number): number {
    if (recordEnd > end) return -1;
    if (this.objectBase < 0) {
      this.objectBase = this.at = this.rawClasses.length;
      this.edgeBase = this.e = this.classEdges;
    }
    if (this.at >= this.objectCapacity) this.growObjects();
    const n = this.n;
    if ((n & STEP_MASK) === 0) {
      this.checkpoints.note(n, offset);
      if ((n & MEMORY_CHECK_MASK) === 0 && n > 0) checkPassMemory(this.counts(n), offset, this.size, this.memoryLimitBytes, this.heldBytes);
    }
    const b = this.cursor.buf;
    const idSize = this.idSize;
    const low = int32At(b, p + idSize - 4);
    const high = idSize === 4 ? 0 : int32At(b, p);
    if (!this.layoutKnown) this.layoutVotes.follows(high, low);
    this.plainIds = storeId(this.ids, this.plainIds, n, high, low, this.objectCapacity);
    const at = this.at;
    this.firstEdges.set(at, this.e);
    this.n = n + 1;
    this.at = at + 1;
    return at;
  }

  /**
   * Appends the `count` references at b[q], b[q + idSize]… to the edges (a null one is no edge; with `distinct`,
   * neither is a repeat of the current array's, see SeenIds): compact while every id is, then all as doubles.
   * The only place a reference is decoded; it reads signed halves written out, as an int32 is a V8 small integer
   * where a uint32 of 2^31 or more would be a heap number.
   */
  private references(b: Uint8Array, q: number, count: number, distinct: boolean): void {
    const idSize = this.idSize;
    const edges = this.edges;
    const seen = this.seen;
    let e = this.e;
    for (let end = q + count * idSize; q < end; q += idSize) {
      const low = int32At(b, q + idSize - 4);
      const high = idSize === 4 ? 0 : int32At(b, q);
      if ((low | high) === 0 || (distinct && seen.isRepeat(high, low))) continue;
      if (this.plainEdges === undefined && (low & 7) === 0 && high >= 0 && high < 8) edges[e++] = high * 0x20000000 + (low >>> 3);
      else (this.plainEdges ??= toPlainIds(edges, e, this.edgeCapacity))[e++] = (high >>> 0) * TWO_32 + (low >>> 0);
    }
    this.e = e;
  }

  private instance(offset: number, end: number): boolean {
    const idSize = this.idSize;
    const head = 2 * idSize + 8;
    const p = this.subRecordHead(offset, head, end);
    if (p < 0) return false;
    const cursor = this.cursor;
    const bytes = u32(cursor.buf, p + head - 4);
    const dataStart = offset + 1 + head;
    const slot = this.beginObject(offset, p, dataStart + bytes, end);
    if (slot < 0) return false;
    let classIndex = this.classCache.at(cursor.buf, p + idSize + 4);
    // A super class that came after its subclass leaves the layout to finish once it is there.
    if (classIndex >= 0 && this.rawClasses[classIndex]!.layoutIncomplete) {
      const raw = this.rawClasses[classIndex]!;
      if (raw.layoutClasses < this.rawClasses.length) completeLayout(raw, this.rawClasses, this.classIndexById, this.pool, idSize, this.layout);
      if (raw.layoutIncomplete) classIndex = -1;
    }
    if (classIndex < 0) {
      this.classSlots[slot] = this.markBase + UNRESOLVED_INSTANCE;
      this.sizes.set(slot, 0);
      this.lateObjects.push({ position: slot - this.objectBase, offset, array: false });
    } else {
      const raw = this.rawClasses[classIndex]!;
      this.classSlots[slot] = classIndex;
      this.sizes.set(slot, raw.heapBytes);
      const references = raw.referenceOffsets;
      if (references.length > 0) {
        this.edgeRoom(references.length);
        cursor.skip(head);
        cursor.ensure(bytes);
        const data = cursor.buf;
        const base = cursor.pos;
        for (let k = 0; k < references.length; k++) {
          const at = references[k]!;
          if (at + idSize > bytes) break;
          this.references(data, base + at, 1, false);
        }
      }
    }
    cursor.seek(dataStart + bytes);
    return true;
  }

  private objectArray(offset: number, end: number): boolean {
    const idSize = this.idSize;
    const head = 2 * idSize + 8;
    const p = this.subRecordHead(offset, head, end);
    if (p < 0) return false;
    const cursor = this.cursor;
    const elements = u32(cursor.buf, p + idSize + 4);
    const slot = this.beginObject(offset, p, offset + 1 + head + elements * idSize, end);
    if (slot < 0) return false;
    const classIndex = this.classCache.at(cursor.buf, p + idSize + 8);
    if (classIndex < 0) this.lateObjects.push({ position: slot - this.objectBase, offset, array: true });
    this.classSlots[slot] = classIndex < 0 ? this.markBase + UNRESOLVED_ARRAY : classIndex;
    this.sizes.set(slot, this.arraySize(slot, elements, 0));
    cursor.skip(head);
    this.edgeRoom(elements);
    const distinct = elements > DISTINCT_FROM;
    if (distinct) this.seen.begin();
    for (let remaining = elements; remaining > 0; ) {
      const batch = Math.min(remaining, ARRAY_BATCH);
      cursor.ensure(batch * idSize);
      this.references(cursor.buf, cursor.pos, batch, distinct);
      cursor.skip(batch * idSize);
      remaining -= batch;
    }
    return true;
  }

  private primitiveArray(offset: number, end: number): boolean {
    const idSize = this.idSize;
    const head = idSize + 9;
    const p = this.subRecordHead(offset, head, end);
    if (p < 0) return false;
    const cursor = this.cursor;
    const elements = u32(cursor.buf, p + idSize + 4);
    const type = cursor.buf[p + idSize + 8]!;
    const elementBytes = PRIMITIVE_ELEMENT_BYTES[type]!;
    if (elementBytes === 0) throw new HprofError(`a primitive array has the unknown element type ${type}; the file is corrupt`, offset + 1 + idSize + 8);
    const recordEnd = offset + 1 + head + elements * elementBytes;
    const slot = this.beginObject(offset, p, recordEnd, end);
    if (slot < 0) return false;
    this.classSlots[slot] = this.markBase + type;
    this.sizes.set(slot, this.arraySize(slot, elements, elementBytes));
    cursor.seek(recordEnd);
    return true;
  }

  private classDump(offset: number, end: number): boolean {
    const raw = readClassDump(this.cursor, end, this.idSize, offset, this.pool);
    if (raw === undefined) return false;
    if (this.rawClasses.length === this.markBase) throw TOO_MANY_CLASSES;
    this.classIndexById.set(raw.id, this.rawClasses.length);
    this.rawClasses.push(raw);
    this.classEdges += classReferences(raw, this.pool);
    completeLayout(raw, this.rawClasses, this.classIndexById, this.pool, this.idSize, this.layout);
    return true;
  }

  private root(code: number, offset: number, end: number): boolean {
    const idSize = this.idSize;
    const bytes = rootBodyBytes(code, idSize);
    if (bytes < 0) throw new HprofError(`unknown heap dump record 0x${hex2(code)}; the file is corrupt`, offset);
    if (this.subRecordHead(offset, bytes, end) < 0) return false;
    const cursor = this.cursor;
    const id = cursor.id();
    let serial = 0;
    if (code === ROOT_THREAD_OBJECT) {
      serial = cursor.u4();
      this.threadObjects.push({ id, serial, traceSerial: cursor.u4() });
    } else if (code === ROOT_JAVA_FRAME || code === ROOT_JNI_LOCAL || code === ROOT_THREAD_BLOCK) {
      serial = cursor.u4();
      cursor.skip(bytes - idSize - 4);
    } else {
      cursor.skip(bytes - idSize);
    }
    this.rootIds.push(id);
    this.rootCodes.push(code);
    this.rootSerials.push(serial);
    return true;
  }

  // ---- the object layout ------------------------------------------------------------------------------------

  /**
   * The array's size in the heap under the layout, known or (until the addresses have told) compressed; while
   * the layout is not known, the array is a vote for the next object and is kept aside to be sized again.
   */
  private arraySize(slot: number, elements: number, elementBytes: number): number {
    if (this.layoutKnown) return arrayBytes(this.layout, elements, elementBytes);
    this.layoutVotes.array(slot, elements, elementBytes);
    if (this.layoutVotes.decided()) this.latchLayout();
    return arrayBytes(this.layout, elements, elementBytes);
  }

  /**
   * Settles the layout the votes chose: the classes' instance sizes follow it, and the objects read before
   * are sized again (instances by their class, arrays from what was kept aside).
   */
  private latchLayout(): void {
    this.layoutKnown = true;
    const layout = OBJECT_LAYOUTS[this.layoutVotes.winner()]!;
    if (layout === this.layout) return;
    this.layout = layout;
    for (const raw of this.rawClasses) raw.heapBytes = instanceBytes(raw, layout);
    const base = this.objectBase < 0 ? 0 : this.objectBase;
    // Every object with a class of its own as an instance (object arrays too: resize sizes them after).
    for (let slot = base; slot < this.at; slot++) {
      const classIndex = this.classSlots[slot]!;
      if (classIndex < this.markBase) this.sizes.set(slot, this.rawClasses[classIndex]!.heapBytes);
    }
    this.layoutVotes.resize(this.sizes, layout);
  }

  /** What the pass holds after `objects` objects (each counted a vertex: an upper bound), for the memory check. */
  counts(objects = this.n): HeapCounts {
    return { objects, vertices: objects, edges: this.e, crossEdges: 0, largeObjects: this.sizes.largeCount, wideIds: this.plainIds !== undefined || this.plainEdges !== undefined };
  }

  // ---- room ---------------------------------------------------------------------------------------------

  /** More room for objects: only when the first allocation fell short of the file's bound. */
  private growObjects(): void {
    const capacity = Math.max(2 * this.objectCapacity, this.at + 1);
    this.classSlots = grownTo(this.classSlots, capacity, (length) => this.makeSlots(length));
    this.sizes.growTo(capacity);
    this.firstEdges = this.firstEdges.grownTo(capacity);
    this.ids = grownTo(this.ids, capacity, makeUint32);
    if (this.plainIds !== undefined) this.plainIds = grownTo(this.plainIds, capacity, makeFloat64);
    this.objectCapacity = capacity;
  }

  /** Room for `count` more edges. */
  private edgeRoom(count: number): void {
    const needed = this.e + count;
    if (needed <= this.edgeCapacity) return;
    if (needed > this.maxEdges) {
      throw new HprofError(
        `the dump holds more than ${groupDigits(this.maxEdges)} references after repeats are dropped, more than this reader indexes (32-bit edge offsets)`,
        this.cursor.offset,
      );
    }
    this.edgeCapacity = Math.min(Math.max(2 * this.edgeCapacity, needed), this.maxEdges);
    this.edges = grownTo(this.edges, this.edgeCapacity, makeUint32);
    if (this.plainEdges !== undefined) this.plainEdges = grownTo(this.plainEdges, this.edgeCapacity, makeFloat64);
  }
}
