/**
 * Reads what single heap objects hold — field values by name, strings, array elements — from their records in
 * the dump (random access through the ByteSource), for the few thousand objects the digest looks into. Field
 * names are looked up in the dump's own class layouts, so a field that moved or vanished in another Bazel or JDK
 * version reads as missing (undefined / -1) instead of failing.
 */
import {
  idAt,
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
  type ByteSource,
  type FieldLayout,
  type Heap,
  type HeapClass,
} from "./hprof.js";

/** A null reference, or one to an object the dump does not hold. */
export const NONE = -1;

/** Made once, not per String (a decoder made took 180 ns, measured alone: no change seen in a whole digest). */
const LATIN1_TEXT = new TextDecoder("latin1");
const UTF16_BIG_ENDIAN = new TextDecoder("utf-16be");
const UTF16_LITTLE_ENDIAN = new TextDecoder("utf-16le");

/** String.coder values (JDK 9+ compact strings). */
const LATIN1 = 0;

export class HeapView {
  private readonly subclassMemo = new Map<string, Set<number>>();

  constructor(
    readonly heap: Heap,
    private readonly source: ByteSource,
  ) {}

  classOf(object: number): HeapClass {
    return this.heap.classes[this.heap.classOf[object]!]!;
  }

  className(object: number): string {
    return object < this.heap.classCount ? "java.lang.Class" : this.classOf(object).name;
  }

  /** Whether the object's class is `name` or a subclass of it. */
  isA(object: number, name: string): boolean {
    if (object < this.heap.classCount) return name === "java.lang.Class";
    return this.classesNamed(name).has(this.heap.classOf[object]!);
  }

  /** Indices of the classes named `name` and of all their subclasses. */
  classesNamed(name: string): ReadonlySet<number> {
    let found = this.subclassMemo.get(name);
    if (found !== undefined) return found;
    found = new Set<number>();
    for (const heapClass of this.heap.classes) {
      for (let current: HeapClass | undefined = heapClass; current !== undefined; current = this.heap.classes[current.superClass]) {
        if (current.name === name) {
          found.add(heapClass.index);
          break;
        }
      }
    }
    this.subclassMemo.set(name, found);
    return found;
  }

  /** The class object's name for a class object index (e.g. a static holder), else undefined. */
  classObjectName(object: number): string | undefined {
    return object < this.heap.classCount ? this.heap.classes[object]!.name : undefined;
  }

  // Recently read instances' field data (the digest reads several fields of one object in a row), direct-mapped
  // by object index into one array: a copy per instance in a Map of the last 4,096 outlived the young generation
  // and died in the old one, 200 MB of it while a monorepo's 600,000 holders were placed (80 MB more at the peak).
  /** Per slot, the object whose data it holds (EMPTY_SLOT: none; NONE, -1, is asked too, and has none). */
  private readonly recentObject = new Int32Array(RECENT_SLOTS).fill(EMPTY_SLOT);
  /** Per slot, the data's length; NO_DATA for an object without instance data. */
  private readonly recentLength = new Int32Array(RECENT_SLOTS);
  private readonly recentBytes = new Uint8Array(RECENT_SLOTS * RECENT_SLOT_BYTES);
  /** Where the last instanceData() put the object's field data: dataBytes from dataStart on. */
  private dataBytes: Uint8Array = this.recentBytes;
  private dataStart = 0;

  /**
   * Points dataBytes and dataStart at an instance's field data (the bytes after its INSTANCE DUMP header), valid
   * until the next call; false when it has none.
   */
  private instanceData(object: number): boolean {
    const slot = object & (RECENT_SLOTS - 1);
    if (this.recentObject[slot] !== object) {
      const data = this.readInstanceData(object);
      if (data !== undefined && data.length > RECENT_SLOT_BYTES) {
        // Too big for a slot (rare in a Bazel heap): its own copy, not kept.
        this.dataBytes = data.slice();
        this.dataStart = 0;
        return true;
      }
      this.recentObject[slot] = object;
      this.recentLength[slot] = data === undefined ? NO_DATA : data.length;
      if (data !== undefined) this.recentBytes.set(data, slot * RECENT_SLOT_BYTES);
    }
    if (this.recentLength[slot] === NO_DATA) return false;
    this.dataBytes = this.recentBytes;
    this.dataStart = slot * RECENT_SLOT_BYTES;
    return true;
  }

  private readInstanceData(object: number): Uint8Array | undefined {
    if (object < this.heap.classCount || this.heap.kindOf(object) !== KIND_INSTANCE) return undefined;
    const idSize = this.heap.idSize;
    const headerBytes = 1 + 2 * idSize + 8;
    const offset = this.heap.offsetOf(object);
    const header = this.source.read(offset, headerBytes);
    if (header.length < headerBytes) return undefined;
    const bytes = u32(header, headerBytes - 4);
    const data = this.source.read(offset + headerBytes, bytes);
    return data.length < bytes ? undefined : data;
  }

