// HeapView on the real heaps of test/fixtures/hprof (see Shapes.java and Oom.java for the values read back).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bytesSource, readHeap, type ByteSource, type Heap } from "../../../src/core/heap/hprof.js";
import { HeapView, NONE } from "../../../src/core/heap/heap-view.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";
import { SyntheticHeap, type Ref } from "./digest-synthetic-hprof.js";

type Dump = "shapes" | "oom";
const views = new Map<Dump, HeapView>();
function viewOf(name: Dump): HeapView {
  let view = views.get(name);
  if (view === undefined) {
    const source: ByteSource = bytesSource(new Uint8Array(gunzipSync(readFileSync(join(FIXTURES_DIR, "hprof", `${name}.hprof.gz`)))));
    views.set(name, (view = new HeapView(readHeap(source), source)));
  }
  return view;
}

/** The object a static reference field of a class points at. */
function staticOf(heap: Heap, className: string, field: string): number {
  return heap.indexOf(heap.classByName.get(className)!.staticReferences.find((candidate) => candidate.name === field)!.id);
}

/** Every object of a class (subclasses not included). */
function objectsOf(heap: Heap, className: string): number[] {
  const index = heap.classByName.get(className)!.index;
  const found: number[] = [];
  for (let i = heap.classCount; i < heap.objectCount; i++) if (heap.classOf[i] === index) found.push(i);
  return found;
}

describe("HeapView on the shapes dump", () => {
  const view = (): HeapView => viewOf("shapes");
  const fields = (): number => staticOf(view().heap, "Shapes", "FIELDS");

  it.each<{ field: string; value: number }>([
    { field: "anInt", value: -123_456_789 },
    { field: "aLong", value: 1_234_567_890_123 },
    { field: "negativeLong", value: -9_876_543_210 },
    { field: "yes", value: 1 },
    { field: "no", value: 0 },
    { field: "aChar", value: "Z".charCodeAt(0) },
    { field: "aShort", value: -2 },
    { field: "aByte", value: -7 },
    { field: "aFloat", value: 1.5 },
    { field: "aDouble", value: -2.25 },
  ])("reads the primitive field $field", ({ field, value }) => {
    expect(view().field(fields(), field)).toBe(value);
    expect(view().fields(fields()).get(field)).toBe(value);
  });

  it("reads references: null, an object, a path of them, and nothing for what the class lacks", () => {
    const v = view();
    expect(v.ref(fields(), "nothing")).toBe(NONE);
    const payload = v.ref(fields(), "payload");
    expect(payload).toBe(staticOf(v.heap, "Shapes", "PAYLOAD"));
    expect(v.className(payload)).toBe("Shapes$Payload");
    const bytes = v.refPath(fields(), "payload", "bytes");
    expect(v.className(bytes)).toBe("byte[]");
    expect(v.arrayLength(bytes)).toBe(1_000_000);
    expect(v.primitiveBytes(bytes, 16)).toEqual(new Uint8Array(16));
    expect(v.field(fields(), "noSuchField")).toBeUndefined();
    expect(v.ref(fields(), "anInt")).toBe(NONE); // not a reference
    expect(v.refPath(fields(), "nothing", "bytes")).toBe(NONE);
    expect(v.ref(NONE, "payload")).toBe(NONE);
  });

  it.each<{ field: string; text: string }>([
    { field: "latin", text: "Grüße aus Köln" },
    { field: "utf16", text: "日本語 ✓ UTF-16" },
  ])("reads the $field String", ({ field, text }) => {
    const v = view();
    const string = v.ref(fields(), field);
    expect(v.string(string)).toBe(text);
    expect(v.string(string, 3)).toBe(text.slice(0, 3));
    expect(v.string(fields())).toBeUndefined(); // not a String
  });

  it("reads two Strings that share one byte[] (new String(String))", () => {
    const v = view();
    const text = staticOf(v.heap, "Shapes", "TEXT");
    const copy = staticOf(v.heap, "Shapes", "TEXT_COPY");
    expect(copy).not.toBe(text);
    expect(v.ref(copy, "value")).toBe(v.ref(text, "value"));
    expect(v.string(text)).toBe("a Latin-1 text shared by two Strings");
    expect(v.string(copy)).toBe("a Latin-1 text shared by two Strings");
  });

  it("reads the elements of object arrays and lists", () => {
    const v = view();
    const counted = staticOf(v.heap, "Shapes", "COUNTED");
    expect(v.arrayLength(counted)).toBe(777);
    const elements = v.elements(counted);
    expect(elements).toHaveLength(777);
    expect(new Set(elements)).toEqual(new Set(objectsOf(v.heap, "Shapes$Counted")));
    expect(v.elements(counted, 5)).toEqual(elements.slice(0, 5));
    expect(v.listElements(counted, 3)).toEqual(elements.slice(0, 3));
    const sharers = v.elements(staticOf(v.heap, "Shapes", "sharers"));
    expect(sharers.map((sharer) => v.className(sharer))).toEqual(["Shapes$Sharer", "Shapes$Sharer"]);
    expect(v.ref(sharers[0]!, "shared")).toBe(v.ref(sharers[1]!, "shared"));
    expect(v.elements(fields())).toEqual([]); // not an array
  });

  it.each<{ map: string; entries: Record<string, string | number> }>([
    { map: "HASH", entries: { one: 1, two: 2, three: 3, four: 4, five: 5 } },
    { map: "LINKED", entries: { first: "1st", second: "2nd", third: "3rd" } },
  ])("reads the entries of the $map map", ({ map, entries }) => {
    const v = view();
    const read = v.mapEntries(staticOf(v.heap, "Shapes", map));
    const asRecord = Object.fromEntries(
      read.map(({ key, value }) => [v.string(key), v.className(value) === "java.lang.Integer" ? v.field(value, "value") : v.string(value)]),
    );
    expect(asRecord).toEqual(entries);
    expect(v.mapEntries(NONE)).toEqual([]);
  });

  it("knows classes and their subclasses", () => {
    const v = view();
    expect(v.isA(staticOf(v.heap, "Shapes", "LINKED"), "java.util.HashMap")).toBe(true);
    expect(v.isA(staticOf(v.heap, "Shapes", "HASH"), "java.util.LinkedHashMap")).toBe(false);
    expect(v.isA(staticOf(v.heap, "Shapes", "HASH"), "java.util.AbstractMap")).toBe(true);
    const shapes = v.heap.classByName.get("Shapes")!.index;
    expect(v.className(shapes)).toBe("java.lang.Class");
    expect(v.classObjectName(shapes)).toBe("Shapes");
    expect(v.isA(shapes, "java.lang.Class")).toBe(true);
    expect(v.classesNamed("no.such.Class").size).toBe(0);
  });

  it("reads a thread's name", () => {
    const v = view();
    const thread = v.heap.threads.find((candidate) => candidate.frames.some((frame) => frame.method === "holdOnStack"))!;
    expect(v.string(v.ref(thread.object, "name"))).toBe("stack-holder");
  });
});

