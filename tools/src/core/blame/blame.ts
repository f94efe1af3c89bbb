/**
 * Blame: which Starlark function ate the heap, from everything a sweep's runs left. Each signal is computed on
 * its own and shown on its own; then they are combined into one score and a verdict.
 *
 *   1. heap      — heap dumps at the crash (core/heap/heap-digest.ts): share of the reachable heap each function holds
 *                  (mean over the crash dumps), and whether it was on the failing thread's Starlark stack.
 *   2. oom-stack — the OOM stack traces the server printed (console, java.log, jvm.out): the Starlark frames of
 *                  the failing thread (Bazel 7); on 4.2.3 only the builtin that failed is known (a hint).
 *   3. in-flight — calls a crash cut short, reconstructed from the crashed profile (core/profile/function-profile.ts).
 *   4. gc        — GC pause time falling inside a function's calls per second of its own time, at the lowest
 *                  limits against the highest.
 *   5. over-rep  — a function's share of Starlark time near the crash against the highest-heap successful
 *                  runs, with Welch's t-test over the repeats.
 *   6. cpu       — Starlark CPU profile (pprof) share, low heap against high heap.
 *
 * Scoring, and why. Only memory evidence can make a culprit, in this order of strength:
 *   - Holding the heap (signal 1) is the one direct observation: 100 points × the mean share held.
 *   - Being the innermost Starlark function at the crash (signals 1, 2, 3) is circumstantial: the call that asks
 *     for the last byte is not always the one that holds the others (a CPU-bound rule can be running when a
 *     hoarding one has filled the heap). 30 points × the share of crash runs where it was innermost on every
 *     thread running Starlark; otherwise 10 × the share of the crash runs' Starlark threads whose stack it was on
 *     (a helper one thread was in stays behind the caller every thread was in).
 *   - GC and time signals (4, 5) are indirect: anything running while the heap is full sees more GC. At most 8
 *     points each, so together they never outweigh a tenth of the heap or a consistent crash stack.
 *   - CPU (6) scores nothing: a function that merely burns CPU must never outrank one that holds memory. It is
 *     shown so that the CPU-only view (what a pprof `top` would blame) can be seen next to the answer.
 * Verdict: with heap dumps, a culprit holds at least CULPRIT_MIN_SHARE of the heap and CULPRIT_DOMINANCE times
 * the next function's share (the same rule as one digest's). Without them, a culprit needs the crash-time
 * evidence of every crash run and every thread to name the same function, in two crashes or more or with
 * GC_CORROBORATION times more GC in its calls near the crash; anything less is "no single culprit", saying which evidence
 * is missing. No crash and no GC pressure: "no evidence".
 */
import { CULPRIT_DOMINANCE, CULPRIT_MIN_SHARE, type HeapDigest } from "../heap/heap-digest.js";
import type { RunRecord } from "../run/run-record.js";
import type { RunSummary } from "../run/run-summary.js";
import type { FunctionProfile } from "../profile/function-profile.js";
import type { OomTrace } from "../run/oom-stack.js";
import type { PprofSummary } from "../profile/pprof-summary.js";
import { mean, welchTest } from "./blame-statistics.js";
import { workspaceRelative } from "./source-file.js";
import { byCodeUnits } from "../text-order.js";

export const BLAME_SCHEMA = 1;

export const SCORE_WEIGHTS = { heap: 100, innermostAtCrash: 30, onStackAtCrash: 10, gc: 8, overRepresentation: 8 } as const;
/**
 * Without heap dumps, the function every crash stack names is a culprit only if that is not one chance
 * observation: it stopped CORROBORATING_CRASHES crashes or more (a rule that merely happened to run when a
 * hoarder had filled the heap is rarely the one running at the next crash too), or its calls saw this many
 * times more GC per second of their own time near the crash than at the highest heap, as a hog's allocation
 * causes.
 */
