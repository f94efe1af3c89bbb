// The digest reads Bazel's classes by name, and names change between Bazel versions (docs/bazel-versions.md).
// Heaps built here byte for byte with the classes named as Bazel 4.2.3, 7.7.1 and 8/9 name them must tell the
// same story; names no version uses must leave things unknown, never named wrong.
import { describe, expect, it } from "vitest";
import { CLASSES, classesOfAny, FIELDS, follow, followNumber, followText, isAny } from "../../../src/core/heap/bazel-layouts.js";
import { digestHeap, type HeapDigest } from "../../../src/core/heap/heap-digest.js";
import { HeapView, NONE } from "../../../src/core/heap/heap-view.js";
import { bytesSource, readHeap } from "../../../src/core/heap/hprof.js";
import { bazelShapedHeap, MORE_ACTION_BYTES, SCENARIO, type BazelLayout, type ScenarioOptions } from "./digest-bazel-heap.js";
import { SyntheticHeap } from "./digest-synthetic-hprof.js";

function digestOf(bytes: Uint8Array): HeapDigest {
  const source = bytesSource(bytes);
  return digestHeap(readHeap(source), source, { top: 5 });
}

const digests = new Map<string, HeapDigest>();
function scenario(layout: BazelLayout, options: ScenarioOptions = {}): HeapDigest {
  const key = `${layout} ${JSON.stringify(options)}`;
  let digest = digests.get(key);
  if (digest === undefined) digests.set(key, (digest = digestOf(bazelShapedHeap(layout, options))));
  return digest;
}

const LAYOUTS: readonly BazelLayout[] = ["4.2.3", "7.7.1", "8-9"];
const s = SCENARIO;
const rule = { function: s.ruleImpl, file: s.ruleFile };
const aspect = { function: s.aspectImpl, file: s.aspectFile };

describe.each(LAYOUTS)("a heap with Bazel %s's class layouts", (layout) => {
  it("reads the Starlark stack: the builtin, then the aspect's implementation with its line and locals", () => {
    const digest = scenario(layout);
    expect(digest.threads).toHaveLength(1);
    const [thread] = digest.threads;
    expect(thread!.name).toBe(s.thread);
    expect(thread!.threwError).toBe(true);
    expect(thread!.frames.map(({ function: name, file, line, builtin }) => ({ name, file, line, builtin }))).toEqual([
      { name: s.builtin, file: undefined, line: undefined, builtin: true },
      { name: s.aspectImpl, file: s.aspectFile, line: s.aspectLine, builtin: false },
    ]);
    expect(thread!.frames[1]!.locals.map((local) => local.name)).toEqual(["repeated", "lines"]);
    expect(digest.errorThread).toMatchObject({ name: s.thread, inStarlark: true });
  });

  it("charges each provider to the implementation that returned it, with the provider's name, file and target", () => {
    const providers = scenario(layout).holders.filter((group) => group.kind === "provider");
    expect(providers.map(({ provider, providerFile, function: fn, ownerKind, topLabels }) => ({ provider, providerFile, fn, ownerKind, topLabels }))).toEqual([
      { provider: s.ruleProvider, providerFile: "//pkg:defs.bzl", fn: rule, ownerKind: "rule", topLabels: [s.label] },
      { provider: s.aspectProvider, providerFile: "//pkg:aspect.bzl", fn: aspect, ownerKind: "aspect", topLabels: [s.aspectLabel] },
    ]);
  });

  it("charges actions, frame locals and the builtin's work in progress", () => {
    const groups = scenario(layout).holders;
    const of = (kind: string) => groups.filter((group) => group.kind === kind).map((group) => [group.function?.function, group.topLabels[0]]);
    expect(of("action")).toEqual([
      [s.ruleImpl, s.label],
      [s.aspectImpl, s.aspectLabel],
    ]);
    expect(of("frame-locals")).toEqual([[s.aspectImpl, undefined]]);
    expect(of("in-flight")).toEqual([[s.aspectImpl, undefined]]);
  });

  it("says who holds each of the largest objects, provider fields by name", () => {
    const action = layout === "4.2.3" ? "FileWriteAction" : "FileWriteAction$CompressedFileWriteAction";
    expect(scenario(layout).largest.map((object) => [object.shallowBytes, object.owner])).toEqual([
      [s.sizes.repeated + 16, `local \`repeated\` of ${s.aspectImpl} (${s.aspectFile}:${s.aspectLine}) on thread ${s.thread}`],
      [s.sizes.items + 16, `${s.ruleProvider}.items of ${s.label} (returned by ${s.ruleImpl}, ${s.ruleFile})`],
      [s.sizes.inFlight + 16, `in flight on thread ${s.thread} in ${s.builtin} called by ${s.aspectImpl}`],
      [s.sizes.traverse + 16, `${s.aspectProvider}.content of ${s.aspectLabel} (returned by ${s.aspectImpl}, ${s.aspectFile})`],
      [s.sizes.fileContents + 16, `contents of a ${action} of ${s.label} (returned by ${s.ruleImpl}, ${s.ruleFile})`],
    ]);
  });
});

