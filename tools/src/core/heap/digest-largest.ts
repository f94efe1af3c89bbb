/**
 * The biggest objects of the heap, each with who holds it in Starlark terms (a frame's local, a provider's
 * field of a target, an action's contents, a thread's work in progress) or in Bazel's.
 */
import { CLASSES, FIELDS, follow, followText, isAny } from "./bazel-layouts.js";
import type { DominatorTree } from "./dominators.js";
import { H_THREAD, type LargeObject } from "./digest-model.js";
import type { Names } from "./digest-names.js";
import type { Owner, Owners } from "./digest-owners.js";
import type { StackOwnership, StarlarkStack } from "./digest-stacks.js";
import { NONE, type HeapView } from "./heap-view.js";
import type { Heap } from "./hprof.js";

export const PREVIEW_CHARS = 80;

/** What describeOwner looks at. */
export interface DescribeContext {
  readonly view: HeapView;
  readonly tree: DominatorTree;
  readonly names: Names;
  readonly owners: Owners;
  readonly stacks: readonly StarlarkStack[];
  readonly ownership: StackOwnership;
}

/** The biggest objects by shallow size (a String's byte[] shown as its String), with who holds them. */
export function largestObjects(heap: Heap, view: HeapView, tree: DominatorTree, top: number, owner: (node: number) => string): LargeObject[] {
  const candidates: number[] = [];
  const sizes = heap.shallowSizes;
  let floor = 0;
  for (let node = heap.classCount; node < heap.objectCount; node++) {
    const bytes = sizes.bytesOf(node);
    if (bytes <= floor || !tree.isReachable(node)) continue;
    candidates.push(node);
    if (candidates.length > top * 4) {
      candidates.sort((a, b) => sizes.bytesOf(b) - sizes.bytesOf(a));
      candidates.length = top;
      floor = sizes.bytesOf(candidates[top - 1]!);
    }
  }
  candidates.sort((a, b) => sizes.bytesOf(b) - sizes.bytesOf(a));
  return candidates.slice(0, top).map((node) => {
    const holder = tree.dominatorOf(node);
    const asString = holder >= 0 && holder < heap.objectCount && isAny(view, holder, CLASSES.string) && view.ref(holder, "value") === node ? holder : node;
    const text = view.string(asString, PREVIEW_CHARS + 1);
    return {
      className: view.className(node),
      shallowBytes: sizes.bytesOf(node),
      retainedBytes: tree.retainedOf(node),
      preview: text === undefined ? undefined : escapePreview(text),
      owner: owner(asString),
    };
  });
}

/** Control characters and quotes escaped, cut at PREVIEW_CHARS with an ellipsis. */
export function escapePreview(text: string): string {
  const cut = text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS) : text;
  const escaped = JSON.stringify(cut).slice(1, -1);
  return text.length > PREVIEW_CHARS ? `${escaped}…` : escaped;
}

/** Who holds an object, in Starlark terms: the first holder above it, described. */
export function describeOwner(node: number, c: DescribeContext): string {
  const view = c.view;
  const owner = c.ownership.ownerOf[node]! > 0 ? c.ownership.owners[c.ownership.ownerOf[node]! - 1] : undefined;
  if (owner !== undefined) {
    const stack = c.stacks[owner.stack]!;
    if (owner.kind === H_THREAD) return inFlightText(stack);
    const info = stack.thread.frames[owner.frame]!;
    const where = `${info.function}${info.file === undefined ? "" : ` (${info.file}${info.line === undefined ? "" : `:${info.line}`})`}`;
    return `${owner.local === undefined ? "the locals table" : `local \`${owner.local}\``} of ${where} on thread ${stack.thread.name}`;
  }
  // The two objects below `current` on the way up: a provider's field value sits under its field table.
  let grandchild = node;
  let child = node;
  let current = node;
  for (let depth = 0; depth < 64 && current >= 0 && current !== c.tree.superRoot; depth++) {
    if (isAny(view, current, CLASSES.providerInstance)) {
      const provider = c.names.provider(current);
      const owner = c.owners.ownerOfProvider(current);
      const fieldName = providerField(view, current, child, grandchild);
      return `${provider.name}${fieldName === undefined ? "" : `.${fieldName}`}${owner?.label === undefined ? "" : ` of ${owner.label}`}${ownerSuffix(owner)}`;
    }
    if (isAny(view, current, CLASSES.action)) {
      const owner = c.owners.ownerOfAction(current);
      return `contents of a ${view.className(current).replace(/^.*[.]/, "")}${owner?.label === undefined ? "" : ` of ${owner.label}`}${ownerSuffix(owner)}`;
    }
    if (isAny(view, current, CLASSES.javaThread)) {
      const stack = c.stacks.find((candidate) => candidate.javaThread === current);
      return stack === undefined ? `the stack of thread ${followText(view, current, FIELDS.threadName) ?? "?"} (Bazel)` : inFlightText(stack);
    }
    grandchild = child;
    child = current;
    current = c.tree.dominatorOf(current);
  }
  return current === c.tree.superRoot && child !== node ? `Bazel: ${view.className(child).replace(/^.*[.]/, "")}` : "Bazel (shared)";
}

function inFlightText(stack: StarlarkStack): string {
  const innermost = stack.thread.frames[0];
  const caller = innermost?.builtin === true && stack.innermostUser !== undefined ? ` called by ${stack.innermostUser.function}` : "";
  return `in flight on thread ${stack.thread.name}${innermost === undefined ? "" : ` in ${innermost.function}${caller}`}`;
}

function ownerSuffix(owner: Owner | undefined): string {
  if (owner === undefined) return "";
  const fn = owner.function;
  return fn === undefined ? ` (${owner.kind})` : ` (returned by ${fn.function}${fn.file === undefined ? "" : `, ${fn.file}`})`;
}

/**
 * The field of a provider instance that holds the object (`child`, right below it in the dominator tree, or
 * `grandchild` when `child` is its field table), if readable. Bazel 4's StarlarkInfo and 7+'s
 * StarlarkInfoNoSchema keep table = [keys…, values…]; 7+'s StarlarkInfoWithSchema keeps only the values, in the
 * order of its provider's sorted field names. A class of neither layout reads as no name: its values could
 * pass for keys.
 */
function providerField(view: HeapView, info: number, child: number, grandchild: number): string | undefined {
  const tableObject = follow(view, info, FIELDS.infoTable);
  const table = view.elements(tableObject, 4096);
  const index = table.indexOf(child === tableObject ? grandchild : child);
  if (index < 0) return undefined;
  if (isAny(view, info, CLASSES.providerInstanceWithSchema)) {
    const fields = view.listElements(follow(view, follow(view, info, FIELDS.infoProvider), FIELDS.providerFields), 4096);
    // Names that do not match the table one to one belong to another layout: no name rather than a wrong one.
    return fields.length === table.length ? view.string(fields[index] ?? NONE) : undefined;
  }
  const keysThenValues = isAny(view, info, CLASSES.providerInstanceWithoutSchema) || (CLASSES.providerInstance as readonly string[]).includes(view.className(info));
  const half = table.length / 2;
  return keysThenValues && Number.isInteger(half) && index >= half ? view.string(table[index - half] ?? NONE) : undefined;
}
