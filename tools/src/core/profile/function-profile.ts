/**
 * Per-function Starlark evidence from one JSON trace profile, gathered in one streaming pass for `blame`:
 * calls, self and total time and the GC pauses each user function was running through, plus the calls a
 * crash left unfinished ("in flight").
 *
 * Bazel writes a span when its call COMPLETES, so on each thread a call's children come before it. The
 * builder keeps, per thread, the spans no later span has contained yet (the roots so far) in typed arrays,
 * and folds them into their parent when it arrives: memory grows with the number of top-level calls, not
 * with the millions of builtin calls of a full profile. A call cut short by a crash (or by the end of a cut
 * profile) is never written, but its finished children are, without a parent: those trailing "orphans" are
 * how the unfinished call is found, and the nesting seen in completed calls of the same profile tells who
 * called them.
 */
import { firstAtOrAfter } from "../sorted.js";
import type { GcEvent, Span, TraceEventVisitor } from "./trace-events.js";

export interface FunctionStats {
  /** As the profile spells it ("<toplevel>" for a file's top level). */
  readonly name: string;
  readonly calls: number;
  /** Span time minus nested user function spans on the same thread; builtins it calls count as its own. */
  readonly selfMicros: number;
  /** Span time of its outermost occurrences. */
  readonly totalMicros: number;
  /** GC pauses (gc notification events with a dur) during which it was the innermost user function on some thread. */
  readonly gcPauses: number;
  /** The microseconds of those pauses it overlapped, summed over threads. */
  readonly gcMicros: number;
}

/**
 * How the unfinished call's function was found: its orphans' callers in completed calls agree on one
 * function ("caller-seen"), on several ("ambiguous"), or the profile never showed who calls them ("unknown").
 */
export type CallerInference = "caller-seen" | "ambiguous" | "unknown";

/** A call still running when the profile ends (the crash, or where a cut profile stops). */
export interface InFlightCall {
  readonly tid: number;
  /** The profile's name for the thread; "" when the profile has none (Bazel 7 names threads at the end). */
  readonly thread: string;
  /** The function inferred, when the inference is "caller-seen". */
  readonly function: string | undefined;
  readonly inference: CallerInference;
  /** The functions it could be, when "ambiguous" (sorted). */
  readonly candidates: readonly string[];
  /**
   * Names of its finished children (the orphans), each once, in the order first seen. Empty for a call
   * inferred only as the caller of another unfinished call.
   */
  readonly children: readonly string[];
  /** Start of its earliest orphan: it was running at least since then. */
  readonly sinceMicros: number;
}

export interface FunctionProfile {
  /** Every user function with a completed call, by selfMicros descending (then name). */
  readonly functions: readonly FunctionStats[];
  readonly starlarkSelfMicros: number;
  /** GC pauses (gc notification events with a dur) in the whole profile, and their summed duration. */
  readonly gcPauses: number;
  readonly gcPauseMicros: number;
  /** The latest moment the profile covers (an event's ts, or a span's or pause's end); undefined if empty. */
  readonly endMicros: number | undefined;
  /** Per thread by tid, outermost call first. Empty for a complete profile of a successful build. */
  readonly inFlight: readonly InFlightCall[];
}

/**
 * How long after the spans it overlaps a GC event may still be written: GC notifications reach the
 * profile through the JVM's notification thread, after the pause. Measured on the real 4.2.3 and 7.7.1
 * profiles (fixtures and a full-profile crash of the reproduction): at most 225 ms. Pauses later than this
 * (after the overlapping spans were processed) go unattributed, so the numbers can only be too low.
 */
const LATE_GC_WINDOW_MICROS = 10_000_000;

/**
 * How many different functions among an unfinished call's orphans must have been seen called by the same
 * function before that function is named: one child seen with one caller is too thin (measured on cuts of
 * real profiles, it named the wrong function; see the tests).
 */
const MIN_EVIDENCE_FUNCTIONS = 2;

/** A builtin span that called no Starlark function. */
const NOT_CALLING = -1;
const INITIAL_CAPACITY = 64;

