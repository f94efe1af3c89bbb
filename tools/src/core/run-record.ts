/**
 * The on-disk contract between `sweep` (which writes it) and `stats`, `plot`, `report` and `blame`
 * (which read it). One sweep folder looks like this:
 *
 *   <out>/sweep.json                 SweepManifest: the plan and everything needed to redo it
 *   <out>/runs.jsonl, runs.csv       one RunRecord per finished run, appended as each run ends
 *   <out>/runs/<run id>/run.json     the RunRecord of that run (the source of truth)
 *   <out>/runs/<run id>/<artifact>   the files named in RunRecord.artifacts (paths relative to the run folder)
 *
 * Readers take the limit from run.json, never from the folder name.
 */

export const RUN_RECORD_FILE = "run.json";
export const SWEEP_MANIFEST_FILE = "sweep.json";
export const RUNS_JSONL_FILE = "runs.jsonl";
export const RUNS_CSV_FILE = "runs.csv";
export const RUNS_DIR = "runs";

export type RunStatus = "ok" | "oom" | "action-killed" | "failed" | "timeout" | "interrupted";

export type BuildMode = "regular" | "nobuild" | "skymeld";

/** Artifacts a run can leave; each path is relative to the run folder and present only if the file exists. */
export interface RunArtifacts {
  /** JSON trace profile, gzipped. */
  readonly profile?: string;
  /** Starlark CPU profile (pprof, gzipped protobuf). */
  readonly starlarkCpuProfile?: string;
  /** Build Event Protocol, one JSON object a line. */
  readonly bep?: string;
  /** Bazel's --memory_profile output. */
  readonly memoryProfile?: string;
  /** Everything the sub-build printed on stdout and stderr. */
  readonly console: string;
  /** Heap dump, only when asked for with --heap-dumps. */
  readonly heapDump?: string;
}

export interface RunRecord {
  readonly schema: 1;
  /** Folder name under runs/, e.g. "0256m-r02"; unique within the sweep. */
  readonly id: string;
  /** The heap limit as the user typed it, e.g. "256m". */
  readonly limit: string;
  /** The same limit in bytes, as the JVM reads it. */
  readonly limitBytes: number;
  /** 1-based repetition number among the runs of this limit (warmups counted separately). */
  readonly iteration: number;
  readonly warmup: boolean;
  readonly mode: BuildMode;
  /** e.g. "4.2.3" or "7.7.1". */
  readonly bazelVersion: string;
  /** The full argv of the sub-build, program first. */
  readonly argv: readonly string[];
  /** ISO 8601. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly wallSeconds: number;
  /** null when the process was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly status: RunStatus;
  readonly artifacts: RunArtifacts;
}
