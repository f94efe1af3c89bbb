// A small heap shaped like a Bazel server's at an OutOfMemoryError, with its classes and fields named as one
// Bazel version names them (see docs/bazel-versions.md): one rule target with a provider and an action, one
// aspect applied to it with its own provider and action, and a thread running Starlark (the aspect's
// implementation calling a builtin) whose locals and Java stack hold the rest. The same story in every layout,
// so that a digest of each must tell it the same way.
import { SyntheticHeap, type FieldSpec, type Ref } from "./digest-synthetic-hprof.js";

/**
 * "4.2.3" and "7.7.1" as their server jars declare the classes (checked with javap); "8-9" with the names
 * Bazel 8 and 9 sources use where they differ from 7 (RuleClassId, StarlarkProvider.keyOrIdentityToken and
 * its Key's BzlLoadValue key, AspectValueWithTransitiveRepos).
 */
export type BazelLayout = "4.2.3" | "7.7.1" | "8-9";

/** What the scenario puts in the heap, for the tests to expect. */
export const SCENARIO = {
  workspace: "/ws",
  ruleFile: "/ws/pkg/defs.bzl",
  aspectFile: "/ws/pkg/aspect.bzl",
  ruleImpl: "_my_rule_impl",
  aspectImpl: "traverse_impl",
  ruleClass: "my_rule",
  aspectLine: 42,
  ruleProvider: "BigInfo",
  aspectProvider: "TraverseInfo",
  label: "//pkg:target",
  aspectLabel: "@other_repo//deep/pkg:dep",
  thread: "skyframe-evaluator-0",
  builtin: "join",
  /** Bytes of the byte[]s each holder keeps (the largest objects, in this order). */
  sizes: { repeated: 300_000, items: 200_000, inFlight: 150_000, traverse: 100_000, fileContents: 50_000, lines: 20_000 },
} as const;

const ref = (name: string): FieldSpec => ({ name, type: "ref" });
const int = (name: string): FieldSpec => ({ name, type: "int" });

const P = "com.google.devtools.build.lib.";

function defineCommonClasses(heap: SyntheticHeap, layout: BazelLayout): void {
  heap.defineClass("java.util.AbstractMap", []);
  heap.defineClass("java.util.HashMap", [ref("table"), int("size")], "java.util.AbstractMap");
  heap.defineClass("java.util.LinkedHashMap", [ref("head"), ref("tail")], "java.util.HashMap");
  heap.defineClass("java.util.HashMap$Node", [int("hash"), ref("key"), ref("value"), ref("next")]);
  heap.defineClass("java.util.LinkedHashMap$Entry", [ref("before"), ref("after")], "java.util.HashMap$Node");
  heap.defineClass("java.util.HashMap$Node[]", []);
  heap.defineClass("java.util.ArrayList", [ref("elementData"), int("size")]);
  heap.defineClass("com.google.common.collect.ImmutableList", []);
  heap.defineClass("com.google.common.collect.RegularImmutableList", [ref("array")], "com.google.common.collect.ImmutableList");
  heap.defineClass("com.google.common.collect.SingletonImmutableList", [ref("element")], "com.google.common.collect.ImmutableList");
  heap.defineClass("java.lang.OutOfMemoryError", []);

  heap.defineClass("net.starlark.java.syntax.Location", [ref("file"), int("line"), int("column")]);
  heap.defineClass("net.starlark.java.syntax.Identifier", [ref("name"), int("nameOffset"), ref("binding")]);
  heap.defineClass("net.starlark.java.syntax.Resolver$Binding", [ref("scope"), ref("first"), int("index")]);
  heap.defineClass("net.starlark.java.syntax.Resolver$Function", [ref("name"), ref("location"), ...(layout === "4.2.3" ? [] : [ref("locals")])]);
  heap.defineClass("net.starlark.java.eval.StarlarkFunction", [ref("rfn"), ref("module")]);
  heap.defineClass("net.starlark.java.eval.BuiltinFunction", [ref("obj"), ref("methodName"), ref("desc")]);
  heap.defineClass("net.starlark.java.eval.StarlarkThread", [ref("mutability"), ref("callstack")]);
  heap.defineClass("net.starlark.java.eval.StarlarkThread$Frame", [ref("thread"), ref("fn"), ref("loc"), ref("locals")]);
  heap.defineClass("net.starlark.java.eval.StarlarkList", [ref("elems"), int("size")]);

  heap.defineClass(`${P}cmdline.RepositoryName`, [ref("name")]);
  heap.defineClass(`${P}vfs.PathFragment`, [ref("normalizedPath")]);
  heap.defineClass(`${P}cmdline.PackageIdentifier`, [ref("repository"), ref("pkgName"), int("hashCode")]);
  heap.defineClass(`${P}cmdline.Label`, [ref("packageIdentifier"), ref("name")]);
}