/**
 * Starlark calls made from inside a builtin (a callback such as a sort key; none in the profiles seen so
 * far): their user time covers part of whatever user function called the builtin, and that function, not
 * known until it completes, is their caller.
 */
interface CalledFromBuiltin {
  /** [start, end) pairs of the user calls, in time order. */
  readonly userIntervals: number[];
  /** Functions (user and builtin) waiting for their nearest user caller. */
  readonly names: Set<number>;
}

/** One thread's spans not contained by any later span so far, in time order. */
class PendingSpans {
  size = 0;
  start = new Float64Array(INITIAL_CAPACITY);
  end = new Float64Array(INITIAL_CAPACITY);
  name = new Int32Array(INITIAL_CAPACITY);
  /** For builtin spans: key of their CalledFromBuiltin, or NOT_CALLING. */
  nested = new Int32Array(INITIAL_CAPACITY);

  push(start: number, end: number, name: number, nested: number): void {
    if (this.size === this.start.length) this.grow();
    this.start[this.size] = start;
    this.end[this.size] = end;
    this.name[this.size] = name;
    this.nested[this.size] = nested;
    this.size++;
  }

  /** Index of the first span starting at or after `start`: those are the children of a span starting there. */
  firstFrom(start: number): number {
    let index = this.size;
    while (index > 0 && this.start[index - 1]! >= start) index--;
    return index;
  }

  private grow(): void {
    const capacity = this.start.length * 2;
    this.start = copyInto(new Float64Array(capacity), this.start);
    this.end = copyInto(new Float64Array(capacity), this.end);
    this.name = copyInto(new Int32Array(capacity), this.name);
    this.nested = copyInto(new Int32Array(capacity), this.nested);
  }
}

function copyInto<T extends Float64Array | Int32Array>(target: T, source: T): T {
  target.set(source);
  return target;
}

/** Names seen in the profile; user and builtin functions are separate even when spelled alike. */
class FunctionNames {
  readonly names: string[] = [];
  readonly builtin: boolean[] = [];
  private readonly userIds = new Map<string, number>();
  private readonly builtinIds = new Map<string, number>();

  id(name: string, builtin: boolean): number {
    const ids = builtin ? this.builtinIds : this.userIds;
    let id = ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      ids.set(name, id);
      this.names.push(name);
      this.builtin.push(builtin);
    }
    return id;
  }
}

/**
 * Attributes GC pauses to the self time of user functions. Pauses may be written after the spans they
 * overlap, so recent self intervals are kept for LATE_GC_WINDOW_MICROS and matched against later pauses;
 * every (interval, pause) pair is counted once, whichever comes first.
 */
class GcAttribution {
  /** Pauses by start; they may overlap (a major collection's notification spans minor ones). */
  private readonly pauseStart: number[] = [];
  private readonly pauseEnd: number[] = [];
  private readonly pauseId: number[] = [];
  private longestPause = 0;
  private pauseCount = 0;

  private intervalCount = 0;
  private intervalStart = new Float64Array(INITIAL_CAPACITY);
  private intervalEnd = new Float64Array(INITIAL_CAPACITY);
  private intervalFunction = new Int32Array(INITIAL_CAPACITY);
  private latestIntervalEnd = -Infinity;

  readonly micros: number[] = [];
  /** Per function, the pauses it overlapped (each counted once however many threads or intervals). */
  readonly pausesByFunction = new Map<number, Set<number>>();

  pause(start: number, end: number): void {
    const id = this.pauseCount++;
    for (let index = 0; index < this.intervalCount; index++) {
      this.credit(this.intervalFunction[index]!, id, this.intervalStart[index]!, this.intervalEnd[index]!, start, end);
    }
    const at = firstAtOrAfter(this.pauseStart, start);
    this.pauseStart.splice(at, 0, start);
    this.pauseEnd.splice(at, 0, end);
    this.pauseId.splice(at, 0, id);
    this.longestPause = Math.max(this.longestPause, end - start);
  }

  /** [start, end) of `fn`'s self time on some thread. */
  interval(start: number, end: number, fn: number): void {
    // Pauses starting before `end`; only the last ones, as far back as the longest pause, can reach `start`.
    for (let index = firstAtOrAfter(this.pauseStart, end) - 1; index >= 0; index--) {
      if (this.pauseStart[index]! + this.longestPause <= start) break;
      this.credit(fn, this.pauseId[index]!, start, end, this.pauseStart[index]!, this.pauseEnd[index]!);
    }
    this.keep(start, end, fn);
  }

