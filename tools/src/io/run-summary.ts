// A run folder's run-summary.json (core/run/run-summary.ts): read when current, else computed from the artifacts in
// one pass each (the profile feeds both the stats and the per-function evidence) and written back beside them.
// A folder that cannot be written (a copy on read-only storage) still gets its summary, just not cached.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BepSummaryBuilder, type BepSummary } from "../core/run/bep.js";
import { InputError } from "../core/exit-codes.js";
import { FunctionProfileBuilder } from "../core/profile/function-profile.js";
import { summarizeGcLog } from "../core/run/gc-log.js";
import { summarizeMemoryProfile, type MemoryProfileSummary } from "../core/profile/memory-profile.js";
import { oomTraces, type OomTrace } from "../core/run/oom-stack.js";
import { ProfileSummaryBuilder } from "../core/profile/profile-summary.js";
import type { RunArtifacts, RunRecord } from "../core/run/run-record.js";
import { RUN_SUMMARY_FILE, RUN_SUMMARY_VERSION, summaryIsCurrent, type InputStamp, type RunSummary } from "../core/run/run-summary.js";
import { allVisitors, typedEvents } from "../core/profile/trace-events.js";
import { writeOutputFile } from "./output-file.js";
import { readPprof } from "./pprof-reader.js";
import { readProfile } from "./profile-reader.js";

/** The artifacts a summary reads, and how each text is labelled in OOM traces. */
const SUMMARY_INPUTS = ["profile", "starlarkCpuProfile", "bep", "memoryProfile", "gcLog", "console", "serverLog", "serverJavaLog"] as const satisfies readonly (keyof RunArtifacts)[];

/** The run's summary: the cached one when it is current, else computed now (and cached when possible). */
export async function runSummary(dir: string, record: RunRecord): Promise<RunSummary> {
  const run = { dir, record };
  const inputs = await inputStamps(run);
  const path = join(dir, RUN_SUMMARY_FILE);
  const cached = await readFile(path, "utf8").then(
    (text) => JSON.parse(text) as unknown,
    () => undefined,
  );
  if (summaryIsCurrent(cached, inputs)) return cached;
  const summary = await computeSummary(run, inputs);
  await writeOutputFile(path, `${JSON.stringify(summary)}\n`).catch(() => undefined);
  return summary;
}

async function inputStamps(run: { dir: string; record: RunRecord }): Promise<Record<string, InputStamp>> {
  const stamps: Record<string, InputStamp> = {};
  for (const key of SUMMARY_INPUTS) {
    const file = run.record.artifacts[key];
    if (file === undefined) continue;
    const info = await stat(join(run.dir, file)).catch(() => undefined);
    if (info !== undefined) stamps[file] = { bytes: info.size, mtimeMs: info.mtimeMs };
  }
  return stamps;
}

async function computeSummary(run: { dir: string; record: RunRecord }, inputs: Record<string, InputStamp>): Promise<RunSummary> {
  const { artifacts } = run.record;
  const path = (file: string): string => join(run.dir, file);
  let profile: RunSummary["profile"];
  let functions: RunSummary["functions"];
  if (artifacts.profile !== undefined) {
    const totals = new ProfileSummaryBuilder();
    const perFunction = new FunctionProfileBuilder();
    const result = await readProfile(path(artifacts.profile), typedEvents(allVisitors(totals, perFunction)));
    profile = totals.build(result);
    functions = perFunction.build();
  }
  const traces: OomTrace[] = [];
  for (const key of ["console", "serverJavaLog", "serverLog"] as const) {
    const file = artifacts[key];
    if (file === undefined) continue;
    const text = await readFile(path(file), "utf8").catch(() => "");
    traces.push(...oomTraces(text, file));
  }
  return {
    version: RUN_SUMMARY_VERSION,
    inputs,
    profile,
    functions,
    bep: artifacts.bep === undefined ? undefined : await summarizeBep(path(artifacts.bep)),
    memoryProfile: artifacts.memoryProfile === undefined ? undefined : await summarizeMemoryProfileFile(path(artifacts.memoryProfile)),
    // The JVM writes it as it goes: a crash or a kill leaves all of it but a last line, which parsing skips.
    gcLog: artifacts.gcLog === undefined ? undefined : await readFile(path(artifacts.gcLog), "utf8").then(summarizeGcLog, () => undefined),
    pprof: artifacts.starlarkCpuProfile === undefined ? undefined : await readPprof(path(artifacts.starlarkCpuProfile)),
    oomTraces: traces,
  };
}

/** A --memory_profile larger than this is not Bazel's (it writes a few lines a phase). */
const MAX_MEMORY_PROFILE_BYTES = 16 * 1024 * 1024;

/** Reads a BEP JSON file; a last line cut by a crash is ignored, any other bad line is an error. */
export async function summarizeBep(path: string): Promise<BepSummary> {
  const builder = new BepSummaryBuilder();
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let pendingError: InputError | undefined;
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (pendingError !== undefined) throw pendingError;
      if (line.trim() === "") continue;
      try {
        builder.event(JSON.parse(line));
      } catch {
        pendingError = new InputError(`${path}: line ${lineNumber} is not JSON; expected a --build_event_json_file`);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot read the BEP file (${error instanceof Error ? error.message : String(error)})`);
  }
  return builder.build();
}

/** Reads a --memory_profile file (bounded: Bazel writes a few lines a phase). */
async function summarizeMemoryProfileFile(path: string): Promise<MemoryProfileSummary> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: cannot read it (${error.code ?? error.message})`);
  });
  if (info.size > MAX_MEMORY_PROFILE_BYTES) throw new InputError(`${path}: ${info.size} bytes is too big for a --memory_profile file`);
  return summarizeMemoryProfile(await readFile(path, "utf8"));
}
