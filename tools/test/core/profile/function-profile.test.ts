// Per-function evidence and in-flight calls from real Bazel 4.2.3 and 7.7.1 profiles: every number checked
// against a naive reconstruction (all spans in memory, nested in start order), in-flight calls against what
// the crash profiles hold and against cuts of complete profiles where the truth is known, plus cut and
// edited copies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FunctionProfileBuilder, type FunctionProfile, type InFlightCall } from "../../../src/core/profile/function-profile.js";
import { GC_CATEGORY, STARLARK_BUILTIN_CATEGORY, STARLARK_USER_CATEGORY, threadRole, typedEvents } from "../../../src/core/profile/trace-events.js";
import { TraceScanner, type RawTraceEvent } from "../../../src/core/profile/trace-scanner.js";
import { crashProfile, FIXTURES_DIR, inflatablePrefix, okProfile, sweepFixture } from "../../helpers/fixtures.js";

const EVIDENCE = join(FIXTURES_DIR, "bazel-4.2.3", "evidence");
const CRASH_FULL_PROFILE = join(EVIDENCE, "crash-full-profile-200m", "profile.json.gz");
const OK_LIGHT_PROFILE = join(EVIDENCE, "ok-light-profile-1g", "profile.json.gz");
const sweepProfile = (version: "4.2.3" | "7.7.1", run: string): string => join(sweepFixture(version), "runs", run, "profile.json.gz");

/** The complete events of a profile, gzip and JSON cut or not, in file order. */
function rawEvents(path: string): RawTraceEvent[] {
  const events: RawTraceEvent[] = [];
  const scanner = new TraceScanner((event) => events.push(event));
  scanner.push(inflatablePrefix(readFileSync(path)));
  scanner.finish();
  return events;
}

function profileOf(events: readonly RawTraceEvent[]): FunctionProfile {
  const builder = new FunctionProfileBuilder();
  const visit = typedEvents(builder);
  for (const event of events) visit(event);
  return builder.build();
}

interface NaiveSpan {
  readonly order: number;
  readonly user: boolean;
  readonly name: string;
  readonly tid: number;
  readonly start: number;
  readonly end: number;
}

interface NaiveStats {
  calls: number;
  selfMicros: number;
  totalMicros: number;
  gcMicros: number;
  pauses: Set<number>;
}

/**
 * The same numbers the slow, obvious way: every Starlark span kept, nested per thread in start order (a span
 * is inside another when it lies within it and was written before it, as a call completes before its
 * caller), self time = span minus the user spans whose nearest enclosing user span it is, GC overlap on
 * what remains, pause by pause.
 */
