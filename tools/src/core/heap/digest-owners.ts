/**
 * Configured targets and aspects ("owners") in the dump: the label each stands for, the rule or aspect
 * implementation that made it, and which provider instances and actions it holds.
 */
import { CLASSES, classesOfAny, FIELDS, follow, followText, type ClassNames } from "./bazel-layouts.js";
import type { DominatorTree } from "./dominators.js";
import type { FunctionRef } from "./digest-model.js";
import { functionKey, type Names } from "./digest-names.js";
import { NONE, type HeapView } from "./heap-view.js";
import { firstAtOrAfter } from "../sorted.js";
import type { Heap } from "./hprof.js";

export interface Owner {
  readonly node: number;
  readonly kind: "rule" | "aspect";
  readonly label: string | undefined;
  readonly function: FunctionRef | undefined;
}

/** Rule implementations by rule class key, and by rule class name (undefined where two differ). */
interface RuleFunctions {
  readonly byName: ReadonlyMap<string, FunctionRef | undefined>;
  readonly byKey: ReadonlyMap<string, FunctionRef>;
}

/**
 * How many references below an owner's providers or actions field a holder it lists may sit: the provider map's
 * value array, or the action list's array, then the holder.
 */
const LISTED_DEPTH = 3;
/** The most objects a search for a holder's listing owner looks at (a holder a huge depset shares, say). */
const LISTED_MAX_VERTICES = 4096;
/** The upward search's table of vertices met: twice LISTED_MAX_VERTICES, a power of two. */
const MET_BITS = 13;
const MET_SLOTS = 1 << MET_BITS;

/** OwnerRecords.state: an owner (its label or function unreadable is still one), or none (a configured aspect without its value). */
const NOT_AN_OWNER = 0;
const READ = 1;

/**
 * What was read of each owner, in columns by its place among the owners (sorted by object): a monorepo's dump
 * has a configured target per node of its graph (an Owner object and a Map entry each took ~60 bytes of JS heap).
 */
interface OwnerRecords {
  readonly nodes: Uint32Array;
  readonly state: Uint8Array;
  readonly aspect: Uint8Array;
  /** Index in `labels`, -1 for none. */
  readonly label: Int32Array;
  readonly labels: string[];
  /** Index in `functions`, -1 for none. */
  readonly function: Int32Array;
  readonly functions: FunctionRef[];
  readonly functionIndex: Map<string, number>;
  /**
   * What its providers and its actions fields reference (NONE for none), read with the rest: the upward search
   * for the owner that lists a holder asks them of every owner it meets (a read of the owner's record and of the
   * id lookup on disk each time: 20,000 of the 67,500 block reads after the pass on a monorepo's dump).
   */
  readonly listed: { readonly providers: Int32Array; readonly actions: Int32Array };
}

/** Which of an owner's listing fields the upward search compares. */
type ListingField = keyof OwnerRecords["listed"];

/** Configured targets and aspects: who they are, which implementation made them, what they hold. */
export class Owners {
  private records: OwnerRecords | undefined;
  private ruleFunctions: RuleFunctions | undefined;
  private aspectFunctions: Map<number, FunctionRef> | undefined;

  constructor(
    private readonly heap: Heap,
    private readonly view: HeapView,
    private readonly tree: DominatorTree,
    private readonly names: Names,
  ) {
    // Later marks win: rule targets, then aspect values, then configured aspects, as the owners are tried.
    this.rankOfClass = new Int8Array(heap.classes.length).fill(-1);
    const ranks: readonly [ClassNames, number][] = [
      [CLASSES.configuredAspect, 2],
      [CLASSES.aspectValue, 1],
      [CLASSES.ruleTarget, 0],
    ];
    for (const [classNames, rank] of ranks) for (const index of classesOfAny(view, classNames)) this.rankOfClass[index] = rank;
  }

  /** Per class, ownerRank's answer for its instances. */
  private readonly rankOfClass: Int8Array;

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

