// The HPROF reader on real heap dumps of tiny Java programs (test/fixtures/hprof, see its README), checked
// against an independent scanner written here (BigInt ids, Maps, two passes: nothing shared with the reader),
// and on cut and corrupted copies of them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bytesSource, HprofError, javaName, KIND_CLASS, KIND_INSTANCE, KIND_OBJECT_ARRAY, KIND_PRIMITIVE_ARRAY, readHeap, type Heap } from "../../../src/core/heap/hprof.js";
import { ObjectOffsets, OffsetCheckpoints, STEP_MASK } from "../../../src/core/heap/hprof-index.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";
import { random } from "../../helpers/random.js";

const HPROF_DIR = join(FIXTURES_DIR, "hprof");
type Dump = "shapes" | "oom";
const DUMPS: readonly Dump[] = ["shapes", "oom"];

const inflated = new Map<Dump, Uint8Array>();
function dumpBytes(name: Dump): Uint8Array {
  let bytes = inflated.get(name);
  if (bytes === undefined) inflated.set(name, (bytes = new Uint8Array(gunzipSync(readFileSync(join(HPROF_DIR, `${name}.hprof.gz`))))));
  return bytes;
}
const heaps = new Map<Dump, Heap>();
function heapOf(name: Dump): Heap {
  let heap = heaps.get(name);
  if (heap === undefined) heaps.set(name, (heap = readHeap(bytesSource(dumpBytes(name)))));
  return heap;
}
const scans = new Map<Dump, Scan>();
function scanOf(name: Dump): Scan {
  let found = scans.get(name);
  if (found === undefined) scans.set(name, (found = scan(dumpBytes(name))));
  return found;
}

