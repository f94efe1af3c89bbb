/**
 * A typed view of Bazel's trace events for the analyses (stats, blame): function spans per thread,
 * GC events, counters and thread names, normalised across Bazel generations.
 *
 * Bazel 4.x: GC on "Notification Thread", main thread "grpc-command-0", counter values as strings
 * ("cpu counters": {"cpu":"1.31"}), no heap counter. Bazel 7.x: GC on "Garbage Collector", main thread
 * "Main Thread", numeric counter values, JVM memory in "Memory usage (Bazel)" ({"memory": MiB}).
 * Both: GC events are category "gc notification" named "minor GC" / "major GC", sometimes without dur.
 */
import type { RawTraceEvent } from "./trace-scanner.js";

export const GC_CATEGORY = "gc notification";
export const STARLARK_USER_CATEGORY = "Starlark user function call";
export const STARLARK_BUILTIN_CATEGORY = "Starlark builtin function call";
export const SKYFUNCTION_CATEGORY = "skyfunction";
/** Bazel ≥ 5 samples the JVM's heap + non-heap use each second, in whole MiB, in args.memory. */
export const MEMORY_COUNTER_NAME = "Memory usage (Bazel)";
const BYTES_PER_COUNTER_MB = 1024 * 1024;

/** What a complete ("X") event is, as far as the analyses care. */
export type SpanKind = "starlark-user" | "starlark-builtin" | "skyfunction" | "other";

/** A complete event on one thread: [ts, ts + dur) in microseconds since the profile's start. */
export interface Span {
  readonly kind: SpanKind;
  readonly category: string;
  readonly name: string;
  readonly tid: number;
  readonly ts: number;
  readonly dur: number;
  /** Bazel adds e.g. {"target": "//:e0"} with --experimental_profile_include_target_label. */
  readonly args: Readonly<Record<string, unknown>> | undefined;
}

export interface GcEvent {
  readonly major: boolean;
  readonly tid: number;
  readonly ts: number;
  /** Microseconds; undefined when Bazel left it out. */
  readonly dur: number | undefined;
}

export interface CounterSample {
  readonly name: string;
  readonly tid: number;
  readonly ts: number;
  /** Every numeric (or numeric-string, as 4.x writes them) series value of the sample. */
  readonly values: Readonly<Record<string, number>>;
}

export type ThreadRole = "main" | "gc" | "skyframe" | "other";

/** Receives the typed events in file order; every method is optional. */
export interface TraceEventVisitor {
  span?(span: Span): void;
  gc?(gc: GcEvent): void;
  counter?(counter: CounterSample): void;
  threadName?(tid: number, name: string): void;
  /** Every event with a numeric ts, before its typed callback (for first/last timestamps). */
  timestamp?(ts: number): void;
}

/** Turns the scanner's raw events into calls on `visitor`. */
export function typedEvents(visitor: TraceEventVisitor): (event: RawTraceEvent) => void {
  return (event) => {
    const ph = event["ph"];
    const ts = event["ts"];
    if (typeof ts === "number") visitor.timestamp?.(ts);
    if (ph === "X" || ph === "i" || ph === "I") {
      if (typeof ts !== "number") return;
      const category = typeof event["cat"] === "string" ? event["cat"] : "";
      const name = typeof event["name"] === "string" ? event["name"] : "";
      const tid = typeof event["tid"] === "number" ? event["tid"] : -1;
      const dur = typeof event["dur"] === "number" ? event["dur"] : undefined;
      if (category === GC_CATEGORY) {
        visitor.gc?.({ major: name === "major GC", tid, ts, dur });
        return;
      }
      if (ph !== "X" || dur === undefined || visitor.span === undefined) return;
      visitor.span({ kind: spanKind(category), category, name, tid, ts, dur, args: objectOrUndefined(event["args"]) });
    } else if (ph === "C") {
      if (typeof ts !== "number" || visitor.counter === undefined) return;
      const values = numericValues(event["args"]);
      if (values === undefined) return;
      const name = typeof event["name"] === "string" ? event["name"] : "";
      const tid = typeof event["tid"] === "number" ? event["tid"] : -1;
      visitor.counter({ name, tid, ts, values });
    } else if (ph === "M") {
      if (event["name"] !== "thread_name" || visitor.threadName === undefined) return;
      const args = objectOrUndefined(event["args"]);
      const tid = event["tid"];
      if (typeof tid === "number" && typeof args?.["name"] === "string") visitor.threadName(tid, args["name"]);
    }
  };
}

export function spanKind(category: string): SpanKind {
  switch (category) {
    case STARLARK_USER_CATEGORY:
      return "starlark-user";
    case STARLARK_BUILTIN_CATEGORY:
      return "starlark-builtin";
    case SKYFUNCTION_CATEGORY:
      return "skyfunction";
    default:
      return "other";
  }
}

/** The role of a thread from its name, across Bazel generations. */
export function threadRole(name: string): ThreadRole {
  if (name === "grpc-command-0" || name === "Main Thread") return "main";
  if (name === "Notification Thread" || name === "Garbage Collector") return "gc";
  if (name.startsWith("skyframe-evaluator") || name.startsWith("skyframe evaluator")) return "skyframe";
  return "other";
}

/** JVM memory in use (heap + non-heap) in bytes if this counter sample measures it, else undefined. */
export function jvmMemoryUsedBytes(counter: CounterSample): number | undefined {
  if (counter.name !== MEMORY_COUNTER_NAME) return undefined;
  const megabytes = counter.values["memory"];
  return megabytes === undefined ? undefined : Math.round(megabytes * BYTES_PER_COUNTER_MB);
}

function numericValues(args: unknown): Record<string, number> | undefined {
  const object = objectOrUndefined(args);
  if (object === undefined) return undefined;
  const values: Record<string, number> = {};
  let any = false;
  for (const [key, value] of Object.entries(object)) {
    const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (Number.isFinite(number)) {
      values[key] = number;
      any = true;
    }
  }
  return any ? values : undefined;
}

function objectOrUndefined(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** One visitor that hands every event to each of `visitors` in turn (one pass over a profile, several analyses). */
export function allVisitors(...visitors: readonly TraceEventVisitor[]): TraceEventVisitor {
  return {
    span: (span) => visitors.forEach((visitor) => visitor.span?.(span)),
    gc: (gc) => visitors.forEach((visitor) => visitor.gc?.(gc)),
    counter: (counter) => visitors.forEach((visitor) => visitor.counter?.(counter)),
    threadName: (tid, name) => visitors.forEach((visitor) => visitor.threadName?.(tid, name)),
    timestamp: (ts) => visitors.forEach((visitor) => visitor.timestamp?.(ts)),
  };
}