  /**
   * Every owner, read at once: the owners themselves in the dump's order, then their labels in the dump's order of
   * labels (a target's label was made with its package, far from the target: read in the targets' order, nearly
   * every label took a block of its own, 5 s of a monorepo's 24).
   */
  private ownerRecords(): OwnerRecords {
    if (this.records !== undefined) return this.records;
    const { view, heap } = this;
    // Every owner, by its class's rank, in the dump's order (one pass, already sorted).
    let count = 0;
    let configuredCount = 0;
    for (let node = heap.classCount; node < heap.objectCount; node++) {
      const rank = this.rankOfClass[heap.classOf[node]!]!;
      if (rank >= 0) count++;
      if (rank === 2) configuredCount++;
    }
    const nodes = new Uint32Array(count);
    for (let node = heap.classCount, at = 0; at < count; node++) if (this.rankOfClass[heap.classOf[node]!]! >= 0) nodes[at++] = node;
    const records: OwnerRecords = {
      nodes,
      state: new Uint8Array(count),
      aspect: new Uint8Array(count),
      label: new Int32Array(count).fill(-1),
      labels: [],
      function: new Int32Array(count).fill(-1),
      functions: [],
      functionIndex: new Map(),
      listed: { providers: new Int32Array(count), actions: new Int32Array(count) },
    };
    this.records = records;
    const labelNodes = new Int32Array(count).fill(NONE);
    const configuredAspects: number[] = [];
    // 4.2.3's configured aspects: each is its aspect value's, found by the value's field (read with its others).
    const valueOfConfigured = new Map<number, number>();
    for (let index = 0; index < count; index++) {
      const node = nodes[index]!;
      const rank = this.ownerRank(node);
      records.listed.providers[index] = follow(view, node, FIELDS.ownerProviders);
      records.listed.actions[index] = follow(view, node, FIELDS.ownerActions);
      let fn: FunctionRef | undefined;
      if (rank === 0) {
        labelNodes[index] = follow(view, node, FIELDS.targetLabel);
        fn = this.ruleFunction(this.names.sharedText(node, FIELDS.targetRuleClassName), this.names.sharedText(node, FIELDS.targetRuleClassKey));
      } else if (rank === 1) {
        labelNodes[index] = follow(view, node, FIELDS.aspectLabel);
        fn = this.aspectFunction(follow(view, node, FIELDS.aspectClass));
        records.aspect[index] = 1;
        if (configuredCount > 0) valueOfConfigured.set(follow(view, node, FIELDS.configuredAspect), node);
      } else {
        configuredAspects.push(index);
        continue;
      }
      records.state[index] = READ;
      if (fn !== undefined) {
        const key = functionKey(fn);
        let number = records.functionIndex.get(key);
        if (number === undefined) records.functionIndex.set(key, (number = records.functions.push(fn) - 1));
        records.function[index] = number;
      }
    }
    const byLabel = Uint32Array.from({ length: count }, (_, index) => index).filter((index) => labelNodes[index] !== NONE);
    byLabel.sort((a, b) => labelNodes[a]! - labelNodes[b]!);
    let previous = NONE;
    let previousIndex = -1;
    for (const index of byLabel) {
      // A target's aspects name its label: one read.
      if (labelNodes[index] !== previous) {
        previous = labelNodes[index]!;
        const text = this.names.readLabel(previous);
        previousIndex = text === undefined ? -1 : records.labels.push(text) - 1;
      }
      records.label[index] = previousIndex;
    }
    // A configured aspect (4.2.3) is its aspect value's.
    for (const index of configuredAspects) {
      const value = valueOfConfigured.get(nodes[index]!);
      const valueIndex = value === undefined ? -1 : this.recordIndex(value);
      if (valueIndex < 0 || records.state[valueIndex] !== READ) {
        records.state[index] = NOT_AN_OWNER;
        continue;
      }
      records.state[index] = READ;
      records.aspect[index] = records.aspect[valueIndex]!;
      records.label[index] = records.label[valueIndex]!;
      records.function[index] = records.function[valueIndex]!;
    }
    return records;
  }

