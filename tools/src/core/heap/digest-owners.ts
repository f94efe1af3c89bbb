/**
 * Configured targets and aspects ("owners") in the dump: the label each stands for, the rule or aspect
 * implementation that made it, and which provider instances and actions it holds.
 */
import { CLASSES, classesOfAny, FIELDS, follow, followText, isAny, type ClassNames, type FieldPaths } from "./bazel-layouts.js";
import type { DominatorTree } from "./dominators.js";
import type { FunctionRef } from "./digest-model.js";
import { functionKey, type Names } from "./digest-names.js";
import { NONE, type HeapView } from "./heap-view.js";
import type { Heap } from "./hprof.js";

export interface Owner {
  readonly node: number;
  readonly kind: "rule" | "aspect";
  readonly label: string | undefined;
  readonly function: FunctionRef | undefined;
}

/** Configured targets and aspects: who they are, which implementation made them, what they hold. */
/** Rule implementations by rule class key, and by rule class name (undefined where two differ). */
interface RuleFunctions {
  readonly byName: ReadonlyMap<string, FunctionRef | undefined>;
  readonly byKey: ReadonlyMap<string, FunctionRef>;
}

export class Owners {
  private readonly byNode = new Map<number, Owner | undefined>();
  private providerOwners: Map<number, number> | undefined;
  private actionOwners: Map<number, number> | undefined;
  private ruleFunctions: RuleFunctions | undefined;
  private aspectFunctions: Map<number, FunctionRef> | undefined;
  private aspectValueOfConfiguredAspect: Map<number, number> | undefined;

  constructor(
    private readonly heap: Heap,
    private readonly view: HeapView,
    private readonly tree: DominatorTree,
    private readonly names: Names,
  ) {}

  private readonly instancesByClass = new Map<ClassNames, number[]>();

  /** Every instance of the classes (and their subclasses), in object order. */
  private instances(classNames: ClassNames): number[] {
    const memo = this.instancesByClass.get(classNames);
    if (memo !== undefined) return memo;
    const classes = classesOfAny(this.view, classNames);
    const found: number[] = [];
    if (classes.size > 0) {
      const marks = new Uint8Array(this.heap.classes.length);
      for (const index of classes) marks[index] = 1;
      for (let node = this.heap.classCount; node < this.heap.objectCount; node++) if (marks[this.heap.classOf[node]!] === 1) found.push(node);
    }
    this.instancesByClass.set(classNames, found);
    return found;
  }

  private allOwners(): number[] {
    return [...this.instances(CLASSES.ruleTarget), ...this.instances(CLASSES.aspectValue), ...this.instances(CLASSES.configuredAspect)].filter((node) => this.tree.isReachable(node));
  }

  owner(node: number): Owner | undefined {
    if (this.byNode.has(node)) return this.byNode.get(node);
    const view = this.view;
    let owner: Owner | undefined;
    if (isAny(view, node, CLASSES.ruleTarget)) {
      const label = this.names.label(follow(view, node, FIELDS.targetLabel));
      const fn = this.ruleFunction(followText(view, node, FIELDS.targetRuleClassName), followText(view, node, FIELDS.targetRuleClassKey));
      owner = { node, kind: "rule", label, function: fn };
    } else if (isAny(view, node, CLASSES.aspectValue)) {
      const label = this.names.label(follow(view, node, FIELDS.aspectLabel));
      owner = { node, kind: "aspect", label, function: this.aspectFunction(follow(view, node, FIELDS.aspectClass)) };
    } else if (isAny(view, node, CLASSES.configuredAspect)) {
      this.aspectValueOfConfiguredAspect ??= new Map(this.instances(CLASSES.aspectValue).map((value) => [follow(view, value, FIELDS.configuredAspect), value]));
      const value = this.aspectValueOfConfiguredAspect.get(node);
      const valueOwner = value === undefined ? undefined : this.owner(value);
      owner = valueOwner === undefined ? undefined : { ...valueOwner, node };
    }
    this.byNode.set(node, owner);
    return owner;
  }

  /** The owner of a provider instance: the nearest owner above it in the dominator tree, else one that lists it. */
  ownerOfProvider(info: number): Owner | undefined {
    return this.nearestOwner(info) ?? this.listedOwner(info, () => (this.providerOwners ??= this.index(FIELDS.ownerProviders, CLASSES.providerInstance)));
  }

