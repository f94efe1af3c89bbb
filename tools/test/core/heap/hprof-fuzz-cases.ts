// Fuzz cases for the HPROF reader, shared by test/core/heap/hprof-fuzz.test.ts (a bounded, seeded run) and
// bench/hprof-fuzz.ts (as many cases as asked for). A case is a small window of a real dump — a prefix, a run of
// top-level records, or a run of heap dump sub-records wrapped in a segment of its own — with a few mutations:
// bytes flipped, lengths, counts, tags and ids overwritten with extreme values, the window cut short. The reader
// must return a Heap whose arrays are consistent (truncated when the case is only a cut), or throw HprofError
// with an offset within the file: never another exception, and never allocate more than the file's size allows.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { bytesSource, HprofError, readHeap, type Heap } from "../../../src/core/heap/hprof.js";
import { firstAtOrAfter } from "../../../src/core/sorted.js";
import { random } from "../../helpers/random.js";

/** A dump to cut windows from, with the boundaries of its records and of its heap dump sub-records. */
export interface FuzzBase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly idSize: number;
  /** Offset of the first record (the header's length). */
  readonly bodyOffset: number;
  readonly recordOffsets: Uint32Array;
  /** Offsets of sub-records (within heap dump segments), their ends and their tags. */
  readonly subRecords: Uint32Array;
  readonly subRecordEnds: Uint32Array;
  readonly subRecordTags: Uint8Array;
  /** Each class's CLASS DUMP: where it is, and its super class's id. */
  readonly classDumps: ReadonlyMap<number, { readonly offset: number; readonly end: number; readonly superId: number }>;
}

export interface FuzzCase {
  readonly bytes: Uint8Array;
  /** How it was made, to read in a failure. */
  readonly recipe: string;
  /** Only cut from a dump, unmutated, short of its end: the heap must say truncated. */
  readonly onlyCut: boolean;
}

/** Bytes of a value of each basic type in the dump (2, an object, is the id size). */
const VALUE_BYTES: Readonly<Record<number, number>> = { 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8 };
const ROOT_BYTES: Readonly<Record<number, (idSize: number) => number>> = {
  0xff: (id) => id,
  0x01: (id) => 2 * id,
  0x02: (id) => id + 8,
  0x03: (id) => id + 8,
  0x04: (id) => id + 4,
  0x05: (id) => id,
  0x06: (id) => id + 4,
  0x07: (id) => id,
  0x08: (id) => id + 8,
};

/** Reads a dump (gzipped or not) and finds its record and sub-record boundaries. */
export function loadFuzzBase(path: string): FuzzBase {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(path.endsWith(".gz") ? gunzipSync(raw) : raw);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nul = bytes.indexOf(0);
  const idSize = view.getUint32(nul + 1);
  // Every record takes 9 bytes at least, every sub-record 1 + idSize.
  const recordOffsets = new Uint32Array(Math.ceil(bytes.length / 9));
  const subRecords = new Uint32Array(Math.ceil(bytes.length / (1 + idSize)));
  const subRecordEnds = new Uint32Array(subRecords.length);
  const subRecordTags = new Uint8Array(subRecords.length);
  let records = 0;
  let subs = 0;
  const classDumps = new Map<number, { offset: number; end: number; superId: number }>();
  const idAt = (at: number): number => (idSize === 8 ? view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4) : view.getUint32(at));
  for (let p = nul + 13; p + 9 <= bytes.length; ) {
    const tag = bytes[p]!;
    const end = p + 9 + view.getUint32(p + 5);
    recordOffsets[records++] = p;
    if (tag === 0x0c || tag === 0x1c) {
      for (let q = p + 9; q < Math.min(end, bytes.length); subs++) {
        const code = bytes[q]!;
        const next = subRecordEnd(bytes, view, q, idSize);
        subRecords[subs] = q;
        subRecordEnds[subs] = next;
        subRecordTags[subs] = code;
        if (code === 0x20) classDumps.set(idAt(q + 1), { offset: q, end: next, superId: idAt(q + 1 + idSize + 4) });
        q = next;
      }
    }
    p = end;
  }
  return {
    name: path.split("/").slice(-3).join("/"),
    bytes,
    idSize,
    bodyOffset: nul + 13,
    recordOffsets: recordOffsets.slice(0, records),
    subRecords: subRecords.slice(0, subs),
    subRecordEnds: subRecordEnds.slice(0, subs),
    subRecordTags: subRecordTags.slice(0, subs),
    classDumps,
  };
}