describe("the same heap in every layout", () => {
  it("gives the same suspects and verdict, and bytes that differ only by the layouts' own objects", () => {
    const [first, ...others] = LAYOUTS.map((layout) => scenario(layout));
    const names = (digest: HeapDigest) => digest.suspects.map((suspect) => [suspect.function, suspect.file]);
    expect(names(first!)).toEqual([
      [s.aspectImpl, s.aspectFile],
      [s.ruleImpl, s.ruleFile],
    ]);
    for (const other of others) {
      expect(names(other)).toEqual(names(first!));
      expect(other.verdict.kind).toBe(first!.verdict.kind);
      other.suspects.forEach((suspect, index) => expect(Math.abs(suspect.retainedBytes - first!.suspects[index]!.retainedBytes)).toBeLessThan(1024));
    }
  });
});

describe("two rules of one name in different .bzl files", () => {
  it("leaves the rule's implementation unknown where only the name is on the target (up to 7)", () => {
    for (const layout of ["4.2.3", "7.7.1"] as const) {
      const provider = scenario(layout, { sameRuleNameElsewhere: true }).holders.find((group) => group.provider === s.ruleProvider);
      expect(provider?.function, layout).toBeUndefined();
      expect(provider?.topLabels, layout).toEqual([s.label]);
    }
  });

  it("finds it by the rule class key the target keeps (8+)", () => {
    const provider = scenario("8-9", { sameRuleNameElsewhere: true }).holders.find((group) => group.provider === s.ruleProvider);
    expect(provider?.function).toEqual(rule);
  });
});

// Holders no owner dominates: the owner is the one whose providers or actions list them.
describe.each(LAYOUTS)("holders that several objects hold, with Bazel %s's class layouts", (layout) => {
  it("leaves a target's provider an aspect lists too to the target", () => {
    const digest = scenario(layout, { aspectListsRuleProvider: true });
    const provider = digest.holders.find((group) => group.provider === s.ruleProvider);
    expect(provider).toMatchObject({ function: rule, ownerKind: "rule", topLabels: [s.label] });
    expect(digest.holders.find((group) => group.provider === s.aspectProvider)).toMatchObject({ function: aspect, topLabels: [s.aspectLabel] });
  });

  it("charges every action of a target with hundreds, that its Skyframe value holds too, to its rule", () => {
    const more = 600;
    const digest = scenario(layout, { moreRuleActions: more });
    const actions = digest.holders.filter((group) => group.kind === "action");
    expect(actions.map((group) => group.function)).not.toContainEqual(undefined);
    const ruleActions = actions.find((group) => group.function?.function === s.ruleImpl);
    expect(ruleActions).toMatchObject({ ownerKind: "rule", instances: 1 + more, topLabels: [s.label] });
    expect(ruleActions!.retainedBytes).toBeGreaterThan(s.sizes.fileContents + more * MORE_ACTION_BYTES);
  });
});

/** One object of a class with one reference field pointing at a String, in a heap of its own. */
function oneObject(className: string, field: string, text: string): { view: HeapView; object: number } {
  const heap = new SyntheticHeap();
  heap.defineClass(className, [{ name: field, type: "ref" }]);
  const made = heap.object(className, { [field]: heap.string(text) });
  heap.global(made);
  const source = bytesSource(heap.toBytes());
  const parsed = readHeap(source);
  const view = new HeapView(parsed, source);
  const object = [...Array(parsed.objectCount).keys()].find((node) => node >= parsed.classCount && view.className(node) === className)!;
  return { view, object };
}