  /** Every instance field by name (the subclass's first when a name repeats): references as object indices. */
  fields(object: number): Map<string, number> {
    const result = new Map<string, number>();
    if (object < this.heap.classCount || !this.instanceData(object)) return result;
    const { dataBytes, dataStart } = this;
    for (const [name, layout] of this.layoutsOf(this.heap.classOf[object]!)) result.set(name, this.valueAt(dataBytes, dataStart + layout.offset, layout.type));
    return result;
  }

  /**
   * One field: an object index (NONE for null) for references, the value for primitives (booleans 0 or 1,
   * chars their code; a long past 2^53 loses its low bits), undefined if absent.
   */
  field(object: number, name: string): number | undefined {
    if (object < this.heap.classCount) return undefined;
    const layout = this.fieldLayout(object, name);
    if (layout === undefined) return undefined;
    return this.instanceData(object) ? this.valueAt(this.dataBytes, this.dataStart + layout.offset, layout.type) : undefined;
  }

  /** A reference field's target, NONE when null, missing or not a reference. */
  ref(object: number, name: string): number {
    if (object === NONE || object < this.heap.classCount) return NONE;
    const layout = this.fieldLayout(object, name);
    if (layout === undefined || layout.type !== TYPE_OBJECT) return NONE;
    return this.instanceData(object) ? this.valueAt(this.dataBytes, this.dataStart + layout.offset, TYPE_OBJECT) : NONE;
  }

  /** Per class, its fields by name (the subclass's first when a name repeats): the digest asks millions of times. */
  private readonly layoutsByName = new Map<number, Map<string, FieldLayout & { readonly offset: number }>>();

  private fieldLayout(object: number, name: string): (FieldLayout & { readonly offset: number }) | undefined {
    return this.layoutsOf(this.heap.classOf[object]!).get(name);
  }

  private layoutsOf(classIndex: number): Map<string, FieldLayout & { readonly offset: number }> {
    let byName = this.layoutsByName.get(classIndex);
    if (byName === undefined) {
      byName = new Map();
      for (const field of this.heap.classes[classIndex]!.allFields) if (!byName.has(field.name)) byName.set(field.name, field);
      this.layoutsByName.set(classIndex, byName);
    }
    return byName;
  }

  /** Follows reference fields in turn: refPath(o, "a", "b") is o.a.b (NONE when any step is missing). */
  refPath(object: number, ...names: string[]): number {
    let current = object;
    for (const name of names) {
      current = this.ref(current, name);
      if (current === NONE) return NONE;
    }
    return current;
  }

  private valueAt(data: Uint8Array, offset: number, type: number): number {
    const idSize = this.heap.idSize;
    switch (type) {
      case TYPE_OBJECT: {
        const id = idAt(data, offset, idSize);
        return id === 0 ? NONE : this.heap.indexOf(id);
      }
      case TYPE_BOOLEAN:
        return data[offset]!;
      case TYPE_BYTE:
        return (data[offset]! << 24) >> 24;
      case TYPE_CHAR:
        return (data[offset]! << 8) | data[offset + 1]!;
      case TYPE_SHORT:
        return (((data[offset]! << 8) | data[offset + 1]!) << 16) >> 16;
      case TYPE_INT:
        return u32(data, offset) | 0;
      case TYPE_LONG:
        return (u32(data, offset) | 0) * 2 ** 32 + u32(data, offset + 4);
      case TYPE_FLOAT:
        return new DataView(data.buffer, data.byteOffset + offset, 4).getFloat32(0);
      case TYPE_DOUBLE:
        return new DataView(data.buffer, data.byteOffset + offset, 8).getFloat64(0);
      default:
        return 0;
    }
  }

  /** Number of elements of an array, 0 for anything else. */
  arrayLength(object: number): number {
    const kind = this.heap.kindOf(object);
    if (kind !== KIND_OBJECT_ARRAY && kind !== KIND_PRIMITIVE_ARRAY) return 0;
    const idSize = this.heap.idSize;
    const header = this.source.read(this.heap.offsetOf(object) + 1 + idSize + 4, 4);
    return header.length < 4 ? 0 : u32(header, 0);
  }

  /** The first `max` elements of an object array as object indices (NONE for null). */
  elements(object: number, max = Infinity): number[] {
    if (object === NONE || this.heap.kindOf(object) !== KIND_OBJECT_ARRAY) return [];
    const idSize = this.heap.idSize;
    const length = Math.min(this.arrayLength(object), max);
    const data = this.source.read(this.heap.offsetOf(object) + 1 + 2 * idSize + 8, length * idSize).slice();
    const result: number[] = [];
    for (let i = 0; i + idSize <= data.length; i += idSize) {
      const id = idAt(data, i, idSize);
      result.push(id === 0 ? NONE : this.heap.indexOf(id));
    }
    return result;
  }

