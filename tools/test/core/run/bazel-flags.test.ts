// The version table: every row checked on the versions around its edges, plus version recognition.
import { describe, expect, it } from "vitest";
import { FLAG_TABLE, parsePackageVersion, parseVersionOutput, supportsMode, sweepBuildFlags, sweepJvmFlags, versionFromProbe, type BazelVersion, type FlagContext } from "../../../src/core/run/bazel-flags.js";
import { type BuildMode, PROFILE_LEVELS, type ProfileLevel } from "../../../src/core/vocabulary.js";

const version = (major: number): BazelVersion => ({ major, minor: 0, patch: 0, label: `${major}.0.0`, source: "--version" });
const context = (mode: BuildMode, profileLevel: ProfileLevel = "light"): FlagContext => ({
  mode,
  profileLevel,
  profile: "/out/runs/0256m-r01/profile.json.gz",
  starlarkCpuProfile: "/out/runs/0256m-r01/starlark-cpu.pprof",
  memoryProfile: "/out/runs/0256m-r01/memory-profile.txt",
  bep: "/out/runs/0256m-r01/bep.json",
});

/** What a light profile records (and full, and none does not). */
const LIGHT = ["--profile=/out/runs/0256m-r01/profile.json.gz", "--starlark_cpu_profile=/out/runs/0256m-r01/starlark-cpu.pprof"];
/** What only a full profile adds. */
const FULL_ONLY = [
  "--noslim_profile",
  "--experimental_profile_include_target_label",
  "--record_full_profiler_data",
  "--memory_profile=/out/runs/0256m-r01/memory-profile.txt",
  "--build_event_json_file=/out/runs/0256m-r01/bep.json",
];
const PROFILE_ON = { 4: "--experimental_generate_json_trace_profile", 7: "--generate_json_trace_profile" } as const;
const PROFILE_OFF = { 4: "--noexperimental_generate_json_trace_profile", 7: "--nogenerate_json_trace_profile" } as const;

describe("sweepBuildFlags, row by row", () => {
  it.each<{ row: string; major: number; mode: BuildMode; level?: ProfileLevel; has: string[]; hasNot: string[] }>([
    { row: "4.x profile name", major: 4, mode: "regular", has: [PROFILE_ON[4]], hasNot: ["--generate_json_trace_profile"] },
    { row: "5+ profile name", major: 5, mode: "regular", has: [PROFILE_ON[7]], hasNot: [PROFILE_ON[4]] },
    { row: "7 profile name", major: 7, mode: "regular", has: [PROFILE_ON[7]], hasNot: [PROFILE_ON[4]] },
    ...([4, 7] as const).flatMap((major) => [
      { row: `profile none on ${major}: no profile, no other recorder`, major, mode: "regular" as const, level: "none" as const, has: [PROFILE_OFF[major]], hasNot: [PROFILE_ON[major], ...LIGHT, ...FULL_ONLY] },
      { row: `profile light on ${major}: the trace profile, slim, and the CPU profile`, major, mode: "regular" as const, level: "light" as const, has: [PROFILE_ON[major], ...LIGHT], hasNot: [PROFILE_OFF[major], ...FULL_ONLY] },
      { row: `profile full on ${major}: everything`, major, mode: "regular" as const, level: "full" as const, has: [PROFILE_ON[major], ...LIGHT, ...FULL_ONLY], hasNot: [PROFILE_OFF[major]] },
    ]),
    { row: "no --heap_dump_on_oom on any version (the JVM's dump is taken instead)", major: 7, mode: "regular", level: "full", has: [], hasNot: ["--heap_dump_on_oom"] },
    { row: "nobuild on 4.x", major: 4, mode: "nobuild", has: ["--nobuild"], hasNot: ["--noexperimental_merged_skyframe_analysis_execution"] },
    { row: "nobuild on 7 turns Skymeld off", major: 7, mode: "nobuild", has: ["--nobuild", "--noexperimental_merged_skyframe_analysis_execution"], hasNot: [] },
    { row: "regular on 4.x knows no Skymeld", major: 4, mode: "regular", has: [], hasNot: ["--noexperimental_merged_skyframe_analysis_execution", "--nobuild"] },
    { row: "regular on 5 knows no Skymeld", major: 5, mode: "regular", has: [], hasNot: ["--noexperimental_merged_skyframe_analysis_execution"] },
    { row: "regular on 6 turns Skymeld off", major: 6, mode: "regular", has: ["--noexperimental_merged_skyframe_analysis_execution"], hasNot: ["--experimental_merged_skyframe_analysis_execution"] },
    { row: "regular on 7 turns Skymeld off (default on)", major: 7, mode: "regular", has: ["--noexperimental_merged_skyframe_analysis_execution"], hasNot: ["--experimental_merged_skyframe_analysis_execution"] },
    { row: "skymeld on 6", major: 6, mode: "skymeld", has: ["--experimental_merged_skyframe_analysis_execution"], hasNot: ["--noexperimental_merged_skyframe_analysis_execution", "--nobuild"] },
    { row: "skymeld on 7", major: 7, mode: "skymeld", has: ["--experimental_merged_skyframe_analysis_execution"], hasNot: ["--noexperimental_merged_skyframe_analysis_execution"] },
  ])("$row", ({ major, mode, level, has, hasNot }) => {
    const flags = sweepBuildFlags(version(major), context(mode, level ?? "light"));
    for (const flag of has) expect(flags).toContain(flag);
    for (const flag of hasNot) expect(flags).not.toContain(flag);
  });

  it("every row of the table is exercised by some version, mode and profile level", () => {
    const seen = new Set<string>();
    for (const major of [4, 5, 6, 7, 8]) {
      for (const mode of ["regular", "nobuild", "skymeld"] as const) {
        for (const level of PROFILE_LEVELS) {
          for (const flag of sweepBuildFlags(version(major), context(mode, level))) seen.add(flag);
        }
      }
    }
    for (const row of FLAG_TABLE) {
      const rowFlags = (["regular", "nobuild", "skymeld"] as const).flatMap((mode) => PROFILE_LEVELS.flatMap((level) => [...row.flags(context(mode, level))]));
      expect(rowFlags.length, row.purpose).toBeGreaterThan(0);
      for (const flag of rowFlags) expect(seen, `${row.purpose}: ${flag}`).toContain(flag);
    }
  });
});

