// The reader on the list-heavy real dumps (test/fixtures/bazel-<version>/heap-dump/list-lattice.hprof.gz: Bazel
// running out of memory while each target flattens its deps' lists into its provider): it keeps each object's
// distinct references only, so an Object[] repeating 240 strings 196,608 times is 240 edges. The count it keeps is
// checked against a count made here from the raw records (the fuzz cases' record scanner and a decoding of each
// CLASS DUMP's fields, nothing of the reader), object by object, and against literal numbers; the references before
// that dedup show how many repeats were dropped. And the digest of the dump names the rule's implementation and its
// provider, read from the workspace's defs.bzl, as the goldens do.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bytesSource, readHeap } from "../../../src/core/heap/hprof.js";
import { dumpDigest, dumpFile } from "../../helpers/dump-digests.js";
import { BAZEL_VERSIONS, type BazelVersion } from "../../helpers/fixtures.js";
import { latticeRule } from "../../helpers/list-lattice.js";
import { loadFuzzBase, type FuzzBase } from "./hprof-fuzz-cases.js";

/**
 * What the raw records say of each dump (counted by rawEdges below when these were written): non-null references
 * to objects the dump holds, and of those the distinct ones per object. A reference to an object the dump does not
 * hold is no edge (the reader drops it), and the dumps have a few. The repeats dropped: 941,601 of 1,483,439
 * references on 4.2.3 (280,040 objects), 2,050,969 of 3,360,926 on 7.7.1 (542,782 objects).
 */
const GOLDEN: Readonly<Record<BazelVersion, { readonly references: number; readonly distinct: number; readonly missing: number }>> = {
  "4.2.3": { references: 1_483_439, distinct: 541_838, missing: 106 },
  "7.7.1": { references: 3_360_926, distinct: 1_309_957, missing: 96 },
};

/** HPROF basic types: 2 is an object reference (the id size); the others' sizes in bytes. */
const TYPE_OBJECT = 2;
const VALUE_BYTES: Readonly<Record<number, number>> = { 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8 };

interface RawClass {
  readonly superId: number;
  /** The class's own instance fields' types, in record order (an instance's data: its own, then its super's). */
  readonly fieldTypes: readonly number[];
  /** The class loader and the static fields' references (non-null): a class object's references. */
  readonly references: readonly number[];
}

interface RawEdges {
  readonly references: number;
  readonly distinct: number;
  readonly missing: number;
  /** Per object id, how many distinct targets (present in the dump) it references. */
  readonly distinctById: ReadonlyMap<number, number>;
}

/**
 * Every object's references read from its record: an instance's reference fields (its class's, then its super
 * classes'), an object array's elements, a class's loader and static references. Per object, the non-null ones to
 * objects the dump holds, and the distinct ones of those.
 */
function rawEdges(base: FuzzBase): RawEdges {
  const { bytes, idSize } = base;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idAt = (at: number): number => (idSize === 8 ? view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4) : view.getUint32(at));
  const valueBytes = (type: number): number => (type === TYPE_OBJECT ? idSize : VALUE_BYTES[type]!);

  const classes = new Map<number, RawClass>();
  for (const [id, { offset }] of base.classDumps) classes.set(id, classDump(bytes, view, idAt, valueBytes, idSize, offset));
  const present = new Set<number>(base.classDumps.keys());
  for (let s = 0; s < base.subRecords.length; s++) {
    const tag = base.subRecordTags[s]!;
    if (tag === 0x21 || tag === 0x22 || tag === 0x23) present.add(idAt(base.subRecords[s]! + 1));
  }

  let references = 0;
  let distinct = 0;
  let missing = 0;
  const distinctById = new Map<number, number>();
  const targets = new Set<number>();
  const count = (id: number, ids: Iterable<number>): void => {
    targets.clear();
    for (const target of ids) {
      if (target === 0) continue;
      if (!present.has(target)) {
        missing++;
        continue;
      }
      references++;
      targets.add(target);
    }
    distinct += targets.size;
    distinctById.set(id, targets.size);
  };
  for (const [id, raw] of classes) count(id, raw.references);
  for (let s = 0; s < base.subRecords.length; s++) {
    const tag = base.subRecordTags[s]!;
    const body = base.subRecords[s]! + 1;
    if (tag === 0x21) {
      // id, stack serial, class id, data length, data.
      const data = body + 2 * idSize + 8;
      const end = data + view.getUint32(data - 4);
      const found: number[] = [];
      let at = data;
      for (let raw = classes.get(idAt(body + idSize + 4)); raw !== undefined && at < end; raw = classes.get(raw.superId)) {
        for (const type of raw.fieldTypes) {
          if (type === TYPE_OBJECT) found.push(idAt(at));
          at += valueBytes(type);
        }
      }
      count(idAt(body), found);
    } else if (tag === 0x22) {
      // id, stack serial, length, array class id, elements.
      const length = view.getUint32(body + idSize + 4);
      const first = body + 2 * idSize + 8;
      count(idAt(body), Array.from({ length }, (_, k) => idAt(first + k * idSize)));
    } else if (tag === 0x23) {
      count(idAt(body), []);
    }
  }
  return { references, distinct, missing, distinctById };
}