  /** An owner's place among the records, -1 for an object that is none. */
  private recordIndex(node: number): number {
    const { nodes } = this.ownerRecords();
    const index = firstAtOrAfter(nodes, node);
    return nodes[index] === node ? index : -1;
  }

  owner(node: number): Owner | undefined {
    return this.ownerOfRecord(this.recordOf(node));
  }

  /** The owner of a provider instance: the nearest owner above it in the dominator tree, else one that lists it. */
  ownerOfProvider(info: number): Owner | undefined {
    return this.ownerOfRecord(this.recordOfProvider(info));
  }

  ownerOfAction(action: number): Owner | undefined {
    return this.ownerOfRecord(this.recordOfAction(action));
  }

  private ownerOfRecord(record: number): Owner | undefined {
    if (record < 0) return undefined;
    return { node: this.ownerRecords().nodes[record]!, kind: this.recordKind(record), label: this.recordLabel(record), function: this.recordFunction(record) };
  }

  // The same as records (an index, -1 for none), for the holders' placement: no object per holder (600,000 Owner
  // objects and their garbage were 80 MB of a monorepo-shaped dump's peak).

  /** The owner record of an owner object, -1 when it is none (or could not be read). */
  recordOf(node: number): number {
    if (this.ownerRank(node) < 0) return -1;
    const index = this.recordIndex(node);
    return index >= 0 && this.ownerRecords().state[index] === READ ? index : -1;
  }

  recordOfProvider(info: number): number {
    return this.recordOfHolder(info, "providers", CLASSES.providerInstance);
  }

  recordOfAction(action: number): number {
    return this.recordOfHolder(action, "actions", CLASSES.action);
  }

  /** The nearest owner above the holder in the dominator tree, else the one that lists it in `field`. */
  private recordOfHolder(holder: number, field: ListingField, classNames: ClassNames): number {
    const nearest = this.nearestRecord(holder);
    return nearest >= 0 ? nearest : this.recordOf(this.listingOwner(holder, field, classNames));
  }

  recordKind(record: number): "rule" | "aspect" {
    return this.ownerRecords().aspect[record] === 1 ? "aspect" : "rule";
  }

  recordLabel(record: number): string | undefined {
    const records = this.ownerRecords();
    const label = records.label[record]!;
    return label < 0 ? undefined : records.labels[label];
  }

  /** The index of the record's function among recordFunctionAt's (-1: none, a native rule's). */
  recordFunctionIndex(record: number): number {
    return this.ownerRecords().function[record]!;
  }

  recordFunctionAt(index: number): FunctionRef | undefined {
    return index < 0 ? undefined : this.ownerRecords().functions[index];
  }

  recordFunction(record: number): FunctionRef | undefined {
    return this.recordFunctionAt(this.recordFunctionIndex(record));
  }

  private nearestRecord(node: number): number {
    let current = this.tree.dominatorOf(node);
    for (let depth = 0; depth < 64 && current >= 0 && current !== this.tree.superRoot; depth++) {
      const record = this.recordOf(current);
      if (record >= 0) return record;
      current = this.tree.dominatorOf(current);
    }
    return -1;
  }

  /** An owner's place in the order owners are tried in (rule targets, then aspects), -1 for an object that is none. */
  private ownerRank(node: number): number {
    return node < this.heap.classCount ? -1 : this.rankOfClass[this.heap.classOf[node]!]!;
  }