export const GC_CORROBORATION = 1.5;
export const CORROBORATING_CRASHES = 2;
/** A t-test p-value below this makes over-representation significant. */
export const SIGNIFICANCE = 0.05;
/** Own time below this (in either run group) makes a function's GC rate or time share too noisy to compare. */
const MIN_SELF_MICROS = 20_000;
/**
 * GC pauses a function must overlap in each run group before its GC rate is compared: one short call that
 * happened to meet one pause at the low limit and none at the high one is chance, not a signal (seen here:
 * every numbered CPU rule of the reproduction, one call each, ">100x").
 */
const MIN_GC_PAUSES = 5;

export type SignalName = "heap" | "oom-stack" | "in-flight" | "gc" | "over-representation" | "cpu";
export const SIGNAL_NAMES: readonly SignalName[] = ["heap", "oom-stack", "in-flight", "gc", "over-representation", "cpu"];

/** What blame needs of one run (read from its run.json, run summary and heap digest). */
export interface BlameRun {
  readonly id: string;
  readonly limit: string;
  readonly limitBytes: number;
  /** Out of memory in some form (oom, oom-hang, gc-thrash): a crash run. */
  readonly crashed: boolean;
  /** Finished successfully. */
  readonly ok: boolean;
  readonly functions: FunctionProfile | undefined;
  readonly pprof: PprofSummary | undefined;
  readonly oomTraces: readonly OomTrace[];
  readonly digest: HeapDigest | undefined;
  /** Why the heap dump the run left could not be digested (empty, cut short, too big for this machine). */
  readonly unusableDump: string | undefined;
}

/**
 * What blame takes of a run: its record, its summary (core/run/run-summary.ts), its heap digest if any, and why
 * its dump could not be digested if that is so (the run then counts as a crash without a dump).
 */
export function blameRun(record: RunRecord, summary: RunSummary, digest: HeapDigest | undefined, unusableDump?: string): BlameRun {
  return {
    id: record.id,
    limit: record.limit,
    limitBytes: record.limitBytes,
    crashed: record.status === "oom",
    ok: record.status === "ok",
    functions: summary.functions,
    pprof: summary.pprof,
    oomTraces: summary.oomTraces,
    digest: record.status === "oom" ? digest : undefined,
    unusableDump: record.status === "oom" ? unusableDump : undefined,
  };
}

/** Runs that measured something about the heap: out of memory, or a success (core/sweep/threshold.ts's others tell nothing). */
export function givesEvidence(record: RunRecord): boolean {
  return record.status === "ok" || record.status === "oom";
}

export interface BlameOptions {
  /** Files are named relative to it. */
  readonly workspace: string | undefined;
  /** Signals left out on purpose (e.g. heap, to see what the others say alone). */
  readonly without: ReadonlySet<SignalName>;
}

export interface HeapSignal {
  /** Mean share of the reachable heap over the crash dumps (0 where it held nothing). */
  readonly meanShare: number;
  readonly dumps: number;
  /** Dumps in which it was the digest's top suspect. */
  readonly topIn: number;
}

export interface StackSignal {
  /** Crash runs in which it was the innermost Starlark function on every thread running Starlark. */
  readonly innermostRuns: number;
  /** Crash runs in which it was on a Starlark stack at the crash, but not alone innermost. */
  readonly onStackRuns: number;
  /** Summed over those runs: the share of the run's Starlark threads whose stack it was on (onStackRuns when all). */
  readonly onStackThreadShare: number;
  /** Crash runs with any Starlark stack evidence. */
  readonly runs: number;
  /** Where the evidence came from: dump, oom-stack, in-flight. */
  readonly sources: readonly ("heap" | "oom-stack" | "in-flight")[];
}

export interface RatioSignal {
  readonly low: number;
  readonly high: number;
  /** low / high (Infinity when high is 0 and low is not). */
  readonly ratio: number;
  readonly lowLimit: string;
  readonly highLimit: string;
}

export interface OverRepresentationSignal extends RatioSignal {
  readonly lowRuns: number;
  readonly highRuns: number;
  /** Welch's t-test p-value; undefined when either side has fewer than 2 runs. */
  readonly p: number | undefined;
}