/** A CLASS DUMP's super class, loader and static references, and its own instance fields' types. */
function classDump(bytes: Uint8Array, view: DataView, idAt: (at: number) => number, valueBytes: (type: number) => number, idSize: number, offset: number): RawClass {
  const body = offset + 1;
  const superId = idAt(body + idSize + 4);
  const loaderId = idAt(body + 2 * idSize + 4);
  // id, stack serial, super, loader, signers, protection domain, two reserved, instance size.
  let at = body + 7 * idSize + 8;
  const constants = view.getUint16(at);
  at += 2;
  for (let i = 0; i < constants; i++) at += 3 + valueBytes(bytes[at + 2]!);
  const statics = view.getUint16(at);
  at += 2;
  const references = [loaderId];
  for (let i = 0; i < statics; i++) {
    const type = bytes[at + idSize]!;
    if (type === TYPE_OBJECT) references.push(idAt(at + idSize + 1));
    at += idSize + 1 + valueBytes(type);
  }
  const fields = view.getUint16(at);
  at += 2;
  const fieldTypes: number[] = [];
  for (let i = 0; i < fields; i++) fieldTypes.push(bytes[at + i * (idSize + 1) + idSize]!);
  return { superId, fieldTypes, references };
}

describe.each(BAZEL_VERSIONS)("the list-lattice dump of Bazel %s", (version) => {
  it("keeps each object's distinct references: as counted from the raw records, object by object, and as golden", () => {
    const file = dumpFile(version, "list-lattice");
    const base = loadFuzzBase(file);
    const heap = readHeap(bytesSource(new Uint8Array(gunzipSync(readFileSync(file)))));
    // Right after reading: the digest hands the edges' memory on (releaseEdges).
    const kept = heap.edgeTargets.length;
    const raw = rawEdges(base);

    expect(raw.distinctById.size).toBe(heap.objectCount);
    let mismatches = 0;
    let first = "";
    for (const [id, count] of raw.distinctById) {
      const index = heap.indexOf(id);
      const reader = index < 0 ? -1 : heap.edgeStart.of(index + 1) - heap.edgeStart.of(index);
      if (reader !== count && mismatches++ === 0) first = `object 0x${id.toString(16)} (index ${index}): ${reader} edges, its record has ${count} distinct targets`;
    }
    expect(mismatches, first).toBe(0);
    expect(kept).toBe(raw.distinct);
    expect({ references: raw.references, distinct: kept, missing: raw.missing }).toEqual(GOLDEN[version]);
    // The shape the workspace was built to have: most references are repeats.
    expect(raw.references - raw.distinct).toBeGreaterThan(raw.distinct);
  });

  it("is digested to the rule's implementation as the culprit, with its provider the biggest holder", () => {
    const { implementation, provides } = latticeRule();
    const digest = dumpDigest(version, "list-lattice");
    const golden = JSON.parse(readFileSync(dumpFile(version, "list-lattice").replace(/\.hprof\.gz$/, ".digest.json"), "utf8")) as typeof digest;
    expect(digest.verdict.kind).toBe("culprit");
    if (digest.verdict.kind !== "culprit" || golden.verdict.kind !== "culprit") throw new Error("no culprit");
    expect(digest.verdict.suspect.function).toBe(implementation);
    expect(digest.verdict.suspect.file).toMatch(/\/tools\/test\/workspaces\/list_lattice\/defs\.bzl$/);
    expect(digest.verdict.suspect.evidence).toContainEqual(expect.objectContaining({ kind: "providers", provider: provides }));
    expect(digest.holders[0]).toMatchObject({ kind: "provider", provider: provides, function: { function: implementation } });
    // As the golden says.
    expect(digest.verdict.suspect.function).toBe(golden.verdict.suspect.function);
    expect(digest.holders[0]!.provider).toBe(golden.holders[0]!.provider);
  });
});
