/**
 * One row of `stats`: what a run was (from run.json) and what its artifacts say (profile, BEP, GC log,
 * memory profile). Pure: the readers in io/ gather the summaries.
 */
import type { BepSummary } from "./bep.js";
import type { GcLogSummary } from "./gc-log.js";
import type { MemoryProfileSummary } from "../profile/memory-profile.js";
import type { ProfileSummary } from "../profile/profile-summary.js";
import { STATS_RECORD_COLUMNS, type RunRecord } from "./run-record.js";
import type { ProfileLevel, RunStatus } from "../vocabulary.js";
import { byCodeUnits } from "../text-order.js";

/** Where peakHeapBytes came from, best first. */
export type PeakHeapSource =
  /** The profile's "Memory usage (Bazel)" counter, sampled each second: heap + non-heap (Bazel ≥ 5). */
  | "profile-counter"
  /** BEP memoryMetrics.peakPostGcHeapSize: the largest heap right after a major GC. */
  | "bep-peak-post-gc"
  /** The JVM's GC log: the largest heap right after a young or full collection (core/run/gc-log.ts). */
  | "gc-log"
  /** --memory_profile: the largest heap in use at the end of a build phase. */
  | "memory-profile";

/** What run.json says of the run, then what its artifacts measured. */
export interface RunStats extends Pick<RunRecord, (typeof STATS_RECORD_COLUMNS)[number]> {
  /** What the run recorded; runs of sweeps from before profile levels recorded everything ("full"). */
  readonly profileLevel: ProfileLevel;
  /** An evidence run (kept out of the threshold). */
  readonly evidence: boolean;
  /** Profile's last minus first timestamp (file order), seconds; null without a profile or events. */
  readonly profileSeconds: number | null;
  readonly gcCount: number | null;
  readonly gcMinor: number | null;
  readonly gcMajor: number | null;
  readonly gcSeconds: number | null;
  /** GC events the profile recorded without a duration (counted in gcCount, not in gcSeconds). */
  readonly gcWithoutDuration: number | null;
  readonly peakHeapBytes: number | null;
  readonly peakHeapSource: PeakHeapSource | null;
  /** Complete events read from the profile; null without a profile. */
  readonly eventsRecovered: number | null;
  /** The profile was cut short (a crash); null without a profile. */
  readonly truncated: boolean | null;
}

export interface RunArtifactSummaries {
  readonly profile: ProfileSummary | undefined;
  readonly bep: BepSummary | undefined;
  readonly gcLog: GcLogSummary | undefined;
  readonly memoryProfile: MemoryProfileSummary | undefined;
}

const MICROS_PER_SECOND = 1_000_000;

export function runStats(record: RunRecord, summaries: RunArtifactSummaries): RunStats {
  // A profile with no event (the server died before writing one) measured nothing: no zeros.
  const profile = summaries.profile?.eventsRecovered === 0 ? undefined : summaries.profile;
  const peak = peakHeap(summaries, record.status === "ok");
  const fromRecord = Object.fromEntries(STATS_RECORD_COLUMNS.map((field) => [field, record[field]])) as Pick<
    RunRecord,
    (typeof STATS_RECORD_COLUMNS)[number]
  >;
  return {
    ...fromRecord,
    profileLevel: record.profileLevel ?? "full",
    evidence: record.evidence === true,
    profileSeconds: profile?.durationMicros === undefined ? null : profile.durationMicros / MICROS_PER_SECOND,
    gcCount: profile?.gcCount ?? null,
    gcMinor: profile?.gcMinor ?? null,
    gcMajor: profile?.gcMajor ?? null,
    gcSeconds: profile === undefined ? null : profile.gcMicros / MICROS_PER_SECOND,
    gcWithoutDuration: profile?.gcWithoutDuration ?? null,
    peakHeapBytes: peak?.bytes ?? null,
    peakHeapSource: peak?.source ?? null,
    eventsRecovered: summaries.profile?.eventsRecovered ?? null,
    truncated: summaries.profile?.truncated ?? null,
  };
}

function peakHeap(summaries: RunArtifactSummaries, finished: boolean): { bytes: number; source: PeakHeapSource } | undefined {
  const counter = summaries.profile?.peakCounterMemoryBytes;
  if (counter !== undefined) return { bytes: counter, source: "profile-counter" };
  const bep = summaries.bep?.peakPostGcHeapBytes;
  if (bep !== undefined) return { bytes: bep, source: "bep-peak-post-gc" };
  // Every sweep run has a GC log (Bazel 4.x has neither of the above): a crashed run's too, up to the crash.
  const afterCollection = summaries.gcLog?.peakHeapAfterCollectionBytes;
  if (afterCollection !== undefined) return { bytes: afterCollection, source: "gc-log" };
  // --memory_profile samples the heap only between phases: a build that did not finish stopped sampling
  // before the phase that used the memory, so its "peak" would be a misleading few MB.
  const phases = summaries.memoryProfile?.peakHeapUsedBytes;
  if (phases !== undefined && finished) return { bytes: phases, source: "memory-profile" };
  return undefined;
}

/** Runs in a stable, readable order: by limit, warm-ups first, then by iteration, then id. */
export function compareRuns(a: RunStats | RunRecord, b: RunStats | RunRecord): number {
  return (
    a.limitBytes - b.limitBytes ||
    byCodeUnits(a.mode, b.mode) ||
    Number(b.warmup) - Number(a.warmup) ||
    a.iteration - b.iteration ||
    byCodeUnits(a.id, b.id)
  );
}

/** The original tool's two statuses: anything but a successful build is a crash. */
export function legacyStatus(status: RunStatus): "ok" | "crash" {
  return status === "ok" ? "ok" : "crash";
}