  ownerOfAction(action: number): Owner | undefined {
    return this.nearestOwner(action) ?? this.listedOwner(action, () => (this.actionOwners ??= this.index(FIELDS.ownerActions, CLASSES.action)));
  }

  private nearestOwner(node: number): Owner | undefined {
    let current = this.tree.dominatorOf(node);
    for (let depth = 0; depth < 64 && current >= 0 && current !== this.tree.superRoot; depth++) {
      const owner = this.isOwner(current) ? this.owner(current) : undefined;
      if (owner !== undefined) return owner;
      current = this.tree.dominatorOf(current);
    }
    return undefined;
  }

  private isOwner(node: number): boolean {
    const view = this.view;
    return node >= this.heap.classCount && (isAny(view, node, CLASSES.ruleTarget) || isAny(view, node, CLASSES.aspectValue) || isAny(view, node, CLASSES.configuredAspect));
  }

  private listedOwner(node: number, index: () => Map<number, number>): Owner | undefined {
    const owner = index().get(node);
    return owner === undefined ? undefined : this.owner(owner);
  }

  /** object → the first owner whose `field` (providers or actions) reaches it within a few references. */
  private index(field: FieldPaths, classNames: ClassNames): Map<number, number> {
    const found = new Map<number, number>();
    const classes = classesOfAny(this.view, classNames);
    const isTarget = (node: number): boolean => node >= this.heap.classCount && classes.has(this.heap.classOf[node]!);
    for (const owner of this.allOwners()) {
      // The providers map's value array, or the actions list's array: a few references deep; never inside a target.
      for (const node of this.view.reachableWithin(follow(this.view, owner, field), 3, 500, isTarget)) {
        if (isTarget(node) && !found.has(node)) found.set(node, owner);
      }
    }
    return found;
  }

  /**
   * A rule's implementation (the RuleClass's configuredTargetFunction): the rule class the target's key names
   * (Bazel 8+ keeps the key on the target), else the one of the target's rule class name when only one has it.
   */
  private ruleFunction(ruleClass: string | undefined, ruleClassKey: string | undefined): FunctionRef | undefined {
    const known = (this.ruleFunctions ??= this.indexRuleClasses());
    if (ruleClassKey !== undefined && known.byKey.has(ruleClassKey)) return known.byKey.get(ruleClassKey);
    return ruleClass === undefined ? undefined : known.byName.get(ruleClass);
  }

  private indexRuleClasses(): RuleFunctions {
    const view = this.view;
    const byName = new Map<string, FunctionRef | undefined>();
    const byKey = new Map<string, FunctionRef>();
    const seen = new Map<string, number>();
    for (const node of this.instances(CLASSES.ruleClass)) {
      const name = followText(view, node, FIELDS.ruleClassName);
      const fn = follow(view, node, FIELDS.ruleClassFunction);
      if (name === undefined || fn === NONE) continue;
      const { function: functionName, file } = this.names.function(fn);
      const ref = { function: functionName, file };
      const ruleClassKey = followText(view, node, FIELDS.ruleClassKey);
      if (ruleClassKey !== undefined) byKey.set(ruleClassKey, ref);
      const previous = byName.get(name);
      // Two rule classes of one name with different implementations: not knowable from the name alone.
      if (seen.has(name) && (previous === undefined || functionKey(previous) !== functionKey(ref))) byName.set(name, undefined);
      else byName.set(name, ref);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    return { byName, byKey };
  }

  /** An aspect's implementation: the StarlarkDefinedAspect whose aspectClass is this one → implementation. */
  private aspectFunction(aspectClass: number): FunctionRef | undefined {
    if (aspectClass === NONE) return undefined;
    if (this.aspectFunctions === undefined) {
      this.aspectFunctions = new Map();
      for (const node of this.instances(CLASSES.starlarkAspect)) {
        const fn = follow(this.view, node, FIELDS.aspectImplementation);
        const ofClass = follow(this.view, node, FIELDS.definedAspectClass);
        if (fn !== NONE && ofClass !== NONE) {
          const ref = this.names.function(fn);
          this.aspectFunctions.set(ofClass, { function: ref.function, file: ref.file });
        }
      }
    }
    return this.aspectFunctions.get(aspectClass);
  }
}