  /**
   * The owner (its object; NONE for none) whose `field` (its providers or its actions: one reference) reaches the
   * holder within LISTED_DEPTH references that pass through no other object of `classNames` (a provider inside
   * another provider is not its owner's own); the first rule target, else aspect, in the dump's order when several do (a target's
   * provider an aspect copied stays the target's). Found upward, through the tree's referrers: no object is read
   * (the owners' fields were read with their records), where walking down from every owner read millions (27 s of
   * a monorepo's 37).
   */
  private listingOwner(holder: number, field: ListingField, classNames: ClassNames): number {
    const { tree, heap } = this;
    const start = tree.vertexOf(holder);
    if (start <= 0) return NONE;
    let classes = this.holderClasses.get(classNames);
    if (classes === undefined) this.holderClasses.set(classNames, (classes = classesOfAny(this.view, classNames)));
    const objectAt = tree.objectAt;
    this.searchField = this.ownerRecords().listed[field];
    this.best = NONE;
    this.bestRank = Infinity;
    this.startSearch();
    this.meet(start);
    let frontier = this.frontier;
    let next = this.next;
    frontier[0] = start;
    let frontierLength = 1;
    for (let distance = 0; frontierLength > 0; distance++) {
      this.nextLength = 0;
      this.nextList = next;
      for (let i = 0; i < frontierLength; i++) {
        const vertex = frontier[i]!;
        const object = objectAt.at(vertex);
        // An owner whose field is this object (every vertex met may be the field's).
        this.searchObject = object;
        tree.forEachReferrer(vertex, this.considerOwner);
        // Up one more reference: through this object, unless it is another holder of the kind (or a class,
        // whose statics a walk down from an owner does not follow).
        if (distance === LISTED_DEPTH || (vertex !== start && classes.has(heap.classOf[object]!))) continue;
        tree.forEachReferrer(vertex, this.goUp);
      }
      [frontier, next] = [next, frontier];
      frontierLength = this.nextLength;
    }
    return this.best;
  }

  // The upward search's state, kept from one search to the next (one per action no owner dominates: 200,000 in a
  // monorepo, whose sets, lists and closures were 65 MB of garbage in the old generation): the vertices met, in an
  // open-addressed table stamped per search; the two levels as typed lists; the visitors made once, their inputs
  // and result in fields.
  private readonly holderClasses = new Map<ClassNames, ReadonlySet<number>>();
  private readonly metVertex = new Int32Array(MET_SLOTS);
  private readonly metStamp = new Uint32Array(MET_SLOTS);
  private stamp = 0;
  private metCount = 0;
  private readonly frontier = new Uint32Array(LISTED_MAX_VERTICES);
  private readonly next = new Uint32Array(LISTED_MAX_VERTICES);
  private nextList = this.next;
  private nextLength = 0;
  private searchObject = NONE;
  private searchField: Int32Array = new Int32Array(0);
  private best = NONE;
  private bestRank = Infinity;

  private startSearch(): void {
    if (++this.stamp === 0xffffffff) {
      this.metStamp.fill(0);
      this.stamp = 1;
    }
    this.metCount = 0;
  }

  /** Marks vertex v met in this search; false when it was already. */
  private meet(v: number): boolean {
    for (let slot = Math.imul(v, 0x9e3779b1) >>> (32 - MET_BITS); ; slot = (slot + 1) & (MET_SLOTS - 1)) {
      if (this.metStamp[slot] !== this.stamp) {
        this.metStamp[slot] = this.stamp;
        this.metVertex[slot] = v;
        this.metCount++;
        return true;
      }
      if (this.metVertex[slot] === v) return false;
    }
  }

  /** A referrer of the search's object: the best owner so far when its field (as read with its record) is that object. */
  private readonly considerOwner = (from: number): void => {
    const { heap } = this;
    const referrer = this.tree.objectAt.at(from);
    if (referrer < heap.classCount) return;
    const rank = this.ownerRank(referrer);
    if (rank >= 0 && rank * heap.objectCount + referrer < this.bestRank && this.searchField[this.recordIndex(referrer)] === this.searchObject) {
      this.best = referrer;
      this.bestRank = rank * heap.objectCount + referrer;
    }
  };

  /** A referrer to search from at the next level, unless met already, a class, or the search is at its bound. */
  private readonly goUp = (from: number): void => {
    if (this.metCount >= LISTED_MAX_VERTICES || this.tree.objectAt.at(from) < this.heap.classCount || !this.meet(from)) return;
    this.nextList[this.nextLength++] = from;
  };

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
