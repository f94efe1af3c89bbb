/**
 * A reader of JVM heap dumps (HPROF "JAVA PROFILE 1.0.2", as HotSpot writes them on OutOfMemoryError or with
 * `jcmd PID GC.heap_dump`) that keeps the heap as typed arrays: no JavaScript object per heap object.
 *
 * One sequential pass over the file, through a ByteSource that hands out windows of it, collects classes (LOAD
 * CLASS, CLASS DUMP: field layouts and static references), Java stack traces, GC roots, where the names are
 * (UTF8), and for every instance and array its id, class, shallow size and the ids it references; the ids are
 * then resolved to object indices (CSR arrays). Anything else (a field value, a string's characters) is read
 * later at the object's offset, on demand (every 64th object's offset is kept; the others are found from there).
 *
 * Memory: each per-object value is written once, into an array allocated at the most the file's size allows
 * (pages never written take no memory), that becomes the Heap's; no JavaScript object per heap object, and
 * none per field or name either (a Bazel dump has ~150k of those, which grew V8's young generation to its
 * maximum). For a 641 MB Bazel dump the Heap takes ~145 MB.
 *
 * Object numbering: class objects first (0 … classCount-1), then instances and arrays in file order. HotSpot
 * writes objects in address order, so their ids come sorted and an id is found by a bucketed binary search
 * over the ids' offsets within their bucket (1 byte per object in a Bazel heap); a dump in another order gets
 * a sorted copy.
 *
 * Shallow sizes are estimated as HotSpot lays objects out with compressed oops and class pointers (the default
 * below 32 GB of heap, which every Bazel server is): 12-byte object headers, 16-byte array headers, 4-byte
 * references, everything padded to 8 bytes. HPROF itself records ids as 8 bytes, so the file is larger than
 * the heap it describes.
 *
 * A dump cut short (the JVM killed while writing) yields what is complete, with `truncated` set; anything that
 * is not HPROF, or is corrupt before its end, throws HprofError with the byte offset.
 */
import { ScratchPool } from "./scratch.js";

/** Random access to the dump's bytes (io/ adapts a file to it). */
export interface ByteSource {
  readonly size: number;
  /**
   * At most `length` bytes from `offset` (fewer only where the source ends). The view may be reused by the next
   * call: copy what must outlive it.
   */
  read(offset: number, length: number): Uint8Array;
}

/** A dump already in memory as a ByteSource (views, not copies). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

/** The input is not a heap dump, or is corrupt before its end; `offset` is the byte where that became clear. */
export class HprofError extends Error {
  override readonly name = "HprofError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAGIC_PREFIX = "JAVA PROFILE ";
const SUPPORTED_VERSIONS = new Set(["1.0.1", "1.0.2"]);
const MAX_HEADER_CHARS = 32;

// Top-level record tags.
const TAG_UTF8 = 0x01;
const TAG_LOAD_CLASS = 0x02;
const TAG_STACK_FRAME = 0x04;
const TAG_STACK_TRACE = 0x05;
const TAG_HEAP_DUMP = 0x0c;
const TAG_HEAP_DUMP_SEGMENT = 0x1c;
const TAG_HEAP_DUMP_END = 0x2c;

// Heap dump sub-record tags.
const ROOT_UNKNOWN = 0xff;
const ROOT_JNI_GLOBAL = 0x01;
const ROOT_JNI_LOCAL = 0x02;
const ROOT_JAVA_FRAME = 0x03;
const ROOT_NATIVE_STACK = 0x04;
const ROOT_STICKY_CLASS = 0x05;
const ROOT_THREAD_BLOCK = 0x06;
const ROOT_MONITOR_USED = 0x07;
const ROOT_THREAD_OBJECT = 0x08;
const CLASS_DUMP = 0x20;
const INSTANCE_DUMP = 0x21;
const OBJECT_ARRAY_DUMP = 0x22;
const PRIMITIVE_ARRAY_DUMP = 0x23;

/** HPROF basic types. */
export const TYPE_OBJECT = 2;
export const TYPE_BOOLEAN = 4;
export const TYPE_CHAR = 5;
export const TYPE_FLOAT = 6;
export const TYPE_DOUBLE = 7;
export const TYPE_BYTE = 8;
export const TYPE_SHORT = 9;
export const TYPE_INT = 10;
export const TYPE_LONG = 11;

/** Array class names of each primitive type, as LOAD CLASS names them. */
const PRIMITIVE_ARRAY_CLASS: Readonly<Record<number, string>> = {
  [TYPE_BOOLEAN]: "[Z",
  [TYPE_CHAR]: "[C",
  [TYPE_FLOAT]: "[F",
  [TYPE_DOUBLE]: "[D",
  [TYPE_BYTE]: "[B",
  [TYPE_SHORT]: "[S",
  [TYPE_INT]: "[I",
  [TYPE_LONG]: "[J",
};

/** Bytes of a value of each type in the heap (references compressed to 4). */
const HEAP_VALUE_BYTES: Readonly<Record<number, number>> = {
  [TYPE_OBJECT]: 4,
  [TYPE_BOOLEAN]: 1,
  [TYPE_CHAR]: 2,
  [TYPE_FLOAT]: 4,
  [TYPE_DOUBLE]: 8,
  [TYPE_BYTE]: 1,
  [TYPE_SHORT]: 2,
  [TYPE_INT]: 4,
  [TYPE_LONG]: 8,
};
const OBJECT_HEADER_BYTES = 12;
const ARRAY_HEADER_BYTES = 16;

/** What kind of heap object an index is. */
export const KIND_CLASS = 0;
export const KIND_INSTANCE = 1;
export const KIND_OBJECT_ARRAY = 2;
export const KIND_PRIMITIVE_ARRAY = 3;

export type RootKind =
  | "unknown"
  | "jni-global"
  | "jni-local"
  | "java-frame"
  | "native-stack"
  | "sticky-class"
  | "thread-block"
  | "monitor"
  | "thread-object";

const ROOT_KINDS: Readonly<Record<number, RootKind>> = {
  [ROOT_UNKNOWN]: "unknown",
  [ROOT_JNI_GLOBAL]: "jni-global",
  [ROOT_JNI_LOCAL]: "jni-local",
  [ROOT_JAVA_FRAME]: "java-frame",
  [ROOT_NATIVE_STACK]: "native-stack",
  [ROOT_STICKY_CLASS]: "sticky-class",
  [ROOT_THREAD_BLOCK]: "thread-block",
  [ROOT_MONITOR_USED]: "monitor",
  [ROOT_THREAD_OBJECT]: "thread-object",
};

export interface FieldLayout {
  readonly name: string;
  readonly type: number;
}

export interface HeapClass {
  /** Object index of the class object (= its index in `classes`). */
  readonly index: number;
  readonly id: number;
  /** Binary name with dots: "java.lang.String", "net.starlark.java.eval.StarlarkThread$Frame", "byte[]". */
  readonly name: string;
  /** Index in `classes` of the super class, -1 for none. */
  readonly superClass: number;
  /** KIND_INSTANCE, KIND_OBJECT_ARRAY or KIND_PRIMITIVE_ARRAY: what its objects are. */
  readonly objectKind: number;
  /** Instance fields declared by this class (not inherited), in HPROF order. */
  readonly fields: readonly FieldLayout[];
  /** Instance field layout with inherited fields: the class's own first, as the dump orders field data. */
  readonly allFields: readonly (FieldLayout & { readonly offset: number })[];
  /** Byte length of an instance's field data in the dump (ids at their HPROF size). */
  readonly dumpInstanceBytes: number;
  /** Estimated bytes of an instance in the heap. */
  readonly heapInstanceBytes: number;
  /** Offsets, within an instance's field data, of its reference fields (inherited included). */
  readonly referenceOffsets: Int32Array;
  /** Static reference fields: name and target id (0 for null). */
  readonly staticReferences: readonly { readonly name: string; readonly id: number }[];
  /** Number of instances (or arrays) of this class in the dump. */
  count: number;
}

export interface StackFrame {
  readonly method: string;
  readonly className: string;
  readonly sourceFile: string;
  /** > 0 a line number; HPROF's 0 (none), -1 (unknown), -2 (compiled), -3 (native) are kept as they are. */
  readonly line: number;
}

export interface ThreadInfo {
  /** Object index of the java.lang.Thread, -1 when its object is not in the dump. */
  readonly object: number;
  readonly serial: number;
  /** Java frames, innermost first. */
  readonly frames: readonly StackFrame[];
}

/** The parsed heap: per-object typed arrays (index = object number) and the few small tables. */
export interface Heap {
  readonly idSize: 4 | 8;
  /** Milliseconds since the epoch when the dump was written. */
  readonly timestamp: number;
  readonly fileBytes: number;
  /** The dump ended before its last record was complete; what was complete is here. */
  readonly truncated: boolean;
  /** The dump had no GC roots (cut before them): objects nobody references were taken as roots. */
  readonly rootsInferred: boolean;
  readonly objectCount: number;
  /** Objects 0 … classCount-1 are the class objects, in the order of `classes`. */
  readonly classCount: number;
  readonly classes: readonly HeapClass[];
  /** Per object: index into `classes` (for a class object, java.lang.Class's; for arrays, the array class). */
  readonly classOf: Uint16Array | Uint32Array;
  /** Per object: estimated bytes in the heap. */
  readonly shallowBytes: Uint32Array;
  /**
   * References: targets of object i are edgeTargets[edgeStart[i] … edgeStart[i+1]). Emptied by releaseEdges()
   * once the dominator tree no longer needs them (a third of the parser's memory).
   */
  edgeStart: Uint32Array;
  edgeTargets: Uint32Array;
  /**
   * Empties the edges and hands back their memory, whole, as scratch space: the pages they touched are the
   * process's already, where new arrays would add to the peak until the garbage collector runs.
   */
  releaseEdges(): ScratchPool;
  /** GC roots (object indices) as the dump lists them (a root may repeat), and per root its kind. */
  readonly roots: Uint32Array;
  readonly rootKinds: readonly RootKind[];
  /** Per root: the thread serial of thread-object / java-frame / jni-local / thread-block roots, 0 otherwise. */
  readonly rootThreadSerials: Uint32Array;
  readonly threads: readonly ThreadInfo[];
  readonly classByName: ReadonlyMap<string, HeapClass>;
  /** KIND_* of an object. */
  kindOf(index: number): number;
  /** The object index of an id, or -1. */
  indexOf(id: number): number;
  /** The raw id of an object. */
  idOf(index: number): number;
  /** Byte offset of the object's sub-record in the file (classes: their CLASS DUMP). */
  offsetOf(index: number): number;
}

/**
 * Bytes read at a time by the pass: large enough that reading costs no more than `cat` does, small because the
 * file source keeps a buffer of the largest read for the dump's lifetime.
 */
const WINDOW_BYTES = 2 * 1024 * 1024;
const TWO_32 = 2 ** 32;
/** Every 2^CHECKPOINT_SHIFT-th object's file offset is kept; the others are found by walking from it. */
const CHECKPOINT_SHIFT = 6;
const CHECKPOINT_MASK = (1 << CHECKPOINT_SHIFT) - 1;
/**
 * Bytes read at a time while walking from a checkpoint: the 63 records at most between two checkpoints average
 * about 4 KB in a Bazel heap (a big array among them is skipped by seeking, not read).
 */
const OFFSET_WALK_WINDOW = 8192;
/** The largest fixed part of an instance, array or root sub-record after its tag (8-byte ids). */
const SUB_RECORD_HEAD_BYTES = 2 * 8 + 8;

/** Top-level record tags HPROF defines (others, such as START THREAD or CPU SAMPLES, are skipped unread). */
const KNOWN_TAGS = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, TAG_HEAP_DUMP_SEGMENT, TAG_HEAP_DUMP_END]);