function naive(events: readonly RawTraceEvent[]) {
  const spans: NaiveSpan[] = [];
  const pauses: { start: number; end: number }[] = [];
  let endMicros: number | undefined;
  const reach = (micros: number): void => {
    if (endMicros === undefined || micros > endMicros) endMicros = micros;
  };
  events.forEach((event, order) => {
    const { ts, dur, cat, name, tid, ph } = event as { ts?: unknown; dur?: unknown; cat?: unknown; name?: unknown; tid?: unknown; ph?: unknown };
    if (typeof ts !== "number") return;
    reach(ts);
    if (typeof dur !== "number" || (ph !== "X" && cat !== GC_CATEGORY)) return;
    reach(ts + dur);
    if (cat === GC_CATEGORY) pauses.push({ start: ts, end: ts + dur });
    else if (cat === STARLARK_USER_CATEGORY || cat === STARLARK_BUILTIN_CATEGORY) {
      spans.push({ order, user: cat === STARLARK_USER_CATEGORY, name: String(name), tid: Number(tid), start: ts, end: ts + dur });
    }
  });
  const stats = new Map<string, NaiveStats>();
  const statsOf = (name: string): NaiveStats => {
    let found = stats.get(name);
    if (found === undefined) stats.set(name, (found = { calls: 0, selfMicros: 0, totalMicros: 0, gcMicros: 0, pauses: new Set() }));
    return found;
  };
  const byThread = new Map<number, NaiveSpan[]>();
  for (const span of spans) {
    const threadSpans = byThread.get(span.tid);
    if (threadSpans === undefined) byThread.set(span.tid, [span]);
    else threadSpans.push(span);
  }
  for (const threadSpans of byThread.values()) {
    threadSpans.sort((a, b) => a.start - b.start || b.order - a.order);
    const userChildren = new Map<NaiveSpan, NaiveSpan[]>();
    const stack: NaiveSpan[] = [];
    for (const span of threadSpans) {
      while (stack.length > 0 && !(span.start >= stack.at(-1)!.start && span.end <= stack.at(-1)!.end && span.order < stack.at(-1)!.order)) stack.pop();
      if (span.user) {
        let nearestUser: NaiveSpan | undefined;
        for (let index = stack.length - 1; index >= 0 && nearestUser === undefined; index--) if (stack[index]!.user) nearestUser = stack[index];
        if (nearestUser !== undefined) {
          const children = userChildren.get(nearestUser);
          if (children === undefined) userChildren.set(nearestUser, [span]);
          else children.push(span);
        }
        const stat = statsOf(span.name);
        stat.calls++;
        if (!stack.some((ancestor) => ancestor.user && ancestor.name === span.name)) stat.totalMicros += span.end - span.start;
      }
      stack.push(span);
    }
    for (const span of threadSpans.filter((candidate) => candidate.user)) {
      const children = userChildren.get(span) ?? [];
      const stat = statsOf(span.name);
      stat.selfMicros += span.end - span.start - children.reduce((sum, child) => sum + (child.end - child.start), 0);
      pauses.forEach((pause, id) => {
        const overlap = (start: number, end: number): number => Math.max(0, Math.min(end, pause.end) - Math.max(start, pause.start));
        const self = overlap(span.start, span.end) - children.reduce((sum, child) => sum + overlap(child.start, child.end), 0);
        if (self <= 0) return;
        stat.gcMicros += self;
        stat.pauses.add(id);
      });
    }
  }
  return {
    functions: [...stats].map(([name, stat]) => ({
      name,
      calls: stat.calls,
      selfMicros: stat.selfMicros,
      totalMicros: stat.totalMicros,
      gcPauses: stat.pauses.size,
      gcMicros: stat.gcMicros,
    })),
    gcPauses: pauses.length,
    gcPauseMicros: pauses.reduce((sum, pause) => sum + pause.end - pause.start, 0),
    endMicros,
    userThreads: new Set(spans.filter((span) => span.user).map((span) => span.tid)).size,
  };
}

const byName = <T extends { name: string }>(functions: readonly T[]): T[] => [...functions].sort((a, b) => (a.name < b.name ? -1 : 1));

/** Every real profile at hand: complete ones of successful (and one failed) builds, and crash profiles. */
const PROFILES: readonly { name: string; path: string; complete: boolean }[] = [
  { name: "4.2.3 ok, full profile", path: okProfile("4.2.3"), complete: true },
  { name: "4.2.3 ok, full profile (2nd run)", path: sweepProfile("4.2.3", "0256m-r02"), complete: true },
  { name: "4.2.3 ok, full profile (warm-up)", path: sweepProfile("4.2.3", "0256m-w01"), complete: true },
  { name: "4.2.3 ok, light profile (reproduction at 1g)", path: OK_LIGHT_PROFILE, complete: true },
  { name: "4.2.3 oom, profile written whole", path: crashProfile("4.2.3", "oom-complete"), complete: true },
  { name: "4.2.3 oom at 18m, profile written whole", path: sweepProfile("4.2.3", "0018m-r01"), complete: true },
  { name: "7.7.1 ok, full profile", path: okProfile("7.7.1"), complete: true },
  { name: "7.7.1 ok, full profile (2nd run)", path: sweepProfile("7.7.1", "0256m-r02"), complete: true },
  { name: "4.2.3 oom of the reproduction at 200m (trimmed)", path: CRASH_FULL_PROFILE, complete: false },
  { name: "4.2.3 crash, gzip and JSON cut", path: crashProfile("4.2.3", "crash-truncated"), complete: false },
  { name: "7.7.1 oom, JSON cut", path: crashProfile("7.7.1", "oom-json-cut"), complete: false },
  { name: "7.7.1 crash, gzip and JSON cut", path: crashProfile("7.7.1", "crash-truncated"), complete: false },
  { name: "7.7.1 oom at 24m (warm-up), cut", path: sweepProfile("7.7.1", "0024m-w01"), complete: false },
];