describe("supportsMode", () => {
  it.each([
    { major: 4, mode: "regular", ok: true },
    { major: 4, mode: "nobuild", ok: true },
    { major: 4, mode: "skymeld", ok: false },
    { major: 5, mode: "skymeld", ok: false },
    { major: 6, mode: "skymeld", ok: true },
    { major: 7, mode: "skymeld", ok: true },
  ] as const)("$mode on $major: $ok", ({ major, mode, ok }) => {
    expect(supportsMode(version(major), mode)).toBe(ok);
  });
});

describe("version recognition", () => {
  it.each([
    { text: "bazel 7.7.1\n", label: "7.7.1", major: 7 },
    { text: "bazel 8.0.0rc2", label: "8.0.0", major: 8 },
    { text: "bazel 7.4.0-homebrew", label: "7.4.0", major: 7 },
    { text: "bazel 4.2.3", label: "4.2.3", major: 4 },
    { text: "bazel no_version\n", label: undefined, major: undefined },
    { text: "bazel development version", label: undefined, major: undefined },
    { text: "", label: undefined, major: undefined },
  ])("bazel --version printing $text", ({ text, label, major }) => {
    const parsed = parseVersionOutput(text);
    expect(parsed?.label).toBe(label);
    expect(parsed?.major).toBe(major);
  });

  it.each([
    { text: "4.2.3+ds-9", label: "4.2.3" },
    { text: "7.7.1+ds-1\n", label: "7.7.1" },
    { text: "1:5.0.0-1", label: "5.0.0" },
    { text: "", label: undefined },
    { text: "bazel", label: undefined },
  ])("package version $text", ({ text, label }) => {
    expect(parsePackageVersion(text)?.label).toBe(label);
  });

  it.each([
    { accepted: "--experimental_merged_skyframe_analysis_execution", major: 6, label: "6.x or newer" },
    { accepted: "--heap_dump_on_oom", major: 5, label: "5.x" },
    { accepted: undefined, major: 4, label: "4.x" },
  ])("a probe accepting $accepted", ({ accepted, major, label }) => {
    expect(versionFromProbe(accepted)).toMatchObject({ major, label, source: "flag probe" });
  });
});

describe("sweepJvmFlags", () => {
  // Quoted: the ':' in the folder would otherwise end the -Xlog option's file name.
  const GC_LOG_FLAG = '-Xlog:gc:file="/out:1/runs/0256m-r01/gc.log":uptime,level,tags:filecount=0';
  it.each([
    { limit: "256m", heapDump: undefined, flags: ["-Xmx256m", "-XX:-HeapDumpOnOutOfMemoryError", GC_LOG_FLAG] },
    {
      limit: "1g",
      heapDump: "/out:1/runs/1024m-r01/heap.hprof",
      flags: ["-Xmx1g", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/out:1/runs/1024m-r01/heap.hprof", GC_LOG_FLAG],
    },
  ])("$limit, heap dump $heapDump", ({ limit, heapDump, flags }) => {
    expect(sweepJvmFlags(limit, heapDump, "/out:1/runs/0256m-r01/gc.log")).toEqual(flags);
  });
});