function defineLayoutClasses(heap: SyntheticHeap, layout: BazelLayout): void {
  // Providers and their instances.
  heap.defineClass(`${P}packages.Provider$Key`, []);
  if (layout === "8-9") {
    heap.defineClass(`${P}skyframe.BzlLoadValue$Key`, []);
    heap.defineClass(`${P}skyframe.BzlLoadValue$KeyForBuild`, [ref("label"), { name: "isBuildPrelude", type: "boolean" }], `${P}skyframe.BzlLoadValue$Key`);
    heap.defineClass(`${P}packages.StarlarkProvider$Key`, [ref("key"), ref("exportedName")], `${P}packages.Provider$Key`);
    heap.defineClass(`${P}packages.StarlarkProvider`, [ref("location"), ref("fields"), ref("schema"), ref("keyOrIdentityToken")]);
  } else {
    heap.defineClass(`${P}packages.StarlarkProvider$Key`, [ref("extensionLabel"), ref("exportedName")], `${P}packages.Provider$Key`);
    heap.defineClass(`${P}packages.StarlarkProvider`, layout === "4.2.3" ? [ref("location"), ref("schema"), ref("key")] : [ref("location"), ref("fields"), ref("schema"), ref("key")]);
  }
  heap.defineClass(`${P}packages.StructImpl`, []);
  if (layout === "4.2.3") {
    heap.defineClass(`${P}packages.StarlarkInfo`, [ref("provider"), ref("table"), ref("unknownFieldError")], `${P}packages.StructImpl`);
  } else {
    heap.defineClass(`${P}packages.StarlarkInfo`, [ref("location")], `${P}packages.StructImpl`);
    heap.defineClass(`${P}packages.StarlarkInfoWithSchema`, [ref("provider"), ref("table")], `${P}packages.StarlarkInfo`);
    heap.defineClass(`${P}packages.StarlarkInfoNoSchema`, [ref("provider"), ref("table")], `${P}packages.StarlarkInfo`);
  }
  heap.defineClass(`${P}analysis.TransitiveInfoProviderMapImpl`, [ref("keys"), ref("values")]);

  // Actions.
  heap.defineClass(`${P}actions.ActionKeyCacher`, []);
  heap.defineClass(`${P}actions.AbstractAction`, [ref("owner"), ref("inputs"), ref("outputs")], `${P}actions.ActionKeyCacher`);
  heap.defineClass(`${P}analysis.actions.AbstractFileWriteAction`, [], `${P}actions.AbstractAction`);
  if (layout === "4.2.3") {
    heap.defineClass(`${P}analysis.actions.FileWriteAction`, [ref("fileContents")], `${P}analysis.actions.AbstractFileWriteAction`);
  } else {
    heap.defineClass(`${P}analysis.actions.FileWriteAction`, [{ name: "makeExecutable", type: "boolean" }], `${P}analysis.actions.AbstractFileWriteAction`);
    heap.defineClass(`${P}analysis.actions.FileWriteAction$CompressedFileWriteAction`, [ref("compressedBytes"), int("uncompressedSize")], `${P}analysis.actions.FileWriteAction`);
  }

  // Rules, targets, aspects.
  heap.defineClass(`${P}skyframe.ConfiguredTargetKey`, [ref("label"), ref("configurationKey")]);
  if (layout === "8-9") heap.defineClass(`${P}packages.RuleClassId`, [ref("name"), ref("key")]);
  heap.defineClass(`${P}packages.RuleClass`, layout === "8-9" ? [ref("ruleClassId"), ref("configuredTargetFunction")] : [ref("name"), ref("key"), ref("configuredTargetFunction")]);
  heap.defineClass(`${P}analysis.configuredtargets.AbstractConfiguredTarget`, layout === "4.2.3" ? [ref("label"), ref("configurationKey"), ref("visibility")] : [ref("actionLookupKey"), ref("visibility")]);
  heap.defineClass(
    `${P}analysis.configuredtargets.RuleConfiguredTarget`,
    [ref("providers"), layout === "8-9" ? ref("ruleClassId") : ref("ruleClassString"), ref("actions")],
    `${P}analysis.configuredtargets.AbstractConfiguredTarget`,
  );
  heap.defineClass(`${P}packages.StarlarkAspectClass`, [ref("extensionLabel"), ref("exportedName")]);
  heap.defineClass(`${P}packages.StarlarkDefinedAspect`, [ref("implementation"), ref("aspectClass")]);
  heap.defineClass(`${P}packages.AspectDescriptor`, [ref("aspectClass"), ref("aspectParameters")]);
  heap.defineClass(`${P}packages.Aspect`, [ref("aspectDescriptor"), ref("aspectDefinition")]);
  heap.defineClass(`${P}actions.BasicActionLookupValue`, [ref("actions")]);
  heap.defineClass(`${P}skyframe.RuleConfiguredTargetValue`, [ref("configuredTarget"), ref("actions")]);
  if (layout === "4.2.3") {
    heap.defineClass(`${P}skyframe.AspectValueKey`, []);
    heap.defineClass(`${P}skyframe.AspectValueKey$AspectKey`, [ref("baseConfiguredTargetKey"), ref("aspectDescriptor")], `${P}skyframe.AspectValueKey`);
    heap.defineClass(`${P}analysis.ConfiguredAspect`, [ref("actions"), ref("providers")]);
    heap.defineClass(`${P}analysis.AspectValue`, [ref("aspect"), ref("key"), ref("configuredAspect")], `${P}actions.BasicActionLookupValue`);
  } else {
    heap.defineClass(`${P}skyframe.AspectKeyCreator$AspectBaseKey`, [ref("baseConfiguredTargetKey")]);
    heap.defineClass(`${P}skyframe.AspectKeyCreator$AspectKey`, [ref("aspectDescriptor")], `${P}skyframe.AspectKeyCreator$AspectBaseKey`);
    heap.defineClass(`${P}analysis.AspectValue`, [ref("aspect"), ref("providers")], `${P}actions.BasicActionLookupValue`);
    const withKey = layout === "7.7.1" ? "AspectValue$AspectValueWithTransitivePackages" : "AspectValue$AspectValueWithTransitiveRepos";
    heap.defineClass(`${P}analysis.${withKey}`, [ref("key")], `${P}analysis.AspectValue`);
  }
}