describe("resolving a concept's names", () => {
  it.each([
    { version: "up to 7", field: "key" },
    { version: "8+", field: "keyOrIdentityToken" },
  ])("finds a provider's key under the name $version uses ($field)", ({ field }) => {
    const { view, object } = oneObject("com.google.devtools.build.lib.packages.StarlarkProvider", field, "the key");
    expect(view.string(follow(view, object, FIELDS.providerKey))).toBe("the key");
  });

  it("finds nothing under a name no version uses, and no text in what is not a String", () => {
    const { view, object } = oneObject("com.google.devtools.build.lib.packages.StarlarkProvider", "someFutureKey", "the key");
    expect(follow(view, object, FIELDS.providerKey)).toBe(NONE);
    expect(followText(view, object, FIELDS.providerKey)).toBeUndefined();
    expect(followText(view, object, [["someFutureKey", "value"]])).toBeUndefined(); // a byte[], not a String
  });

  it("takes the first path that ends at a String for text", () => {
    const { view, object } = oneObject("a.PackageIdentifier", "pkgName", "my/pkg");
    expect(followText(view, object, FIELDS.packageName)).toBe("my/pkg");
    expect(followNumber(view, object, [["pkgName", "hash"]])).toBe(0);
    expect(followNumber(view, object, [["pkgName", "noSuchField"]])).toBeUndefined();
  });

  it("knows a class by any of its names, subclasses included", () => {
    const heap = new SyntheticHeap();
    heap.defineClass("com.google.devtools.build.lib.packages.StarlarkInfo", [], "java.lang.Object");
    heap.defineClass("com.google.devtools.build.lib.packages.StarlarkInfoWithSchema", [], "com.google.devtools.build.lib.packages.StarlarkInfo");
    heap.global(heap.object("com.google.devtools.build.lib.packages.StarlarkInfoWithSchema"));
    const source = bytesSource(heap.toBytes());
    const parsed = readHeap(source);
    const view = new HeapView(parsed, source);
    const info = parsed.objectCount - 1;
    expect(isAny(view, info, CLASSES.providerInstance)).toBe(true);
    expect(isAny(view, info, CLASSES.providerInstanceWithSchema)).toBe(true);
    expect(isAny(view, info, CLASSES.action)).toBe(false);
    expect(classesOfAny(view, [...CLASSES.providerInstance, ...CLASSES.action]).size).toBe(2);
  });
});

describe("HeapView.listElements on Guava's lists", () => {
  it("reads a one-element ImmutableList (SingletonImmutableList keeps it in `element`) and a longer one", () => {
    const heap = new SyntheticHeap();
    heap.defineClass("com.google.common.collect.ImmutableList", []);
    heap.defineClass("com.google.common.collect.SingletonImmutableList", [{ name: "element", type: "ref" }], "com.google.common.collect.ImmutableList");
    heap.defineClass("com.google.common.collect.RegularImmutableList", [{ name: "array", type: "ref" }], "com.google.common.collect.ImmutableList");
    heap.defineClass("Holder", [
      { name: "one", type: "ref" },
      { name: "two", type: "ref" },
    ]);
    const one = heap.object("com.google.common.collect.SingletonImmutableList", { element: heap.string("only") });
    const two = heap.object("com.google.common.collect.RegularImmutableList", { array: heap.objectArray([heap.string("a"), heap.string("b")]) });
    heap.global(heap.object("Holder", { one, two }));
    const source = bytesSource(heap.toBytes());
    const parsed = readHeap(source);
    const view = new HeapView(parsed, source);
    const holder = parsed.objectCount - 1;
    expect(view.listElements(view.ref(holder, "one")).map((element) => view.string(element))).toEqual(["only"]);
    expect(view.listElements(view.ref(holder, "two")).map((element) => view.string(element))).toEqual(["a", "b"]);
    expect(view.listElements(view.ref(holder, "one"), 0)).toEqual([]);
  });
});

describe("names no version uses", () => {
  it("leave the rule's implementation and the provider's file unknown, and charge nobody wrongly", () => {
    // Bazel 7's layout with a rule class field and a provider key field renamed as some future version might.
    const heap = bazelShapedHeap("7.7.1");
    const renamed = renameUtf8(renameUtf8(heap, "ruleClassString", "ruleClassStrung"), "extensionLabel", "extensionLabxl");
    const digest = digestOf(renamed);
    const bigInfo = digest.holders.find((group) => group.provider === s.ruleProvider);
    expect(bigInfo).toMatchObject({ function: undefined, ownerKind: "rule", topLabels: [s.label] });
    expect(bigInfo?.providerFile).toBeUndefined();
    // The aspect's StarlarkAspectClass has an extensionLabel too, but its implementation is found by identity.
    expect(digest.holders.find((group) => group.provider === s.aspectProvider)?.function).toEqual(aspect);
    expect(digest.suspects.map((suspect) => suspect.function)).toEqual([s.aspectImpl]);
  });
});

describe("a provider instance of a class neither layout names", () => {
  it("gives its fields no name rather than a value for one", () => {
    const heap = renameUtf8(bazelShapedHeap("7.7.1"), "StarlarkInfoWithSchema", "StarlarkInfoWithSchemX");
    const owners = digestOf(heap).largest.map((object) => object.owner);
    expect(owners).toContain(`${s.ruleProvider} of ${s.label} (returned by ${s.ruleImpl}, ${s.ruleFile})`);
    expect(owners.some((owner) => owner.includes("not a field name"))).toBe(false);
  });
});

/** The same HPROF with one UTF8 name record's text replaced by another of the same length. */
function renameUtf8(bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error("same length only");
  const text = new TextDecoder("latin1").decode(bytes);
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${from} must occur once`);
  const copy = bytes.slice();
  copy.set(new TextEncoder().encode(to), at);
  return copy;
}