/** The end of the (intact) sub-record at q. */
function subRecordEnd(bytes: Uint8Array, view: DataView, q: number, idSize: number): number {
  const code = bytes[q]!;
  const body = q + 1;
  if (code === 0x21) return body + 2 * idSize + 8 + view.getUint32(body + 2 * idSize + 4);
  if (code === 0x22) return body + 2 * idSize + 8 + view.getUint32(body + idSize + 4) * idSize;
  if (code === 0x23) return body + idSize + 9 + view.getUint32(body + idSize + 4) * VALUE_BYTES[bytes[body + idSize + 8]!]!;
  if (code === 0x20) {
    let r = body + 7 * idSize + 8;
    const constants = view.getUint16(r);
    r += 2;
    for (let i = 0; i < constants; i++) r += 3 + (bytes[r + 2] === 2 ? idSize : VALUE_BYTES[bytes[r + 2]!]!);
    const statics = view.getUint16(r);
    r += 2;
    for (let i = 0; i < statics; i++) r += idSize + 1 + (bytes[r + idSize] === 2 ? idSize : VALUE_BYTES[bytes[r + idSize]!]!);
    return r + 2 + view.getUint16(r) * (idSize + 1);
  }
  const root = ROOT_BYTES[code];
  if (root === undefined) throw new Error(`the fuzzer's scanner met sub-record 0x${code.toString(16)} at ${q}`);
  return body + root(idSize);
}

