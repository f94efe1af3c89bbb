/**
 * What a run's artifacts say, computed once when the run finishes and kept in its folder as run-summary.json:
 * the profile's totals for `stats`, its per-function evidence, the CPU profile and the OOM stack traces for
 * `blame`. Readers recompute it only when an artifact changed (size or time) or the summary's version did, so
 * `stats`, `report` and `blame` never read a big profile twice.
 */
import type { BepSummary } from "./bep.js";
import type { FunctionProfile } from "../profile/function-profile.js";
import type { GcLogSummary } from "./gc-log.js";
import type { MemoryProfileSummary } from "../profile/memory-profile.js";
import type { OomTrace } from "./oom-stack.js";
import type { PprofSummary } from "../profile/pprof-summary.js";
import type { ProfileSummary } from "../profile/profile-summary.js";

export const RUN_SUMMARY_FILE = "run-summary.json";

/** Bump when what the summary holds, or how it is computed, changes: every cached summary is then redone. */
export const RUN_SUMMARY_VERSION = 2;

/** An input file as the summary saw it. */
export interface InputStamp {
  readonly bytes: number;
  readonly mtimeMs: number;
}

export interface RunSummary {
  readonly version: typeof RUN_SUMMARY_VERSION;
  /** The artifacts read, by file name relative to the run folder. */
  readonly inputs: Readonly<Record<string, InputStamp>>;
  readonly profile: ProfileSummary | undefined;
  readonly functions: FunctionProfile | undefined;
  readonly bep: BepSummary | undefined;
  readonly memoryProfile: MemoryProfileSummary | undefined;
  readonly gcLog: GcLogSummary | undefined;
  readonly pprof: PprofSummary | undefined;
  readonly oomTraces: readonly OomTrace[];
}

/** Whether a cached summary still describes the artifacts as they are now. */
export function summaryIsCurrent(cached: unknown, inputs: Readonly<Record<string, InputStamp>>): cached is RunSummary {
  if (typeof cached !== "object" || cached === null) return false;
  const summary = cached as Partial<RunSummary>;
  if (summary.version !== RUN_SUMMARY_VERSION || typeof summary.inputs !== "object" || summary.inputs === null) return false;
  const names = Object.keys(inputs);
  if (Object.keys(summary.inputs).length !== names.length) return false;
  return names.every((name) => {
    const stamp = summary.inputs![name];
    return stamp !== undefined && stamp.bytes === inputs[name]!.bytes && stamp.mtimeMs === inputs[name]!.mtimeMs;
  });
}
