/**
 * Every Bazel (and JDK) class and field the heap digest reads, by concept, with each name a Bazel version gives
 * it: docs/bazel-versions.md has the table per version (4.2.3, 7.x, 8.x, 9.x) and how each name was checked.
 *
 * A class concept lists class names (an object is of the concept when its class, or a super class, has one of
 * them). A field concept lists paths of reference fields; the first path that leads to an object (to a String,
 * for a text) is the answer, so a path a version lacks just leads nowhere. Versions never give one name two
 * meanings, so no version is sniffed: a dump of a version not listed reads whatever names it shares with these,
 * and the rest stays unknown — never a wrong name.
 */
import { NONE, type HeapView } from "./heap-view.js";

export type ClassNames = readonly string[];
export type FieldPaths = readonly (readonly string[])[];

const LIB = "com.google.devtools.build.lib.";

export const CLASSES = {
  starlarkThread: ["net.starlark.java.eval.StarlarkThread"],
  frame: ["net.starlark.java.eval.StarlarkThread$Frame"],
  starlarkFunction: ["net.starlark.java.eval.StarlarkFunction"],
  builtinFunction: ["net.starlark.java.eval.BuiltinFunction"],
  javaThread: ["java.lang.Thread"],
  string: ["java.lang.String"],
  /** 4.2.3: one concrete class; 7+: the abstract base of StarlarkInfoWithSchema and StarlarkInfoNoSchema. */
  providerInstance: [`${LIB}packages.StarlarkInfo`],
  /** 7+: a provider instance whose table holds only values, in the order of its provider's sorted fields. */
  providerInstanceWithSchema: [`${LIB}packages.StarlarkInfoWithSchema`],
  /**
   * A provider instance whose table is [keys…, values…]: 7+'s StarlarkInfoNoSchema (and its subclasses), and
   * 4.2.3's StarlarkInfo itself — only when it is the object's own class (7+'s is abstract).
   */
  providerInstanceWithoutSchema: [`${LIB}packages.StarlarkInfoNoSchema`],
  action: [`${LIB}actions.AbstractAction`],
  ruleTarget: [`${LIB}analysis.configuredtargets.RuleConfiguredTarget`],
  aspectValue: [`${LIB}analysis.AspectValue`],
  /** 4.2.3: the aspect's providers and actions, beside its AspectValue; 7+ an interface (AspectValue holds them). */
  configuredAspect: [`${LIB}analysis.ConfiguredAspect`],
  ruleClass: [`${LIB}packages.RuleClass`],
  starlarkAspect: [`${LIB}packages.StarlarkDefinedAspect`],
} as const satisfies Record<string, ClassNames>;

/** The Java frame HotSpot puts on top of the stack of the thread that ran out of memory. */
export const OOM_CONSTRUCTOR = { className: "java.lang.OutOfMemoryError", method: "<init>" } as const;

