/**
 * Which flags a sweep's sub-build gets, by Bazel version: the one table (FLAG_TABLE) that knows how Bazel's
 * profiling and Skymeld flags changed between 4.x and 7.x, and how a version is recognised.
 */
import type { BuildMode, ProfileLevel } from "../vocabulary.js";

export interface BazelVersion {
  readonly major: number;
  /** undefined when only the major version is known (a flag probe cannot tell 4.0 from 4.2). */
  readonly minor: number | undefined;
  readonly patch: number | undefined;
  /** For run.json: "7.7.1", or "4.x" / "6.x or newer" when probed. */
  readonly label: string;
  /**
   * How it was found: `bazel --version`; the version of the distribution package that installed the
   * binary (Debian's build prints `bazel no_version`), confirmed by a flag probe; or the probe alone.
   */
  readonly source: "--version" | "package" | "flag probe";
}

/** The oldest Bazel the sweep supports (the project's README says so, too). */
export const OLDEST_SUPPORTED_MAJOR = 4;

/**
 * Reads `bazel --version` output ("bazel 7.7.1", "bazel 8.0.0rc2", "bazel 7.4.0-homebrew"); undefined for
 * builds without a version ("bazel no_version" from Debian's 4.2.3, "bazel development version").
 */
export function parseVersionOutput(text: string): BazelVersion | undefined {
  const match = /^bazel (\d+)\.(\d+)\.(\d+)/m.exec(text.trim());
  if (match === null) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return { major, minor, patch, label: `${major}.${minor}.${patch}`, source: "--version" };
}

/** Reads a distribution package's version ("4.2.3+ds-9", "7.7.1+ds-1"): the upstream x.y.z in front. */
export function parsePackageVersion(text: string): BazelVersion | undefined {
  const match = /^(?:\d+:)?(\d+)\.(\d+)\.(\d+)(?:[+~-]|$)/.exec(text.trim());
  if (match === null) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return { major, minor, patch, label: `${major}.${minor}.${patch}`, source: "package" };
}

/**
 * Flags that appeared in a major version, newest first. A Bazel without a version is probed with
 * `bazel canonicalize-flags --for_command=build -- <flag>`: the first flag it accepts gives its lowest
 * possible major version; none accepted means the oldest supported one. The lower bound is all the flag
 * table needs, because every row below starts (or stops) at one of these versions.
 */
export const VERSION_MARKERS: readonly { readonly flag: string; readonly major: number }[] = [
  { flag: "--experimental_merged_skyframe_analysis_execution", major: 6 },
  { flag: "--heap_dump_on_oom", major: 5 },
];

/** The version a flag probe implies, given the first marker accepted (undefined: none was). */
export function versionFromProbe(acceptedMarker: string | undefined): BazelVersion {
  const marker = VERSION_MARKERS.find((candidate) => candidate.flag === acceptedMarker);
  const major = marker?.major ?? OLDEST_SUPPORTED_MAJOR;
  const newest = marker === VERSION_MARKERS[0];
  return { major, minor: undefined, patch: undefined, label: newest ? `${major}.x or newer` : `${major}.x`, source: "flag probe" };
}

/** Where the sub-build writes its artifacts (absolute paths) and what the user asked for. */
export interface FlagContext {
  readonly mode: BuildMode;
  readonly profileLevel: ProfileLevel;
  readonly profile: string;
  readonly starlarkCpuProfile: string;
  readonly memoryProfile: string;
  readonly bep: string;
}

export interface FlagRow {
  /** What the flags are for; also the test's name for the row. */
  readonly purpose: string;
  /** First major version the row applies to (inclusive); none: every supported version. */
  readonly since?: number;
  /** First major version it no longer applies to; none: every newer version. */
  readonly until?: number;
  /** Build flags of the row, or [] when the context does not ask for them. */
  readonly flags: (context: FlagContext) => readonly string[];
}

const recorded = (context: FlagContext): boolean => context.profileLevel !== "none";
const full = (context: FlagContext): boolean => context.profileLevel === "full";

/**
 * THE version table. Profile rows by level (see ProfileLevel); Skymeld (merged analysis and execution) is
 * experimental from 6 and on by default from 7, so a `regular` or `nobuild` sweep on 6+ turns it off
 * explicitly and every run of one sweep analyses the same way. Heap dumps are JVM flags (sweepJvmFlags), the
 * same on every version: Bazel 5+'s --heap_dump_on_oom dumps later, after a GC, from its crash handler.
 */