  private credit(fn: number, pause: number, start: number, end: number, pauseStart: number, pauseEnd: number): void {
    const overlap = Math.min(end, pauseEnd) - Math.max(start, pauseStart);
    if (overlap <= 0) return;
    this.micros[fn] = (this.micros[fn] ?? 0) + overlap;
    let pauses = this.pausesByFunction.get(fn);
    if (pauses === undefined) this.pausesByFunction.set(fn, (pauses = new Set()));
    pauses.add(pause);
  }

  private keep(start: number, end: number, fn: number): void {
    this.latestIntervalEnd = Math.max(this.latestIntervalEnd, end);
    if (this.intervalCount === this.intervalStart.length) this.makeRoom();
    this.intervalStart[this.intervalCount] = start;
    this.intervalEnd[this.intervalCount] = end;
    this.intervalFunction[this.intervalCount] = fn;
    this.intervalCount++;
  }

  /** Drops intervals too old for a late pause to reach; grows when most are still recent. */
  private makeRoom(): void {
    const oldest = this.latestIntervalEnd - LATE_GC_WINDOW_MICROS;
    let kept = 0;
    for (let index = 0; index < this.intervalCount; index++) {
      if (this.intervalEnd[index]! < oldest) continue;
      this.intervalStart[kept] = this.intervalStart[index]!;
      this.intervalEnd[kept] = this.intervalEnd[index]!;
      this.intervalFunction[kept] = this.intervalFunction[index]!;
      kept++;
    }
    this.intervalCount = kept;
    if (kept * 2 >= this.intervalStart.length) {
      const capacity = this.intervalStart.length * 2;
      this.intervalStart = copyInto(new Float64Array(capacity), this.intervalStart);
      this.intervalEnd = copyInto(new Float64Array(capacity), this.intervalEnd);
      this.intervalFunction = copyInto(new Int32Array(capacity), this.intervalFunction);
    }
  }
}

export class FunctionProfileBuilder implements TraceEventVisitor {
  private readonly names = new FunctionNames();
  private readonly threads = new Map<number, PendingSpans>();
  private readonly threadNames = new Map<number, string>();
  private readonly calledFromBuiltins = new Map<number, CalledFromBuiltin>();
  private nextCalledFromBuiltinKey = 0;

  // Per function id (user functions only are filled in, except nestedCount and callers).
  private readonly calls: number[] = [];
  private readonly selfMicros: number[] = [];
  private readonly totalMicros: number[] = [];
  /** Times a span of this function was contained by another Starlark span. */
  private readonly nestedCount: number[] = [];
  /** Function id → the user functions seen calling it (nearest enclosing user function). */
  private readonly callers = new Map<number, Set<number>>();

  private readonly gcAttribution = new GcAttribution();
  private gcPauses = 0;
  private gcPauseMicros = 0;
  private endMicros: number | undefined;

  timestamp(ts: number): void {
    if (Number.isFinite(ts)) this.reach(ts);
  }

  threadName(tid: number, name: string): void {
    this.threadNames.set(tid, name);
  }

  gc(gc: GcEvent): void {
    if (gc.dur === undefined || !Number.isFinite(gc.ts) || !Number.isFinite(gc.dur) || gc.dur < 0) return;
    this.reach(gc.ts + gc.dur);
    this.gcPauses++;
    this.gcPauseMicros += gc.dur;
    this.gcAttribution.pause(gc.ts, gc.ts + gc.dur);
  }

