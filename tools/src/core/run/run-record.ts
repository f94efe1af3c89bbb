/**
 * The on-disk contract between `sweep` (which writes it) and `stats`, `plot`, `report` and `blame`
 * (which read it). One sweep folder looks like this:
 *
 *   <out>/sweep.json                 SweepManifest: the plan and everything needed to redo it
 *   <out>/sweep.lock                 only while a sweep writes into the folder (io/sweep-lock.ts)
 *   <out>/runs.jsonl, runs.csv       one RunRecord per finished run, appended as each run ends
 *   <out>/runs/<run id>/run.json     the RunRecord of that run (the source of truth)
 *   <out>/runs/<run id>/<artifact>   the files named in RunRecord.artifacts (paths relative to the run folder)
 *
 * Readers take the limit from run.json, never from the folder name, and list runs from runs/<id>/run.json:
 * runs.jsonl and runs.csv are conveniences (rewritten in one step after every finished run, one row a
 * run, in run id order). A run folder without run.json is a run in progress or cut short by a crash of
 * the sweep itself; the next sweep with the same plan redoes it. A shard (`--shard i/n`) writes
 * runs.shard-i-of-n.jsonl/.csv instead, so shard folders copied together never overwrite each other's
 * rows; sweep.json is the same for every shard of one plan. One sweep at a time writes into a folder
 * (shards of one plan included: they share its output_base), and every file is written in one step
 * (temporary file + rename), so a reader never sees a half-written run.json or row.
 */
import type { BuildMode, ProfileLevel, RunStatus, StopReason } from "../vocabulary.js";


export const RUN_RECORD_FILE = "run.json";
export const SWEEP_MANIFEST_FILE = "sweep.json";
export const RUNS_JSONL_FILE = "runs.jsonl";
export const RUNS_CSV_FILE = "runs.csv";
/** The self-contained HTML summary the sweep writes at the end (also `report RUNS_DIR --out …`). */
export const REPORT_FILE = "report.html";
export const RUNS_DIR = "runs";
/** Held by the sweep that writes into the folder; see io/sweep-lock.ts. */
export const SWEEP_LOCK_FILE = "sweep.lock";

/** The file names the sweep gives each artifact in a run folder (RunArtifacts holds the actual ones). */
export const ARTIFACT_FILES = {
  profile: "profile.json.gz",
  starlarkCpuProfile: "starlark-cpu.pprof",
  bep: "bep.json",
  memoryProfile: "memory-profile.txt",
  console: "console.log",
  serverLog: "jvm.out",
  serverJavaLog: "java.log",
  gcLog: "gc.log",
  /** Where the JVM writes its heap dump at an OutOfMemoryError (-XX:HeapDumpPath); deleted once digested. */
  heapDump: "heap.hprof",
  /** What the sweep digests it to (core/heap/heap-digest.ts), right after the run. */
  heapDigest: "heap-digest.json",
} as const;

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
  /** The JVM's heap dump at the OutOfMemoryError: kept only with --keep-heap-dumps, or when it could not be digested. */
  readonly heapDump?: string;
  /** Its digest (core/heap/heap-digest.ts): who held the heap at the crash, in Starlark terms. */
  readonly heapDigest?: string;
  /**
   * The server's jvm.out (the JVM's own output). When the server dies of OutOfMemoryError before it can tell
   * the client (exit 37, "Server terminated abruptly"), this is where the error shows.
   */
  readonly serverLog?: string;
  /** The server's java.log (Bazel's own log): the crash's Java stack and Bazel's account of it. */
  readonly serverJavaLog?: string;
  /** The server JVM's GC log (-Xlog:gc): every pause with the heap before and after (core/run/gc-log.ts). */
  readonly gcLog?: string;
}