export const FLAG_TABLE: readonly FlagRow[] = [
  { purpose: "profile none: no JSON trace profile (4.x name)", until: 5, flags: (c) => (recorded(c) ? [] : ["--noexperimental_generate_json_trace_profile"]) },
  { purpose: "profile none: no JSON trace profile", since: 5, flags: (c) => (recorded(c) ? [] : ["--nogenerate_json_trace_profile"]) },
  { purpose: "JSON trace profile on (4.x name)", until: 5, flags: (c) => (recorded(c) ? ["--experimental_generate_json_trace_profile"] : []) },
  { purpose: "JSON trace profile on", since: 5, flags: (c) => (recorded(c) ? ["--generate_json_trace_profile"] : []) },
  { purpose: "profile written to the run folder, gzipped (.gz)", flags: (c) => (recorded(c) ? [`--profile=${c.profile}`] : []) },
  { purpose: "Starlark CPU profile (pprof): names each function's file", flags: (c) => (recorded(c) ? [`--starlark_cpu_profile=${c.starlarkCpuProfile}`] : []) },
  { purpose: "profile full: memory profile (heap at each phase end)", flags: (c) => (full(c) ? [`--memory_profile=${c.memoryProfile}`] : []) },
  { purpose: "profile full: Build Event Protocol as JSON", flags: (c) => (full(c) ? [`--build_event_json_file=${c.bep}`] : []) },
  { purpose: "profile full: every event kept, never merged into slim ones", flags: (c) => (full(c) ? ["--noslim_profile"] : []) },
  { purpose: "profile full: target labels on action events", flags: (c) => (full(c) ? ["--experimental_profile_include_target_label"] : []) },
  { purpose: "profile full: Starlark calls under 50 ms recorded too", flags: (c) => (full(c) ? ["--record_full_profiler_data"] : []) },
  { purpose: "mode nobuild: analysis only", flags: (c) => (c.mode === "nobuild" ? ["--nobuild"] : []) },
  {
    purpose: "Skymeld off unless mode skymeld (default on from 7)",
    since: 6,
    flags: (c) => (c.mode === "skymeld" ? [] : ["--noexperimental_merged_skyframe_analysis_execution"]),
  },
  {
    purpose: "mode skymeld: merged analysis and execution",
    since: 6,
    flags: (c) => (c.mode === "skymeld" ? ["--experimental_merged_skyframe_analysis_execution"] : []),
  },
];

/** The first major version each mode exists in. */
export const MODE_SINCE: Readonly<Record<BuildMode, number>> = { regular: OLDEST_SUPPORTED_MAJOR, nobuild: OLDEST_SUPPORTED_MAJOR, skymeld: 6 };

/** Whether `version` can run `mode`; the caller turns `false` into a usage error. */
export function supportsMode(version: BazelVersion, mode: BuildMode): boolean {
  return version.major >= MODE_SINCE[mode];
}

/** The sweep's build flags for one run, in table order. */
export function sweepBuildFlags(version: BazelVersion, context: FlagContext): string[] {
  return FLAG_TABLE.filter((row) => (row.since ?? 0) <= version.major && version.major < (row.until ?? Infinity)).flatMap((row) => [
    ...row.flags(context),
  ]);
}

/**
 * JVM flags (each given as --host_jvm_args=...) of the sub-build's server: its heap limit; the heap dump the
 * JVM writes at the moment of an OutOfMemoryError, before any GC (so the failing thread's Starlark frames are
 * still in it), into the run folder — or none, against the -XX:+HeapDumpOnOutOfMemoryError Bazel's client
 * passes itself; and the GC log (see core/run/gc-log.ts), unrotated (the JVM rotates at 20 MB by default), its path
 * quoted so that a ':' in it does not end the -Xlog option. Later flags win, so these override the client's.
 */
export function sweepJvmFlags(limit: string, heapDump: string | undefined, gcLog: string): string[] {
  return [
    `-Xmx${limit}`,
    ...(heapDump === undefined ? ["-XX:-HeapDumpOnOutOfMemoryError"] : ["-XX:+HeapDumpOnOutOfMemoryError", `-XX:HeapDumpPath=${heapDump}`]),
    `-Xlog:gc:file="${gcLog}":uptime,level,tags:filecount=0`,
  ];
}