  span(span: Span): void {
    // JSON allows 1e999 (Infinity) and negative numbers; Bazel writes neither: skip what no call can be.
    if (!Number.isFinite(span.ts) || !Number.isFinite(span.dur) || span.dur < 0) return;
    const start = span.ts;
    const end = span.ts + span.dur;
    this.reach(end);
    if (span.kind !== "starlark-user" && span.kind !== "starlark-builtin") return;
    const builtin = span.kind === "starlark-builtin";
    const fn = this.names.id(span.name, builtin);
    let pending = this.threads.get(span.tid);
    if (pending === undefined) this.threads.set(span.tid, (pending = new PendingSpans()));
    const first = pending.firstFrom(start);
    const nested = builtin ? this.collectCalledFromBuiltin(pending, first) : NOT_CALLING;
    if (!builtin) this.completeUserCall(pending, first, fn, start, end);
    pending.size = first;
    pending.push(start, end, fn, nested);
  }

  build(): FunctionProfile {
    const functions: FunctionStats[] = [];
    let starlarkSelfMicros = 0;
    this.names.names.forEach((name, fn) => {
      const calls = this.calls[fn] ?? 0;
      if (calls === 0) return;
      const selfMicros = this.selfMicros[fn] ?? 0;
      starlarkSelfMicros += selfMicros;
      functions.push({
        name,
        calls,
        selfMicros,
        totalMicros: this.totalMicros[fn] ?? 0,
        gcPauses: this.gcAttribution.pausesByFunction.get(fn)?.size ?? 0,
        gcMicros: this.gcAttribution.micros[fn] ?? 0,
      });
    });
    functions.sort((a, b) => b.selfMicros - a.selfMicros || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      functions,
      starlarkSelfMicros,
      gcPauses: this.gcPauses,
      gcPauseMicros: this.gcPauseMicros,
      endMicros: this.endMicros,
      inFlight: this.inFlightCalls(),
    };
  }

  private reach(micros: number): void {
    if (this.endMicros === undefined || micros > this.endMicros) this.endMicros = micros;
  }

  /**
   * A user call completed: its children are pending[first..]. Its self time is its span minus the user
   * time inside (its user children, and user calls made from builtins it called); its GC share is counted
   * on what remains.
   */
  private completeUserCall(pending: PendingSpans, first: number, fn: number, start: number, end: number): void {
    let cursor = start;
    let covered = 0;
    const cover = (from: number, to: number): void => {
      const clampedFrom = Math.max(from, cursor);
      const clampedTo = Math.min(to, end);
      if (clampedTo <= clampedFrom) return;
      if (clampedFrom > cursor) this.gcAttribution.interval(cursor, clampedFrom, fn);
      covered += clampedTo - clampedFrom;
      cursor = clampedTo;
    };
    for (let index = first; index < pending.size; index++) {
      const child = pending.name[index]!;
      this.addCaller(child, fn);
      if (!this.names.builtin[child]) {
        this.nestedCount[child] = (this.nestedCount[child] ?? 0) + 1;
        // Starlark forbids recursion, so only a direct re-entry could nest a function in itself.
        if (child === fn) this.totalMicros[fn] = (this.totalMicros[fn] ?? 0) - (pending.end[index]! - pending.start[index]!);
        cover(pending.start[index]!, pending.end[index]!);
        continue;
      }
      const inside = this.takeCalledFromBuiltin(pending.nested[index]!);
      if (inside === undefined) continue;
      for (const name of inside.names) this.addCaller(name, fn);
      for (let pair = 0; pair < inside.userIntervals.length; pair += 2) cover(inside.userIntervals[pair]!, inside.userIntervals[pair + 1]!);
    }
    if (end > cursor) this.gcAttribution.interval(cursor, end, fn);
    this.calls[fn] = (this.calls[fn] ?? 0) + 1;
    this.selfMicros[fn] = (this.selfMicros[fn] ?? 0) + (end - start - covered);
    this.totalMicros[fn] = (this.totalMicros[fn] ?? 0) + (end - start);
  }

  /** A builtin completed: the calls inside it (pending[first..] and theirs) wait for its caller. */
  private collectCalledFromBuiltin(pending: PendingSpans, first: number): number {
    if (first === pending.size) return NOT_CALLING;
    const collected: CalledFromBuiltin = { userIntervals: [], names: new Set() };
    for (let index = first; index < pending.size; index++) {
      const child = pending.name[index]!;
      collected.names.add(child);
      if (!this.names.builtin[child]) {
        this.nestedCount[child] = (this.nestedCount[child] ?? 0) + 1;
        collected.userIntervals.push(pending.start[index]!, pending.end[index]!);
        continue;
      }
      const inside = this.takeCalledFromBuiltin(pending.nested[index]!);
      if (inside === undefined) continue;
      for (const name of inside.names) collected.names.add(name);
      for (const micros of inside.userIntervals) collected.userIntervals.push(micros);
    }
    const key = this.nextCalledFromBuiltinKey++;
    this.calledFromBuiltins.set(key, collected);
    return key;
  }