/** What became of the heap dump the sweep asked a spiralling server for (io/bazel-process.ts dumpSpiralHeap). */
export interface SpiralHeapDump {
  readonly taken: boolean;
  /** From the request to the dump's end or the give-up. */
  readonly seconds: number;
  /** Why it did not come (one line); absent when it did. */
  readonly problem?: string;
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
  /**
   * Set when the sweep stopped the sub-build itself: `timeout` (over --timeout), `interrupt` (Ctrl-C),
   * `oom-hang` (the server printed or logged its OutOfMemoryError and then hung; Bazel 4.2.3 does that),
   * `gc-thrash` (its GC log showed it spiralling: collection after collection, young or full, freeing almost
   * nothing; core/run/gc-log.ts gcSpiral). Absent when the build ended by itself. The wall time then ends
   * when the sweep stopped it.
   */
  readonly stoppedBy?: StopReason;
  /**
   * Whether the server's jvm.out holds its complete thread dump (taken before the sweep stops a server
   * for `timeout`, `oom-hang` or `gc-thrash`; best effort, within a deadline). Absent for every other run.
   */
  readonly threadDumpTaken?: boolean;
  /**
   * The heap dump the sweep asked the server for over the attach protocol before stopping it for `gc-thrash`:
   * a spiralling server never throws, so it writes none of its own. Whether it came (then it is digested into
   * heapDigest like a crash's), how long it took, and why not (one line). Absent when none was asked for.
   */
  readonly spiralHeapDump?: SpiralHeapDump;
  /**
   * Whether the GC log shows memory pressure at the end of the run (core/run/gc-log.ts gcPressure): decided
   * once when the run ends; a timeout counts towards the threshold only when true. Absent without gc.log.
   */
  readonly gcPressure?: boolean;
  /** How much the build recorded (bazel-flags.ts ProfileLevel); absent in runs of sweeps from before levels: full. */
  readonly profileLevel?: ProfileLevel;
  /**
   * An evidence run (`sweep --evidence-runs`): a full-profile run added at the threshold's limits for blame's
   * sake, after the threshold was found. It never counts towards the threshold (profiling moves it).
   */
  readonly evidence?: boolean;
  readonly artifacts: RunArtifacts;
}

/** run.json's fields as runs.csv's columns, in its order (io/sweep-folder.ts writes it with runsCsvRow). */
export const RUNS_CSV_COLUMNS = [
  "id",
  "limit",
  "limitBytes",
  "iteration",
  "warmup",
  "mode",
  "status",
  "exitCode",
  "signal",
  "stoppedBy",
  "threadDumpTaken",
  "gcPressure",
  "wallSeconds",
  "startedAt",
  "endedAt",
  "bazelVersion",
  "argv",
  "artifacts",
] as const satisfies readonly (keyof RunRecord)[];

/** The ones `stats` repeats as its first columns, in its order (core/run/run-stats.ts): a subset, checked. */
export const STATS_RECORD_COLUMNS = [
  "id",
  "limit",
  "limitBytes",
  "iteration",
  "warmup",
  "mode",
  "bazelVersion",
  "status",
  "exitCode",
  "wallSeconds",
] as const satisfies readonly (typeof RUNS_CSV_COLUMNS)[number][];

export type RunsCsvRow = Record<(typeof RUNS_CSV_COLUMNS)[number], string | number | boolean>;

/** One runs.csv cell a column: absent values are empty, lists and objects are JSON. */
export function runsCsvRow(record: RunRecord): RunsCsvRow {
  return Object.fromEntries(
    RUNS_CSV_COLUMNS.map((column) => {
      const value = record[column];
      if (value === null || value === undefined) return [column, ""];
      return [column, typeof value === "object" ? JSON.stringify(value) : value];
    }),
  ) as RunsCsvRow;
}

/** sweep.json: the plan, enough to redo it, and what it ran on. Written before the first run. */
export interface SweepManifest {
  readonly schema: 1;
  /** Hash of `settings`; a sweep into a folder with another fingerprint is refused. */
  readonly fingerprint: string;
  readonly settings: {
    readonly workspace: string;
    readonly bazel: string;
    readonly targets: readonly string[];
    /** Canonical limits of a grid sweep; the starting bracket [low, high] of a search. */
    readonly limits: readonly string[];
    readonly runs: number;
    readonly warmup: number;
    readonly mode: BuildMode;
    readonly configs: readonly string[];
    readonly buildFlags: readonly string[];
    readonly startupFlags: readonly string[];
    readonly timeoutSeconds: number;
    /** null for a grid sweep; for `--search`, its resolution and the successes the threshold needs. */
    readonly search: { readonly resolution: string; readonly repeats: number } | null;
    /** How much each (non-evidence) run records. */
    readonly profile: ProfileLevel;
    /** Full-profile runs added at the threshold's limits once it is known. */
    readonly evidenceRuns: number;
  };
  /** As in run.json; how it was detected: "--version", "package" (confirmed by a flag probe) or "flag probe". */
  readonly bazelVersion: string;
  readonly bazelVersionSource: string;
  /** The run ids of a grid sweep in plan order (every shard's); empty for a search, whose runs are decided as it goes. */
  readonly plannedRuns: readonly string[];
}