describe.each(PROFILES)("$name", ({ path, complete }) => {
  const events = rawEvents(path);
  const profile = profileOf(events);
  const expected = naive(events);

  it("has the calls, self and total time and GC overlap of a naive reconstruction", () => {
    expect(byName(profile.functions)).toEqual(byName(expected.functions));
    expect(profile.functions.length).toBeGreaterThan(0);
    expect(profile.gcPauses).toBe(expected.gcPauses);
    expect(profile.gcPauseMicros).toBe(expected.gcPauseMicros);
    expect(profile.endMicros).toBe(expected.endMicros);
    expect(profile.starlarkSelfMicros).toBe(profile.functions.reduce((sum, fn) => sum + fn.selfMicros, 0));
  });

  it("sorts functions by self time and keeps each within its total", () => {
    const selfTimes = profile.functions.map((fn) => fn.selfMicros);
    expect(selfTimes).toEqual([...selfTimes].sort((a, b) => b - a));
    for (const fn of profile.functions) {
      expect(fn.selfMicros).toBeGreaterThanOrEqual(0);
      expect(fn.selfMicros).toBeLessThanOrEqual(fn.totalMicros);
    }
  });

  it("attributes no more GC than the pauses lasted on the threads running Starlark", () => {
    const attributed = profile.functions.reduce((sum, fn) => sum + fn.gcMicros, 0);
    expect(attributed).toBeLessThanOrEqual(profile.gcPauseMicros * expected.userThreads);
    for (const fn of profile.functions) expect(fn.gcPauses).toBeLessThanOrEqual(profile.gcPauses);
  });

  if (complete) {
    it("has no call in flight", () => {
      expect(profile.inFlight).toEqual([]);
    });
  }
});

it("finds GC pauses during Starlark in the profiles (the comparison above is not vacuous)", () => {
  const crash = profileOf(rawEvents(CRASH_FULL_PROFILE));
  const aspect = crash.functions.find((fn) => fn.name === "traverse_impl")!;
  // Two analysis threads ran the aspect through most pauses: more GC time than the pauses' own.
  expect(aspect).toMatchObject({ calls: 115, selfMicros: 15_773_265, gcPauses: 63, gcMicros: 1_617_508 });
  expect(crash).toMatchObject({ gcPauses: 72, gcPauseMicros: 1_413_000, endMicros: 17_864_833 });
  expect(aspect.gcMicros).toBeGreaterThan(crash.gcPauseMicros);
});

describe("calls in flight when a crash profile ends", () => {
  const call = (tid: number, thread: string, fn: string | undefined, children: string[], sinceMicros: number): InFlightCall => ({
    tid,
    thread,
    function: fn,
    inference: fn === undefined ? "unknown" : "caller-seen",
    candidates: [],
    children,
    sinceMicros,
  });
  const aspectChildren = ["_dependencies", "_describe", "splitlines", "range", "format", "append"];

  it.each<{ name: string; path: string; inFlight: InFlightCall[] }>([
    {
      // The reproduction: both analysis threads were inside the aspect's implementation (the full profile
      // ends 32 s before the OOM, which hit the profile writer; see the fixture's README).
      name: "4.2.3 oom of the reproduction at 200m",
      path: CRASH_FULL_PROFILE,
      inFlight: [
        call(56, "skyframe-evaluator-0", "traverse_impl", [...aspectChildren, "declare_file", "join"], 17_599_752),
        call(57, "skyframe-evaluator-1", "traverse_impl", aspectChildren, 17_861_643),
      ],
    },
    {
      // Thread 250 was inside _dependencies (only ever called by the aspect), called from the aspect.
      name: "4.2.3 crash, gzip and JSON cut",
      path: crashProfile("4.2.3", "crash-truncated"),
      inFlight: [
        call(250, "skyframe-evaluator-0", "traverse_impl", [], 5_722_405),
        call(250, "skyframe-evaluator-0", "_dependencies", ["dir", "getattr", "type", "extend"], 5_722_405),
        call(251, "skyframe-evaluator-1", "traverse_impl", aspectChildren, 5_608_697),
      ],
    },
    {
      // Loading: three threads were evaluating the top level of .bzl files, early in the build.
      name: "7.7.1 oom at 24m (warm-up), cut",
      path: sweepProfile("7.7.1", "0024m-w01"),
      inFlight: [
        call(67, "skyframe-evaluator-18", "<toplevel>", ["dict", "provider", "depset", "struct"], 2_667_240),
        // No completed call has shown who calls some of these yet.
        call(73, "skyframe-evaluator-24", undefined, ["hasattr", "string_list", "string"], 2_098_405),
        // One orphan, one function seen calling it: too thin to name the caller.
        call(78, "skyframe-evaluator-29", undefined, ["provider"], 2_958_811),
      ],
    },
    // Bazel 7.7.1's crash profiles end with every thread's last Starlark call complete.
    { name: "7.7.1 oom, JSON cut", path: crashProfile("7.7.1", "oom-json-cut"), inFlight: [] },
    { name: "7.7.1 crash, gzip and JSON cut", path: crashProfile("7.7.1", "crash-truncated"), inFlight: [] },
  ])("$name", ({ path, inFlight }) => {
    const profile = profileOf(rawEvents(path));
    expect(profile.inFlight).toEqual(inFlight);
    for (const found of profile.inFlight) expect(threadRole(found.thread)).toBe("skyframe");
  });
});