  private takeCalledFromBuiltin(key: number): CalledFromBuiltin | undefined {
    if (key === NOT_CALLING) return undefined;
    const inside = this.calledFromBuiltins.get(key);
    this.calledFromBuiltins.delete(key);
    return inside;
  }

  private addCaller(child: number, caller: number): void {
    let callers = this.callers.get(child);
    if (callers === undefined) this.callers.set(child, (callers = new Set()));
    callers.add(caller);
  }

  /**
   * On each thread, the run of trailing roots that are orphans. A root builtin is certain evidence: a
   * builtin is always called from Starlark, and its caller, had it completed, would have contained it, so
   * that caller was still running and every later root on the thread is inside it. A user function is an
   * orphan when it was seen nested in completed calls and never at the top level except in such runs;
   * as that depends on the runs themselves, they are shrunk until no function's standing changes.
   */
  private inFlightCalls(): InFlightCall[] {
    const rootCount: number[] = [];
    for (const pending of this.threads.values()) {
      for (let index = 0; index < pending.size; index++) increment(rootCount, pending.name[index]!);
    }
    const tids = [...this.threads.keys()].sort((a, b) => a - b);
    const firstRootBuiltin = new Map<number, number>();
    for (const tid of tids) {
      const pending = this.threads.get(tid)!;
      let index = 0;
      while (index < pending.size && !this.names.builtin[pending.name[index]!]) index++;
      firstRootBuiltin.set(tid, index);
    }
    let rootsInRuns: number[] | undefined; // undefined: first pass, every root seen nested may be an orphan
    const onlyNested = (fn: number): boolean =>
      (this.nestedCount[fn] ?? 0) > 0 && (rootsInRuns === undefined || (rootCount[fn] ?? 0) === (rootsInRuns[fn] ?? 0));
    const runStart = new Map<number, number>();
    for (;;) {
      const counts: number[] = [];
      let changed = false;
      for (const tid of tids) {
        const pending = this.threads.get(tid)!;
        let start = pending.size;
        while (start > 0 && (this.names.builtin[pending.name[start - 1]!] || onlyNested(pending.name[start - 1]!))) start--;
        start = Math.min(start, firstRootBuiltin.get(tid)!);
        for (let index = start; index < pending.size; index++) increment(counts, pending.name[index]!);
        if (start !== runStart.get(tid)) changed = true;
        runStart.set(tid, start);
      }
      const firstPass = rootsInRuns === undefined;
      rootsInRuns = counts;
      if (!changed && !firstPass) break;
    }
    const calls: InFlightCall[] = [];
    for (const tid of tids) {
      const pending = this.threads.get(tid)!;
      const start = runStart.get(tid)!;
      if (start < pending.size) calls.push(...this.reconstruct(tid, pending, start, onlyNested));
    }
    return calls;
  }