  /** The first `maxBytes` bytes of a primitive array's data. */
  primitiveBytes(object: number, maxBytes = Infinity): Uint8Array {
    if (object === NONE || this.heap.kindOf(object) !== KIND_PRIMITIVE_ARRAY) return new Uint8Array(0);
    const idSize = this.heap.idSize;
    const offset = this.heap.offsetOf(object);
    const header = this.source.read(offset + 1 + idSize + 4, 5);
    const length = u32(header, 0);
    const elementBytes = ELEMENT_BYTES[header[4]!] ?? 1;
    return this.source.read(offset + 1 + idSize + 9, Math.min(length * elementBytes, maxBytes)).slice();
  }

  /** A java.lang.String's text (its first `maxChars` characters), undefined for anything else. */
  string(object: number, maxChars = 4096): string | undefined {
    if (object === NONE || !this.isA(object, "java.lang.String")) return undefined;
    const value = this.ref(object, "value");
    if (value === NONE) return "";
    // JDK 8: a char[] (the dump writes chars big-endian). JDK 9+: a byte[] with a coder, LATIN1 or UTF16; a
    // UTF16 byte[] holds its chars as the JVM's memory does, little-endian on x86 and ARM (the dump copies bytes).
    const chars = this.className(value) === "char[]";
    const utf16 = chars || this.field(object, "coder") !== LATIN1;
    const bytes = this.primitiveBytes(value, utf16 ? maxChars * 2 : maxChars);
    if (!utf16) return LATIN1_TEXT.decode(bytes);
    return (chars ? UTF16_BIG_ENDIAN : UTF16_LITTLE_ENDIAN).decode(bytes.subarray(0, bytes.length & ~1));
  }

  /**
   * Entries of a java.util.HashMap / LinkedHashMap (table of nodes with key, value, next) or of a Guava
   * ImmutableMap (entries, or alternating keys and values).
   */
  mapEntries(map: number, max = 10_000): { key: number; value: number }[] {
    const entries: { key: number; value: number }[] = [];
    if (map === NONE) return entries;
    const table = this.ref(map, "table");
    if (table !== NONE && this.heap.kindOf(table) === KIND_OBJECT_ARRAY) {
      for (const head of this.elements(table)) {
        for (let node = head, hops = 0; node !== NONE && hops < 64 && entries.length < max; node = this.ref(node, "next"), hops++) {
          entries.push({ key: this.ref(node, "key"), value: this.ref(node, "value") });
        }
      }
      return entries;
    }
    const alternating = this.ref(map, "alternatingKeysAndValues");
    if (alternating !== NONE) {
      const items = this.elements(alternating, 2 * max);
      for (let i = 0; i + 1 < items.length; i += 2) entries.push({ key: items[i]!, value: items[i + 1]! });
      return entries;
    }
    for (const entry of this.elements(this.ref(map, "entries"), max)) entries.push({ key: this.ref(entry, "key"), value: this.ref(entry, "value") });
    return entries;
  }

  /**
   * Elements of a java.util.List (ArrayList, StarlarkList, ImmutableList…) or object array, as far as they are
   * readable. The array field is `elementData` (ArrayList), `elems` (StarlarkList), `array` (Guava's
   * RegularImmutableList) or `contents`; Guava keeps a one-element ImmutableList's element in `element`.
   */
  listElements(object: number, max = 10_000): number[] {
    if (object === NONE) return [];
    if (this.heap.kindOf(object) === KIND_OBJECT_ARRAY) return this.elements(object, max);
    if (max > 0 && this.isA(object, SINGLETON_IMMUTABLE_LIST)) return [this.ref(object, "element")];
    const size = this.field(object, "size");
    for (const name of LIST_ARRAY_FIELDS) {
      const array = this.ref(object, name);
      if (array !== NONE && this.heap.kindOf(array) === KIND_OBJECT_ARRAY) {
        return this.elements(array, Math.min(max, typeof size === "number" && size >= 0 ? size : Infinity));
      }
    }
    return [];
  }
}

const RECENT_SLOTS = 4096;
/** An instance's field data up to this long is kept in a slot (a Bazel object's: tens of bytes). */
const RECENT_SLOT_BYTES = 128;
const NO_DATA = -1;
const EMPTY_SLOT = -2;

const SINGLETON_IMMUTABLE_LIST = "com.google.common.collect.SingletonImmutableList";
const LIST_ARRAY_FIELDS = ["elementData", "elems", "array", "contents"];

const ELEMENT_BYTES: Readonly<Record<number, number>> = { 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8 };

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}