describe("HeapView on the OutOfMemoryError dump", () => {
  it("reads the eater's list: its size and the arrays it holds", () => {
    const v = viewOf("oom");
    const list = staticOf(v.heap, "Oom", "EATEN");
    const size = v.field(list, "size")!;
    expect(size).toBeGreaterThan(100);
    const arrays = v.listElements(list);
    expect(arrays).toHaveLength(size);
    for (const array of arrays) {
      expect(v.className(array)).toBe("byte[]");
      expect(v.arrayLength(array)).toBe(64 * 1024);
    }
    const thread = v.heap.threads.find((candidate) => candidate.frames[0]?.className === "java.lang.OutOfMemoryError")!;
    expect(v.string(v.ref(thread.object, "name"))).toBe("eater");
  });
});

describe("HeapView's cache of instances read (direct-mapped slots of 128 bytes)", () => {
  // 9,000 small objects (more than the 4,096 slots: every slot taken twice, some three times) and 50 whose
  // fields take 328 bytes, more than a slot; each object's fields say which object it is.
  const synthetic = new SyntheticHeap(4);
  synthetic.defineClass("Small", [
    { name: "number", type: "int" },
    { name: "previous", type: "ref" },
  ]);
  const wide = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, type: "long" as const }));
  synthetic.defineClass("Wide", [...wide, { name: "number", type: "int" }, { name: "previous", type: "ref" }]);
  let previous: Ref | null = null;
  const made: { ref: Ref; number: number; wide: boolean }[] = [];
  for (let number = 0; number < 9050; number++) {
    const isWide = number % 181 === 0;
    const values: Record<string, number | Ref | null> = { number, previous };
    if (isWide) for (let i = 0; i < 40; i++) values[`f${i}`] = number * 1000 + i;
    const ref = synthetic.object(isWide ? "Wide" : "Small", values);
    synthetic.global(ref);
    made.push({ ref, number, wide: isWide });
    previous = ref;
  }
  const source = bytesSource(synthetic.toBytes());
  const heap = readHeap(source);
  const nodes = made.map((entry) => heap.indexOf(entry.ref.id));

  it.each([
    { order: "in the dump's order", indices: made.map((_, i) => i) },
    { order: "backwards", indices: made.map((_, i) => made.length - 1 - i) },
    { order: "two objects a slot apart in turn, again and again", indices: Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? i % 7 : (i % 7) + 4096)) },
    { order: "at random, each several times", indices: Array.from({ length: 30_000 }, (_, i) => (i * 7919) % made.length) },
  ])("reads every field right, $order", ({ indices }) => {
    const view = new HeapView(heap, source);
    for (const i of indices) {
      const node = nodes[i]!;
      const entry = made[i]!;
      // Two fields of one object in a row (the second from the cache), then its previous one's, which may take
      // the same slot, then the first again.
      expect(view.field(node, "number")).toBe(entry.number);
      expect(view.ref(node, "previous")).toBe(i === 0 ? NONE : nodes[i - 1]!);
      if (i > 0) expect(view.field(nodes[i - 1]!, "number")).toBe(entry.number - 1);
      expect(view.field(node, "number")).toBe(entry.number);
      if (entry.wide) {
        expect(view.field(node, "f39")).toBe(entry.number * 1000 + 39);
        expect(view.fields(node).get("f0")).toBe(entry.number * 1000);
      }
    }
    // Nothing for what has no fields, asked twice: NONE and a class.
    for (let twice = 0; twice < 2; twice++) {
      expect(view.fields(NONE).size).toBe(0);
      expect(view.field(0, "number")).toBeUndefined();
    }
  });
});