/** A byte[] of `length` bytes, each `fill`. */
function blob(heap: SyntheticHeap, length: number, fill = 0x61): Ref {
  return heap.bytes(new Uint8Array(length).fill(fill));
}

class Builder {
  constructor(
    readonly heap: SyntheticHeap,
    readonly layout: BazelLayout,
  ) {}

  /** An ImmutableList as Guava builds it: one element in a SingletonImmutableList, more in an array. */
  list(elements: readonly (Ref | null)[]): Ref {
    if (elements.length === 1) return this.heap.object("com.google.common.collect.SingletonImmutableList", { element: elements[0]! });
    return this.heap.object("com.google.common.collect.RegularImmutableList", { array: this.heap.objectArray(elements) });
  }

  label(repository: string, pkg: string, name: string): Ref {
    const heap = this.heap;
    const repo = heap.object(`${P}cmdline.RepositoryName`, { name: heap.string(repository) });
    const pkgName = heap.object(`${P}vfs.PathFragment`, { normalizedPath: heap.string(pkg) });
    return heap.object(`${P}cmdline.Label`, { packageIdentifier: heap.object(`${P}cmdline.PackageIdentifier`, { repository: repo, pkgName }), name: heap.string(name) });
  }

  location(file: string, line: number): Ref {
    return this.heap.object("net.starlark.java.syntax.Location", { file: this.heap.string(file), line, column: 3 });
  }