/** Bytes of an array element of each primitive type in the dump, 0 for anything else (a corrupt type). */
const PRIMITIVE_ELEMENT_BYTES = new Uint8Array(16);
for (const type of [TYPE_BOOLEAN, TYPE_CHAR, TYPE_FLOAT, TYPE_DOUBLE, TYPE_BYTE, TYPE_SHORT, TYPE_INT, TYPE_LONG]) PRIMITIVE_ELEMENT_BYTES[type] = HEAP_VALUE_BYTES[type]!;

const NO_BYTES = new Uint8Array(0);

/** A sequential reader over a ByteSource, one window of it at a time. */
class Cursor {
  buf: Uint8Array = NO_BYTES;
  /** File offset of buf[0]. */
  start = 0;
  pos = 0;

  constructor(
    private readonly source: ByteSource,
    readonly idSize: number,
    private readonly window = WINDOW_BYTES,
  ) {}

  get offset(): number {
    return this.start + this.pos;
  }

  seek(offset: number): void {
    if (offset >= this.start && offset <= this.start + this.buf.length) {
      this.pos = offset - this.start;
    } else {
      this.start = offset;
      this.buf = NO_BYTES;
      this.pos = 0;
    }
  }

  /** Makes `n` bytes readable at pos; false when the source ends first. */
  ensure(n: number): boolean {
    if (this.pos + n <= this.buf.length) return true;
    const offset = this.start + this.pos;
    if (offset + n > this.source.size) return false;
    const view = this.source.read(offset, Math.max(n, this.window));
    this.buf = view;
    this.start = offset;
    this.pos = 0;
    return view.length >= n;
  }

  u1(): number {
    return this.buf[this.pos++]!;
  }

