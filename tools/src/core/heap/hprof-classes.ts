/**
 * The dump's classes as the pass collects them (CLASS DUMP sub-records: field layouts, static references) and as
 * the Heap gives them out (DumpClass, whose field lists are built on first use), with the id → class index
 * lookup the pass asks for every instance and array.
 */
import type { Cursor } from "./hprof-cursor.js";
import { grownTo, makeFloat64 } from "./hprof-columns.js";
import {
  align8,
  int32At,
  type ObjectLayout,
  PRIMITIVE_ELEMENT_BYTES,
  TWO_32,
  TYPE_OBJECT,
  valueBytes,
  type FieldLayout,
  type HeapClass,
} from "./hprof-format.js";

/** Slots of the class cache: a dump's instances name a few thousand classes, most of them a few hundred. */
const CACHE_SLOTS = 1 << 14;

/** Class id → class index, through a direct-mapped cache (keyed by the id's two halves) in front of a Map. */
export class ClassIndexCache {
  private readonly low: Int32Array;
  private readonly high: Int32Array;
  private readonly index: Int32Array;
  private readonly mask: number;

  /** `fileBytes`: a small file gets a small cache (a fuzzer reads thousands of them). */
  constructor(
    private readonly byId: ReadonlyMap<number, number>,
    private readonly idSize: number,
    fileBytes: number,
  ) {
    let slots = 64;
    while (slots < CACHE_SLOTS && slots * 256 < fileBytes) slots *= 2;
    this.low = new Int32Array(slots);
    this.high = new Int32Array(slots);
    this.index = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
  }

  /** The index of the class whose id is at b[p], -1 when no CLASS DUMP so far had it. */
  at(b: Uint8Array, p: number): number {
    const low = int32At(b, p + this.idSize - 4);
    const high = this.idSize === 4 ? 0 : int32At(b, p);
    const slot = (low >>> 3) & this.mask;
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

export interface RawClass {
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
  /** Bytes of an instance in the heap, under the pass's layout (instanceBytes). */
  heapBytes: number;
  /** What the heap size is made of: reference fields, and bytes of the others. */
  referenceCount: number;
  primitiveBytes: number;
  referenceOffsets: Int32Array;
  layoutIncomplete: boolean;
  /** How many classes were known when the layout was last computed (retried only when more came). */
  layoutClasses: number;
}

/**
 * The classes' fields (name id, type) and static references (name id, target id), every class's in one set of
 * typed arrays: as small objects, a Bazel dump's ~100k of them grew V8's young generation to its 32 MB maximum.
 */
export class FieldPool {
  fieldNames: Float64Array = new Float64Array(1 << 12);
  fieldTypes: Uint8Array = new Uint8Array(1 << 12);
  fields = 0;
  staticNames: Float64Array = new Float64Array(1 << 10);
  staticTargets: Float64Array = new Float64Array(1 << 10);
  statics = 0;

  addField(nameId: number, type: number): void {
    if (this.fields === this.fieldNames.length) {
      this.fieldNames = grownTo(this.fieldNames, 2 * this.fields, makeFloat64);
      this.fieldTypes = grownTo(this.fieldTypes, 2 * this.fields, (n) => new Uint8Array(n));
    }
    this.fieldNames[this.fields] = nameId;
    this.fieldTypes[this.fields++] = type;
  }

  addStatic(nameId: number, target: number): void {
    if (this.statics === this.staticNames.length) {
      this.staticNames = grownTo(this.staticNames, 2 * this.statics, makeFloat64);
      this.staticTargets = grownTo(this.staticTargets, 2 * this.statics, makeFloat64);
    }
    this.staticNames[this.statics] = nameId;
    this.staticTargets[this.statics++] = target;
  }
}

/**
 * A class's instance layout: its own fields, then its super class's, and so on (the order of field data in
 * an INSTANCE DUMP): the sizes and reference offsets the pass needs (the fields themselves are listed only
 * when asked, DumpClass.allFields). HotSpot writes a super class before its subclasses; when one comes later
 * anyway, the layout is marked incomplete and finished after the pass.
 */
export function completeLayout(
  raw: RawClass,
  rawClasses: readonly RawClass[],
  classIndexById: ReadonlyMap<number, number>,
  pool: FieldPool,
  idSize: number,
  layout: ObjectLayout,
  final = false,
): void {
  const references: number[] = [];
  let dumpBytes = 0;
  let primitiveBytes = 0;
  let incomplete = false;
  // Each class once: a corrupt dump's super classes could loop (a chain through every class, per class, would
  // take time and memory the square of the file's size).
  const seen = new Set<RawClass>();
  let current: RawClass | undefined = raw;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    for (let f = current.fieldStart; f < current.fieldEnd; f++) {
      const type = pool.fieldTypes[f]!;
      if (type === TYPE_OBJECT) references.push(dumpBytes);
      dumpBytes += type === TYPE_OBJECT ? idSize : PRIMITIVE_ELEMENT_BYTES[type]!;
      if (type !== TYPE_OBJECT) primitiveBytes += PRIMITIVE_ELEMENT_BYTES[type]!;
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
  raw.referenceCount = references.length;
  raw.primitiveBytes = primitiveBytes;
  raw.heapBytes = instanceBytes(raw, layout);
  raw.referenceOffsets = Int32Array.from(references);
  raw.layoutIncomplete = incomplete;
  raw.layoutClasses = rawClasses.length;
}

/** Bytes of an instance of the class in the heap under `layout`. */
export function instanceBytes(raw: RawClass, layout: ObjectLayout): number {
  return align8(layout.headerBytes + raw.primitiveBytes + raw.referenceCount * layout.referenceBytes);
}

/** How many references a class object has: its loader and its static references that are not null. */
export function classReferences(raw: RawClass, pool: FieldPool): number {
  let count = raw.loaderId !== 0 ? 1 : 0;
  for (let f = raw.staticStart; f < raw.staticEnd; f++) if (pool.staticTargets[f] !== 0) count++;
  return count;
}

/**
 * A class of the dump. Its field lists are built on first use: the digest looks at a few hundred of a Bazel
 * heap's ~10k classes, and listing them all (~200k small objects) grew V8's young generation by 16 MB.
 */
export class DumpClass implements HeapClass {
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
      // Each class once, as completeLayout.
      const seen = new Set<DumpClass>();
      let current: DumpClass | undefined = this;
      while (current !== undefined && !seen.has(current)) {
        seen.add(current);
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

/**
 * A CLASS DUMP sub-record (after its tag), its fields and statics added to `pool`; undefined when the data ends
 * inside it. Without a pool, only skipped.
 */
export function readClassDump(cursor: Cursor, end: number, idSize: number, recordOffset: number, pool: FieldPool | undefined): RawClass | undefined {
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
    referenceCount: 0,
    primitiveBytes: 0,
    referenceOffsets: new Int32Array(0),
    layoutIncomplete: true,
    layoutClasses: 0,
  };
}