export interface CpuSignal extends RatioSignal {
  /** Its rank by CPU share in the highest-heap run's profile (1 = what a pprof `top` shows first). */
  readonly rank: number;
}

export interface BlameSuspect {
  readonly function: string;
  /** Relative to the workspace when inside it; undefined when no signal names the file. */
  readonly file: string | undefined;
  readonly score: number;
  readonly heap?: HeapSignal;
  readonly stack?: StackSignal;
  readonly gc?: RatioSignal;
  readonly overRepresentation?: OverRepresentationSignal;
  readonly cpu?: CpuSignal;
}

export type BlameVerdict = "culprit" | "no-single-culprit" | "no-evidence";

export interface SignalAvailability {
  readonly name: SignalName;
  /** Runs that gave this signal anything to read. */
  readonly runs: number;
  /** Left out with --without. */
  readonly excluded: boolean;
}

export interface BlameResult {
  readonly schema: typeof BLAME_SCHEMA;
  readonly verdict: BlameVerdict;
  /** Why the verdict is what it is, as facts for render/ to word. */
  readonly reason: BlameReason;
  readonly suspects: readonly BlameSuspect[];
  readonly runs: { readonly used: number; readonly crashed: number; readonly withDigest: number; readonly withProfile: number };
  readonly signals: readonly SignalAvailability[];
  /** What a CPU-only view would blame, when a CPU profile exists: the top of the highest-heap run's pprof. */
  readonly cpuTop: { readonly function: string; readonly file: string | undefined; readonly share: number } | undefined;
  /** The builtins the failing threads were in (4.2.3's Java-only stacks), by how many crash runs. */
  readonly failingBuiltins: readonly { readonly builtin: string; readonly runs: number }[];
  /** Targets named by "thrown during Starlark evaluation (//pkg:target)". */
  readonly failingTargets: readonly string[];
  /** Crash runs whose heap dump could not be digested, and why: blame went on without those dumps. */
  readonly unusableDumps: readonly { readonly run: string; readonly problem: string }[];
}

export type BlameReason =
  | { readonly kind: "holds-the-heap"; readonly share: number; readonly runnerUpShare: number }
  | { readonly kind: "crash-stacks-agree"; readonly runs: number; readonly gcRatio: number | undefined }
  | { readonly kind: "crash-stacks-uncorroborated"; readonly function: string; readonly missing: "heap-dumps" }
  | { readonly kind: "memory-spread"; readonly topShares: readonly number[] }
  | { readonly kind: "crash-stacks-disagree"; readonly functions: readonly string[]; readonly missing: "heap-dumps" }
  | { readonly kind: "indirect-only"; readonly missing: "heap-dumps" }
  | { readonly kind: "no-crash" }
  | { readonly kind: "no-function-evidence" };

interface Entry {
  function: string;
  file: string | undefined;
  heapShares: number[];
  topIn: number;
  innermostRuns: Set<string>;
  onStackRuns: Set<string>;
  /** Summed over onStackRuns: the share of the run's Starlark threads whose stack it was on. */
  onStackThreadShare: number;
  stackSources: Set<"heap" | "oom-stack" | "in-flight">;
  gc?: RatioSignal;
  overRepresentation?: OverRepresentationSignal;
  cpu?: CpuSignal;
}

