/**
 * Per-function CPU time from Bazel's Starlark CPU profile (--starlark_cpu_profile): a pprof protobuf,
 * decoded by pprof-format. Bazel 4.2.3 and 7.7.1 both write one sample type, "CPU" in "microseconds",
 * sampled every 10 ms, with one location (and one function record) per call site: functions are summed by
 * name and file here. A file's top level is a frame named after the file; builtins have the file
 * "<builtin>".
 *
 * Bazel writes the profile when the command ends, so a crashed build leaves only the 10-byte gzip header
 * it wrote first: that is a profile cut short (`complete: false`), not an error (see io/pprof-reader.ts).
 */
import { Profile } from "pprof-format";
import { byCodeUnits } from "../text-order.js";

export interface PprofFunction {
  /** As the profile spells it; a file's top level is named after the file. */
  readonly name: string;
  /** The .bzl or BUILD file, or "<builtin>". */
  readonly file: string;
  /** Time of the samples in which it was the leaf frame. */
  readonly selfNanos: number;
  /** Time of the samples with it anywhere on the stack, each sample counted once. */
  readonly cumulativeNanos: number;
}

export interface PprofSummary {
  /** false: the file was cut short (a crashed build never finished writing it), so it has no samples. */
  readonly complete: boolean;
  /** The sample type summed, as the profile names it ("CPU"); undefined when cut short. */
  readonly sampleType: string | undefined;
  /** Its unit as the profile names it ("microseconds"); the nanosecond fields are converted from it. */
  readonly sampleUnit: string | undefined;
  readonly samples: number;
  readonly totalNanos: number;
  /** How long the profiler ran, when the profile says. */
  readonly durationNanos: number | undefined;
  /** By selfNanos, then cumulativeNanos, descending; then by name and file. */
  readonly functions: readonly PprofFunction[];
}

/** The bytes are not a pprof profile of time samples. */
export class PprofFormatError extends Error {
  override readonly name = "PprofFormatError";
}

/** What a profile cut short (the gzip header alone, or nothing) summarises to. */
export const CUT_SHORT_PPROF: PprofSummary = {
  complete: false,
  sampleType: undefined,
  sampleUnit: undefined,
  samples: 0,
  totalNanos: 0,
  durationNanos: undefined,
  functions: [],
};

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  nanoseconds: 1,
  microseconds: 1e3,
  milliseconds: 1e6,
  seconds: 1e9,
};

/** Summarises a decompressed pprof profile; throws PprofFormatError when the bytes are not one. */
export function summarizePprof(bytes: Uint8Array): PprofSummary {
  let profile: Profile;
  try {
    profile = Profile.decode(bytes);
  } catch (error) {
    throw new PprofFormatError(`not a pprof protobuf (${error instanceof Error ? error.message : String(error)})`);
  }
  const strings = profile.stringTable.strings;
  const string = (index: number | bigint, what: string): string => {
    const value = strings[Number(index)];
    if (value === undefined) throw new PprofFormatError(`${what} names string ${index}, past the end of the string table (${strings.length})`);
    return value;
  };
  if (strings[0] !== "") throw new PprofFormatError("not a pprof protobuf (its string table does not start with the empty string)");
  if (profile.sampleType.length === 0) throw new PprofFormatError("not a pprof protobuf (no sample type)");
  const valueIndex = defaultValueIndex(profile, string);
  const sampleType = string(profile.sampleType[valueIndex]!.type, "the sample type");
  const sampleUnit = string(profile.sampleType[valueIndex]!.unit, "the sample unit");
  const nanosPerUnit = NANOS_PER_UNIT[sampleUnit];
  if (nanosPerUnit === undefined) {
    throw new PprofFormatError(`its samples measure ${sampleType} in ${sampleUnit || "no unit"}, not time; expected a Starlark CPU profile`);
  }

  // Function key "name\0file" → index into the sums; frames of each location resolved once.
  const keys = new Map<string, number>();
  const names: { name: string; file: string }[] = [];
  const functionKey = new Map<string, number>();
  for (const fn of profile.function) {
    const name = string(fn.name, `function ${fn.id}`);
    const file = string(fn.filename, `function ${fn.id}`);
    const key = `${name}\0${file}`;
    let index = keys.get(key);
    if (index === undefined) {
      index = names.length;
      keys.set(key, index);
      names.push({ name, file });
    }
    functionKey.set(String(fn.id), index);
  }
  const locationFrames = new Map<string, number[]>();
  for (const location of profile.location) {
    locationFrames.set(
      String(location.id),
      location.line.map((line) => {
        const index = functionKey.get(String(line.functionId));
        if (index === undefined) throw new PprofFormatError(`location ${location.id} names function ${line.functionId}, which the profile lacks`);
        return index;
      }),
    );
  }

  const selfNanos = new Float64Array(names.length);
  const cumulativeNanos = new Float64Array(names.length);
  const lastSample = new Int32Array(names.length).fill(-1);
  let totalNanos = 0;
  profile.sample.forEach((sample, sampleIndex) => {
    if (sample.value.length !== profile.sampleType.length) {
      throw new PprofFormatError(`sample ${sampleIndex} has ${sample.value.length} values for ${profile.sampleType.length} sample types`);
    }
    const nanos = Number(sample.value[valueIndex]!) * nanosPerUnit;
    totalNanos += nanos;
    sample.locationId.forEach((locationId, depth) => {
      const frames = locationFrames.get(String(locationId));
      if (frames === undefined) throw new PprofFormatError(`sample ${sampleIndex} names location ${locationId}, which the profile lacks`);
      // A location's lines run from the innermost (inlined) frame to its caller; an address-only leaf
      // location (no lines) is a frame no function takes the self time of.
      frames.forEach((index, inlined) => {
        if (depth === 0 && inlined === 0) selfNanos[index]! += nanos;
        if (lastSample[index] === sampleIndex) return;
        lastSample[index] = sampleIndex;
        cumulativeNanos[index]! += nanos;
      });
    });
  });

  const functions: PprofFunction[] = names
    .map(({ name, file }, index) => ({ name, file, selfNanos: selfNanos[index]!, cumulativeNanos: cumulativeNanos[index]! }))
    .filter((fn) => fn.cumulativeNanos > 0)
    .sort(
      (a, b) =>
        b.selfNanos - a.selfNanos || b.cumulativeNanos - a.cumulativeNanos || byCodeUnits(a.name, b.name) || byCodeUnits(a.file, b.file),
    );
  const durationNanos = Number(profile.durationNanos);
  return {
    complete: true,
    sampleType,
    sampleUnit,
    samples: profile.sample.length,
    totalNanos,
    durationNanos: durationNanos > 0 ? durationNanos : undefined,
    functions,
  };
}

/** pprof's rule: default_sample_type names the type to show; without it, the last sample type. */
function defaultValueIndex(profile: Profile, string: (index: number | bigint, what: string) => string): number {
  if (Number(profile.defaultSampleType) === 0) return profile.sampleType.length - 1;
  const wanted = string(profile.defaultSampleType, "the default sample type");
  const index = profile.sampleType.findIndex((type) => string(type.type, "a sample type") === wanted);
  return index < 0 ? profile.sampleType.length - 1 : index;
}