describe("calls in flight at cuts of complete profiles, where the truth is known", () => {
  /** For each user call: the events before it (its children are written, it is not) and what was running then. */
  function cutsBeforeUserCalls(events: readonly RawTraceEvent[]) {
    const spans = events.flatMap((event, order) =>
      event["ph"] === "X" && event["cat"] === STARLARK_USER_CATEGORY
        ? [{ order, name: String(event["name"]), tid: Number(event["tid"]), start: Number(event["ts"]), end: Number(event["ts"]) + Number(event["dur"]) }]
        : [],
    );
    return spans.map((span) => ({
      span,
      running: new Set(
        spans.filter((other) => other.tid === span.tid && other.order >= span.order && other.start <= span.start && other.end >= span.end).map((other) => other.name),
      ),
      profile: profileOf(events.slice(0, span.order)),
    }));
  }

  it.each([
    { name: "4.2.3", path: okProfile("4.2.3") },
    { name: "7.7.1", path: okProfile("7.7.1") },
  ])("Bazel $name: an inferred function is always one that was running", { timeout: 60_000 }, ({ path }) => {
    const cuts = cutsBeforeUserCalls(rawEvents(path));
    const named = cuts.flatMap(({ span, running, profile }) =>
      profile.inFlight.filter((call) => call.tid === span.tid && call.function !== undefined).map((call) => ({ cutBefore: span, call, running })),
    );
    expect(named.filter(({ call, running }) => !running.has(call.function!))).toEqual([]);
    expect(named.length).toBeGreaterThan(cuts.length / 4);
  });

  it("finds the aspect implementation as the innermost call once it has completed before", { timeout: 60_000 }, () => {
    for (const path of [okProfile("4.2.3"), okProfile("7.7.1")]) {
      const aspectCuts = cutsBeforeUserCalls(rawEvents(path)).filter((cut) => cut.span.name === "traverse_impl");
      expect(aspectCuts).toHaveLength(9);
      const innermost = aspectCuts.map(({ span, profile }) => profile.inFlight.filter((call) => call.tid === span.tid).at(-1));
      // The first call: no completed call has shown who calls its children yet.
      expect(innermost[0]).toMatchObject({ inference: "unknown", function: undefined });
      for (const found of innermost.slice(1)) {
        expect(found).toMatchObject({ inference: "caller-seen", function: "traverse_impl" });
        expect(found!.children).toEqual(expect.arrayContaining(["_dependencies", "_describe", "join", "write"]));
      }
    }
  });

  // Cut inside _describe: the aspect's call has one finished child (_dependencies), and the unfinished _describe is
  // the other that only the aspect is seen calling: two children, enough to name it (as a 7.7.1 crash left it).
  it("names the caller of an unfinished call from that call and one finished child", { timeout: 60_000 }, () => {
    for (const path of [okProfile("4.2.3"), okProfile("7.7.1")]) {
      // Once a completed call of the aspect has shown who calls _dependencies and _describe.
      const describeCuts = cutsBeforeUserCalls(rawEvents(path)).filter(
        (cut) => cut.span.name === "_describe" && cut.profile.functions.some((fn) => fn.name === "traverse_impl"),
      );
      expect(describeCuts.length).toBeGreaterThan(4);
      for (const { span, profile } of describeCuts) {
        const calls = profile.inFlight.filter((call) => call.tid === span.tid);
        expect(calls.map((call) => call.function)).toEqual(["traverse_impl", "_describe"]);
        expect(calls[0]!.children).toEqual(["_dependencies"]);
      }
    }
  });
});