/** Function identity across signals: (name, file), where profiles name no file (see Registry.byName). */
class Registry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly workspace: string | undefined) {}

  withFile(name: string, file: string | undefined): Entry {
    const relative = workspaceRelative(file, this.workspace);
    const key = `${name}\u0000${relative ?? ""}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { function: name, file: relative, heapShares: [], topIn: 0, innermostRuns: new Set(), onStackRuns: new Set(), onStackThreadShare: 0, stackSources: new Set() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * A name from a signal that gives no file (the trace profile): the one entry of that name with a file, when
   * there is exactly one; otherwise an entry of that name without a file (two `_impl`s in two files stay apart
   * from it rather than be merged by guess).
   */
  byName(name: string): Entry {
    const withFiles = [...this.entries.values()].filter((entry) => entry.function === name && entry.file !== undefined);
    return withFiles.length === 1 ? withFiles[0]! : this.withFile(name, undefined);
  }

  all(): Entry[] {
    return [...this.entries.values()];
  }
}

/** Names no suspect may have: a file's top level in the trace profile is "<toplevel>" for every file at once. */
const ANONYMOUS = new Set(["<toplevel>"]);

export function blame(runs: readonly BlameRun[], options: BlameOptions): BlameResult {
  const use = (signal: SignalName): boolean => !options.without.has(signal);
  const registry = new Registry(options.workspace);
  const crashRuns = runs.filter((run) => run.crashed);
  const digestRuns = use("heap") ? crashRuns.filter((run) => run.digest !== undefined) : [];

  // ---- 1. heap dumps --------------------------------------------------------------------------------------
  for (const run of digestRuns) {
    const digest = run.digest!;
    digest.suspects.forEach((suspect, index) => {
      const entry = registry.withFile(suspect.function, suspect.file);
      entry.heapShares.push(suspect.share);
      if (index === 0) entry.topIn++;
    });
  }

  // ---- 6. CPU profiles, first among the signals that name files: a profile's names then find their file ----
  const cpuTop = use("cpu") ? cpuSignal(registry, runs) : undefined;

  // ---- crash stacks (1, 2, 3): per crash run, the innermost Starlark function of each thread -------------
  const stackRuns = new Set<string>();
  const builtins = new Map<string, number>();
  const targets = new Set<string>();
  for (const run of crashRuns) {
    /** Each Starlark thread's stack at the crash, innermost first. */
    const threads: Entry[][] = [];
    const note = (entries: Entry[], source: "heap" | "oom-stack" | "in-flight"): void => {
      if (entries.length === 0) return;
      threads.push(entries);
      entries.forEach((entry) => entry.stackSources.add(source));
    };
    if (run.digest !== undefined && use("heap")) {
      // Written at the moment of the error: every thread's stack exactly; a thread it lists without Starlark
      // frames had none, whatever the profile's lost tail or a trace suggests.
      for (const thread of run.digest.threads) {
        note(thread.frames.filter((frame) => !frame.builtin && !ANONYMOUS.has(frame.function)).map((frame) => registry.withFile(frame.function, frame.file)), "heap");
      }
    } else {
      // Without a dump: a thread's OOM trace is its exact stack when it threw, and the in-flight calls the
      // profile's cut-short tail suggests for that thread are stale next to it (a call whose end the profile
      // lost looks unfinished), so a thread a trace saw is taken from the trace alone.
      const tidOfName = new Map<string, number>();
      for (const call of run.functions?.inFlight ?? []) if (call.thread !== "") tidOfName.set(call.thread, call.tid);
      const threadKey = (trace: OomTrace): string | undefined => {
        const tid = trace.threadId ?? (trace.thread === undefined ? undefined : tidOfName.get(trace.thread));
        return tid !== undefined ? `tid ${tid}` : trace.thread === undefined ? undefined : `thread ${trace.thread}`;
      };
      const tracedThreads = new Set<string>();
      if (use("oom-stack")) {
        // The console and java.log often print the same throw; a copy that names no thread is dropped.
        const seenStacks = new Set<string>();
        const traces = run.oomTraces.filter((trace) => trace.inStarlark).map((trace) => ({ trace, key: threadKey(trace) }));
        const keyedFirst = [...traces.filter(({ key }) => key !== undefined), ...traces.filter(({ key }) => key === undefined)];
        for (const { trace, key } of keyedFirst) {
          const entries = trace.starlarkFrames.filter((frame) => !ANONYMOUS.has(frame.function) && frame.file !== "<builtin>").map((frame) => registry.withFile(frame.function, frame.file));
          const stack = entries.map((entry) => `${entry.function} ${entry.file ?? ""}`).join(" < ");
          if (key === undefined ? seenStacks.has(stack) : tracedThreads.has(key)) continue;
          if (key !== undefined && entries.length > 0) tracedThreads.add(key);
          seenStacks.add(stack);
          note(entries, "oom-stack");
        }
      }
      if (run.functions !== undefined && use("in-flight")) {
        // Per thread, outermost call first; only calls whose function the profile's own nesting names.
        const byThread = new Map<number, string[]>();
        for (const call of run.functions.inFlight) {
          if (call.inference !== "caller-seen" || call.function === undefined || ANONYMOUS.has(call.function)) continue;
          if (tracedThreads.has(`tid ${call.tid}`)) continue;
          byThread.set(call.tid, [...(byThread.get(call.tid) ?? []), call.function]);
        }
        for (const calls of byThread.values()) note([...calls].reverse().map((name) => registry.byName(name)), "in-flight");
      }
    }
    if (use("oom-stack")) {
      const seenBuiltins = new Set<string>();
      for (const trace of run.oomTraces) {
        if (!trace.inStarlark) continue;
        if (trace.builtin !== undefined && trace.starlarkFrames.length === 0) seenBuiltins.add(trace.builtin);
        if (trace.target !== undefined) targets.add(trace.target);
      }
      for (const builtin of seenBuiltins) builtins.set(builtin, (builtins.get(builtin) ?? 0) + 1);
    }
    if (threads.length === 0) continue;
    stackRuns.add(run.id);
    // Innermost alone when every thread's innermost function is this one. Every other function is credited with
    // the share of the threads whose stack it is on: a helper one thread happened to be in stays behind the
    // caller every thread was in (seen: the reproduction's _dependencies, innermost on one of two threads).
    const innermost = new Set(threads.map((stack) => stack[0]!));
    if (innermost.size === 1) [...innermost][0]!.innermostRuns.add(run.id);
    const threadsOn = new Map<Entry, number>();
    for (const stack of threads) for (const entry of new Set(stack)) if (!entry.innermostRuns.has(run.id)) threadsOn.set(entry, (threadsOn.get(entry) ?? 0) + 1);
    for (const [entry, count] of threadsOn) {
      entry.onStackRuns.add(run.id);
      entry.onStackThreadShare += count / threads.length;
    }
  }

  // ---- 4, 5: profiles, low heap against high heap --------------------------------------------------------
  const groups = runGroups(runs);
  if (groups !== undefined) {
    if (use("gc")) gcSignal(registry, groups);
    if (use("over-representation")) overRepresentationSignal(registry, groups);
  }

  // ---- score and verdict ----------------------------------------------------------------------------------
  const stackRunCount = stackRuns.size;
  const suspects: BlameSuspect[] = registry
    .all()
    .map((entry) => toSuspect(entry, digestRuns.length, stackRunCount))
    .filter((suspect) => suspect.score > 0 || suspect.cpu !== undefined)
    .sort((a, b) => b.score - a.score || byCodeUnits(a.function, b.function));
  const { verdict, reason } = verdictOf(suspects, digestRuns.length, stackRunCount, crashRuns.length);
  return {
    schema: BLAME_SCHEMA,
    verdict,
    reason,
    suspects,
    runs: {
      used: runs.length,
      crashed: crashRuns.length,
      withDigest: crashRuns.filter((run) => run.digest !== undefined).length,
      withProfile: runs.filter((run) => run.functions !== undefined).length,
    },
    signals: SIGNAL_NAMES.map((name) => ({ name, runs: signalRuns(name, runs), excluded: !use(name) })),
    cpuTop,
    failingBuiltins: [...builtins].map(([builtin, count]) => ({ builtin, runs: count })).sort((a, b) => b.runs - a.runs),
    failingTargets: [...targets].sort(),
    unusableDumps: crashRuns.flatMap((run) => (run.unusableDump === undefined ? [] : [{ run: run.id, problem: run.unusableDump }])),
  };
}

function toSuspect(entry: Entry, dumps: number, stackRuns: number): BlameSuspect {
  const meanShare = dumps === 0 ? 0 : entry.heapShares.reduce((sum, share) => sum + share, 0) / dumps;
  const innermostFraction = stackRuns === 0 ? 0 : entry.innermostRuns.size / stackRuns;
  const onStackFraction = stackRuns === 0 ? 0 : entry.onStackThreadShare / stackRuns;
  const gcTerm = entry.gc !== undefined && entry.gc.ratio > 1 ? Math.min(1, Math.log2(entry.gc.ratio) / 3) : 0;
  const over = entry.overRepresentation;
  const overTerm = over !== undefined && over.ratio > 1 && over.p !== undefined && over.p < SIGNIFICANCE ? Math.min(1, Math.log2(over.ratio) / 2) : 0;
  const score =
    SCORE_WEIGHTS.heap * meanShare +
    SCORE_WEIGHTS.innermostAtCrash * innermostFraction +
    SCORE_WEIGHTS.onStackAtCrash * onStackFraction +
    SCORE_WEIGHTS.gc * gcTerm +
    SCORE_WEIGHTS.overRepresentation * overTerm;
  return {
    function: entry.function,
    file: entry.file,
    score: Math.round(score * 10) / 10,
    ...(dumps > 0 && entry.heapShares.length > 0 ? { heap: { meanShare, dumps, topIn: entry.topIn } } : {}),
    ...(entry.innermostRuns.size + entry.onStackRuns.size > 0
      ? { stack: { innermostRuns: entry.innermostRuns.size, onStackRuns: entry.onStackRuns.size, onStackThreadShare: entry.onStackThreadShare, runs: stackRuns, sources: [...entry.stackSources].sort() } }
      : {}),
    ...(entry.gc === undefined ? {} : { gc: entry.gc }),
    ...(entry.overRepresentation === undefined ? {} : { overRepresentation: entry.overRepresentation }),
    ...(entry.cpu === undefined ? {} : { cpu: entry.cpu }),
  };
}

function verdictOf(suspects: readonly BlameSuspect[], dumps: number, stackRuns: number, crashes: number): { verdict: BlameVerdict; reason: BlameReason } {
  if (dumps > 0) {
    const byShare = [...suspects].filter((suspect) => suspect.heap !== undefined).sort((a, b) => b.heap!.meanShare - a.heap!.meanShare);
    const first = byShare[0]?.heap?.meanShare ?? 0;
    const second = byShare[1]?.heap?.meanShare ?? 0;
    if (first >= CULPRIT_MIN_SHARE && first >= CULPRIT_DOMINANCE * second && suspects[0] === byShare[0]) {
      return { verdict: "culprit", reason: { kind: "holds-the-heap", share: first, runnerUpShare: second } };
    }
    return { verdict: "no-single-culprit", reason: { kind: "memory-spread", topShares: byShare.slice(0, 3).map((suspect) => suspect.heap!.meanShare) } };
  }
  if (stackRuns > 0) {
    // Every crash run's every Starlark thread had the same innermost function, it leads the ranking, and its
    // own calls show the GC a hog causes: the last call to ask for memory alone may be the last straw only.
    const innermost = suspects.filter((suspect) => (suspect.stack?.innermostRuns ?? 0) > 0);
    if (innermost.length === 1 && innermost[0]!.stack!.innermostRuns === stackRuns && suspects[0] === innermost[0]) {
      const gc = innermost[0]!.gc;
      const corroborated = stackRuns >= CORROBORATING_CRASHES || (gc !== undefined && gc.ratio >= GC_CORROBORATION);
      if (corroborated) return { verdict: "culprit", reason: { kind: "crash-stacks-agree", runs: stackRuns, gcRatio: gc?.ratio } };
      return { verdict: "no-single-culprit", reason: { kind: "crash-stacks-uncorroborated", function: innermost[0]!.function, missing: "heap-dumps" } };
    }
    const named = suspects.filter((suspect) => suspect.stack !== undefined).slice(0, 4).map((suspect) => suspect.function);
    return { verdict: "no-single-culprit", reason: { kind: "crash-stacks-disagree", functions: named, missing: "heap-dumps" } };
  }
  if (crashes > 0 || suspects.some((suspect) => suspect.gc !== undefined || suspect.overRepresentation !== undefined)) {
    if (suspects.some((suspect) => suspect.score > 0)) return { verdict: "no-single-culprit", reason: { kind: "indirect-only", missing: "heap-dumps" } };
    return { verdict: "no-evidence", reason: crashes > 0 ? { kind: "no-function-evidence" } : { kind: "no-crash" } };
  }
  return { verdict: "no-evidence", reason: { kind: "no-crash" } };
}

interface RunGroups {
  readonly low: readonly BlameRun[];
  readonly high: readonly BlameRun[];
  readonly lowLimit: string;
  readonly highLimit: string;
}

/**
 * The runs compared by the time signals: the highest limit's successful runs against the lowest limit's runs
 * with a profile (successful runs there preferred: a crashed profile ends early). undefined without both.
 */
function runGroups(runs: readonly BlameRun[]): RunGroups | undefined {
  const profiled = runs.filter((run) => run.functions !== undefined && run.functions.starlarkSelfMicros > 0);
  const okRuns = profiled.filter((run) => run.ok);
  if (okRuns.length === 0) return undefined;
  const highBytes = Math.max(...okRuns.map((run) => run.limitBytes));
  const high = okRuns.filter((run) => run.limitBytes === highBytes);
  const lower = profiled.filter((run) => run.limitBytes < highBytes);
  if (lower.length === 0) return undefined;
  const lowOk = lower.filter((run) => run.ok);
  const pool = lowOk.length > 0 ? lowOk : lower;
  const lowBytes = Math.min(...pool.map((run) => run.limitBytes));
  const low = pool.filter((run) => run.limitBytes === lowBytes);
  return { low, high, lowLimit: low[0]!.limit, highLimit: high[0]!.limit };
}

function statsOf(run: BlameRun, name: string): { selfMicros: number; gcMicros: number } | undefined {
  const found = run.functions?.functions.find((stats) => stats.name === name);
  return found === undefined ? undefined : { selfMicros: found.selfMicros, gcMicros: found.gcMicros };
}

function profileNames(runs: readonly BlameRun[]): Set<string> {
  const names = new Set<string>();
  for (const run of runs) for (const stats of run.functions?.functions ?? []) if (!ANONYMOUS.has(stats.name)) names.add(stats.name);
  return names;
}

/** Signal 4: GC microseconds inside its calls per second of its own time, low heap / high heap. */
function gcSignal(registry: Registry, groups: RunGroups): void {
  const rate = (runs: readonly BlameRun[], name: string): number | undefined => {
    let self = 0;
    let gc = 0;
    let pauses = 0;
    for (const run of runs) {
      const stats = run.functions?.functions.find((candidate) => candidate.name === name);
      if (stats === undefined) continue;
      self += stats.selfMicros;
      gc += stats.gcMicros;
      pauses += stats.gcPauses;
    }
    return self / runs.length < MIN_SELF_MICROS || pauses < MIN_GC_PAUSES ? undefined : (gc / self) * 1e6;
  };
  for (const name of profileNames([...groups.low, ...groups.high])) {
    const low = rate(groups.low, name);
    const high = rate(groups.high, name);
    if (low === undefined || high === undefined) continue;
    registry.byName(name).gc = { low, high, ratio: low / high, lowLimit: groups.lowLimit, highLimit: groups.highLimit };
  }
}

/** Signal 5: share of Starlark self time near the crash against the highest heap, Welch-tested over repeats. */
function overRepresentationSignal(registry: Registry, groups: RunGroups): void {
  const shares = (runs: readonly BlameRun[], name: string): { shares: number[]; self: number } => {
    const values: number[] = [];
    let self = 0;
    for (const run of runs) {
      const stats = statsOf(run, name);
      self += stats?.selfMicros ?? 0;
      values.push((stats?.selfMicros ?? 0) / run.functions!.starlarkSelfMicros);
    }
    return { shares: values, self: self / runs.length };
  };
  for (const name of profileNames([...groups.low, ...groups.high])) {
    const low = shares(groups.low, name);
    const high = shares(groups.high, name);
    if (low.self < MIN_SELF_MICROS && high.self < MIN_SELF_MICROS) continue;
    const test = welchTest(low.shares, high.shares);
    const lowMean = mean(low.shares);
    const highMean = mean(high.shares);
    registry.byName(name).overRepresentation = {
      low: lowMean,
      high: highMean,
      ratio: highMean > 0 ? lowMean / highMean : lowMean > 0 ? Infinity : 1,
      lowLimit: groups.lowLimit,
      highLimit: groups.highLimit,
      lowRuns: low.shares.length,
      highRuns: high.shares.length,
      p: test?.p,
    };
  }
}

/**
 * Signal 6: CPU share (pprof) of each Starlark-defined function, inclusive of the builtins it calls (their
 * self time is most of any profile: append, join, format), the lowest successful limit against the highest;
 * and the CPU-only top.
 */
function cpuSignal(registry: Registry, runs: readonly BlameRun[]): BlameResult["cpuTop"] {
  const profiled = runs.filter((run) => run.ok && run.pprof !== undefined && run.pprof.complete && run.pprof.totalNanos > 0);
  if (profiled.length === 0) return undefined;
  const highBytes = Math.max(...profiled.map((run) => run.limitBytes));
  const lowBytes = Math.min(...profiled.map((run) => run.limitBytes));
  const at = (bytes: number): BlameRun[] => profiled.filter((run) => run.limitBytes === bytes);
  const shareMap = (group: readonly BlameRun[]): Map<string, { name: string; file: string; share: number }> => {
    const map = new Map<string, { name: string; file: string; share: number }>();
    for (const run of group) {
      for (const fn of run.pprof!.functions) {
        if (fn.file === "<builtin>" || fn.name === fn.file || ANONYMOUS.has(fn.name)) continue;
        const key = `${fn.name}\u0000${fn.file}`;
        const entry = map.get(key) ?? { name: fn.name, file: fn.file, share: 0 };
        entry.share += fn.cumulativeNanos / run.pprof!.totalNanos / group.length;
        map.set(key, entry);
      }
    }
    return map;
  };
  const high = shareMap(at(highBytes));
  const low = shareMap(at(lowBytes));
  const ranked = [...high.values()].sort((a, b) => b.share - a.share);
  ranked.forEach((fn, index) => {
    const lowShare = low.get(`${fn.name}\u0000${fn.file}`)?.share ?? 0;
    registry.withFile(fn.name, fn.file).cpu = {
      low: lowShare,
      high: fn.share,
      ratio: fn.share > 0 ? lowShare / fn.share : 1,
      lowLimit: at(lowBytes)[0]!.limit,
      highLimit: at(highBytes)[0]!.limit,
      rank: index + 1,
    };
  });
  const top = ranked[0];
  return top === undefined ? undefined : { function: top.name, file: registry.withFile(top.name, top.file).file, share: top.share };
}

function signalRuns(name: SignalName, runs: readonly BlameRun[]): number {
  switch (name) {
    case "heap":
      return runs.filter((run) => run.crashed && run.digest !== undefined).length;
    case "oom-stack":
      return runs.filter((run) => run.crashed && run.oomTraces.some((trace) => trace.inStarlark)).length;
    case "in-flight":
      return runs.filter((run) => run.crashed && (run.functions?.inFlight.length ?? 0) > 0).length;
    case "gc":
    case "over-representation":
      return runs.filter((run) => run.functions !== undefined && run.functions.starlarkSelfMicros > 0).length;
    case "cpu":
      return runs.filter((run) => run.pprof !== undefined && run.pprof.complete).length;
  }
}