/** The 1-based line of the first line of a fixture's Java source that contains `text`. */
function sourceLine(file: string, text: string): number {
  const lines = readFileSync(join(HPROF_DIR, file), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${text}`);
  return index + 1;
}

// ---- the independent scanner ------------------------------------------------------------------------------

/** Bytes of a value of each basic type in the file (2, an object, is the id size) and in the heap. */
const FILE_BYTES: Readonly<Record<number, number>> = { 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8 };
const HEAP_BYTES: Readonly<Record<number, number>> = { 2: 4, ...FILE_BYTES };
const PRIMITIVE_NAMES: Readonly<Record<number, string>> = { 4: "boolean[]", 5: "char[]", 6: "float[]", 7: "double[]", 8: "byte[]", 9: "short[]", 10: "int[]", 11: "long[]" };
const ROOT_BODY: Readonly<Record<number, { readonly kind: string; readonly extra: number; readonly serialAt?: number }>> = {
  0xff: { kind: "unknown", extra: 0 },
  0x01: { kind: "jni-global", extra: 1 }, // + one more id
  0x02: { kind: "jni-local", extra: 8, serialAt: 0 },
  0x03: { kind: "java-frame", extra: 8, serialAt: 0 },
  0x04: { kind: "native-stack", extra: 4 },
  0x05: { kind: "sticky-class", extra: 0 },
  0x06: { kind: "thread-block", extra: 4, serialAt: 0 },
  0x07: { kind: "monitor", extra: 0 },
  0x08: { kind: "thread-object", extra: 8, serialAt: 0 },
};

interface ScannedClass {
  readonly id: bigint;
  readonly offset: number;
  readonly end: number;
  readonly superId: bigint;
  readonly loaderId: bigint;
  readonly staticReferences: readonly bigint[];
  readonly fields: readonly { readonly nameId: bigint; readonly type: number }[];
}
interface ScannedObject {
  readonly kind: typeof KIND_INSTANCE | typeof KIND_OBJECT_ARRAY | typeof KIND_PRIMITIVE_ARRAY;
  readonly id: bigint;
  readonly offset: number;
  readonly end: number;
  /** Instances and object arrays: their class; primitive arrays: 0n. */
  readonly classId: bigint;
  readonly elementType: number;
  readonly length: number;
  readonly dataStart: number;
}
interface Scan {
  readonly idSize: number;
  readonly timestamp: bigint;
  readonly names: Map<bigint, string>;
  readonly classNameIds: Map<bigint, bigint>;
  readonly classes: ScannedClass[];
  readonly objects: ScannedObject[];
  readonly roots: { readonly kind: string; readonly id: bigint; readonly serial: number }[];
  readonly records: { readonly tag: number; readonly offset: number; readonly end: number }[];
  readonly subRecords: { readonly code: number; readonly offset: number }[];
  readonly bytes: Uint8Array;
}

function scan(bytes: Uint8Array): Scan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nul = bytes.indexOf(0);
  const idSize = view.getUint32(nul + 1);
  const id = (at: number): bigint => (idSize === 8 ? view.getBigUint64(at) : BigInt(view.getUint32(at)));
  const result: Scan = {
    idSize,
    timestamp: view.getBigUint64(nul + 5),
    names: new Map(),
    classNameIds: new Map(),
    classes: [],
    objects: [],
    roots: [],
    records: [],
    subRecords: [],
    bytes,
  };
  let p = nul + 13;
  while (p < bytes.length) {
    const tag = bytes[p]!;
    const length = view.getUint32(p + 5);
    const body = p + 9;
    result.records.push({ tag, offset: p, end: body + length });
    if (tag === 0x01) result.names.set(id(body), new TextDecoder().decode(bytes.subarray(body + idSize, body + length)));
    if (tag === 0x02) result.classNameIds.set(id(body + 4), id(body + 8 + idSize));
    if (tag === 0x0c || tag === 0x1c) {
      for (let q = body; q < body + length; ) {
        const code = bytes[q]!;
        result.subRecords.push({ code, offset: q });
        const start = q;
        q++;
        if (code === 0x20) {
          const classId = id(q);
          const superId = id(q + idSize + 4);
          const loaderId = id(q + 2 * idSize + 4);
          q += 7 * idSize + 8;
          const constants = view.getUint16(q);
          q += 2;
          for (let i = 0; i < constants; i++) q += 3 + (bytes[q + 2] === 2 ? idSize : FILE_BYTES[bytes[q + 2]!]!);
          const staticCount = view.getUint16(q);
          q += 2;
          const staticReferences: bigint[] = [];
          for (let i = 0; i < staticCount; i++) {
            const type = bytes[q + idSize]!;
            if (type === 2) staticReferences.push(id(q + idSize + 1));
            q += idSize + 1 + (type === 2 ? idSize : FILE_BYTES[type]!);
          }
          const fieldCount = view.getUint16(q);
          q += 2;
          const fields: { nameId: bigint; type: number }[] = [];
          for (let i = 0; i < fieldCount; i++, q += idSize + 1) fields.push({ nameId: id(q), type: bytes[q + idSize]! });
          result.classes.push({ id: classId, offset: start, end: q, superId, loaderId, staticReferences, fields });
        } else if (code === 0x21) {
          const dataBytes = view.getUint32(q + 2 * idSize + 4);
          const dataStart = q + 2 * idSize + 8;
          q = dataStart + dataBytes;
          result.objects.push({ kind: KIND_INSTANCE, id: id(start + 1), offset: start, end: q, classId: id(start + 1 + idSize + 4), elementType: 2, length: dataBytes, dataStart });
        } else if (code === 0x22) {
          const elements = view.getUint32(q + idSize + 4);
          const dataStart = q + 2 * idSize + 8;
          q = dataStart + elements * idSize;
          result.objects.push({ kind: KIND_OBJECT_ARRAY, id: id(start + 1), offset: start, end: q, classId: id(start + 1 + idSize + 8), elementType: 2, length: elements, dataStart });
        } else if (code === 0x23) {
          const elements = view.getUint32(q + idSize + 4);
          const elementType = bytes[q + idSize + 8]!;
          const dataStart = q + idSize + 9;
          q = dataStart + elements * FILE_BYTES[elementType]!;
          result.objects.push({ kind: KIND_PRIMITIVE_ARRAY, id: id(start + 1), offset: start, end: q, classId: 0n, elementType, length: elements, dataStart });
        } else {
          const root = ROOT_BODY[code];
          if (root === undefined) throw new Error(`the scanner met sub-record 0x${code.toString(16)} at ${start}`);
          const serial = root.serialAt === undefined ? 0 : view.getUint32(q + idSize + root.serialAt);
          result.roots.push({ kind: root.kind, id: id(q), serial });
          q += idSize + (code === 0x01 ? idSize : root.extra);
        }
      }
    }
    p = body + length;
  }
  return result;
}

/** A class's instance fields as the dump orders their data: its own, then its super class's, and so on. */
function layoutOf(s: Scan, classId: bigint): { nameId: bigint; type: number; offset: number }[] {
  const byId = new Map(s.classes.map((c) => [c.id, c]));
  const layout: { nameId: bigint; type: number; offset: number }[] = [];
  let offset = 0;
  for (let c = byId.get(classId); c !== undefined; c = byId.get(c.superId)) {
    for (const field of c.fields) {
      layout.push({ ...field, offset });
      offset += field.type === 2 ? s.idSize : FILE_BYTES[field.type]!;
    }
  }
  return layout;
}

function scannedClassName(s: Scan, classId: bigint): string {
  return javaName(s.names.get(s.classNameIds.get(classId)!)!);
}

/** The non-null references of a scanned object, as ids. */
function scannedReferences(s: Scan, object: ScannedObject): bigint[] {
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  const idAt = (at: number): bigint => (s.idSize === 8 ? view.getBigUint64(at) : BigInt(view.getUint32(at)));
  const found: bigint[] = [];
  if (object.kind === KIND_INSTANCE) {
    for (const field of layoutOf(s, object.classId)) if (field.type === 2) found.push(idAt(object.dataStart + field.offset));
  } else if (object.kind === KIND_OBJECT_ARRAY) {
    for (let i = 0; i < object.length; i++) found.push(idAt(object.dataStart + i * s.idSize));
  }
  return found.filter((target) => target !== 0n);
}

function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

function scannedShallowBytes(s: Scan, object: ScannedObject): number {
  if (object.kind === KIND_INSTANCE) return align8(12 + layoutOf(s, object.classId).reduce((sum, field) => sum + HEAP_BYTES[field.type]!, 0));
  return align8(16 + object.length * HEAP_BYTES[object.elementType]!);
}

/** id → object index as the reader numbers them: classes first, then objects in file order. */
function scannedIndex(s: Scan): Map<bigint, number> {
  const index = new Map<bigint, number>();
  s.classes.forEach((c, i) => index.set(c.id, i));
  s.objects.forEach((o, i) => index.set(o.id, s.classes.length + i));
  return index;
}

function sorted(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

// ---- the tests ----------------------------------------------------------------------------------------------

describe("readHeap on real dumps, against the independent scanner", () => {
  describe.each(DUMPS)("%s", (name) => {
    it("reads the header: id size and timestamp", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      expect(heap.idSize).toBe(8);
      expect(heap.idSize).toBe(s.idSize);
      expect(heap.timestamp).toBe(Number(s.timestamp));
      // Written by generate.mjs: after the format's birth and not in the future.
      expect(heap.timestamp).toBeGreaterThan(Date.UTC(2024, 0, 1));
      expect(heap.timestamp).toBeLessThan(Date.now());
      expect(heap.fileBytes).toBe(dumpBytes(name).length);
      expect(heap.truncated).toBe(false);
      expect(heap.rootsInferred).toBe(false);
    });

    it("numbers classes first, then every object in file order, each with its id, kind and offset", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      expect(heap.classCount).toBe(s.classes.length);
      expect(heap.objectCount).toBe(s.classes.length + s.objects.length);
      s.classes.forEach((c, i) => {
        expect(heap.classes[i]!.id).toBe(Number(c.id));
        expect(heap.idOf(i)).toBe(Number(c.id));
        expect(heap.indexOf(Number(c.id))).toBe(i);
        expect(heap.offsetOf(i)).toBe(c.offset);
        expect(heap.kindOf(i)).toBe(KIND_CLASS);
      });
      const mismatches: string[] = [];
      s.objects.forEach((o, n) => {
        const i = heap.classCount + n;
        if (heap.idOf(i) !== Number(o.id)) mismatches.push(`idOf(${i})`);
        if (heap.indexOf(Number(o.id)) !== i) mismatches.push(`indexOf(${o.id})`);
        if (heap.kindOf(i) !== o.kind) mismatches.push(`kindOf(${i})`);
        if (heap.offsetOf(i) !== o.offset) mismatches.push(`offsetOf(${i})`);
      });
      expect(mismatches).toEqual([]);
    });

    it("finds no object for ids the dump does not hold", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      const held = new Set([...s.classes.map((c) => c.id), ...s.objects.map((o) => o.id)]);
      const largest = [...held].reduce((a, b) => (b > a ? b : a));
      const probes = [0n, 1n, 7n, largest + 8n, largest * 2n, ...s.objects.slice(0, 500).map((o) => o.id + 4n)].filter((probe) => !held.has(probe));
      for (const probe of probes) expect(heap.indexOf(Number(probe)), `id ${probe}`).toBe(-1);
    });

    it("names every class and gives each object its class, shallow size and instance count", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      s.classes.forEach((c, i) => {
        const heapClass = heap.classes[i]!;
        expect(heapClass.name).toBe(scannedClassName(s, c.id));
        expect(heap.classByName.get(heapClass.name)).toBeDefined();
        expect(heapClass.superClass).toBe(c.superId === 0n ? -1 : s.classes.findIndex((candidate) => candidate.id === c.superId));
      });
      const counts = new Map<string, number>();
      const mismatches: string[] = [];
      s.objects.forEach((o, n) => {
        const i = heap.classCount + n;
        const className = o.kind === KIND_PRIMITIVE_ARRAY ? PRIMITIVE_NAMES[o.elementType]! : scannedClassName(s, o.classId);
        counts.set(className, (counts.get(className) ?? 0) + 1);
        if (heap.classes[heap.classOf[i]!]!.name !== className) mismatches.push(`class of ${i}: ${heap.classes[heap.classOf[i]!]!.name} ≠ ${className}`);
        if (heap.shallowSizes.bytesOf(i) !== scannedShallowBytes(s, o)) mismatches.push(`shallow of ${i} (${className}): ${heap.shallowSizes.bytesOf(i)} ≠ ${scannedShallowBytes(s, o)}`);
      });
      expect(mismatches).toEqual([]);
      for (const heapClass of heap.classes) expect(heapClass.count, heapClass.name).toBe(counts.get(heapClass.name) ?? 0);
      for (let c = 0; c < heap.classCount; c++) expect(heap.classes[heap.classOf[c]!]!.name).toBe("java.lang.Class");
    });

    it("gives every object exactly its distinct non-null references, as object indices", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      const index = scannedIndex(s);
      // An object referring to one target twice (two fields, or two array slots) has one edge to it.
      let repeats = 0;
      const resolve = (ids: readonly bigint[]): number[] => {
        const targets = ids.filter((target) => index.has(target)).map((target) => index.get(target)!);
        const distinct = new Set(targets);
        repeats += targets.length - distinct.size;
        return sorted(distinct);
      };
      const targetsOf = (i: number): number[] => sorted(heap.edgeTargets.subarray(heap.edgeStart.of(i), heap.edgeStart.of(i + 1)));
      const mismatches: string[] = [];
      s.classes.forEach((c, i) => {
        const expected = resolve([c.loaderId, ...c.staticReferences].filter((target) => target !== 0n));
        if (JSON.stringify(targetsOf(i)) !== JSON.stringify(expected)) mismatches.push(`class ${i}`);
      });
      let references = 0;
      s.objects.forEach((o, n) => {
        const expected = resolve(scannedReferences(s, o));
        references += expected.length;
        if (JSON.stringify(targetsOf(heap.classCount + n)) !== JSON.stringify(expected)) mismatches.push(`object ${heap.classCount + n}`);
      });
      expect(mismatches).toEqual([]);
      expect(references).toBeGreaterThan(s.objects.length / 2); // the comparison compared something
      expect(repeats).toBeGreaterThan(100); // and repeated references among them
      expect(heap.edgeStart.of(heap.objectCount)).toBe(heap.edgeTargets.length);
    });

    it("lists every GC root with its kind and thread serial", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      const index = scannedIndex(s);
      const expected = s.roots.filter((root) => index.has(root.id)).map((root) => `${index.get(root.id)} ${root.kind} ${root.serial}`);
      const actual = [...heap.roots].map((root, r) => `${root} ${heap.rootKinds[r]} ${heap.rootThreadSerials[r]}`);
      expect(actual.sort()).toEqual(expected.sort());
      const kinds = new Set(heap.rootKinds);
      for (const kind of ["sticky-class", "thread-object", "java-frame", "jni-global"]) expect(kinds, kind).toContain(kind);
    });

    it("finds each object's offset as a brute-force walk does, in any order", () => {
      const heap = heapOf(name);
      const s = scanOf(name);
      const count = s.objects.length;
      // Every object in file order is the test above; here backwards, every third, 5 on and 3 back, each twice, and
      // at random: an answer must not depend on the one before.
      const next = random(count);
      const orders: Record<string, number[]> = {
        backwards: Array.from({ length: Math.ceil(count / 7) }, (_, k) => count - 1 - 7 * k),
        forwardsBy3: Array.from({ length: Math.ceil(count / 3) }, (_, k) => 3 * k),
        onAndBack: Array.from({ length: count - 5 }, (_, k) => (k % 2 === 0 ? k : k + 4)),
        twice: Array.from({ length: 2 * Math.min(count, 5000) }, (_, k) => k >>> 1),
        random: Array.from({ length: Math.min(count, 20000) }, () => Math.floor(next() * count)),
      };
      for (const [order, objects] of Object.entries(orders)) {
        const mismatches = objects.filter((n) => heap.offsetOf(heap.classCount + n) !== s.objects[n]!.offset);
        expect(mismatches.slice(0, 5), order).toEqual([]);
      }
    });

    it("finds each object's offset from its checkpoint when the steps between are too long to keep", () => {
      // A step of 4 GiB or more (arrays of gigabytes between) is kept as FAR: the walk starts at the 64th object's.
      const s = scanOf(name);
      const segments = s.records.filter((record) => record.tag === 0x0c || record.tag === 0x1c).map((record) => ({ start: record.offset + 9, end: record.end }));
      const checkpoints = new OffsetCheckpoints(s.objects.length);
      s.objects.forEach((object, n) => {
        if ((n & STEP_MASK) === 0) checkpoints.note(n, n % 64 === 0 ? object.offset : object.offset + 2 ** 32);
      });
      const noted = checkpoints.done();
      expect(noted.steps.length).toBeGreaterThan(0);
      expect([...noted.steps].every((step) => step === 0xffffffff)).toBe(true);
      const offsets = new ObjectOffsets(bytesSource(dumpBytes(name)), s.idSize, segments, { whole: noted.whole, steps: noted.steps });
      const next = random(s.objects.length);
      const objects = Array.from({ length: Math.min(s.objects.length, 5000) }, () => Math.floor(next() * s.objects.length));
      expect(objects.filter((n) => offsets.of(n) !== s.objects[n]!.offset).slice(0, 5)).toEqual([]);
    });
  });

  it.each<{ dump: Dump; className: string; count: number; shallowBytes: number }>([
    { dump: "shapes", className: "Shapes$Node", count: 1000, shallowBytes: 24 },
    { dump: "shapes", className: "Shapes$Counted", count: 777, shallowBytes: 16 },
    { dump: "shapes", className: "Shapes$Counted[]", count: 1, shallowBytes: align8(16 + 777 * 4) },
    { dump: "shapes", className: "Shapes$Ring", count: 3, shallowBytes: 24 },
    { dump: "shapes", className: "Shapes$Sharer", count: 2, shallowBytes: 16 },
    { dump: "shapes", className: "Shapes$Payload", count: 1, shallowBytes: 16 },
    // 12-byte header + 4 references + double + 2 longs + float + int + short + char + byte + 2 booleans = 67 → 72.
    { dump: "shapes", className: "Shapes$Fields", count: 1, shallowBytes: 72 },
    // Dropped before the dump: only there because jcmd's -all skips the GC.
    { dump: "shapes", className: "Shapes$Garbage", count: 1, shallowBytes: 16 },
    { dump: "shapes", className: "Shapes", count: 0, shallowBytes: 0 },
    { dump: "oom", className: "Oom", count: 0, shallowBytes: 0 },
  ])("$dump: $count × $className of $shallowBytes bytes", ({ dump, className, count, shallowBytes }) => {
    const heap = heapOf(dump);
    const heapClass = heap.classByName.get(className)!;
    expect(heapClass.count).toBe(count);
    const objects = [...heap.classOf.keys()].filter((i) => i >= heap.classCount && heap.classOf[i] === heapClass.index);
    expect(objects).toHaveLength(count);
    for (const i of objects) expect(heap.shallowSizes.bytesOf(i)).toBe(shallowBytes);
    if (count > 0) expect(heapClass.heapInstanceBytes === shallowBytes || heapClass.objectKind !== KIND_INSTANCE).toBe(true);
  });

  it.each<{ dump: Dump; className: string; shallowBytes: number; atLeast: number }>([
    { dump: "shapes", className: "byte[]", shallowBytes: 1_000_016, atLeast: 1 }, // Payload's byte[1_000_000]
    { dump: "shapes", className: "long[]", shallowBytes: 1_000_016, atLeast: 1 }, // the stack-holder's long[125_000]
    { dump: "shapes", className: "byte[]", shallowBytes: 50_016, atLeast: 1 }, // the Sharers' byte[50_000]
    { dump: "shapes", className: "byte[]", shallowBytes: align8(16 + 123_456), atLeast: 1 }, // the garbage
    { dump: "oom", className: "byte[]", shallowBytes: 16 + 64 * 1024, atLeast: 100 }, // what the eater ate
  ])("$dump: $className of $shallowBytes bytes", ({ dump, className, shallowBytes, atLeast }) => {
    const heap = heapOf(dump);
    const arrayClass = heap.classByName.get(className)!;
    expect(arrayClass.objectKind).toBe(KIND_PRIMITIVE_ARRAY);
    let found = 0;
    for (let i = heap.classCount; i < heap.objectCount; i++) if (heap.classOf[i] === arrayClass.index && heap.shallowSizes.bytesOf(i) === shallowBytes) found++;
    expect(found).toBeGreaterThanOrEqual(atLeast);
  });

  it("gives the class layouts with inherited fields, the subclass's first", () => {
    const heap = heapOf("shapes");
    const fields = heap.classByName.get("Shapes$Fields")!;
    expect(fields.fields.map((field) => field.name).sort()).toEqual(
      ["aByte", "aChar", "aDouble", "aFloat", "aLong", "aShort", "anInt", "latin", "negativeLong", "no", "nothing", "payload", "utf16", "yes"].sort(),
    );
    expect(fields.allFields).toHaveLength(fields.fields.length); // Object has no instance fields
    expect(fields.referenceOffsets).toHaveLength(4);
    const thread = heap.classByName.get("java.lang.Thread")!;
    const object = heap.classByName.get("java.lang.Object")!;
    expect(heap.classes[thread.superClass]).toBe(object);
    // A subclass of Thread would list its own fields before Thread's; String's layout is its own.
    const string = heap.classByName.get("java.lang.String")!;
    expect(string.allFields.map((field) => field.name)).toEqual(expect.arrayContaining(["value", "coder", "hash"]));
    expect(string.heapInstanceBytes).toBe(24);
    // Offsets follow the dump's sizes (ids 8 bytes), one after another.
    let offset = 0;
    for (const field of fields.allFields) {
      expect(field.offset).toBe(offset);
      offset += field.type === 2 ? 8 : FILE_BYTES[field.type]!;
    }
    expect(fields.dumpInstanceBytes).toBe(offset);
  });

  it("reads the static references of a class", () => {
    const heap = heapOf("shapes");
    const shapes = heap.classByName.get("Shapes")!;
    const statics = new Map(shapes.staticReferences.map((field) => [field.name, field.id]));
    for (const field of ["PAYLOAD", "FIELDS", "list", "ring", "sharers", "COUNTED", "TEXT", "TEXT_COPY", "HASH", "LINKED"]) {
      const target = heap.indexOf(statics.get(field)!);
      expect(target, field).toBeGreaterThanOrEqual(heap.classCount);
      // The class object refers to it.
      expect([...heap.edgeTargets.subarray(heap.edgeStart.of(shapes.index), heap.edgeStart.of(shapes.index + 1))]).toContain(target);
    }
    expect(heap.classes[heap.classOf[heap.indexOf(statics.get("list")!)]!]!.name).toBe("Shapes$Node");
  });

  it.each<{ dump: Dump; frames: { className: string; method: string; sourceFile: string; line: number }[]; rootClass?: string }>([
    {
      dump: "shapes",
      frames: [
        { className: "java.lang.Thread", method: "sleep", sourceFile: "Thread.java", line: -3 }, // native
        { className: "Shapes", method: "holdOnStack", sourceFile: "Shapes.java", line: sourceLine("Shapes.java", "Thread.sleep(Long.MAX_VALUE)") },
      ],
      // The long[] only this thread's stack holds is a java-frame root of this thread.
      rootClass: "long[]",
    },
    {
      dump: "oom",
      frames: [
        // HotSpot puts the error's constructor on top of the stack of the thread that ran out of memory.
        { className: "java.lang.OutOfMemoryError", method: "<init>", sourceFile: "OutOfMemoryError.java", line: expect.any(Number) as unknown as number },
        { className: "Oom", method: "eat", sourceFile: "Oom.java", line: sourceLine("Oom.java", "EATEN.add(new byte") },
      ],
    },
  ])("$dump: a thread's Java stack trace, innermost first", ({ dump, frames, rootClass }) => {
    const heap = heapOf(dump);
    const matching = heap.threads.filter((thread) => thread.frames[1]?.method === frames[1]!.method && thread.frames[1]?.className === frames[1]!.className);
    expect(matching).toHaveLength(1);
    const thread = matching[0]!;
    expect(thread.frames.slice(0, frames.length)).toEqual(frames);
    expect(heap.classes[heap.classOf[thread.object]!]!.name).toBe("java.lang.Thread");
    // Its thread-object root and its frames' roots carry its serial.
    const ownRoots = [...heap.roots].map((root, r) => ({ root, kind: heap.rootKinds[r], serial: heap.rootThreadSerials[r] })).filter((root) => root.serial === thread.serial);
    expect(ownRoots.length).toBeGreaterThan(0);
    expect(heap.roots).toContain(thread.object);
    if (rootClass !== undefined) {
      const held = ownRoots.filter((root) => root.kind === "java-frame" && heap.classes[heap.classOf[root.root]!]!.name === rootClass);
      expect(held.map((root) => heap.shallowSizes.bytesOf(root.root))).toEqual([1_000_016]);
    }
    // Every other thread has no such frames; only one threw the error.
    const throwers = heap.threads.filter((candidate) => candidate.frames[0]?.className === "java.lang.OutOfMemoryError" && candidate.frames[0].method === "<init>");
    expect(throwers).toHaveLength(dump === "oom" ? 1 : 0);
  });

  it.each([
    ["java/lang/String", "java.lang.String"],
    ["Shapes$Node", "Shapes$Node"],
    ["[B", "byte[]"],
    ["[[I", "int[][]"],
    ["[Z", "boolean[]"],
    ["[J", "long[]"],
    ["[Ljava/lang/Object;", "java.lang.Object[]"],
    ["[[Ljava/util/Map$Entry;", "java.util.Map$Entry[][]"],
  ])("javaName(%s) is %s", (internal, expected) => {
    expect(javaName(internal)).toBe(expected);
  });
});

describe("readHeap on cut dumps", () => {
  const HEADER_BYTES = "JAVA PROFILE 1.0.2".length + 1 + 4 + 8;

  /** Offsets to cut at: inside and around the header, record and sub-record boundaries ±1, and an even spread. */
  function cutOffsets(s: Scan): number[] {
    const size = s.bytes.length;
    const offsets = new Set<number>();
    for (let c = 0; c <= HEADER_BYTES + 10; c++) offsets.add(c);
    const boundaries = [...s.records.map((record) => record.offset), ...s.subRecords.map((sub) => sub.offset)];
    for (let k = 0; k < boundaries.length; k += Math.max(1, Math.floor(boundaries.length / 20))) for (const d of [-1, 0, 1]) offsets.add(boundaries[k]! + d);
    for (const record of s.records.filter((r) => r.tag === 0x1c)) for (const d of [0, 1, 9]) offsets.add(record.offset + d);
    for (let k = 1; k < 20; k++) offsets.add(Math.floor((size * k) / 20));
    offsets.add(size - 1);
    return [...offsets].filter((c) => c >= 0 && c < size).sort((a, b) => a - b);
  }

  describe.each(DUMPS)("%s", (name) => {
    it("throws HprofError for a cut inside the header, and reads every complete object before any later cut", () => {
      const s = scanOf(name);
      const full = heapOf(name);
      const offsets = cutOffsets(s);
      expect(offsets.length).toBeGreaterThan(120);
      for (const cut of offsets) {
        const source = bytesSource(s.bytes.subarray(0, cut));
        if (cut < HEADER_BYTES) {
          expect(() => readHeap(source), `cut at ${cut}`).toThrow(HprofError);
          continue;
        }
        let heap: Heap;
        try {
          heap = readHeap(source);
        } catch (error) {
          throw new Error(`cut at ${cut}: ${String(error)}`);
        }
        expect(heap.truncated, `cut at ${cut}`).toBe(true);
        expect(heap.objectCount).toBeLessThanOrEqual(full.objectCount);
        const classes = s.classes.filter((c) => c.end <= cut).length;
        const objects = s.objects.filter((o) => o.end <= cut);
        expect(heap.classCount, `classes of a cut at ${cut}`).toBe(classes);
        expect(heap.objectCount - heap.classCount, `objects of a cut at ${cut}`).toBe(objects.length);
        // The same objects, in the same order, at the same offsets.
        for (let n = 0; n < objects.length; n += Math.max(1, Math.floor(objects.length / 50))) {
          expect(heap.idOf(heap.classCount + n)).toBe(Number(objects[n]!.id));
          expect(heap.offsetOf(heap.classCount + n)).toBe(objects[n]!.offset);
        }
        // Every edge points at an object of the cut dump.
        for (let e = 0; e < heap.edgeTargets.length; e++) if (heap.edgeTargets[e]! >= heap.objectCount) throw new Error(`cut at ${cut}: edge ${e} out of range`);
        // HotSpot writes the roots last: before them, what nothing references is taken as a root.
        const rootsWritten = s.subRecords.some((sub) => ROOT_BODY[sub.code] !== undefined && sub.offset + 9 <= cut);
        if (!rootsWritten && heap.objectCount > 0) expect(heap.rootsInferred, `cut at ${cut}`).toBe(true);
      }
    }, 120_000);
  });
});

describe("readHeap on corrupt input", () => {
  const shapes = (): Uint8Array => dumpBytes("shapes");
  const patched = (bytes: Uint8Array, at: number, values: readonly number[]): Uint8Array => {
    const copy = bytes.slice();
    copy.set(values, at);
    return copy;
  };
  const text = (value: string): Uint8Array => new TextEncoder().encode(value);
  /** The offset of the n-th (sub-)record matching, from the scanner. */
  const record = (tag: number, n: number): number => scanOf("shapes").records.filter((r) => r.tag === tag)[n]!.offset;
  const subRecord = (code: number, n: number): number => scanOf("shapes").subRecords.filter((r) => r.code === code)[n]!.offset;

  it.each<{ name: string; bytes: () => Uint8Array; message: RegExp; offset: () => number }>([
    { name: "0 bytes", bytes: () => new Uint8Array(0), message: /empty/, offset: () => 0 },
    { name: "text", bytes: () => text("this is not a heap dump at all, just some text\n"), message: /not a heap dump/, offset: () => 0 },
    { name: "binary noise", bytes: () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff), message: /not a heap dump/, offset: () => 0 },
    { name: "another version", bytes: () => text("JAVA PROFILE 9.9.9\0\0\0\0\x08........"), message: /version "9.9.9"/, offset: () => 0 },
    { name: "id size 5", bytes: () => patched(shapes(), 19, [0, 0, 0, 5]), message: /identifier size 5/, offset: () => 19 },
    { name: "an unknown record tag mid-file", bytes: () => patched(shapes(), record(0x02, 300), [0x77]), message: /unknown record tag 0x77/, offset: () => record(0x02, 300) },
    { name: "record tag 0", bytes: () => patched(shapes(), record(0x01, 5000), [0x00]), message: /unknown record tag 0x00/, offset: () => record(0x01, 5000) },
    { name: "record tag 0x1f (between known ones)", bytes: () => patched(shapes(), record(0x04, 2), [0x1f]), message: /unknown record tag 0x1f/, offset: () => record(0x04, 2) },
    { name: "an unknown sub-record tag", bytes: () => patched(shapes(), subRecord(0x21, 500), [0x99]), message: /unknown heap dump record 0x99/, offset: () => subRecord(0x21, 500) },
    {
      name: "a primitive array of an unknown element type",
      bytes: () => patched(shapes(), subRecord(0x23, 40) + 1 + 8 + 8, [0x03]),
      message: /unknown element type 3/,
      offset: () => subRecord(0x23, 40) + 1 + 8 + 8,
    },
    {
      name: "a class's field of an unknown type",
      bytes: () => {
        const c = scanOf("shapes").classes.find((candidate) => candidate.fields.length > 0)!;
        return patched(shapes(), c.end - 1, [0x0e]);
      },
      message: /unknown basic type 14/,
      offset: () => scanOf("shapes").classes.find((candidate) => candidate.fields.length > 0)!.end - 1,
    },
    {
      name: "a STACK TRACE whose length does not fit its frames",
      bytes: () => patched(shapes(), record(0x05, 1) + 5, [0, 0, 0, 13]),
      message: /STACK TRACE/,
      offset: () => record(0x05, 1),
    },
  ])("$name: HprofError at the bad byte", ({ bytes, message, offset }) => {
    let thrown: unknown;
    try {
      readHeap(bytesSource(bytes()));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HprofError);
    expect((thrown as HprofError).message).toMatch(message);
    expect((thrown as HprofError).offset).toBe(offset());
  });

  it("a segment too short for its last sub-record is corrupt, not a cut", () => {
    const s = scanOf("shapes");
    const segment = s.records.filter((r) => r.tag === 0x1c)[1]!;
    const view = new DataView(s.bytes.buffer, s.bytes.byteOffset);
    const copy = s.bytes.slice();
    new DataView(copy.buffer).setUint32(segment.offset + 5, view.getUint32(segment.offset + 5) - 3);
    let thrown: unknown;
    try {
      readHeap(bytesSource(copy));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HprofError);
    const last = s.subRecords.filter((sub) => sub.offset < segment.end).at(-1)!;
    expect((thrown as HprofError).offset).toBe(last.offset);
  });
});

describe("readHeap on small dumps made of the shapes dump's sub-records", () => {
  /** The shapes dump's header, one HEAP DUMP SEGMENT holding `subRecords`, and HEAP DUMP END. */
  function segmentDump(subRecords: readonly Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
    const s = scanOf("shapes");
    const header = s.bytes.subarray(0, s.bytes.indexOf(0) + 13);
    const body = subRecords.reduce((sum, sub) => sum + sub.length, 0);
    const bytes = new Uint8Array(header.length + 9 + body + 9);
    bytes.set(header);
    bytes[header.length] = 0x1c;
    new DataView(bytes.buffer).setUint32(header.length + 5, body);
    const offsets: number[] = [];
    let at = header.length + 9;
    for (const sub of subRecords) {
      offsets.push(at);
      bytes.set(sub, at);
      at += sub.length;
    }
    bytes[at] = 0x2c;
    return { bytes, offsets };
  }
  /** A PRIMITIVE ARRAY DUMP of no bytes, with id `id` (8-byte ids). */
  const emptyByteArray = (id: bigint): Uint8Array => {
    const sub = new Uint8Array(1 + 8 + 4 + 4 + 1);
    const view = new DataView(sub.buffer);
    sub[0] = 0x23;
    view.setBigUint64(1, id);
    sub[17] = 8; // byte[]
    return sub;
  };
  const firstClassDump = (): Uint8Array => {
    const c = scanOf("shapes").classes[0]!;
    return scanOf("shapes").bytes.slice(c.offset, c.end);
  };

  it("objects without any class are corrupt: HprofError at the first object (no class index to give them)", () => {
    const { bytes, offsets } = segmentDump([emptyByteArray(8n), emptyByteArray(16n)]);
    let thrown: unknown;
    try {
      readHeap(bytesSource(bytes));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HprofError);
    expect((thrown as HprofError).message).toMatch(/no class/);
    expect((thrown as HprofError).offset).toBe(offsets[0]);
  });

  it("finds each of a few objects whose ids lie more than 2^34 bytes apart", () => {
    // Compact ids (id / 8) spanning more than 2^31 with fewer than 8 objects: the id buckets are 2^31 wide at most.
    const ids = [8n, 2n ** 35n - 8n];
    const heap = readHeap(bytesSource(segmentDump([firstClassDump(), ...ids.map(emptyByteArray)]).bytes));
    expect(heap.truncated).toBe(false);
    expect(ids.map((id) => heap.indexOf(Number(id)))).toEqual([heap.classCount, heap.classCount + 1]);
    expect(ids.map((_, n) => heap.idOf(heap.classCount + n))).toEqual(ids.map(Number));
  });

  it("reads a super class cycle (corrupt) with each class's fields once in a layout", () => {
    const s = scanOf("shapes");
    const [a, b] = s.classes.filter((c) => c.fields.length > 0);
    const withSuper = (c: ScannedClass, superId: bigint): Uint8Array => {
      const sub = s.bytes.slice(c.offset, c.end);
      new DataView(sub.buffer).setBigUint64(1 + 8 + 4, superId);
      return sub;
    };
    const heap = readHeap(bytesSource(segmentDump([withSuper(a!, b!.id), withSuper(b!, a!.id)]).bytes));
    expect(heap.classes.map((c) => c.superClass)).toEqual([1, 0]);
    expect(heap.classes[0]!.allFields).toHaveLength(a!.fields.length + b!.fields.length);
    expect(heap.classes[1]!.allFields).toHaveLength(a!.fields.length + b!.fields.length);
    expect(heap.classes[0]!.dumpInstanceBytes).toBe(heap.classes[1]!.dumpInstanceBytes);
  });

  it("finds each of a few objects whose ids lie 2^53 apart (past where the difference of two doubles is exact)", () => {
    const ids = [8n, 2n ** 53n + 8n];
    const heap = readHeap(bytesSource(segmentDump([firstClassDump(), ...ids.map(emptyByteArray)]).bytes));
    expect(ids.map((id) => heap.indexOf(Number(id)))).toEqual([heap.classCount, heap.classCount + 1]);
  });
});

describe("readHeap on a dump in another order than HotSpot's", () => {
  /** The shapes dump with one HEAP DUMP SEGMENT moved to just before HEAP DUMP END. */
  function withSegmentLast(n: number): Uint8Array {
    const s = scanOf("shapes");
    const segment = s.records.filter((r) => r.tag === 0x1c)[n]!;
    const end = s.records.find((r) => r.tag === 0x2c)!;
    const parts = [s.bytes.subarray(0, segment.offset), s.bytes.subarray(segment.end, end.offset), s.bytes.subarray(segment.offset, segment.end), s.bytes.subarray(end.offset)];
    const moved = new Uint8Array(s.bytes.length);
    let at = 0;
    for (const part of parts) {
      moved.set(part, at);
      at += part.length;
    }
    return moved;
  }

  /** Everything about an object that does not depend on numbering: its class, size, kind and references by id. */
  function described(heap: Heap, index: number): string {
    const targets = [...heap.edgeTargets.subarray(heap.edgeStart.of(index), heap.edgeStart.of(index + 1))].map((target) => heap.idOf(target)).sort((a, b) => a - b);
    return `${heap.classes[heap.classOf[index]!]!.name} ${heap.shallowSizes.bytesOf(index)} ${heap.kindOf(index)} → ${targets.join(",")}`;
  }

  it.each([
    // The first segment holds only CLASS DUMPs: their instances, and subclasses' layouts, come before them.
    { name: "classes after their instances", segment: 0, late: "classes" },
    // A segment of objects: ids no longer in address order.
    { name: "objects out of address order", segment: 2, late: "objects" },
  ])("$name: the same heap", ({ segment }) => {
    const original = heapOf("shapes");
    const heap = readHeap(bytesSource(withSegmentLast(segment)));
    expect(heap.truncated).toBe(false);
    expect(heap.objectCount).toBe(original.objectCount);
    expect(heap.classCount).toBe(original.classCount);
    const differences: string[] = [];
    for (let i = 0; i < heap.objectCount; i++) {
      const same = original.indexOf(heap.idOf(i));
      expect(heap.indexOf(heap.idOf(i))).toBe(i);
      if (described(heap, i) !== described(original, same)) differences.push(`${described(heap, i)} ≠ ${described(original, same)}`);
    }
    expect(differences.slice(0, 5)).toEqual([]);
    const roots = (h: Heap): string[] => [...h.roots].map((root, r) => `${h.idOf(root)} ${h.rootKinds[r]}`).sort();
    expect(roots(heap)).toEqual(roots(original));
    for (const heapClass of heap.classes) expect(heapClass.count, heapClass.name).toBe(original.classByName.get(heapClass.name)!.count);
  });
});

describe("readHeap on the shapes dump re-encoded with other ids", () => {
  /** Bytes written one after another, with room made as they come, and a way to fill in a length written before its record. */
  class Writer {
    bytes = new Uint8Array(1 << 20);
    length = 0;

    u1(value: number): void {
      if (this.length === this.bytes.length) {
        const bigger = new Uint8Array(this.bytes.length * 2);
        bigger.set(this.bytes);
        this.bytes = bigger;
      }
      this.bytes[this.length++] = value & 0xff;
    }

    u4(value: number): void {
      for (const shift of [24, 16, 8, 0]) this.u1(value >>> shift);
    }

    /** Writes the bytes written since `at + 4` as a u4 at `at`. */
    lengthSince(at: number): void {
      const length = this.length - at - 4;
      for (const [k, shift] of [24, 16, 8, 0].entries()) this.bytes[at + k] = (length >>> shift) & 0xff;
    }
  }

  /**
   * The dump written again record by record (the scanner's reading of it), every id through `map` and written
   * `idSize` bytes wide: what another JVM (32-bit, or one whose ids are not 8-byte aligned addresses below
   * 32 GB) would have written for the same heap.
   */
  function reencoded(idSize: 4 | 8, map: (id: bigint) => bigint): Uint8Array {
    const s = scanOf("shapes");
    const source = s.bytes;
    const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    const readId = (at: number): bigint => (s.idSize === 8 ? view.getBigUint64(at) : BigInt(view.getUint32(at)));
    const objectAt = new Map(s.objects.map((object) => [object.offset, object]));
    const out = new Writer();
    const copy = (from: number, to: number): void => {
      for (let p = from; p < to; p++) out.u1(source[p]!);
    };
    /** Writes `count` ids read from `at` (mapped), returning the offset after them. */
    const ids = (at: number, count: number): number => {
      for (let k = 0; k < count; k++) {
        const value = readId(at + k * s.idSize);
        const mapped = value === 0n ? 0n : map(value);
        for (let byte = idSize - 1; byte >= 0; byte--) out.u1(Number((mapped >> BigInt(8 * byte)) & 0xffn));
      }
      return at + count * s.idSize;
    };
    const value = (type: number, at: number): number => {
      if (type === 2) return ids(at, 1);
      copy(at, at + FILE_BYTES[type]!);
      return at + FILE_BYTES[type]!;
    };
    const nul = source.indexOf(0);
    copy(0, nul + 1);
    out.u4(idSize);
    copy(nul + 5, nul + 13);
    let sub = 0;
    for (const { tag, offset, end } of s.records) {
      copy(offset, offset + 5);
      const lengthAt = out.length;
      out.u4(0);
      const p = offset + 9;
      if (tag === 0x01) {
        copy(ids(p, 1), end);
      } else if (tag === 0x02) {
        copy(p, p + 4);
        ids(p + 4, 1);
        copy(p + 4 + s.idSize, p + 8 + s.idSize);
        ids(p + 8 + s.idSize, 1);
      } else if (tag === 0x04) {
        copy(ids(p, 4), end);
      } else if (tag === 0x05) {
        copy(p, p + 12);
        ids(p + 12, view.getUint32(p + 8));
      } else if (tag === 0x1c) {
        for (; sub < s.subRecords.length && s.subRecords[sub]!.offset < end; sub++) {
          const { code, offset: at } = s.subRecords[sub]!;
          out.u1(code);
          let q = at + 1;
          if (code === 0x20) {
            q = ids(q, 1);
            copy(q, q + 4);
            q = ids(q + 4, 6);
            copy(q, q + 4);
            q += 4;
            for (const section of ["constants", "statics", "fields"] as const) {
              const count = view.getUint16(q);
              copy(q, q + 2);
              q += 2;
              for (let k = 0; k < count; k++) {
                if (section === "constants") {
                  copy(q, q + 3);
                  q = value(source[q + 2]!, q + 3);
                } else {
                  q = ids(q, 1);
                  copy(q, q + 1);
                  q = section === "statics" ? value(source[q]!, q + 1) : q + 1;
                }
              }
            }
          } else if (code === 0x21) {
            const object = objectAt.get(at)!;
            ids(q, 1);
            copy(q + s.idSize, q + s.idSize + 4);
            ids(q + s.idSize + 4, 1);
            const dataAt = out.length;
            out.u4(0);
            for (const field of layoutOf(s, object.classId)) value(field.type, object.dataStart + field.offset);
            out.lengthSince(dataAt);
          } else if (code === 0x22) {
            const count = view.getUint32(q + s.idSize + 4);
            ids(q, 1);
            copy(q + s.idSize, q + s.idSize + 8);
            ids(q + s.idSize + 8, 1 + count);
          } else if (code === 0x23) {
            ids(q, 1);
            copy(q + s.idSize, objectAt.get(at)!.end);
          } else {
            ids(q, code === 0x01 ? 2 : 1);
            if (code !== 0x01) copy(q + s.idSize, q + s.idSize + ROOT_BODY[code]!.extra);
          }
        }
      } else if (tag !== 0x2c) {
        throw new Error(`the re-encoder does not know record 0x${tag.toString(16)}`);
      }
      out.lengthSince(lengthAt);
    }
    return out.bytes.slice(0, out.length);
  }

  /** Ids numbered 8, 16, 24… in order of first appearance (file order: object ids stay sorted). */
  function renumbered(): (id: bigint) => bigint {
    const numbers = new Map<bigint, bigint>();
    return (id) => {
      let number = numbers.get(id);
      if (number === undefined) numbers.set(id, (number = 8n * BigInt(numbers.size + 1)));
      return number;
    };
  }

  /** Ids from the middle object's on made odd (still in order): compact ids first, then ones that are not. */
  function oddFromTheMiddle(): (id: bigint) => bigint {
    const objects = scanOf("shapes").objects;
    const middle = objects[objects.length >> 1]!.id;
    return (id) => (id < middle ? id : id * 2n + 1n);
  }

  it.each<{ name: string; idSize: 4 | 8; map: () => (id: bigint) => bigint }>([
    { name: "4-byte ids", idSize: 4, map: renumbered },
    { name: "odd ids", idSize: 8, map: () => (id) => id * 2n + 1n },
    { name: "ids past 32 GB", idSize: 8, map: () => (id) => id + 2n ** 40n },
    { name: "compact ids, then odd ones", idSize: 8, map: oddFromTheMiddle },
  ])("$name: the same heap, object for object", ({ idSize, map }) => {
    const original = heapOf("shapes");
    const bytes = reencoded(idSize, map());
    const heap = readHeap(bytesSource(bytes));
    const s = scan(bytes);
    expect(heap.idSize).toBe(idSize);
    expect(heap.truncated).toBe(false);
    expect(heap.objectCount).toBe(original.objectCount);
    expect(heap.classes.map((c) => `${c.name} ${c.count} ${c.heapInstanceBytes} ${c.allFields.map((f) => f.name).join(",")}`)).toEqual(
      original.classes.map((c) => `${c.name} ${c.count} ${c.heapInstanceBytes} ${c.allFields.map((f) => f.name).join(",")}`),
    );
    expect([...heap.classOf]).toEqual([...original.classOf]);
    expect(heap.shallowSizes.toArray()).toEqual(original.shallowSizes.toArray());
    expect([...heap.edgeStart.toArray(heap.objectCount + 1)]).toEqual([...original.edgeStart.toArray(original.objectCount + 1)]);
    expect([...heap.edgeTargets]).toEqual([...original.edgeTargets]);
    expect([...heap.roots]).toEqual([...original.roots]);
    expect(heap.rootKinds).toEqual(original.rootKinds);
    expect(heap.threads).toEqual(original.threads);
    const mismatches: string[] = [];
    s.objects.forEach((object, n) => {
      const index = heap.classCount + n;
      if (heap.idOf(index) !== Number(object.id)) mismatches.push(`idOf(${index})`);
      if (heap.indexOf(Number(object.id)) !== index) mismatches.push(`indexOf(${object.id})`);
      if (n % 7 === 0 && heap.offsetOf(index) !== object.offset) mismatches.push(`offsetOf(${index})`);
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    // And cut: still a cut dump, never an exception.
    for (const fraction of [0.3, 0.6, 0.95]) expect(readHeap(bytesSource(bytes.subarray(0, Math.floor(bytes.length * fraction)))).truncated).toBe(true);
  }, 60_000);

  /**
   * The shapes heap as a JVM of 32 GB or more would have placed it: every instance and array at a new address,
   * each the previous one's size (under `layout`, computed here from the records) further on, from 64 GB up.
   */
  function placedAs(layout: { header: number; arrayHeader: number }): { bytes: Uint8Array; sizes: Map<bigint, number> } {
    const s = scanOf("shapes");
    const classById = new Map(s.classes.map((c) => [c.id, c]));
    const align8 = (bytes: number): number => Math.ceil(bytes / 8) * 8;
    const instanceBytes = (classId: bigint): number => {
      let bytes = layout.header;
      for (let c = classById.get(classId); c !== undefined; c = classById.get(c.superId)) for (const field of c.fields) bytes += field.type === 2 ? 8 : FILE_BYTES[field.type]!;
      return align8(bytes);
    };
    const sizes = new Map<bigint, number>();
    const moved = new Map<bigint, bigint>();
    let address = 2n ** 36n;
    for (const object of s.objects) {
      const bytes =
        object.kind === KIND_INSTANCE
          ? instanceBytes(object.classId)
          : align8(layout.arrayHeader + object.length * (object.kind === KIND_OBJECT_ARRAY ? 8 : FILE_BYTES[object.elementType]!));
      moved.set(object.id, address);
      sizes.set(address, bytes);
      address += BigInt(bytes);
    }
    return { bytes: reencoded(8, (id) => moved.get(id) ?? id), sizes };
  }

  it.each([
    { layout: "wide-references", header: 12, arrayHeader: 16, why: "JDK 15 and later at 32 GB or more: 8-byte references" },
    { layout: "wide", header: 16, arrayHeader: 24, why: "before JDK 15 at 32 GB or more: 8-byte references and class pointers" },
  ])("a heap laid out $layout ($why): the addresses tell, and every shallow size follows", ({ layout, header, arrayHeader }) => {
    const placed = placedAs({ header, arrayHeader });
    const heap = readHeap(bytesSource(placed.bytes));
    expect(heap.layout).toBe(layout);
    const wrong: string[] = [];
    for (let index = heap.classCount; index < heap.objectCount; index++) {
      const expected = placed.sizes.get(BigInt(heap.idOf(index)));
      if (heap.shallowSizes.bytesOf(index) !== expected) wrong.push(`${heap.classes[heap.classOf[index]!]!.name} ${heap.shallowSizes.bytesOf(index)} ≠ ${expected}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // More than the compressed heap: every reference field and element takes 8 bytes.
    const compressed = heapOf("shapes");
    const total = (h: Heap): number => h.shallowSizes.toArray().subarray(h.classCount).reduce((sum, bytes) => sum + bytes, 0);
    expect(total(heap)).toBeGreaterThan(total(compressed));
  });

  it("a heap of compressed references is read as one (the Java fixtures, and the same moved past 32 GB)", () => {
    expect(heapOf("shapes").layout).toBe("compressed");
    expect(readHeap(bytesSource(reencoded(8, (id) => id + 2n ** 40n))).layout).toBe("compressed");
  });
});