  u2(): number {
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u4(): number {
    const value = u32(this.buf, this.pos);
    this.pos += 4;
    return value;
  }

  id(): number {
    const value = idAt(this.buf, this.pos, this.idSize);
    this.pos += this.idSize;
    return value;
  }

  skip(n: number): void {
    this.pos += n;
  }
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Reads an id at b[p] (big-endian). */
export function idAt(b: Uint8Array, p: number, idSize: number): number {
  const low = u32(b, p + idSize - 4);
  return idSize === 4 ? low : u32(b, p) * TWO_32 + low;
}

/** Ids stored as `id / 8` when every one allows it (HotSpot's: 8-byte aligned addresses below 32 GB). */
const COMPACT_LIMIT = 2 ** 35;

/** id / 8 when the id is compact, else -1. */
function compactId(id: number): number {
  const value = id / 8;
  return value === Math.floor(value) && id < COMPACT_LIMIT ? value : -1;
}

type PerObjectArray = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/**
 * A typed array of `bound` elements, the most any dump of this size can need, so that the pass writes each value
 * once where it stays: untouched pages of a large zeroed allocation take no memory (the OS maps them on first
 * write), so only what is written counts. Where the system refuses that much address space, a quarter of it
 * and so on: the pass then grows the array when full (grownTo).
 */
function allocateUpTo<T extends PerObjectArray>(make: (length: number) => T, bound: number): T {
  for (let length = bound; ; length = Math.ceil(length / 4)) {
    try {
      return make(length);
    } catch (error) {
      if (!(error instanceof RangeError) || length <= 1 << 16) throw error;
    }
  }
}

/** A copy of `array` with room for `length` elements (the pass's arrays when their first allocation fell short). */
function grownTo<T extends PerObjectArray>(array: T, length: number, make: (length: number) => T): T {
  if (array.length >= length) return array;
  const bigger = make(length);
  bigger.set(array as never);
  return bigger;
}

/** A Float64Array copy of the first `count` compact ids (× 8), with room for `length`: ids turned out not compact. */
function toPlainIds(compact: Uint32Array, count: number, length: number): Float64Array {
  const plain = new Float64Array(length);
  for (let i = 0; i < count; i++) plain[i] = compact[i]! * 8;
  return plain;
}

/**
 * Stores object n's id, given as two signed 32-bit halves, among ids that are not all compact: from the first
 * such id on, all of them are doubles in a Float64Array (made from the compact ones), which it returns. The
 * pass stores compact ids itself, reading them as signed halves written out rather than through u32: an int32
 * is a V8 small integer, while a uint32 of 2^31 or more returned by a call TurboFan did not inline (the pass's
 * function is past its inlining budget) is a heap-allocated number (150 MB of them for a 640 MB dump).
 */
function storePlainId(ids: Uint32Array, plain: Float64Array | undefined, n: number, high: number, low: number, capacity: number): Float64Array {
  const all = plain ?? toPlainIds(ids, n, capacity);
  all[n] = (high >>> 0) * TWO_32 + (low >>> 0);
  return all;
}

const CACHE_SLOTS = 1 << 14;

/** Class id → class index, through a direct-mapped cache (keyed by the id's two halves) in front of a Map. */
class ClassIndexCache {
  private readonly low = new Int32Array(CACHE_SLOTS);
  private readonly high = new Int32Array(CACHE_SLOTS);
  private readonly index = new Int32Array(CACHE_SLOTS).fill(-1);

  constructor(
    private readonly byId: ReadonlyMap<number, number>,
    private readonly idSize: number,
  ) {}

  /** The index of the class whose id is at b[p], -1 when no CLASS DUMP so far had it. */
  at(b: Uint8Array, p: number): number {
    const q = p + this.idSize - 4;
    const low = (b[q]! << 24) | (b[q + 1]! << 16) | (b[q + 2]! << 8) | b[q + 3]!;
    const high = this.idSize === 4 ? 0 : (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    const slot = (low >>> 3) & (CACHE_SLOTS - 1);
    const cached = this.index[slot]!;
    if (cached >= 0 && this.low[slot] === low && this.high[slot] === high) return cached;
    const index = this.byId.get((high >>> 0) * TWO_32 + (low >>> 0));
    if (index === undefined) return -1;
    this.low[slot] = low;
    this.high[slot] = high;
    this.index[slot] = index;
    return index;
  }
}

interface RawClass {
  readonly id: number;
  readonly superId: number;
  readonly loaderId: number;
  readonly fileOffset: number;
  /** Its own instance fields: entries fieldStart … fieldEnd - 1 of the FieldPool's fields; its statics likewise. */
  readonly fieldStart: number;
  readonly fieldEnd: number;
  readonly staticStart: number;
  readonly staticEnd: number;
  // The instance layout with inherited fields (completeLayout).
  dumpBytes: number;
  heapBytes: number;
  referenceOffsets: Int32Array;
  layoutIncomplete: boolean;
  /** How many classes were known when the layout was last computed (retried only when more came). */
  layoutClasses: number;
}

/**
 * The classes' fields (name id, type) and static references (name id, target id), every class's in one set of
 * typed arrays: as small objects, a Bazel dump's ~100k of them grew V8's young generation to its 32 MB maximum.
 */
class FieldPool {
  fieldNames: Float64Array = new Float64Array(1 << 12);
  fieldTypes: Uint8Array = new Uint8Array(1 << 12);
  fields = 0;
  staticNames: Float64Array = new Float64Array(1 << 10);
  staticTargets: Float64Array = new Float64Array(1 << 10);
  statics = 0;

  addField(nameId: number, type: number): void {
    if (this.fields === this.fieldNames.length) {
      this.fieldNames = grownTo(this.fieldNames, 2 * this.fields, (n) => new Float64Array(n));
      this.fieldTypes = grownTo(this.fieldTypes, 2 * this.fields, (n) => new Uint8Array(n));
    }
    this.fieldNames[this.fields] = nameId;
    this.fieldTypes[this.fields++] = type;
  }

  addStatic(nameId: number, target: number): void {
    if (this.statics === this.staticNames.length) {
      this.staticNames = grownTo(this.staticNames, 2 * this.statics, (n) => new Float64Array(n));
      this.staticTargets = grownTo(this.staticTargets, 2 * this.statics, (n) => new Float64Array(n));
    }
    this.staticNames[this.statics] = nameId;
    this.staticTargets[this.statics++] = target;
  }
}

/** The file's header: format version, id size, timestamp; throws HprofError for anything else. */
function readHeader(source: ByteSource): { idSize: 4 | 8; timestamp: number; bodyOffset: number } {
  if (source.size === 0) throw new HprofError("the file is empty, not a heap dump", 0);
  const head = source.read(0, Math.min(source.size, MAX_HEADER_CHARS + 12));
  const nul = head.indexOf(0);
  const text = new TextDecoder("latin1").decode(head.subarray(0, nul < 0 ? Math.min(head.length, MAX_HEADER_CHARS) : nul));
  // A file cut inside "JAVA PROFILE 1.0.2": the start of a dump, not something else.
  if (nul < 0 && head.length === source.size && head.length < MAX_HEADER_CHARS && (MAGIC_PREFIX.startsWith(text) || text.startsWith(MAGIC_PREFIX))) {
    throw new HprofError("the file ends inside its header", head.length);
  }
  if (!text.startsWith(MAGIC_PREFIX) || nul < 0) {
    throw new HprofError(`not a heap dump (HPROF files start with "${MAGIC_PREFIX}1.0.2")`, 0);
  }
  const version = text.slice(MAGIC_PREFIX.length);
  if (!SUPPORTED_VERSIONS.has(version)) throw new HprofError(`HPROF version "${version}" is not supported (1.0.1 and 1.0.2 are)`, 0);
  if (head.length < nul + 13) throw new HprofError("the file ends inside its header", head.length);
  const p = nul + 1;
  const idSize = u32(head, p);
  if (idSize !== 4 && idSize !== 8) throw new HprofError(`identifier size ${idSize} is not supported (4 or 8 bytes are)`, p);
  const timestamp = idAt(head, p + 4, 8);
  return { idSize, timestamp, bodyOffset: p + 12 };
}

/** Bytes of a value of `type` in the dump; HprofError (at the type's byte, `offset`) for an unknown type. */
function valueBytes(type: number, idSize: number, offset: number): number {
  if (type === TYPE_OBJECT) return idSize;
  const bytes = PRIMITIVE_ELEMENT_BYTES[type] ?? 0;
  if (bytes === 0) throw new HprofError(`unknown basic type ${type}; the file is corrupt`, offset);
  return bytes;
}

function align8(bytes: number): number {
  return bytes <= 0x7ffffff0 ? (bytes + 7) & ~7 : Math.ceil(bytes / 8) * 8;
}

/** Bytes of a root sub-record after its tag, or -1 for a tag that is not a root. */
function rootBodyBytes(code: number, idSize: number): number {
  switch (code) {
    case ROOT_UNKNOWN:
    case ROOT_STICKY_CLASS:
    case ROOT_MONITOR_USED:
      return idSize;
    case ROOT_JNI_GLOBAL:
      return 2 * idSize;
    case ROOT_JNI_LOCAL:
    case ROOT_JAVA_FRAME:
    case ROOT_THREAD_OBJECT:
      return idSize + 8;
    case ROOT_NATIVE_STACK:
    case ROOT_THREAD_BLOCK:
      return idSize + 4;
    default:
      return -1;
  }
}

/**
 * Class slots above the classes' own (16-bit slots while the classes fit below NARROW_MARK_BASE, else 32-bit):
 * a primitive array's is the mark base + its element type until it gets its array class after the pass; an
 * object's whose CLASS DUMP comes later (or never, in a cut dump) is UNRESOLVED_INSTANCE or _ARRAY above it.
 */
const NARROW_MARK_BASE = 0xff00;
const WIDE_MARK_BASE = 0xffffff00;
const UNRESOLVED_INSTANCE = 0xff;
const UNRESOLVED_ARRAY = 0xfe;
/** A resolved reference to an object the dump does not hold. */
const MISSING = 0xffffffff;
/** Thrown (and caught) when a dump has more classes than 16-bit class slots number: read again with 32-bit ones. */
const TOO_MANY_CLASSES = new Error("more classes than 16-bit class slots can number");

/** Parses the whole dump in one sequential pass. Throws HprofError for non-HPROF input and for corruption. */
export function readHeap(source: ByteSource): Heap {
  const header = readHeader(source);
  try {
    return readHeapWith(source, header, false);
  } catch (error) {
    if (error === TOO_MANY_CLASSES) return readHeapWith(source, header, true);
    throw error;
  }
}

function readHeapWith(source: ByteSource, { idSize, timestamp, bodyOffset }: { idSize: 4 | 8; timestamp: number; bodyOffset: number }, wide: boolean): Heap {
  const size = source.size;
  const cursor = new Cursor(source, idSize);
  cursor.seek(bodyOffset);
  const markBase = wide ? WIDE_MARK_BASE : NARROW_MARK_BASE;

  // UTF8 records, decoded at the end for the few names used (a Bazel dump has ~150k, mostly method names):
  // per record its id and file offset, in typed arrays (JavaScript arrays of them grew V8's young generation).
  let utf8Ids: Float64Array = new Float64Array(1 << 12);
  let utf8Offsets: Float64Array = new Float64Array(1 << 12);
  let utf8Count = 0;
  const classNameIds = new Map<number, number>();
  const frames = new Map<number, { methodId: number; sourceId: number; classSerial: number; line: number }>();
  const classSerials = new Map<number, number>();
  const traces = new Map<number, number[]>();
  const rawClasses: RawClass[] = [];
  const pool = new FieldPool();
  const classIndexById = new Map<number, number>();
  const classCache = new ClassIndexCache(classIndexById, idSize);
  // Per instance or array, in file order: class slot, shallow size and first reference at its slot (after the
  // class objects'), id at its number n (compact, else all of them as doubles); references in `edges`. Every
  // object record takes at least 10 + idSize bytes of the file, every reference idSize: the arrays' bounds.
  const body = Math.max(0, size - bodyOffset);
  const makeSlots = (length: number): Uint16Array | Uint32Array => (wide ? new Uint32Array(length) : new Uint16Array(length));
  const makeUint32 = (length: number): Uint32Array => new Uint32Array(length);
  const makeFloat64 = (length: number): Float64Array => new Float64Array(length);
  let firstEdges = allocateUpTo(makeUint32, Math.floor(body / (10 + idSize)) + 2);
  let objectCapacity = firstEdges.length;
  let sizes = makeUint32(objectCapacity);
  let ids = makeUint32(objectCapacity);
  let classSlots = makeSlots(objectCapacity);
  let plainIds: Float64Array | undefined;
  let edges = allocateUpTo(makeUint32, Math.floor(body / idSize) + 1);
  let edgeCapacity = edges.length;
  let plainEdges: Float64Array | undefined;
  // Objects so far (n) and their first free slot (at): the class objects come first, so the pass leaves room
  // for the classes met before the first object (HotSpot writes them all first) and, in `edges`, for their
  // references; classes that come later move the objects along after the pass.
  let n = 0;
  let objectBase = -1;
  let at = 0;
  let classEdgesSoFar = 0;
  let edgeBase = -1;
  let e = 0;
  const checkpoints: number[] = [];
  const lateClass: { position: number; offset: number; array: boolean }[] = [];
  const rootIds: number[] = [];
  const rootCodes: number[] = [];
  const rootSerials: number[] = [];
  const threadObjects: { id: number; serial: number; traceSerial: number }[] = [];
  const segments: { start: number; end: number }[] = [];
  let truncated = false;
  // A dump is complete once HEAP DUMP END closes its segments (or one whole HEAP DUMP record holds the heap).
  let ended = false;
  let recordOffset = 0;
  let length = 0;
  const tooShort = (needed: number, what: string): void => {
    if (length < needed) throw new HprofError(`a ${what} record of ${length} bytes is shorter than its ${needed}-byte fields; the file is corrupt`, recordOffset);
  };

  records: while (cursor.offset < size) {
    recordOffset = cursor.offset;
    if (!cursor.ensure(9)) {
      truncated = true;
      break;
    }
    const tag = cursor.u1();
    if (!KNOWN_TAGS.has(tag)) throw new HprofError(`unknown record tag 0x${hex2(tag)}; the file is corrupt or not HPROF`, recordOffset);
    cursor.skip(4); // time since the header's timestamp
    length = cursor.u4();
    const bodyStart = recordOffset + 9;
    const bodyEnd = bodyStart + length;
    const complete = bodyEnd <= size;
    const isSegment = tag === TAG_HEAP_DUMP || tag === TAG_HEAP_DUMP_SEGMENT;
    if (!isSegment && (!complete || !cursor.ensure(length))) {
      truncated = true;
      break;
    }
    switch (tag) {
      case TAG_UTF8:
        tooShort(idSize, "UTF8");
        if (utf8Count === utf8Ids.length) {
          utf8Ids = grownTo(utf8Ids, 2 * utf8Count, makeFloat64);
          utf8Offsets = grownTo(utf8Offsets, 2 * utf8Count, makeFloat64);
        }
        utf8Ids[utf8Count] = idAt(cursor.buf, cursor.pos, idSize);
        utf8Offsets[utf8Count++] = recordOffset;
        break;
      case TAG_LOAD_CLASS: {
        tooShort(8 + 2 * idSize, "LOAD CLASS");
        const serial = cursor.u4();
        const classId = cursor.id();
        cursor.skip(4);
        classNameIds.set(classId, cursor.id());
        classSerials.set(serial, classId);
        break;
      }
      case TAG_STACK_FRAME: {
        tooShort(4 * idSize + 8, "STACK FRAME");
        const frameId = cursor.id();
        const methodId = cursor.id();
        cursor.skip(idSize); // signature
        const sourceId = cursor.id();
        const classSerial = cursor.u4();
        const line = cursor.u4() | 0;
        frames.set(frameId, { methodId, sourceId, classSerial, line });
        break;
      }
      case TAG_STACK_TRACE: {
        tooShort(12, "STACK TRACE");
        const serial = cursor.u4();
        cursor.skip(4); // thread serial
        const count = cursor.u4();
        if (12 + count * idSize !== length) {
          throw new HprofError(`a STACK TRACE record's length ${length} does not fit its ${count} frames; the file is corrupt`, recordOffset);
        }
        const frameIds: number[] = [];
        for (let i = 0; i < count; i++) frameIds.push(cursor.id());
        traces.set(serial, frameIds);
        break;
      }
      case TAG_HEAP_DUMP:
      case TAG_HEAP_DUMP_SEGMENT: {
        const end = Math.min(bodyEnd, size);
        segments.push({ start: bodyStart, end });
        // Sub-records, each dispatched by its tag: objects (the bulk), classes and roots. cutAt: the first one
        // the segment's end (or the file's) cuts.
        let cutAt = -1;
        while (cursor.offset < end) {
          const offset = cursor.offset;
          cursor.ensure(Math.min(1 + SUB_RECORD_HEAD_BYTES, end - offset));
          const code = cursor.u1();
          if (objectBase < 0 && (code === INSTANCE_DUMP || code === OBJECT_ARRAY_DUMP || code === PRIMITIVE_ARRAY_DUMP)) {
            objectBase = at = rawClasses.length;
            edgeBase = e = classEdgesSoFar;
          }
          if (at >= objectCapacity && (code === INSTANCE_DUMP || code === OBJECT_ARRAY_DUMP || code === PRIMITIVE_ARRAY_DUMP)) {
            objectCapacity = Math.max(2 * objectCapacity, at + 1);
            classSlots = grownTo(classSlots, objectCapacity, makeSlots);
            sizes = grownTo(sizes, objectCapacity, makeUint32);
            firstEdges = grownTo(firstEdges, objectCapacity, makeUint32);
            ids = grownTo(ids, objectCapacity, makeUint32);
            if (plainIds !== undefined) plainIds = grownTo(plainIds, objectCapacity, makeFloat64);
          }
          if (code === INSTANCE_DUMP) {
            const head = 2 * idSize + 8;
            const dataStart = offset + 1 + head;
            if (dataStart > end) {
              cutAt = offset;
              break;
            }
            const b = cursor.buf;
            const p = cursor.pos;
            const bytes = u32(b, p + head - 4);
            if (dataStart + bytes > end) {
              cutAt = offset;
              break;
            }
            if ((n & CHECKPOINT_MASK) === 0) checkpoints.push(offset);
            const idLow = (b[p + idSize - 4]! << 24) | (b[p + idSize - 3]! << 16) | (b[p + idSize - 2]! << 8) | b[p + idSize - 1]!;
            const idHigh = idSize === 4 ? 0 : (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
            if (plainIds === undefined && (idLow & 7) === 0 && idHigh >= 0 && idHigh < 8) ids[n] = idHigh * 0x20000000 + (idLow >>> 3);
            else plainIds = storePlainId(ids, plainIds, n, idHigh, idLow, objectCapacity);
            let classIndex = classCache.at(b, p + idSize + 4);
            cursor.skip(head);
            // A super class that came after its subclass leaves the layout to finish once it is there.
            if (classIndex >= 0 && rawClasses[classIndex]!.layoutIncomplete) {
              if (rawClasses[classIndex]!.layoutClasses < rawClasses.length) completeLayout(rawClasses[classIndex]!, rawClasses, classIndexById, pool, idSize);
              if (rawClasses[classIndex]!.layoutIncomplete) classIndex = -1;
            }
            firstEdges[at] = e;
            if (classIndex < 0) {
              classSlots[at] = markBase + UNRESOLVED_INSTANCE;
              sizes[at] = 0;
              lateClass.push({ position: n, offset, array: false });
            } else {
              const heapClass = rawClasses[classIndex]!;
              classSlots[at] = classIndex;
              sizes[at] = heapClass.heapBytes;
              const references = heapClass.referenceOffsets;
              if (references.length > 0) {
                if (e + references.length > edgeCapacity) {
                  edgeCapacity = Math.max(2 * edgeCapacity, e + references.length);
                  edges = grownTo(edges, edgeCapacity, makeUint32);
                  if (plainEdges !== undefined) plainEdges = grownTo(plainEdges, edgeCapacity, makeFloat64);
                }
                cursor.ensure(bytes);
                const data = cursor.buf;
                const base = cursor.pos;
                for (let k = 0; k < references.length; k++) {
                  const at = references[k]!;
                  if (at + idSize > bytes) break;
                  const q = base + at;
                  const r = q + idSize - 4;
                  const low = (data[r]! << 24) | (data[r + 1]! << 16) | (data[r + 2]! << 8) | data[r + 3]!;
                  const high = idSize === 4 ? 0 : (data[q]! << 24) | (data[q + 1]! << 16) | (data[q + 2]! << 8) | data[q + 3]!;
                  if (low === 0 && high === 0) continue;
                  if (plainEdges === undefined && (low & 7) === 0 && high >= 0 && high < 8) edges[e++] = high * 0x20000000 + (low >>> 3);
                  else (plainEdges ??= toPlainIds(edges, e, edgeCapacity))[e++] = (high >>> 0) * TWO_32 + (low >>> 0);
                }
              }
            }
            n++;
            at++;
            cursor.seek(dataStart + bytes);
          } else if (code === OBJECT_ARRAY_DUMP) {
            const head = 2 * idSize + 8;
            const dataStart = offset + 1 + head;
            if (dataStart > end) {
              cutAt = offset;
              break;
            }
            const b = cursor.buf;
            const p = cursor.pos;
            const elements = u32(b, p + idSize + 4);
            if (dataStart + elements * idSize > end) {
              cutAt = offset;
              break;
            }
            if ((n & CHECKPOINT_MASK) === 0) checkpoints.push(offset);
            const idLow = (b[p + idSize - 4]! << 24) | (b[p + idSize - 3]! << 16) | (b[p + idSize - 2]! << 8) | b[p + idSize - 1]!;
            const idHigh = idSize === 4 ? 0 : (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
            if (plainIds === undefined && (idLow & 7) === 0 && idHigh >= 0 && idHigh < 8) ids[n] = idHigh * 0x20000000 + (idLow >>> 3);
            else plainIds = storePlainId(ids, plainIds, n, idHigh, idLow, objectCapacity);
            const classIndex = classCache.at(b, p + idSize + 8);
            if (classIndex < 0) lateClass.push({ position: n, offset, array: true });
            classSlots[at] = classIndex < 0 ? markBase + UNRESOLVED_ARRAY : classIndex;
            sizes[at] = Math.min(align8(ARRAY_HEADER_BYTES + elements * 4), 0xffffffff);
            firstEdges[at] = e;
            n++;
            at++;
            cursor.skip(head);
            if (e + elements > edgeCapacity) {
              edgeCapacity = Math.max(2 * edgeCapacity, e + elements);
              edges = grownTo(edges, edgeCapacity, makeUint32);
              if (plainEdges !== undefined) plainEdges = grownTo(plainEdges, edgeCapacity, makeFloat64);
            }
            for (let remaining = elements; remaining > 0; ) {
              const batch = Math.min(remaining, 1 << 16);
              cursor.ensure(batch * idSize);
              const data = cursor.buf;
              let q = cursor.pos;
              for (let k = 0; k < batch; k++, q += idSize) {
                const r = q + idSize - 4;
                const low = (data[r]! << 24) | (data[r + 1]! << 16) | (data[r + 2]! << 8) | data[r + 3]!;
                const high = idSize === 4 ? 0 : (data[q]! << 24) | (data[q + 1]! << 16) | (data[q + 2]! << 8) | data[q + 3]!;
                if (low === 0 && high === 0) continue;
                if (plainEdges === undefined && (low & 7) === 0 && high >= 0 && high < 8) edges[e++] = high * 0x20000000 + (low >>> 3);
                else (plainEdges ??= toPlainIds(edges, e, edgeCapacity))[e++] = (high >>> 0) * TWO_32 + (low >>> 0);
              }
              cursor.pos = q;
              remaining -= batch;
            }
          } else if (code === PRIMITIVE_ARRAY_DUMP) {
            const head = idSize + 9;
            if (offset + 1 + head > end) {
              cutAt = offset;
              break;
            }
            const b = cursor.buf;
            const p = cursor.pos;
            const elements = u32(b, p + idSize + 4);
            const type = b[p + idSize + 8]!;
            const elementBytes = PRIMITIVE_ELEMENT_BYTES[type] ?? 0;
            if (elementBytes === 0) throw new HprofError(`a primitive array has the unknown element type ${type}; the file is corrupt`, offset + 1 + idSize + 8);
            const dataEnd = offset + 1 + head + elements * elementBytes;
            if (dataEnd > end) {
              cutAt = offset;
              break;
            }
            if ((n & CHECKPOINT_MASK) === 0) checkpoints.push(offset);
            const idLow = (b[p + idSize - 4]! << 24) | (b[p + idSize - 3]! << 16) | (b[p + idSize - 2]! << 8) | b[p + idSize - 1]!;
            const idHigh = idSize === 4 ? 0 : (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
            if (plainIds === undefined && (idLow & 7) === 0 && idHigh >= 0 && idHigh < 8) ids[n] = idHigh * 0x20000000 + (idLow >>> 3);
            else plainIds = storePlainId(ids, plainIds, n, idHigh, idLow, objectCapacity);
            classSlots[at] = markBase + type;
            sizes[at] = Math.min(align8(ARRAY_HEADER_BYTES + elements * elementBytes), 0xffffffff);
            firstEdges[at] = e;
            n++;
            at++;
            cursor.seek(dataEnd);
          } else if (code === CLASS_DUMP) {
            const raw = readClassDump(cursor, end, idSize, offset, pool);
            if (raw === undefined) {
              cutAt = offset;
              break;
            }
            if (rawClasses.length === markBase) throw TOO_MANY_CLASSES;
            classIndexById.set(raw.id, rawClasses.length);
            rawClasses.push(raw);
            classEdgesSoFar += classReferences(raw, pool);
            completeLayout(raw, rawClasses, classIndexById, pool, idSize);
          } else {
            const rootBytes = rootBodyBytes(code, idSize);
            if (rootBytes < 0) throw new HprofError(`unknown heap dump record 0x${hex2(code)}; the file is corrupt`, offset);
            if (offset + 1 + rootBytes > end) {
              cutAt = offset;
              break;
            }
            const id = cursor.id();
            let serial = 0;
            if (code === ROOT_THREAD_OBJECT) {
              serial = cursor.u4();
              threadObjects.push({ id, serial, traceSerial: cursor.u4() });
            } else if (code === ROOT_JAVA_FRAME || code === ROOT_JNI_LOCAL || code === ROOT_THREAD_BLOCK) {
              serial = cursor.u4();
              cursor.skip(rootBytes - idSize - 4);
            } else {
              cursor.skip(rootBytes - idSize);
            }
            rootIds.push(id);
            rootCodes.push(code);
            rootSerials.push(serial);
          }
        }
        if (cutAt >= 0 && complete) throw new HprofError("a heap dump record runs past the end of its segment; the file is corrupt", cutAt);
        if (!complete) {
          truncated = true;
          break records;
        }
        if (tag === TAG_HEAP_DUMP) ended = true;
        break;
      }
      case TAG_HEAP_DUMP_END:
        ended = true;
        break;
      default:
        // Other records (START THREAD, CPU samples, control settings…) carry nothing the digest uses.
        break;
    }
    cursor.seek(bodyEnd);
  }
  if (!ended) truncated = true;
  // A class whose super class came later got its layout without the inherited fields: complete it now.
  for (const raw of rawClasses) if (raw.layoutIncomplete) completeLayout(raw, rawClasses, classIndexById, pool, idSize, true);

  // ---- names: only those of classes, fields and frames are decoded ----------------------------------------
  const wanted = new Set<number>(classNameIds.values());
  for (const raw of rawClasses) {
    for (let f = raw.fieldStart; f < raw.fieldEnd; f++) wanted.add(pool.fieldNames[f]!);
    for (let f = raw.staticStart; f < raw.staticEnd; f++) wanted.add(pool.staticNames[f]!);
  }
  for (const frame of frames.values()) {
    wanted.add(frame.methodId);
    wanted.add(frame.sourceId);
  }
  const names = new Map<number, string>();
  const utf8 = new TextDecoder("utf-8");
  const nameCursor = new Cursor(source, idSize, 1 << 20);
  // A sorted array and binary search: a Set of ~150k doubles (hashed as heap numbers) measured 5× slower.
  const wantedSorted = Float64Array.from(wanted).sort();
  const isWanted = (id: number): boolean => {
    let low = 0;
    let high = wantedSorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (wantedSorted[middle]! < id) low = middle + 1;
      else high = middle;
    }
    return low < wantedSorted.length && wantedSorted[low] === id;
  };
  for (let i = 0; i < utf8Count; i++) {
    if (!isWanted(utf8Ids[i]!)) continue;
    // The record again: its length, then the text after the id.
    nameCursor.seek(utf8Offsets[i]! + 5);
    if (!nameCursor.ensure(4)) continue;
    const textBytes = nameCursor.u4() - idSize;
    nameCursor.skip(idSize);
    if (nameCursor.ensure(textBytes)) names.set(utf8Ids[i]!, utf8.decode(nameCursor.buf.subarray(nameCursor.pos, nameCursor.pos + textBytes)));
  }
  const nameOf = (id: number): string => names.get(id) ?? `<name 0x${id.toString(16)}>`;

  // ---- classes ------------------------------------------------------------------------------------------
  const classCount = rawClasses.length;
  const classes: DumpClass[] = [];
  for (const raw of rawClasses) {
    const name = javaName(classNameIds.has(raw.id) ? nameOf(classNameIds.get(raw.id)!) : `<class 0x${raw.id.toString(16)}>`);
    const objectKind = !name.endsWith("[]") ? KIND_INSTANCE : PRIMITIVE_ARRAY_NAMES.has(name) ? KIND_PRIMITIVE_ARRAY : KIND_OBJECT_ARRAY;
    classes.push(new DumpClass(classes.length, name, classIndexById.get(raw.superId) ?? -1, objectKind, raw, classes, pool, nameOf, idSize));
  }
  const classByName = new Map<string, HeapClass>();
  for (const heapClass of classes) if (!classByName.has(heapClass.name)) classByName.set(heapClass.name, heapClass);
  const classClass = classByName.get("java.lang.Class");

  // ---- objects whose class came after them (never in HotSpot's dumps) ----------------------------------------
  const objectCount = classCount + n;

  // ---- per-object arrays: the objects behind the class objects --------------------------------------------
  if (objectBase < 0) objectBase = at = classCount;
  if (objectCount + 1 > objectCapacity) {
    // Only when the first allocation fell short, or classes came after objects.
    objectCapacity = objectCount + 1;
    classSlots = grownTo(classSlots, objectCapacity, makeSlots);
    sizes = grownTo(sizes, objectCapacity, makeUint32);
    firstEdges = grownTo(firstEdges, objectCapacity, makeUint32);
  }
  if (objectBase !== classCount) {
    // Classes after the first object (never in HotSpot's dumps): the objects make room for them.
    classSlots.copyWithin(classCount, objectBase, at);
    sizes.copyWithin(classCount, objectBase, at);
    firstEdges.copyWithin(classCount, objectBase, at);
  }
  // The classes' references (loader, statics) come first in the CSR arrays, then the objects'.
  const classEdges = classEdgesSoFar;
  if (edgeBase < 0) edgeBase = e = classEdges;
  if (edgeBase !== classEdges) {
    const move = classEdges - edgeBase;
    if (e + move > edgeCapacity) {
      edgeCapacity = e + move;
      edges = grownTo(edges, edgeCapacity, makeUint32);
      if (plainEdges !== undefined) plainEdges = grownTo(plainEdges, edgeCapacity, makeFloat64);
    }
    edges.copyWithin(classEdges, edgeBase, e);
    plainEdges?.copyWithin(classEdges, edgeBase, e);
    for (let i = classCount; i < objectCount; i++) firstEdges[i] = firstEdges[i]! + move;
    e += move;
  }
  const edgeStart = firstEdges.subarray(0, objectCount + 1);
  edgeStart[objectCount] = e;

  // ---- objects whose class came after them (never in HotSpot's dumps) ----------------------------------------
  const lateTargets = new Map<number, number[]>();
  for (const late of lateClass) {
    const classIndex = classIndexById.get(idOfRecord(source, late.offset, idSize, late.array ? 1 + idSize + 8 : 1 + idSize + 4));
    if (classIndex === undefined) {
      if (truncated) continue;
      throw new HprofError("an object names a class that the dump never describes; the file is corrupt", late.offset);
    }
    classSlots[classCount + late.position] = classIndex;
    if (late.array) continue;
    sizes[classCount + late.position] = classes[classIndex]!.heapInstanceBytes;
    const found = referencesOfRecord(source, late.offset, idSize, classes[classIndex]!.referenceOffsets);
    if (found.length > 0) lateTargets.set(late.position, found);
  }
  // Primitive arrays get their array class; a class that never came (a cut dump) counts as java.lang.Object
  // (arrays: java.lang.Object[]).
  const objectClassIndex = classByName.get("java.lang.Object")?.index ?? 0;
  const markedClass = new Uint32Array(256).fill(objectClassIndex);
  for (const [type, name] of Object.entries(PRIMITIVE_ARRAY_CLASS)) markedClass[Number(type)] = classByName.get(javaName(name))?.index ?? objectClassIndex;
  markedClass[UNRESOLVED_ARRAY] = classByName.get("java.lang.Object[]")?.index ?? objectClassIndex;
  const classOf = classSlots.subarray(0, objectCount);
  const shallowBytes = sizes.subarray(0, objectCount);
  const counts = new Uint32Array(classCount);
  for (let i = classCount; i < objectCount; i++) {
    let classIndex = classOf[i]!;
    if (classIndex >= markBase) classOf[i] = classIndex = markedClass[classIndex - markBase]!;
    counts[classIndex] += 1;
  }
  counts.forEach((count, index) => (classes[index]!.count = count));
  for (let c = 0; c < classCount; c++) {
    classOf[c] = classClass?.index ?? c;
    // The class object itself (its statics live in it since JDK 8): a java.lang.Class instance.
    shallowBytes[c] = classClass?.heapInstanceBytes ?? 96;
  }
  const lookup = new IdLookup(plainIds === undefined ? { compact: true, values: ids.subarray(0, n) } : { compact: false, values: plainIds.subarray(0, n) }, classIndexById, classCount);
  ids = new Uint32Array(0); // the lookup has what it needs: let the ids go
  plainIds = undefined;

  // ---- references as object indices (CSR), in place: each id replaced by its object's index, and those of
  // objects the dump does not hold (cut off, or never written) dropped as it goes -----------------------------
  let edgeTargets: Uint32Array;
  let keptStart: Uint32Array = edgeStart;
  if (lateTargets.size === 0) {
    let out = 0;
    for (let c = 0; c < classCount; c++) {
      edgeStart[c] = out;
      const raw = rawClasses[c]!;
      for (let f = raw.staticStart - 1; f < raw.staticEnd; f++) {
        // The loader first (f = staticStart - 1), then the statics.
        const id = f < raw.staticStart ? raw.loaderId : pool.staticTargets[f]!;
        const target = id === 0 ? -1 : lookup.indexOf(id);
        if (target >= 0) edges[out++] = target;
      }
    }
    let from = classEdges;
    for (let i = classCount; i < objectCount; i++) {
      const to = edgeStart[i + 1]!;
      edgeStart[i] = out;
      if (plainEdges === undefined) {
        for (let k = from; k < to; k++) {
          const target = lookup.indexOfCompact(edges[k]!);
          if (target >= 0) edges[out++] = target;
        }
      } else {
        for (let k = from; k < to; k++) {
          const target = lookup.indexOf(plainEdges[k]!);
          if (target >= 0) edges[out++] = target;
        }
      }
      from = to;
    }
    edgeStart[objectCount] = out;
    edgeTargets = edges.subarray(0, out);
  } else {
    // Objects whose class came late get their references after their others: new arrays (a rare path).
    edgeTargets = edges.subarray(0, e);
    let k = 0;
    for (let c = 0; c < classCount; c++) {
      edgeStart[c] = k;
      const raw = rawClasses[c]!;
      if (raw.loaderId !== 0) edgeTargets[k++] = lookup.indexOf(raw.loaderId); // -1: MISSING, dropped below
      for (let f = raw.staticStart; f < raw.staticEnd; f++) if (pool.staticTargets[f] !== 0) edgeTargets[k++] = lookup.indexOf(pool.staticTargets[f]!);
    }
    for (let j = classEdges; j < e; j++) edgeTargets[j] = plainEdges === undefined ? lookup.indexOfCompact(edges[j]!) : lookup.indexOf(plainEdges[j]!);
    let starts: Uint32Array;
    ({ start: starts, targets: edgeTargets } = withLateTargets(edgeStart, edgeTargets, lateTargets, classCount, lookup));
    ({ start: keptStart, targets: edgeTargets } = dropMissing(starts, edgeTargets));
  }
  // Only the Heap's views keep the arrays from here (the closures below share this function's scope).
  plainEdges = undefined;
  edges = new Uint32Array(0);
  const keptTargets = edgeTargets;

  // ---- roots and threads --------------------------------------------------------------------------------
  const listed: number[] = [];
  const rootKinds: RootKind[] = [];
  const listedSerials: number[] = [];
  for (let r = 0; r < rootIds.length; r++) {
    const index = lookup.indexOf(rootIds[r]!);
    if (index < 0) continue;
    listed.push(index);
    rootKinds.push(ROOT_KINDS[rootCodes[r]!]!);
    listedSerials.push(rootSerials[r]!);
  }
  let roots = Uint32Array.from(listed);
  let rootThreadSerials = Uint32Array.from(listedSerials);
  const rootsInferred = roots.length === 0 && objectCount > 0;
  if (rootsInferred) {
    // Cut before its roots: what nothing references is taken as a root (every class, and orphans of the cut).
    const referenced = new Uint8Array(objectCount);
    for (let e = 0; e < keptTargets.length; e++) referenced[keptTargets[e]!] = 1;
    let count = 0;
    for (let i = 0; i < objectCount; i++) if (i < classCount || referenced[i] === 0) count++;
    roots = new Uint32Array(count);
    count = 0;
    for (let i = 0; i < objectCount; i++) if (i < classCount || referenced[i] === 0) roots[count++] = i;
    rootThreadSerials = new Uint32Array(count);
    for (let r = 0; r < count; r++) rootKinds.push("unknown");
  }
  const threads: ThreadInfo[] = threadObjects.map((thread) => ({
    object: lookup.indexOf(thread.id),
    serial: thread.serial,
    frames: (traces.get(thread.traceSerial) ?? []).map((frameId) => {
      const frame = frames.get(frameId);
      if (frame === undefined) return { method: "?", className: "?", sourceFile: "", line: 0 };
      const classId = classSerials.get(frame.classSerial);
      const className = classId === undefined ? "?" : javaName(nameOf(classNameIds.get(classId) ?? -1));
      return { method: nameOf(frame.methodId), className, sourceFile: names.get(frame.sourceId) ?? "", line: frame.line };
    }),
  }));

  const kindOfClass = Uint8Array.from(classes, (heapClass) => heapClass.objectKind);
  const rawIds = Float64Array.from(rawClasses, (raw) => raw.id);
  const classOffsets = Float64Array.from(rawClasses, (raw) => raw.fileOffset);
  const objectOffsets = new ObjectOffsets(source, idSize, segments, Float64Array.from(checkpoints));
  return {
    idSize,
    timestamp,
    fileBytes: size,
    truncated,
    rootsInferred,
    objectCount,
    classCount,
    classes,
    classOf,
    shallowBytes,
    edgeStart: keptStart,
    edgeTargets: keptTargets,
    releaseEdges() {
      const starts = this.edgeStart;
      const targets = this.edgeTargets;
      // Zeros the OS maps lazily: no memory until written.
      this.edgeStart = new Uint32Array(objectCount + 1);
      this.edgeTargets = new Uint32Array(0);
      return new ScratchPool([
        { words: new Uint32Array(starts.buffer), touched: starts.byteOffset / 4 + starts.length },
        { words: new Uint32Array(targets.buffer), touched: targets.byteOffset / 4 + targets.length },
      ]);
    },
    roots,
    rootKinds,
    rootThreadSerials,
    threads,
    classByName,
    kindOf: (index) => (index < classCount ? KIND_CLASS : kindOfClass[classOf[index]!]!),
    indexOf: (id) => lookup.indexOf(id),
    idOf: (index) => {
      if (!(index >= 0 && index < objectCount)) throw new RangeError(`no object ${index} (the dump has ${objectCount})`);
      return index < classCount ? rawIds[index]! : lookup.idAt(index - classCount);
    },
    offsetOf: (index) => {
      if (!(index >= 0 && index < objectCount)) throw new RangeError(`no object ${index} (the dump has ${objectCount})`);
      return index < classCount ? classOffsets[index]! : objectOffsets.of(index - classCount);
    },
  };
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

/** Removes edges whose target is MISSING (-1 as a Uint32), compacting in place (no copy: a view of the kept part). */
function dropMissing(start: Uint32Array, targets: Uint32Array): { start: Uint32Array; targets: Uint32Array } {
  let out = 0;
  const nodes = start.length - 1;
  let from = start[0]!;
  for (let i = 0; i < nodes; i++) {
    const to = start[i + 1]!;
    start[i] = out;
    for (let e = from; e < to; e++) {
      const target = targets[e]!;
      if (target !== MISSING) targets[out++] = target;
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

/**
 * A class's instance layout: its own fields, then its super class's, and so on (the order of field data in
 * an INSTANCE DUMP): the sizes and reference offsets the pass needs (the fields themselves are listed only
 * when asked, DumpClass.allFields). HotSpot writes a super class before its subclasses; when one comes later
 * anyway, the layout is marked incomplete and finished after the pass.
 */
function completeLayout(raw: RawClass, rawClasses: readonly RawClass[], classIndexById: ReadonlyMap<number, number>, pool: FieldPool, idSize: number, final = false): void {
  const references: number[] = [];
  let dumpBytes = 0;
  let heapBytes = OBJECT_HEADER_BYTES;
  let incomplete = false;
  // At most one step per class: a corrupt dump's super classes could loop.
  let current: RawClass | undefined = raw;
  for (let steps = 0; current !== undefined && steps <= rawClasses.length; steps++) {
    for (let f = current.fieldStart; f < current.fieldEnd; f++) {
      const type = pool.fieldTypes[f]!;
      if (type === TYPE_OBJECT) references.push(dumpBytes);
      dumpBytes += type === TYPE_OBJECT ? idSize : PRIMITIVE_ELEMENT_BYTES[type]!;
      heapBytes += HEAP_VALUE_BYTES[type]!;
    }
    if (current.superId === 0) break;
    const superIndex = classIndexById.get(current.superId);
    if (superIndex === undefined) {
      incomplete = !final;
      break;
    }
    current = rawClasses[superIndex];
  }
  raw.dumpBytes = dumpBytes;
  raw.heapBytes = align8(heapBytes);
  raw.referenceOffsets = Int32Array.from(references);
  raw.layoutIncomplete = incomplete;
  raw.layoutClasses = rawClasses.length;
}

/** How many references a class object has: its loader and its static references that are not null. */
function classReferences(raw: RawClass, pool: FieldPool): number {
  let count = raw.loaderId !== 0 ? 1 : 0;
  for (let f = raw.staticStart; f < raw.staticEnd; f++) if (pool.staticTargets[f] !== 0) count++;
  return count;
}

/**
 * A class of the dump. Its field lists are built on first use: the digest looks at a few hundred of a Bazel
 * heap's ~10k classes, and listing them all (~200k small objects) grew V8's young generation by 16 MB.
 */
class DumpClass implements HeapClass {
  count = 0;
  private ownFields: readonly FieldLayout[] | undefined;
  private layout: readonly (FieldLayout & { readonly offset: number })[] | undefined;
  private statics: readonly { readonly name: string; readonly id: number }[] | undefined;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly superClass: number,
    readonly objectKind: number,
    private readonly raw: RawClass,
    private readonly classes: readonly DumpClass[],
    private readonly pool: FieldPool,
    private readonly nameOf: (id: number) => string,
    private readonly idSize: number,
  ) {}

  get id(): number {
    return this.raw.id;
  }

  get dumpInstanceBytes(): number {
    return this.raw.dumpBytes;
  }

  get heapInstanceBytes(): number {
    return this.raw.heapBytes;
  }

  get referenceOffsets(): Int32Array {
    return this.raw.referenceOffsets;
  }

  get fields(): readonly FieldLayout[] {
    if (this.ownFields === undefined) {
      const fields: FieldLayout[] = [];
      for (let f = this.raw.fieldStart; f < this.raw.fieldEnd; f++) fields.push({ name: this.nameOf(this.pool.fieldNames[f]!), type: this.pool.fieldTypes[f]! });
      this.ownFields = fields;
    }
    return this.ownFields;
  }

  get allFields(): readonly (FieldLayout & { readonly offset: number })[] {
    if (this.layout === undefined) {
      const layout: (FieldLayout & { offset: number })[] = [];
      let offset = 0;
      let current: DumpClass | undefined = this;
      for (let steps = 0; current !== undefined && steps <= this.classes.length; steps++) {
        for (const field of current.fields) {
          layout.push({ name: field.name, type: field.type, offset });
          offset += field.type === TYPE_OBJECT ? this.idSize : PRIMITIVE_ELEMENT_BYTES[field.type]!;
        }
        current = this.classes[current.superClass];
      }
      this.layout = layout;
    }
    return this.layout;
  }

  get staticReferences(): readonly { readonly name: string; readonly id: number }[] {
    if (this.statics === undefined) {
      const statics: { name: string; id: number }[] = [];
      for (let f = this.raw.staticStart; f < this.raw.staticEnd; f++) statics.push({ name: this.nameOf(this.pool.staticNames[f]!), id: this.pool.staticTargets[f]! });
      this.statics = statics;
    }
    return this.statics;
  }
}

const PRIMITIVE_NAMES: Readonly<Record<string, string>> = { Z: "boolean", C: "char", F: "float", D: "double", B: "byte", S: "short", I: "int", J: "long" };

const PRIMITIVE_ARRAY_NAMES = new Set(Object.values(PRIMITIVE_ARRAY_CLASS).map(javaName));

function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

/** "java/lang/String" → "java.lang.String"; "[B" → "byte[]"; "[Ljava/lang/Object;" → "java.lang.Object[]". */
export function javaName(internal: string): string {
  let dims = 0;
  while (internal[dims] === "[") dims++;
  if (dims === 0) return internal.replaceAll("/", ".");
  const element = internal.slice(dims);
  const base = element.startsWith("L") && element.endsWith(";") ? element.slice(1, -1).replaceAll("/", ".") : (PRIMITIVE_NAMES[element] ?? element);
  return base + "[]".repeat(dims);
}

/**
 * A CLASS DUMP sub-record (after its tag), its fields and statics added to `pool`; undefined when the data ends
 * inside it. Without a pool, only skipped.
 */
function readClassDump(cursor: Cursor, end: number, idSize: number, recordOffset: number, pool: FieldPool | undefined): RawClass | undefined {
  // Fixed part: class, stack serial, super, loader, signers, protection domain, 2 reserved, instance size.
  if (!cursor.ensure(7 * idSize + 10)) return undefined;
  const id = cursor.id();
  cursor.skip(4);
  const superId = cursor.id();
  const loaderId = cursor.id();
  cursor.skip(4 * idSize + 4);
  const constants = cursor.u2();
  for (let i = 0; i < constants; i++) {
    if (!cursor.ensure(3)) return undefined;
    cursor.skip(2);
    const bytes = valueBytes(cursor.u1(), idSize, cursor.offset - 1);
    if (!cursor.ensure(bytes + 2)) return undefined;
    cursor.skip(bytes);
  }
  if (!cursor.ensure(2)) return undefined;
  const staticCount = cursor.u2();
  const staticStart = pool?.statics ?? 0;
  for (let i = 0; i < staticCount; i++) {
    if (!cursor.ensure(idSize + 1)) return undefined;
    const nameId = cursor.id();
    const type = cursor.u1();
    const bytes = valueBytes(type, idSize, cursor.offset - 1);
    if (!cursor.ensure(bytes + 2)) return undefined;
    if (type === TYPE_OBJECT && pool !== undefined) pool.addStatic(nameId, cursor.id());
    else cursor.skip(bytes);
  }
  if (!cursor.ensure(2)) return undefined;
  const fieldCount = cursor.u2();
  if (!cursor.ensure(fieldCount * (idSize + 1))) return undefined;
  const fieldStart = pool?.fields ?? 0;
  for (let i = 0; i < fieldCount; i++) {
    const nameId = cursor.id();
    const type = cursor.u1();
    valueBytes(type, idSize, cursor.offset - 1);
    pool?.addField(nameId, type);
  }
  if (cursor.offset > end || pool === undefined) return undefined;
  return {
    id,
    superId,
    loaderId,
    fileOffset: recordOffset,
    fieldStart,
    fieldEnd: pool.fields,
    staticStart,
    staticEnd: pool.statics,
    dumpBytes: 0,
    heapBytes: 0,
    referenceOffsets: new Int32Array(0),
    layoutIncomplete: true,
    layoutClasses: 0,
  };
}

/** Skips one sub-record whose tag was just read. */
function skipSubRecord(cursor: Cursor, code: number, idSize: number, end: number): void {
  if (code === INSTANCE_DUMP) {
    cursor.ensure(2 * idSize + 8);
    cursor.skip(2 * idSize + 4);
    const bytes = cursor.u4();
    cursor.seek(cursor.offset + bytes);
  } else if (code === OBJECT_ARRAY_DUMP) {
    cursor.ensure(2 * idSize + 8);
    cursor.skip(idSize + 4);
    const length = cursor.u4();
    cursor.seek(cursor.offset + idSize + length * idSize);
  } else if (code === PRIMITIVE_ARRAY_DUMP) {
    cursor.ensure(idSize + 9);
    cursor.skip(idSize + 4);
    const length = cursor.u4();
    cursor.seek(cursor.offset + 1 + length * (PRIMITIVE_ELEMENT_BYTES[cursor.buf[cursor.pos]!] ?? 0));
  } else if (code === CLASS_DUMP) {
    readClassDump(cursor, end, idSize, cursor.offset, undefined);
  } else {
    cursor.seek(cursor.offset + Math.max(0, rootBodyBytes(code, idSize)));
  }
}

/**
 * File offsets of instances and arrays: every 64th kept (8 bytes per 64 objects), the rest found by walking
 * sub-records forward from there, with a cursor and small window of its own (the source's buffer may have been
 * reused since any earlier read). The pass checked every record on the way, so the walk needs no checks.
 */
class ObjectOffsets {
  private readonly segmentStarts: Float64Array;

  constructor(
    private readonly source: ByteSource,
    private readonly idSize: number,
    private readonly segments: readonly { readonly start: number; readonly end: number }[],
    private readonly checkpoints: Float64Array,
  ) {
    this.segmentStarts = Float64Array.from(segments, (segment) => segment.start);
  }

  /** The offset of the n-th instance or array. */
  of(n: number): number {
    const checkpoint = this.checkpoints[n >>> CHECKPOINT_SHIFT]!;
    let remaining = n & CHECKPOINT_MASK;
    if (remaining === 0) return checkpoint;
    // The segment holding the checkpoint: the last one starting at or before it.
    let low = 0;
    let high = this.segmentStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segmentStarts[middle]! <= checkpoint) low = middle;
      else high = middle - 1;
    }
    let segment = low;
    const cursor = new Cursor(this.source, this.idSize, OFFSET_WALK_WINDOW);
    cursor.seek(checkpoint);
    while (true) {
      if (cursor.offset >= this.segments[segment]!.end) {
        segment++;
        cursor.seek(this.segments[segment]!.start);
        continue;
      }
      const offset = cursor.offset;
      cursor.ensure(1);
      const code = cursor.u1();
      if (code === INSTANCE_DUMP || code === OBJECT_ARRAY_DUMP || code === PRIMITIVE_ARRAY_DUMP) {
        if (remaining === 0) return offset;
        remaining--;
      }
      skipSubRecord(cursor, code, this.idSize, this.segments[segment]!.end);
    }
  }
}

/**
 * id → object index. Instance and array ids are sorted (a sorted copy is made when the dump was not). The id
 * range is cut into buckets 2^shift ids wide, about 4 to 8 objects each: a table of each bucket's first position
 * narrows a search to a handful of entries, and each compact id is kept as its offset within its bucket
 * (1 byte each in a Bazel heap instead of 4: 28 MB less in a 640 MB dump). Class ids, few, are in a Map.
 */
class IdLookup {
  private readonly compact: boolean;
  /** Compact ids: each one's offset within its bucket. */
  private readonly residues: Uint8Array | Uint16Array | Uint32Array;
  /** Ids that are not compact: all of them, sorted. */
  private readonly full: Float64Array;
  /** sorted position → object number, when the dump's order was not sorted. */
  private readonly order: Uint32Array | undefined;
  /** object number → sorted position, built on first use (idAt of an unsorted dump). */
  private positionOf: Uint32Array | undefined;
  private readonly bucketStart: Uint32Array;
  private readonly bucketShift: number;
  private readonly bucketWidth: number;
  private readonly min: number;

  constructor(
    ids: { readonly compact: boolean; readonly values: Uint32Array | Float64Array },
    private readonly classIndexById: ReadonlyMap<number, number>,
    private readonly firstObject: number,
  ) {
    this.compact = ids.compact;
    let values = ids.values;
    let sorted = true;
    for (let i = 1; sorted && i < values.length; i++) if (values[i]! <= values[i - 1]!) sorted = false;
    if (sorted) {
      this.order = undefined;
    } else {
      const unsorted = values;
      const order = new Uint32Array(unsorted.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      order.sort((a, b) => unsorted[a]! - unsorted[b]!);
      const copy = unsorted instanceof Uint32Array ? new Uint32Array(unsorted.length) : new Float64Array(unsorted.length);
      for (let i = 0; i < order.length; i++) copy[i] = unsorted[order[i]!]!;
      values = copy;
      this.order = order;
    }
    const count = values.length;
    const min = count > 0 ? values[0]! : 0;
    const range = count > 0 ? values[count - 1]! - min + 1 : 1;
    let shift = 0;
    while (2 ** shift * Math.max(1, Math.floor(count / 4)) < range) shift++;
    this.min = min;
    this.bucketShift = shift;
    this.bucketWidth = 2 ** shift;
    const buckets = Math.floor((range - 1) / this.bucketWidth) + 1;
    this.bucketStart = new Uint32Array(buckets + 1);
    const mask = this.bucketWidth - 1;
    if (this.compact) {
      const residues = shift <= 8 ? new Uint8Array(count) : shift <= 16 ? new Uint16Array(count) : new Uint32Array(count);
      for (let i = 0; i < count; i++) residues[i] = (values[i]! - min) & mask;
      this.residues = residues;
      this.full = new Float64Array(0);
    } else {
      this.residues = new Uint8Array(0);
      this.full = values as Float64Array;
    }
    // Each bucket's first position: where the first id at or past its lowest id sits.
    let bucket = 0;
    for (let i = 0; i < count; i++) {
      const own = this.compact ? (values[i]! - min) >>> shift : Math.floor((values[i]! - min) / this.bucketWidth);
      while (bucket < own) this.bucketStart[++bucket] = i;
    }
    while (bucket < buckets) this.bucketStart[++bucket] = count;
  }

  /** The object index of a full id, or -1. */
  indexOf(id: number): number {
    if (!this.compact) return this.search(id, id);
    const value = compactId(id);
    return value >= 0 ? this.search(value, id) : (this.classIndexById.get(id) ?? -1);
  }

  /** The object index of a compact id (id / 8), or -1. */
  indexOfCompact(value: number): number {
    return this.compact ? this.search(value, value * 8) : this.search(value * 8, value * 8);
  }

  private search(key: number, id: number): number {
    const offset = key - this.min;
    if (offset >= 0) {
      if (this.compact) {
        const bucket = offset >>> this.bucketShift;
        if (bucket < this.bucketStart.length - 1) {
          const residue = offset & (this.bucketWidth - 1);
          const residues = this.residues;
          let low = this.bucketStart[bucket]!;
          let high = this.bucketStart[bucket + 1]!;
          while (low < high) {
            const middle = (low + high) >>> 1;
            const value = residues[middle]!;
            if (value < residue) low = middle + 1;
            else if (value > residue) high = middle;
            else return this.firstObject + (this.order === undefined ? middle : this.order[middle]!);
          }
        }
      } else {
        const bucket = Math.floor(offset / this.bucketWidth);
        if (bucket < this.bucketStart.length - 1) {
          const full = this.full;
          let low = this.bucketStart[bucket]!;
          let high = this.bucketStart[bucket + 1]!;
          while (low < high) {
            const middle = (low + high) >>> 1;
            const value = full[middle]!;
            if (value < key) low = middle + 1;
            else if (value > key) high = middle;
            else return this.firstObject + (this.order === undefined ? middle : this.order[middle]!);
          }
        }
      }
    }
    return this.classIndexById.get(id) ?? -1;
  }

  /** The full id of the n-th instance or array (file order). */
  idAt(n: number): number {
    let position = n;
    if (this.order !== undefined) {
      if (this.positionOf === undefined) {
        this.positionOf = new Uint32Array(this.order.length);
        for (let i = 0; i < this.order.length; i++) this.positionOf[this.order[i]!] = i;
      }
      position = this.positionOf[n]!;
    }
    if (!this.compact) return this.full[position]!;
    // The bucket holding the position: the last one starting at or before it.
    let low = 0;
    let high = this.bucketStart.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.bucketStart[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    return (this.min + low * this.bucketWidth + this.residues[position]!) * 8;
  }
}