  /** A function defined in Starlark, with its local variables' names (7+: the resolver's bindings). */
  starlarkFunction(name: string, file: string, line: number, locals: readonly string[]): Ref {
    const heap = this.heap;
    const bindings = locals.map((local, index) =>
      heap.object("net.starlark.java.syntax.Resolver$Binding", { first: heap.object("net.starlark.java.syntax.Identifier", { name: heap.string(local) }), index }),
    );
    const rfn = heap.object("net.starlark.java.syntax.Resolver$Function", {
      name: heap.string(name),
      location: this.location(file, line),
      ...(this.layout === "4.2.3" ? {} : { locals: this.list(bindings) }),
    });
    return heap.object("net.starlark.java.eval.StarlarkFunction", { rfn });
  }

  provider(name: string, bzl: Ref, fields: readonly string[]): Ref {
    const heap = this.heap;
    const sorted = [...fields].sort();
    if (this.layout === "8-9") {
      const bzlKey = heap.object(`${P}skyframe.BzlLoadValue$KeyForBuild`, { label: bzl });
      const key = heap.object(`${P}packages.StarlarkProvider$Key`, { key: bzlKey, exportedName: heap.string(name) });
      return heap.object(`${P}packages.StarlarkProvider`, { fields: this.list(sorted.map((field) => heap.string(field))), keyOrIdentityToken: key });
    }
    const key = heap.object(`${P}packages.StarlarkProvider$Key`, { extensionLabel: bzl, exportedName: heap.string(name) });
    const names = this.list(sorted.map((field) => heap.string(field)));
    return heap.object(`${P}packages.StarlarkProvider`, this.layout === "4.2.3" ? { schema: names, key } : { fields: names, key });
  }

  /** A provider instance: 4.2.3 keeps [keys…, values…]; 7+ (with a schema) the values in the fields' order. */
  info(provider: Ref, values: Readonly<Record<string, Ref>>): Ref {
    const heap = this.heap;
    const names = Object.keys(values).sort();
    if (this.layout === "4.2.3") {
      const table = heap.objectArray([...names.map((name) => heap.string(name)), ...names.map((name) => values[name]!)]);
      return heap.object(`${P}packages.StarlarkInfo`, { provider, table });
    }
    return heap.object(`${P}packages.StarlarkInfoWithSchema`, { provider, table: heap.objectArray(names.map((name) => values[name]!)) });
  }

  providerMap(infos: readonly Ref[]): Ref {
    return this.heap.object(`${P}analysis.TransitiveInfoProviderMapImpl`, { values: this.heap.objectArray(infos) });
  }

  fileWrite(contents: Ref): Ref {
    if (this.layout === "4.2.3") return this.heap.object(`${P}analysis.actions.FileWriteAction`, { fileContents: contents });
    return this.heap.object(`${P}analysis.actions.FileWriteAction$CompressedFileWriteAction`, { compressedBytes: contents, uncompressedSize: 1 });
  }

  /**
   * Frame locals: 4.2.3 a LinkedHashMap of the locals that have a value; 7+ an Object[] in the order of the
   * function's bindings (null where a local has no value yet).
   */
  frameLocals(bindings: readonly string[], values: Readonly<Record<string, Ref>>): Ref {
    const heap = this.heap;
    if (this.layout !== "4.2.3") return heap.objectArray(bindings.map((name) => values[name] ?? null));
    const nodes = Object.entries(values).map(([name, value]) => heap.object("java.util.LinkedHashMap$Entry", { key: heap.string(name), value }));
    return heap.object("java.util.LinkedHashMap", { table: heap.objectArray(nodes, "java.util.HashMap$Node[]"), size: nodes.length });
  }
}