  /**
   * The unfinished calls behind one thread's orphans pending[runStart..], innermost last.
   *
   * The innermost unfinished call made the last orphans: walking back from the end, orphans belong to the
   * same call while some function is seen calling all of them; earlier orphans belong to its caller, which
   * must be among the seen callers of the inner call's function. Starlark forbids recursion, so an
   * unfinished call is of none of the functions that ran inside it. A call of a function only ever seen
   * nested was itself made by an unfinished call, inferred the same way.
   *
   * Naming the wrong function is worse than naming none, so: a call with an orphan whose callers were never
   * seen (its caller may be a function that never completed) is "unknown", and when the calls do not chain
   * (an outer call that cannot have called the inner one, or orphans outside a call of a function only
   * ever called by Bazel itself) the whole run is one "unknown" call.
   */
  private reconstruct(tid: number, pending: PendingSpans, runStart: number, onlyNested: (fn: number) => boolean): InFlightCall[] {
    const thread = this.threadNames.get(tid) ?? "";
    const call = (candidates: ReadonlySet<number>, from: number, to: number): InFlightCall => {
      const children = new Set<string>();
      for (let index = from; index < to; index++) children.add(this.names.names[pending.name[index]!]!);
      return this.inFlightCall(tid, thread, candidates, [...children], pending.start[from]!);
    };
    const wholeRunUnknown = (): InFlightCall[] => [call(new Set(), runStart, pending.size)];
    const innermostFirst: InFlightCall[] = [];
    /** User functions that ran inside the calls reconstructed so far. */
    const ranInside = new Set<number>();
    let inner: Set<number> | undefined; // the inner call's possible functions, when known
    let end = pending.size;
    while (end > runStart) {
      let constraint: Set<number> | undefined;
      if (inner !== undefined) {
        constraint = this.callersOf(inner);
        if (constraint.size === 0) return wholeRunUnknown(); // only Bazel calls the inner function
      }
      let candidates = constraint;
      /** The orphans' functions that narrowed the candidates down. */
      const evidence = new Set<number>();
      let unseenCaller = false;
      let first = end - 1;
      for (; first >= runStart; first--) {
        const fn = pending.name[first]!;
        if (evidence.has(fn)) continue;
        const callers = this.callers.get(fn);
        if (callers === undefined) {
          unseenCaller = true;
          continue;
        }
        const narrowed = candidates === undefined ? new Set(callers) : intersection(candidates, callers);
        if (narrowed.size === 0) {
          if (evidence.size === 0) return wholeRunUnknown(); // these cannot come from a caller of the inner call
          break;
        }
        candidates = narrowed;
        evidence.add(fn);
      }
      const start = first + 1;
      for (let index = start; index < end; index++) if (!this.names.builtin[pending.name[index]!]) ranInside.add(pending.name[index]!);
      // The inner unfinished call, when its function is known, is one more child whose callers were seen.
      const childrenSeenCalled = evidence.size + (inner !== undefined && inner.size === 1 ? 1 : 0);
      const possible = unseenCaller || childrenSeenCalled < MIN_EVIDENCE_FUNCTIONS ? new Set<number>() : difference(candidates!, ranInside);
      if (possible.size === 1) ranInside.add([...possible][0]!);
      innermostFirst.push(call(possible, start, end));
      inner = possible.size > 0 ? possible : undefined;
      end = start;
    }
    for (;;) {
      const outermost = innermostFirst.at(-1)!;
      if (outermost.function === undefined) break;
      const fn = this.names.id(outermost.function, false);
      if (!onlyNested(fn)) break;
      const callers = difference(this.callers.get(fn) ?? new Set(), ranInside);
      if (callers.size === 0) break;
      if (callers.size === 1) ranInside.add([...callers][0]!);
      innermostFirst.push(this.inFlightCall(tid, thread, callers, [], outermost.sinceMicros));
    }
    return innermostFirst.reverse();
  }

  private callersOf(functions: ReadonlySet<number>): Set<number> {
    const callers = new Set<number>();
    for (const fn of functions) for (const caller of this.callers.get(fn) ?? []) callers.add(caller);
    return callers;
  }

  private inFlightCall(tid: number, thread: string, candidates: ReadonlySet<number>, children: string[], sinceMicros: number): InFlightCall {
    const names = [...candidates].map((fn) => this.names.names[fn]!).sort();
    const inference: CallerInference = names.length === 0 ? "unknown" : names.length === 1 ? "caller-seen" : "ambiguous";
    return {
      tid,
      thread,
      function: inference === "caller-seen" ? names[0] : undefined,
      inference,
      candidates: inference === "ambiguous" ? names : [],
      children,
      sinceMicros,
    };
  }
}

function intersection(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  const result = new Set<number>();
  for (const value of a) if (b.has(value)) result.add(value);
  return result;
}

function difference(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  const result = new Set<number>();
  for (const value of a) if (!b.has(value)) result.add(value);
  return result;
}

function increment(counts: number[], index: number): void {
  counts[index] = (counts[index] ?? 0) + 1;
}