describe("cut and edited copies degrade, never throw", () => {
  const crashEvents = rawEvents(CRASH_FULL_PROFILE);
  const okEvents = rawEvents(okProfile("4.2.3"));

  it.each([0, 1, 10, 1000, 20_000, 40_000, 60_000, 80_000])("the reproduction's crash profile cut after %i events", (count) => {
    const events = crashEvents.slice(0, count);
    const profile = profileOf(events);
    const expected = naive(events);
    expect(byName(profile.functions)).toEqual(byName(expected.functions));
    for (const found of profile.inFlight) expect(["caller-seen", "ambiguous", "unknown"]).toContain(found.inference);
  });

  it("an empty profile", () => {
    expect(profileOf([])).toEqual({ functions: [], starlarkSelfMicros: 0, gcPauses: 0, gcPauseMicros: 0, endMicros: undefined, inFlight: [] });
  });

  it("a user function called from a builtin (a callback): its time and callers still count", () => {
    // tree_package_levels (a macro, called from BUILD files) calls tree_node_label; made a builtin here,
    // tree_node_label runs inside a builtin and <toplevel> is its nearest user caller.
    const edited = okEvents.map((event) =>
      event["name"] === "tree_package_levels" ? { ...event, cat: STARLARK_BUILTIN_CATEGORY } : event,
    );
    const profile = profileOf(edited);
    expect(byName(profile.functions)).toEqual(byName(naive(edited).functions));
    expect(profile.functions.map((fn) => fn.name)).not.toContain("tree_package_levels");
    for (let count = 0; count < edited.length; count += 997) {
      expect(byName(profileOf(edited.slice(0, count)).functions)).toEqual(byName(naive(edited.slice(0, count)).functions));
    }
  });

  it("a function nested in itself counts its outermost time once", () => {
    const edited = okEvents.map((event) => (event["name"] === "tree_node_label" ? { ...event, name: "tree_package_levels" } : event));
    const profile = profileOf(edited);
    expect(byName(profile.functions)).toEqual(byName(naive(edited).functions));
    const original = profileOf(okEvents).functions.find((fn) => fn.name === "tree_package_levels")!;
    expect(profile.functions.find((fn) => fn.name === "tree_package_levels")!.totalMicros).toBe(original.totalMicros);
  });

  it("GC events written long after the spans they overlap: attribution can only be lower", () => {
    const gcLast = [...crashEvents.filter((event) => event["cat"] !== GC_CATEGORY), ...crashEvents.filter((event) => event["cat"] === GC_CATEGORY)];
    const late = profileOf(gcLast);
    const truth = naive(crashEvents);
    for (const fn of late.functions) {
      const expected = truth.functions.find((candidate) => candidate.name === fn.name)!;
      expect(fn.gcMicros).toBeLessThanOrEqual(expected.gcMicros);
      expect(fn.gcPauses).toBeLessThanOrEqual(expected.gcPauses);
    }
    // The profile spans 17.9 s: the pauses of the last 10 s still find their spans.
    expect(late.functions.find((fn) => fn.name === "traverse_impl")!.gcMicros).toBeGreaterThan(0);
  });

  it.each<{ what: string; edit: (event: RawTraceEvent, order: number) => RawTraceEvent }>([
    { what: "negative durations", edit: (event, order) => (order % 7 === 0 && typeof event["dur"] === "number" ? { ...event, dur: -event["dur"] } : event) },
    { what: "infinite durations", edit: (event, order) => (order % 11 === 0 && typeof event["dur"] === "number" ? { ...event, dur: Infinity } : event) },
    { what: "timestamps scrambled", edit: (event, order) => (typeof event["ts"] === "number" ? { ...event, ts: (order * 7919) % 5_000_000 } : event) },
    { what: "fields missing", edit: (event, order) => (order % 3 === 0 ? { ph: event["ph"], cat: event["cat"] } : event) },
  ])("$what", ({ edit }) => {
    for (const events of [crashEvents, okEvents]) {
      const profile = profileOf(events.map(edit));
      for (const fn of profile.functions) expect(fn.selfMicros).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(profile.starlarkSelfMicros)).toBe(true);
    }
  });

  it("events out of order on a thread", () => {
    const reversed = [...crashEvents].reverse();
    expect(() => profileOf(reversed)).not.toThrow();
  });
});