export const FIELDS = {
  // ---- Starlark stacks ----------------------------------------------------------------------------------
  /** StarlarkThread → its frames, outermost first (an ArrayList). */
  callstack: [["callstack"]],
  frameFunction: [["fn"]],
  /** Frame → the Location being executed. */
  frameLocation: [["loc"]],
  /** Frame → its locals: 4.2.3 a LinkedHashMap name → value; 7+ an Object[] in the order of frameBindings. */
  frameLocals: [["locals"]],
  /** Frame → its function's local variables (Resolver.Binding list), 7+. */
  frameBindings: [["fn", "rfn", "locals"]],
  bindingName: [["first", "name"]],
  locationFile: [["file"]],
  /** An int field of Location (read with followNumber). */
  locationLine: [["line"]],
  /** java.lang.Thread's name. */
  threadName: [["name"]],
  // ---- functions ----------------------------------------------------------------------------------------
  /** StarlarkFunction → its resolved function (Resolver.Function). */
  resolvedFunction: [["rfn"]],
  resolvedName: [["name"]],
  resolvedFile: [["location", "file"]],
  builtinName: [["methodName"]],
  // ---- providers ----------------------------------------------------------------------------------------
  infoProvider: [["provider"]],
  infoTable: [["table"]],
  /** StarlarkProvider → its key: `key` up to 7; `keyOrIdentityToken` in 8+ (a Key once exported). */
  providerKey: [["key"], ["keyOrIdentityToken"]],
  /** StarlarkProvider → the sorted field names a StarlarkInfoWithSchema's table follows (7+). */
  providerFields: [["fields"]],
  keyName: [["exportedName"]],
  /** StarlarkProvider.Key → the .bzl file's Label: `extensionLabel` up to 7; its BzlLoadValue key's `label` in 8+. */
  keyFile: [["extensionLabel"], ["key", "label"]],
  // ---- labels -------------------------------------------------------------------------------------------
  labelPackage: [["packageIdentifier"]],
  labelName: [["name"]],
  packageRepository: [["repository", "name"]],
  /** PackageIdentifier → the package path: a PathFragment's `normalizedPath`, or a String. */
  packageName: [["pkgName"], ["pkgName", "normalizedPath"]],
  // ---- configured targets, aspects, rule classes ---------------------------------------------------------
  /** RuleConfiguredTarget → its Label: `label` in 4.2.3; its ActionLookupKey's in 7+. */
  targetLabel: [["label"], ["actionLookupKey", "label"]],
  /** RuleConfiguredTarget → its rule class's name: `ruleClassString` up to 7; `ruleClassId.name` in 8+. */
  targetRuleClassName: [["ruleClassString"], ["ruleClassId", "name"]],
  /** RuleConfiguredTarget → its rule class's unique key (8+: `ruleClassId.key`). */
  targetRuleClassKey: [["ruleClassId", "key"]],
  /** A configured target's or aspect's provider map and action list (searched a few references deep). */
  ownerProviders: [["providers"]],
  ownerActions: [["actions"]],
  /** AspectValue → the label of the target it applies to (7+: only AspectValue subclasses that keep their key). */
  aspectLabel: [["key", "baseConfiguredTargetKey", "label"]],
  /** AspectValue → the aspect's class (a StarlarkAspectClass for an aspect defined in Starlark). */
  aspectClass: [["aspect", "aspectDescriptor", "aspectClass"]],
  /** AspectValue → its ConfiguredAspect (4.2.3). */
  configuredAspect: [["configuredAspect"]],
  ruleClassName: [["name"], ["ruleClassId", "name"]],
  ruleClassKey: [["key"], ["ruleClassId", "key"]],
  ruleClassFunction: [["configuredTargetFunction"]],
  aspectImplementation: [["implementation"]],
  /** StarlarkDefinedAspect → its StarlarkAspectClass (the object an aspect's descriptor points at). */
  definedAspectClass: [["aspectClass"]],
} as const satisfies Record<string, FieldPaths>;

/** The object at the end of the first path that leads to one, or NONE. */
export function follow(view: HeapView, object: number, paths: FieldPaths): number {
  for (const path of paths) {
    const found = view.refPath(object, ...path);
    if (found !== NONE) return found;
  }
  return NONE;
}

/** The text of the first path that ends at a java.lang.String. */
export function followText(view: HeapView, object: number, paths: FieldPaths, maxChars?: number): string | undefined {
  for (const path of paths) {
    const text = view.string(view.refPath(object, ...path), maxChars);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The primitive value of the first path whose last field the object it reaches has (references followed before it). */
export function followNumber(view: HeapView, object: number, paths: FieldPaths): number | undefined {
  for (const path of paths) {
    const holder = view.refPath(object, ...path.slice(0, -1));
    const value = holder === NONE ? undefined : view.field(holder, path[path.length - 1]!);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Whether the object's class is one of `names` or a subclass of one. */
export function isAny(view: HeapView, object: number, names: ClassNames): boolean {
  // A loop, not names.some(): the owners' searches ask this millions of times, a closure each (600 MB of garbage
  // on a monorepo-shaped dump).
  for (const name of names) if (view.isA(object, name)) return true;
  return false;
}

/** Indices of the classes named one of `names`, and of all their subclasses. */
export function classesOfAny(view: HeapView, names: ClassNames): ReadonlySet<number> {
  if (names.length === 1) return view.classesNamed(names[0]!);
  const found = new Set<number>();
  for (const name of names) for (const index of view.classesNamed(name)) found.add(index);
  return found;
}
