/**
 * The HPROF format's words, shared by the reader's modules (hprof.ts re-exports the public ones): the byte
 * source, the error, record and sub-record tags, basic types and their sizes in the file and in the heap, the
 * Heap the reader returns, the header, and the few byte decoders everything else uses.
 */
import type { EdgeStarts } from "./edge-starts.js";
import type { HeapCounts } from "./memory-budget.js";
import type { ScratchPool } from "./scratch.js";
import type { ShallowSizes } from "./shallow-sizes.js";
import type { SpillStore } from "./spill.js";

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

// Top-level record tags.
export const TAG_UTF8 = 0x01;
export const TAG_LOAD_CLASS = 0x02;
export const TAG_STACK_FRAME = 0x04;
export const TAG_STACK_TRACE = 0x05;
export const TAG_HEAP_DUMP = 0x0c;
export const TAG_HEAP_DUMP_SEGMENT = 0x1c;
export const TAG_HEAP_DUMP_END = 0x2c;

/** Top-level record tags HPROF defines (others, such as START THREAD or CPU SAMPLES, are skipped unread). */
export const KNOWN_TAGS = new Uint8Array(256);
for (const tag of [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, TAG_HEAP_DUMP_SEGMENT, TAG_HEAP_DUMP_END]) KNOWN_TAGS[tag] = 1;

// Heap dump sub-record tags.
export const ROOT_UNKNOWN = 0xff;
export const ROOT_JNI_GLOBAL = 0x01;
export const ROOT_JNI_LOCAL = 0x02;
export const ROOT_JAVA_FRAME = 0x03;
export const ROOT_NATIVE_STACK = 0x04;
export const ROOT_STICKY_CLASS = 0x05;
export const ROOT_THREAD_BLOCK = 0x06;
export const ROOT_MONITOR_USED = 0x07;
export const ROOT_THREAD_OBJECT = 0x08;
export const CLASS_DUMP = 0x20;
export const INSTANCE_DUMP = 0x21;
export const OBJECT_ARRAY_DUMP = 0x22;
export const PRIMITIVE_ARRAY_DUMP = 0x23;

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
export const PRIMITIVE_ARRAY_CLASS: Readonly<Record<number, string>> = {
  [TYPE_BOOLEAN]: "[Z",
  [TYPE_CHAR]: "[C",
  [TYPE_FLOAT]: "[F",
  [TYPE_DOUBLE]: "[D",
  [TYPE_BYTE]: "[B",
  [TYPE_SHORT]: "[S",
  [TYPE_INT]: "[I",
  [TYPE_LONG]: "[J",
};

/**
 * Bytes of a primitive value (a field or an array element) of each type, in the dump and in the heap alike; 0 for
 * anything else (references: their size is the layout's, ObjectLayout; a corrupt type).
 */
export const PRIMITIVE_ELEMENT_BYTES = new Uint8Array(256);
for (const [type, bytes] of [
  [TYPE_BOOLEAN, 1],
  [TYPE_CHAR, 2],
  [TYPE_FLOAT, 4],
  [TYPE_DOUBLE, 8],
  [TYPE_BYTE, 1],
  [TYPE_SHORT, 2],
  [TYPE_INT, 4],
  [TYPE_LONG, 8],
] as const) {
  PRIMITIVE_ELEMENT_BYTES[type] = bytes;
}
/**
 * How HotSpot lays objects out, which HPROF does not record: below 32 GB of heap (every Bazel server up to
 * -Xmx31g) references and class pointers are compressed; at 32 GB and more references take 8 bytes, and class
 * pointers too before JDK 15 (16-byte headers, 24-byte array headers). The reader tells them apart by the
 * objects' own addresses (hprof-records.ts: how far an array's successor lies from it).
 */
export interface ObjectLayout {
  readonly name: "compressed" | "wide-references" | "wide";
  readonly headerBytes: number;
  readonly arrayHeaderBytes: number;
  readonly referenceBytes: number;
}
export const OBJECT_LAYOUTS: readonly ObjectLayout[] = [
  { name: "compressed", headerBytes: 12, arrayHeaderBytes: 16, referenceBytes: 4 },
  { name: "wide-references", headerBytes: 12, arrayHeaderBytes: 16, referenceBytes: 8 },
  { name: "wide", headerBytes: 16, arrayHeaderBytes: 24, referenceBytes: 8 },
];

/** Bytes in the heap of an array of `elements` of `elementBytes` each (0: references, the layout's size). */
export function arrayBytes(layout: ObjectLayout, elements: number, elementBytes: number): number {
  return align8(layout.arrayHeaderBytes + elements * (elementBytes === 0 ? layout.referenceBytes : elementBytes));
}

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