export interface ScenarioOptions {
  /** Another .bzl file defines a rule of the same name (only a rule class key tells the two apart). */
  readonly sameRuleNameElsewhere?: boolean;
  /** The aspect lists the rule's provider among its own too (an aspect that copies its target's providers). */
  readonly aspectListsRuleProvider?: boolean;
  /**
   * The rule registers this many more file-write actions (of 1 KB each), and its Skyframe value holds the
   * target's action list too, as 4.2.3's RuleConfiguredTargetValue does: the target dominates none of them.
   */
  readonly moreRuleActions?: number;
  /**
   * The aspect's implementation has this many more locals in flight, each a small byte[] of its own, and a global
   * array holds 20 times as many small byte[]s (objects without references: no vertices, but each one's owner
   * counts in the stacks phase), so that the stacks phase is the digest's costliest.
   */
  readonly moreAspectLocals?: number;
}

/** Bytes of the contents of each action moreRuleActions adds. */
export const MORE_ACTION_BYTES = 1000;

/** The heap (as HPROF bytes) of the scenario in one layout. */
export function bazelShapedHeap(layout: BazelLayout, options: ScenarioOptions = {}): Uint8Array {
  const heap = new SyntheticHeap();
  defineCommonClasses(heap, layout);
  defineLayoutClasses(heap, layout);
  const b = new Builder(heap, layout);
  const s = SCENARIO;
  const defsLabel = b.label("", "pkg", "defs.bzl");
  const aspectBzl = b.label("", "pkg", "aspect.bzl");

  // The rule, its class and its target.
  const ruleClassName = heap.string(s.ruleClass);
  const ruleClass = (file: string, bzl: string): Ref => {
    const key = heap.string(`${bzl}%${s.ruleClass}`);
    const id = layout === "8-9" ? heap.object(`${P}packages.RuleClassId`, { name: ruleClassName, key }) : undefined;
    const configuredTargetFunction = b.starlarkFunction(s.ruleImpl, file, 10, ["ctx"]);
    heap.global(heap.object(`${P}packages.RuleClass`, id === undefined ? { name: ruleClassName, key, configuredTargetFunction } : { ruleClassId: id, configuredTargetFunction }));
    return id ?? ruleClassName;
  };
  if (options.sameRuleNameElsewhere === true) ruleClass("/ws/other/defs.bzl", "//other:defs.bzl");
  const ruleClassId = ruleClass(s.ruleFile, "//pkg:defs.bzl");
  const targetLabel = b.label("", "pkg", "target");
  // A String beside the big value, ahead of it: read as a key, it would pass for the big value's field name.
  const bigInfo = b.info(b.provider(s.ruleProvider, defsLabel, ["a_label", "items"]), { a_label: heap.string("not a field name"), items: blob(heap, s.sizes.items) });
  const moreActions = Array.from({ length: options.moreRuleActions ?? 0 }, () => b.fileWrite(blob(heap, MORE_ACTION_BYTES)));
  const ruleActions = b.list([b.fileWrite(blob(heap, s.sizes.fileContents)), ...moreActions]);
  if (moreActions.length > 0) heap.global(heap.object(`${P}skyframe.RuleConfiguredTargetValue`, { actions: ruleActions }));
  const targetKey = heap.object(`${P}skyframe.ConfiguredTargetKey`, { label: targetLabel });
  heap.global(
    heap.object(`${P}analysis.configuredtargets.RuleConfiguredTarget`, {
      ...(layout === "4.2.3" ? { label: targetLabel } : { actionLookupKey: targetKey }),
      ...(layout === "8-9" ? { ruleClassId } : { ruleClassString: ruleClassId }),
      providers: b.providerMap([bigInfo]),
      actions: ruleActions,
    }),
  );

  // The aspect, applied to a target of another repository.
  const extraLocals = Array.from({ length: options.moreAspectLocals ?? 0 }, (_, index) => `local_${index}`);
  const aspectLocals = ["target", "ctx", "repeated", "lines", ...extraLocals];
  const aspectImpl = b.starlarkFunction(s.aspectImpl, s.aspectFile, 30, aspectLocals);
  const aspectClass = heap.object(`${P}packages.StarlarkAspectClass`, { extensionLabel: aspectBzl, exportedName: heap.string("traverse") });
  heap.global(heap.object(`${P}packages.StarlarkDefinedAspect`, { implementation: aspectImpl, aspectClass }));
  const aspect = heap.object(`${P}packages.Aspect`, { aspectDescriptor: heap.object(`${P}packages.AspectDescriptor`, { aspectClass }) });
  const baseKey = heap.object(`${P}skyframe.ConfiguredTargetKey`, { label: b.label("other_repo", "deep/pkg", "dep") });
  const traverseInfo = b.info(b.provider(s.aspectProvider, aspectBzl, ["content"]), { content: blob(heap, s.sizes.traverse) });
  const aspectActions = b.list([b.fileWrite(blob(heap, s.sizes.fileContents / 2))]);
  const aspectInfos = options.aspectListsRuleProvider === true ? [traverseInfo, bigInfo] : [traverseInfo];
  if (layout === "4.2.3") {
    const key = heap.object(`${P}skyframe.AspectValueKey$AspectKey`, { baseConfiguredTargetKey: baseKey });
    const configuredAspect = heap.object(`${P}analysis.ConfiguredAspect`, { providers: b.providerMap(aspectInfos), actions: aspectActions });
    heap.global(heap.object(`${P}analysis.AspectValue`, { aspect, key, configuredAspect, actions: aspectActions }));
  } else {
    const key = heap.object(`${P}skyframe.AspectKeyCreator$AspectKey`, { baseConfiguredTargetKey: baseKey });
    const withKey = layout === "7.7.1" ? "AspectValue$AspectValueWithTransitivePackages" : "AspectValue$AspectValueWithTransitiveRepos";
    heap.global(heap.object(`${P}analysis.${withKey}`, { aspect, key, providers: b.providerMap(aspectInfos), actions: aspectActions }));
  }

  // The thread running the aspect's implementation, inside a builtin.
  const join = heap.object("net.starlark.java.eval.BuiltinFunction", { methodName: heap.string(s.builtin) });
  const repeated = heap.object("net.starlark.java.eval.StarlarkList", { elems: heap.objectArray([blob(heap, s.sizes.repeated)]), size: 1 });
  const lines = heap.object("net.starlark.java.eval.StarlarkList", { elems: heap.objectArray([blob(heap, s.sizes.lines)]), size: 1 });
  const starlarkThread = heap.object("net.starlark.java.eval.StarlarkThread", {});
  const userFrame = heap.object("net.starlark.java.eval.StarlarkThread$Frame", {
    thread: starlarkThread,
    fn: aspectImpl,
    loc: b.location(s.aspectFile, s.aspectLine),
    locals: b.frameLocals(aspectLocals, { repeated, lines, ...Object.fromEntries(extraLocals.map((name) => [name, blob(heap, 8)])) }),
  });
  const builtinFrame = heap.object("net.starlark.java.eval.StarlarkThread$Frame", { thread: starlarkThread, fn: join, loc: b.location("<builtin>", 0) });
  heap.set(starlarkThread, "callstack", heap.object("java.util.ArrayList", { elementData: heap.objectArray([userFrame, builtinFrame]), size: 2 }));
  heap.thread(
    s.thread,
    [
      { className: "java.lang.OutOfMemoryError", method: "<init>", line: 48 },
      { className: "java.util.Arrays", method: "copyOf", line: 3512 },
      { className: "net.starlark.java.eval.MethodLibrary", method: "join", line: 12 },
    ],
    [starlarkThread, userFrame, blob(heap, s.sizes.inFlight, 0x62)],
  );
  if (extraLocals.length > 0) heap.global(heap.objectArray(Array.from({ length: 20 * extraLocals.length }, () => blob(heap, 8))));
  // A thread that runs no Starlark.
  heap.thread("main", [{ className: "java.lang.Object", method: "wait", line: -3 }], []);
  return heap.toBytes();
}
