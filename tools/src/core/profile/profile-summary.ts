/**
 * Whole-profile numbers for `stats`, gathered in one streaming pass (constant memory): duration,
 * GC counts and time, peak JVM memory from counters, span counts.
 */
import {
  jvmMemoryUsedBytes,
  type CounterSample,
  type GcEvent,
  type Span,
  type SpanKind,
  type TraceEventVisitor,
} from "./trace-events.js";
import type { TraceScanResult } from "./trace-scanner.js";

export interface ProfileSummary {
  readonly eventsRecovered: number;
  readonly truncated: boolean;
  /**
   * Last event's ts minus first event's ts, in file order, in microseconds — what the original
   * stats.sh computed (so it includes Bazel's launch, which 4.x records at a negative ts).
   * undefined when no event has a timestamp.
   */
  readonly durationMicros: number | undefined;
  readonly gcMinor: number;
  readonly gcMajor: number;
  readonly gcCount: number;
  /** Sum of GC durations; GC events without `dur` count as zero (see gcWithoutDuration). */
  readonly gcMicros: number;
  readonly gcWithoutDuration: number;
  /** Highest "Memory usage (Bazel)" sample (heap + non-heap), when the profile has that counter. */
  readonly peakCounterMemoryBytes: number | undefined;
  readonly spans: Readonly<Record<SpanKind, number>>;
  readonly threads: number;
}

export class ProfileSummaryBuilder implements TraceEventVisitor {
  private firstTimestamp: number | undefined;
  private lastTimestamp: number | undefined;
  private gcMinor = 0;
  private gcMajor = 0;
  private gcMicros = 0;
  private gcWithoutDuration = 0;
  private peakCounterMemoryBytes: number | undefined;
  private readonly spans: Record<SpanKind, number> = { "starlark-user": 0, "starlark-builtin": 0, skyfunction: 0, other: 0 };
  private readonly threadIds = new Set<number>();

  timestamp(ts: number): void {
    if (this.firstTimestamp === undefined) this.firstTimestamp = ts;
    this.lastTimestamp = ts;
  }

  span(span: Span): void {
    this.spans[span.kind]++;
  }

  gc(gc: GcEvent): void {
    if (gc.major) this.gcMajor++;
    else this.gcMinor++;
    if (gc.dur === undefined) this.gcWithoutDuration++;
    else this.gcMicros += gc.dur;
  }

  counter(counter: CounterSample): void {
    const bytes = jvmMemoryUsedBytes(counter);
    if (bytes !== undefined && (this.peakCounterMemoryBytes === undefined || bytes > this.peakCounterMemoryBytes)) {
      this.peakCounterMemoryBytes = bytes;
    }
  }

  threadName(tid: number): void {
    this.threadIds.add(tid);
  }

  build(scan: Pick<TraceScanResult, "events" | "truncated">): ProfileSummary {
    const duration =
      this.firstTimestamp === undefined || this.lastTimestamp === undefined ? undefined : this.lastTimestamp - this.firstTimestamp;
    return {
      eventsRecovered: scan.events,
      truncated: scan.truncated,
      durationMicros: duration,
      gcMinor: this.gcMinor,
      gcMajor: this.gcMajor,
      gcCount: this.gcMinor + this.gcMajor,
      gcMicros: this.gcMicros,
      gcWithoutDuration: this.gcWithoutDuration,
      peakCounterMemoryBytes: this.peakCounterMemoryBytes,
      spans: { ...this.spans },
      threads: this.threadIds.size,
    };
  }
}