export const ROOT_KINDS: Readonly<Record<number, RootKind>> = {
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

/** Bytes of a root sub-record after its tag, or -1 for a tag that is not a root. */
export function rootBodyBytes(code: number, idSize: number): number {
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
  /** How the JVM laid objects out (the shallow sizes follow it), as the objects' addresses tell. */
  readonly layout: ObjectLayout["name"];
  /** The dump had no GC roots (cut before them): objects nobody references were taken as roots. */
  readonly rootsInferred: boolean;
  readonly objectCount: number;
  /** What the memory budget reads (memory-budget.ts), as the pass counted them. */
  readonly counts: HeapCounts;
  /** Objects 0 … classCount-1 are the class objects, in the order of `classes`. */
  readonly classCount: number;
  readonly classes: readonly HeapClass[];
  /** Per object: index into `classes` (for a class object, java.lang.Class's; for arrays, the array class). */
  readonly classOf: Uint16Array | Uint32Array;
  /** Per object: estimated bytes in the heap. */
  readonly shallowSizes: ShallowSizes;
  /**
   * References: the distinct targets of object i are edgeTargets[edgeStart.of(i) … edgeStart.of(i + 1)), in the order
   * of their first reference (an Object[] holding one object a million times has one edge to it). Emptied by
   * releaseEdges() once the dominator tree no longer needs them (a third of the parser's memory).
   */
  edgeStart: EdgeStarts;
  edgeTargets: Uint32Array;
  /**
   * Empties the edges and hands back their memory, whole, as scratch space: the pages they touched are the
   * process's already, where new arrays would add to the peak until the garbage collector runs.
   */
  releaseEdges(): ScratchPool;
  /**
   * Memory the reader is done with (its id array, once the references are resolved), for the next phase to take;
   * releaseEdges() adds the edges' memory to it.
   */
  readonly scratch: ScratchPool;
  /** Where the digest keeps what it needs only now and then (spill.ts): the id lookup, the shallow sizes for a while. */
  readonly spill: SpillStore;
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

export const TWO_32 = 2 ** 32;

/** The big-endian 32-bit word at b[p] as a signed int32 (a V8 small integer, never a heap number). */
export function int32At(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

/** The big-endian 32-bit word at b[p], unsigned. */
export function u32(b: Uint8Array, p: number): number {
  return int32At(b, p) >>> 0;
}

/** Reads an id at b[p] (big-endian). */
export function idAt(b: Uint8Array, p: number, idSize: number): number {
  const low = u32(b, p + idSize - 4);
  return idSize === 4 ? low : u32(b, p) * TWO_32 + low;
}

/** Ids stored as `id / 8` when every one allows it (HotSpot's: 8-byte aligned addresses below 32 GB). */
export const COMPACT_LIMIT = 2 ** 35;

/** id / 8 when the id is compact, else -1. */
export function compactId(id: number): number {
  const value = id / 8;
  return value === Math.floor(value) && value >= 0 && id < COMPACT_LIMIT ? value : -1;
}

/** Bytes of a value of `type` in the dump; HprofError (at the type's byte, `offset`) for an unknown type. */
export function valueBytes(type: number, idSize: number, offset: number): number {
  if (type === TYPE_OBJECT) return idSize;
  const bytes = PRIMITIVE_ELEMENT_BYTES[type]!;
  if (bytes === 0) throw new HprofError(`unknown basic type ${type}; the file is corrupt`, offset);
  return bytes;
}

export function align8(bytes: number): number {
  return bytes <= 0x7ffffff0 ? (bytes + 7) & ~7 : Math.ceil(bytes / 8) * 8;
}

export function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

const PRIMITIVE_NAMES: Readonly<Record<string, string>> = { Z: "boolean", C: "char", F: "float", D: "double", B: "byte", S: "short", I: "int", J: "long" };

/** "java/lang/String" → "java.lang.String"; "[B" → "byte[]"; "[Ljava/lang/Object;" → "java.lang.Object[]". */
export function javaName(internal: string): string {
  let dims = 0;
  while (internal[dims] === "[") dims++;
  if (dims === 0) return internal.replaceAll("/", ".");
  const element = internal.slice(dims);
  const base = element.startsWith("L") && element.endsWith(";") ? element.slice(1, -1).replaceAll("/", ".") : (PRIMITIVE_NAMES[element] ?? element);
  return base + "[]".repeat(dims);
}

export const PRIMITIVE_ARRAY_NAMES: ReadonlySet<string> = new Set(Object.values(PRIMITIVE_ARRAY_CLASS).map(javaName));

const MAGIC_PREFIX = "JAVA PROFILE ";
const SUPPORTED_VERSIONS = new Set(["1.0.1", "1.0.2"]);
const MAX_HEADER_CHARS = 32;

export interface DumpHeader {
  readonly idSize: 4 | 8;
  readonly timestamp: number;
  /** Offset of the first record. */
  readonly bodyOffset: number;
}

/** The file's header: format version, id size, timestamp; throws HprofError for anything else. */
export function readHeader(source: ByteSource): DumpHeader {
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