const EXTREME_U32 = [0, 1, 2, 7, 8, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];
const EXTREME_IDS = [0n, 1n, 7n, 8n, 2n ** 31n, 2n ** 32n - 8n, 2n ** 32n, 2n ** 35n - 8n, 2n ** 35n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

/** The largest window a case cuts, in bytes: small, so that ten thousand cases take seconds. */
export const MAX_WINDOW = 48 * 1024;

/** Case `index` of the run seeded `seed` over `bases`. */
export function fuzzCase(bases: readonly FuzzBase[], seed: number, index: number): FuzzCase {
  const next = random(seed * 0x9e3779b1 + index);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const below = (n: number): number => Math.floor(next() * n);
  const base = bases[index % bases.length]!;
  const window = 16 + below(below(2) === 0 ? 2048 : MAX_WINDOW);
  const kind = below(3);
  let cut: { bytes: Uint8Array; fields: number[]; recipe: string; endsAtDumpEnd: boolean };
  if (kind === 0) cut = prefixWindow(base, window);
  else if (kind === 1) cut = recordWindow(base, below(base.recordOffsets.length), window);
  else cut = subRecordWindow(base, below(base.subRecords.length), window, below(2) === 0, below(4) > 0);
  const bytes = cut.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mutations = below(4);
  const done: string[] = [];
  for (let m = 0; m < mutations && bytes.length > base.bodyOffset; m++) {
    const anywhere = base.bodyOffset + below(bytes.length - base.bodyOffset);
    const field = cut.fields.length > 0 && below(4) > 0 ? pick(cut.fields) : anywhere;
    const what = below(5);
    if (what === 0) {
      bytes[anywhere] ^= 1 + below(255);
      done.push(`flip@${anywhere}`);
    } else if (what === 1 && field + 4 <= bytes.length) {
      const value = pick(EXTREME_U32);
      view.setUint32(field, value);
      done.push(`u32@${field}=${value}`);
    } else if (what === 2 && field + 8 <= bytes.length) {
      const value = pick(EXTREME_IDS) & 0xffffffffffffffffn;
      if (base.idSize === 8) view.setBigUint64(field, value);
      else view.setUint32(field, Number(value & 0xffffffffn));
      done.push(`id@${field}=${value}`);
    } else if (what === 3) {
      // A tag: of a record or sub-record (a field start is one), another known one or any byte.
      const at = below(2) === 0 ? field : anywhere;
      bytes[at] = pick([0x01, 0x02, 0x04, 0x05, 0x0c, 0x1c, 0x2c, 0x20, 0x21, 0x22, 0x23, 0xff, 0x08, 0x03, below(256)]);
      done.push(`tag@${at}=${bytes[at]}`);
    } else if (field + 2 <= bytes.length) {
      const value = pick([0, 1, 0xff, 0x100, 0x7fff, 0xffff]);
      view.setUint16(field, value);
      done.push(`u16@${field}=${value}`);
    }
  }
  if (below(50) === 0) {
    // The header's id size: the same bytes read with ids of the other size.
    const idSize = pick([4, 8, 0, 5, 0xffffffff]);
    view.setUint32(base.bodyOffset - 12, idSize);
    done.push(`idSize=${idSize}`);
  }
  let length = bytes.length;
  if (below(4) === 0) {
    length = below(bytes.length + 1);
    done.push(`cut@${length}`);
  }
  const onlyCut = done.length === 0 || (done.length === 1 && done[0]!.startsWith("cut@"));
  return {
    bytes: bytes.subarray(0, length),
    recipe: `${base.name} ${cut.recipe}${done.length > 0 ? ` ${done.join(" ")}` : ""}`,
    onlyCut: onlyCut && !(cut.endsAtDumpEnd && length === bytes.length),
  };
}

/** The header and the first `window` bytes after it. */
function prefixWindow(base: FuzzBase, window: number): { bytes: Uint8Array; fields: number[]; recipe: string; endsAtDumpEnd: boolean } {
  const end = Math.min(base.bytes.length, base.bodyOffset + window);
  const fields: number[] = [];
  for (let r = 0; r < base.recordOffsets.length && base.recordOffsets[r]! < end; r++) fields.push(base.recordOffsets[r]!, base.recordOffsets[r]! + 5, base.recordOffsets[r]! + 9);
  return { bytes: base.bytes.slice(0, end), fields, recipe: `prefix ${end}`, endsAtDumpEnd: end === base.bytes.length };
}

/** The header, then `window` bytes of records from record `first`. */
function recordWindow(base: FuzzBase, first: number, window: number): { bytes: Uint8Array; fields: number[]; recipe: string; endsAtDumpEnd: boolean } {
  const from = base.recordOffsets[first]!;
  const to = Math.min(base.bytes.length, from + window);
  const bytes = new Uint8Array(base.bodyOffset + to - from);
  bytes.set(base.bytes.subarray(0, base.bodyOffset));
  bytes.set(base.bytes.subarray(from, to), base.bodyOffset);
  const shift = base.bodyOffset - from;
  const fields: number[] = [];
  for (let r = first; r < base.recordOffsets.length && base.recordOffsets[r]! < to; r++) {
    const at = base.recordOffsets[r]! + shift;
    fields.push(at, at + 5, at + 9, at + 9 + base.idSize);
  }
  return { bytes, fields, recipe: `records from ${from} for ${to - from}`, endsAtDumpEnd: to === base.bytes.length };
}

/**
 * The header, then one HEAP DUMP SEGMENT holding `window` bytes of sub-records from sub-record `first` (its length
 * up to the last whole one, so the segment is well-formed until mutated), then HEAP DUMP END when `closed`. With
 * `classes`, the CLASS DUMPs of the window's instances and arrays (and of their super classes) come first.
 */
function subRecordWindow(
  base: FuzzBase,
  first: number,
  window: number,
  closed: boolean,
  classes: boolean,
): { bytes: Uint8Array; fields: number[]; recipe: string; endsAtDumpEnd: boolean } {
  if (base.subRecords.length === 0) return prefixWindow(base, window);
  const { idSize, bodyOffset } = base;
  const source = new DataView(base.bytes.buffer, base.bytes.byteOffset, base.bytes.byteLength);
  const idAt = (at: number): number => (idSize === 8 ? source.getUint32(at) * 2 ** 32 + source.getUint32(at + 4) : source.getUint32(at));
  const from = base.subRecords[first]!;
  // Whole sub-records of one segment, up to the window's size (at least one, which may be larger).
  let last = first;
  while (last + 1 < base.subRecords.length && base.subRecords[last + 1] === base.subRecordEnds[last] && base.subRecordEnds[last + 1]! - from <= window) last++;
  const to = base.subRecordEnds[last]!;
  const length = Math.min(to - from, window + 64 * 1024);
  // The sub-records to copy: [offset, end) of the classes wanted, then the window.
  const parts: [number, number][] = [];
  if (classes) {
    const wanted = new Set<number>();
    for (let s = first; s <= last && base.subRecords[s]! + 1 + 2 * idSize + 8 <= from + length; s++) {
      const at = base.subRecords[s]!;
      const code = base.subRecordTags[s]!;
      let classId = code === 0x21 ? idAt(at + 1 + idSize + 4) : code === 0x22 ? idAt(at + 1 + idSize + 8) : 0;
      for (let steps = 0; classId !== 0 && !wanted.has(classId) && steps < 64; steps++) {
        wanted.add(classId);
        classId = base.classDumps.get(classId)?.superId ?? 0;
      }
    }
    for (const classId of wanted) {
      const dump = base.classDumps.get(classId);
      if (dump !== undefined && dump.offset !== from) parts.push([dump.offset, dump.end]);
    }
  }
  parts.push([from, from + length]);
  const body = parts.reduce((sum, [start, end]) => sum + end - start, 0);
  const bytes = new Uint8Array(bodyOffset + 9 + body + (closed ? 9 : 0));
  const view = new DataView(bytes.buffer);
  bytes.set(base.bytes.subarray(0, bodyOffset));
  bytes[bodyOffset] = 0x1c;
  view.setUint32(bodyOffset + 5, body);
  const fields = [bodyOffset + 5];
  let at = bodyOffset + 9;
  for (const [start, end] of parts) {
    bytes.set(base.bytes.subarray(start, end), at);
    fields.push(...subRecordFields(base, start, end, at - start));
    at += end - start;
  }
  if (closed) bytes[at] = 0x2c;
  const complete = length === to - from;
  return {
    bytes,
    fields: fields.filter((field) => field < bytes.length),
    recipe: `sub-records from ${from} for ${length}${classes ? ` after ${parts.length - 1} classes` : ""}${closed ? " closed" : ""}`,
    endsAtDumpEnd: closed && complete,
  };
}

/** Where the sub-records in [start, end) of the base keep their tags, counts and class ids, moved by `shift`. */
function subRecordFields(base: FuzzBase, start: number, end: number, shift: number): number[] {
  const idSize = base.idSize;
  const fields: number[] = [];
  let s = firstAtOrAfter(base.subRecords, start);
  for (; s < base.subRecords.length && base.subRecords[s]! < end; s++) {
    const at = base.subRecords[s]! + shift;
    const code = base.subRecordTags[s]!;
    fields.push(at, at + 1);
    // The counts and class ids a decoder trusts: instance byte count, array lengths, element type, field counts.
    if (code === 0x21) fields.push(at + 1 + idSize + 4, at + 1 + 2 * idSize + 4, at + 1 + 2 * idSize + 8);
    if (code === 0x22) fields.push(at + 1 + idSize + 4, at + 1 + idSize + 8, at + 1 + 2 * idSize + 8);
    if (code === 0x23) fields.push(at + 1 + idSize + 4, at + 1 + idSize + 8);
    if (code === 0x20) fields.push(at + 1 + idSize + 4, at + 1 + 2 * idSize + 4, at + 1 + 7 * idSize + 4, at + 1 + 7 * idSize + 8);
  }
  return fields;
}

/** What a case's read came to: a whole heap, a cut one, or HprofError; `failure` when the reader misbehaved. */
export interface CaseResult {
  readonly outcome: "heap" | "truncated" | "error";
  readonly failure?: string;
}

/**
 * Runs cases `first` … `first + count - 1` of the run seeded `seed`, handing each with its result to `report`:
 * no failure when the reader behaved (a consistent Heap, or HprofError with an offset in the file, having
 * allocated no more than allocationLimit allows), else what went wrong.
 */
export function runCases(bases: readonly FuzzBase[], seed: number, first: number, count: number, report: (index: number, fuzz: FuzzCase, result: CaseResult) => void): void {
  const allocations = trackAllocations();
  try {
    for (let index = first; index < first + count; index++) {
      const fuzz = fuzzCase(bases, seed, index);
      allocations.bytes = 0;
      report(index, fuzz, checkCase(fuzz, allocations));
    }
  } finally {
    allocations.stop();
  }
}

function checkCase(fuzz: FuzzCase, allocations: { bytes: number }): CaseResult {
  let heap: Heap | undefined;
  let thrown: unknown;
  try {
    heap = readHeap(bytesSource(fuzz.bytes));
  } catch (error) {
    thrown = error;
  }
  const outcome = heap === undefined ? "error" : heap.truncated ? "truncated" : "heap";
  const failed = (failure: string): CaseResult => ({ outcome, failure });
  if (allocations.bytes > allocationLimit(fuzz.bytes.length)) return failed(`allocated ${allocations.bytes} bytes of typed arrays for a ${fuzz.bytes.length}-byte file`);
  if (heap === undefined) {
    if (!(thrown instanceof HprofError)) return failed(`threw ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`);
    if (!Number.isSafeInteger(thrown.offset) || thrown.offset < 0 || thrown.offset > fuzz.bytes.length) return failed(`HprofError at offset ${thrown.offset}, outside the file: ${thrown.message}`);
    return { outcome };
  }
  try {
    const wrong = inconsistency(heap, fuzz);
    return wrong === undefined ? { outcome } : failed(wrong);
  } catch (error) {
    return failed(`the heap's queries threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** What is wrong with a heap the reader returned, or undefined. */
function inconsistency(heap: Heap, fuzz: FuzzCase): string | undefined {
  if (fuzz.onlyCut && !heap.truncated) return "a cut dump read as complete";
  const { objectCount, classCount, edgeStart, edgeTargets } = heap;
  if (classCount > objectCount || heap.classes.length !== classCount) return `classCount ${classCount}, objectCount ${objectCount}, ${heap.classes.length} classes`;
  if (heap.classOf.length !== objectCount || heap.shallowSizes.length !== objectCount || edgeStart.length !== objectCount + 1) return "per-object arrays of the wrong length";
  if (edgeStart.of(objectCount) !== edgeTargets.length) return "edgeStart does not end at the edges' end";
  const seen = new Int32Array(objectCount).fill(-1);
  for (let i = 0; i < objectCount; i++) {
    if (edgeStart.of(i) > edgeStart.of(i + 1)) return `edgeStart decreases at ${i}`;
    for (let e = edgeStart.of(i); e < edgeStart.of(i + 1); e++) {
      const target = edgeTargets[e]!;
      if (target >= objectCount) return `edge ${e} of ${i} to ${target}, past the objects`;
      if (seen[target] === i) return `object ${i} has two edges to ${target}`;
      seen[target] = i;
    }
    if (heap.classOf[i]! >= classCount) return `object ${i} of class ${heap.classOf[i]}, past the classes`;
    const kind = heap.kindOf(i);
    if (!(kind >= 0 && kind <= 3) || (i < classCount) !== (kind === 0)) return `object ${i} of kind ${kind}`;
  }
  if (heap.roots.length !== heap.rootKinds.length || heap.roots.length !== heap.rootThreadSerials.length) return "roots, their kinds and serials differ in length";
  for (const root of heap.roots) if (root >= objectCount) return `root ${root} past the objects`;
  for (const thread of heap.threads) if (thread.object < -1 || thread.object >= objectCount) return `thread object ${thread.object}`;
  for (const heapClass of heap.classes) {
    if (heapClass.superClass < -1 || heapClass.superClass >= classCount) return `class ${heapClass.index}'s super class ${heapClass.superClass}`;
    void heapClass.name.length;
    void heapClass.allFields.length;
    void heapClass.staticReferences.length;
  }
  let counted = 0;
  for (const heapClass of heap.classes) counted += heapClass.count;
  if (counted !== objectCount - classCount) return `the classes count ${counted} objects of ${objectCount - classCount}`;
  // Where no two objects share an id, each id finds its own object.
  const ids = new Set<number>();
  for (let i = 0; i < objectCount; i++) ids.add(heap.idOf(i));
  const distinctIds = ids.size === objectCount;
  const step = Math.max(1, Math.floor(objectCount / 64));
  for (let i = 0; i < objectCount; i += step) {
    const offset = heap.offsetOf(i);
    if (!(offset >= 0 && offset < fuzz.bytes.length)) return `offsetOf(${i}) = ${offset}, outside the file`;
    const index = heap.indexOf(heap.idOf(i));
    if (distinctIds ? index !== i : index < -1 || index >= objectCount) return `indexOf(idOf(${i})) = ${index}`;
  }
  return undefined;
}

const TYPED_ARRAYS = ["Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"] as const;

/**
 * Until stop(), the global typed array constructors count the bytes each new array of a given length takes: a
 * length taken from the file unchecked shows as an allocation out of proportion to the file.
 */
function trackAllocations(): { bytes: number; stop(): void } {
  const globals = globalThis as unknown as Record<string, unknown>;
  const originals = TYPED_ARRAYS.map((name) => globals[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT: number });
  const counter = {
    bytes: 0,
    stop: () => TYPED_ARRAYS.forEach((name, k) => (globals[name] = originals[k])),
  };
  TYPED_ARRAYS.forEach((name, k) => {
    const Original = originals[k]!;
    globals[name] = class extends Original {
      constructor(from?: unknown, offset?: unknown, length?: unknown) {
        if (typeof from === "number") counter.bytes += from * Original.BYTES_PER_ELEMENT;
        super(from, offset, length);
      }
    };
  });
  return counter;
}

/** The most a read may allocate: a few bytes per byte of file (see the reader's header), and its fixed tables. */
export function allocationLimit(fileBytes: number): number {
  return 8 * fileBytes + 4 * 1024 * 1024;
}
