/**
 * Names of Starlark things as the dump spells them: functions (name and .bzl file), labels, providers.
 */
import { CLASSES, FIELDS, follow, followText, isAny, type FieldPaths } from "./bazel-layouts.js";
import type { FunctionRef } from "./digest-model.js";
import { NONE, type HeapView } from "./heap-view.js";

/** A function's identity, for maps: its name and file. */
export function functionKey(fn: FunctionRef | undefined): string {
  return fn === undefined ? "?" : `${fn.function}\u0000${fn.file ?? ""}`;
}

/** A location's file, undefined for builtins ("<builtin>") and when unknown. */
export function builtinAware(file: string | undefined): string | undefined {
  return file === undefined || file === "" || file === "<builtin>" ? undefined : file;
}

/** Names of Starlark things read from the dump: functions, providers, labels (memoised). */
export class Names {
  private readonly functions = new Map<number, FunctionRef & { builtin: boolean }>();
  private readonly labels = new Map<number, string | undefined>();
  private readonly packages = new Map<number, string | undefined>();
  private readonly texts = new Map<number, string | undefined>();
  /** By provider object: all instances of a provider share it (a monorepo's 200,000 instances, a few providers). */
  private readonly providers = new Map<number, { readonly name: string; readonly file: string | undefined }>();

  constructor(private readonly view: HeapView) {}

  /** A callable: StarlarkFunction (name and file from its resolved function), BuiltinFunction, or its class. */
  function(fn: number): FunctionRef & { builtin: boolean } {
    let found = this.functions.get(fn);
    if (found !== undefined) return found;
    const view = this.view;
    if (fn === NONE) {
      found = { function: "?", file: undefined, builtin: false };
    } else if (isAny(view, fn, CLASSES.starlarkFunction)) {
      const resolved = follow(view, fn, FIELDS.resolvedFunction);
      found = {
        function: followText(view, resolved, FIELDS.resolvedName) ?? "?",
        file: followText(view, resolved, FIELDS.resolvedFile) || undefined,
        builtin: false,
      };
    } else if (isAny(view, fn, CLASSES.builtinFunction)) {
      found = { function: followText(view, fn, FIELDS.builtinName) ?? "?", file: undefined, builtin: true };
    } else {
      found = { function: view.className(fn).replace(/^.*[.$]/, ""), file: undefined, builtin: true };
    }
    this.functions.set(fn, found);
    return found;
  }

  /** A com.google.devtools.build.lib.cmdline.Label as Bazel prints it: //pkg:name or @repo//pkg:name. */
  label(label: number): string | undefined {
    if (this.labels.has(label)) return this.labels.get(label);
    const text = this.readLabel(label);
    this.labels.set(label, text);
    return text;
  }

  /** label() without its memo: for a label read once (a configured target's own, kept by its owner). */
  readLabel(label: number): string | undefined {
    if (label === NONE) return undefined;
    const view = this.view;
    const pkg = this.packagePrefix(follow(view, label, FIELDS.labelPackage));
    const name = followText(view, label, FIELDS.labelName);
    return name === undefined || pkg === undefined ? undefined : `${pkg}:${name}`;
  }

  /** A PackageIdentifier as a label starts: //pkg or @repo//pkg (a package's thousand targets share one). */
  private packagePrefix(pkg: number): string | undefined {
    if (this.packages.has(pkg)) return this.packages.get(pkg);
    const view = this.view;
    const pkgName = followText(view, pkg, FIELDS.packageName);
    let repository = followText(view, pkg, FIELDS.packageRepository) ?? "";
    // Bazel 4 spells a repository "@name" (the main one "@"); later versions drop the "@".
    if (repository.startsWith("@")) repository = repository.slice(1);
    const text = pkgName === undefined ? undefined : `${repository === "" ? "" : `@${repository}`}//${pkgName}`;
    this.packages.set(pkg, text);
    return text;
  }

  /** followText for Strings many objects share (every target's rule class name): each one's text read once. */
  sharedText(object: number, paths: FieldPaths): string | undefined {
    for (const path of paths) {
      const string = this.view.refPath(object, ...path);
      if (string === NONE) continue;
      if (!this.texts.has(string)) this.texts.set(string, this.view.string(string));
      const text = this.texts.get(string);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  /** A provider instance's provider: its exported name (else its Java class's) and the .bzl file's label. */
  provider(info: number): { readonly name: string; readonly file: string | undefined } {
    const view = this.view;
    const provider = follow(view, info, FIELDS.infoProvider);
    let found = this.providers.get(provider);
    if (found !== undefined) return found;
    const key = follow(view, provider, FIELDS.providerKey);
    const name = followText(view, key, FIELDS.keyName) ?? view.className(provider).replace(/^.*[.$]/, "");
    found = { name, file: this.label(follow(view, key, FIELDS.keyFile)) };
    this.providers.set(provider, found);
    return found;
  }
}
