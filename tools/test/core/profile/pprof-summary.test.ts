// Per-function CPU time from real Starlark CPU profiles of Bazel 4.2.3 and 7.7.1, checked against a
// protobuf reading independent of pprof-format, plus edited copies (re-encoded with pprof-format) and bytes
// that are no pprof.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Function as PprofFunctionRecord, Location, Profile, Sample, ValueType } from "pprof-format";
import { describe, expect, it } from "vitest";
import { PprofFormatError, summarizePprof, type PprofFunction } from "../../../src/core/profile/pprof-summary.js";
import { FIXTURES_DIR, sweepFixture } from "../../helpers/fixtures.js";

const LIGHT_PPROF = join(FIXTURES_DIR, "bazel-4.2.3", "evidence", "ok-light-profile-1g", "starlark-cpu.pprof");
const sweepPprof = (version: "4.2.3" | "7.7.1", run: string): string => join(sweepFixture(version), "runs", run, "starlark-cpu.pprof");

const PPROFS = [
  { name: "4.2.3, the reproduction at 1g", path: LIGHT_PPROF },
  { name: "4.2.3 sweep, 256m", path: sweepPprof("4.2.3", "0256m-r01") },
  { name: "4.2.3 sweep, 256m (2nd run)", path: sweepPprof("4.2.3", "0256m-r02") },
  { name: "4.2.3 sweep, 256m (warm-up)", path: sweepPprof("4.2.3", "0256m-w01") },
  { name: "7.7.1 sweep, 256m", path: sweepPprof("7.7.1", "0256m-r01") },
  { name: "7.7.1 sweep, 256m (2nd run)", path: sweepPprof("7.7.1", "0256m-r02") },
  { name: "7.7.1 sweep, 256m (warm-up)", path: sweepPprof("7.7.1", "0256m-w01") },
];

const protobuf = (path: string): Uint8Array => gunzipSync(readFileSync(path));

/** Protobuf's wire format, just enough of it to read a pprof Profile without pprof-format. */
function wireFields(bytes: Uint8Array): { field: number; value: number | Uint8Array }[] {
  const fields: { field: number; value: number | Uint8Array }[] = [];
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const wireType = key & 7;
    if (wireType === 0) fields.push({ field: key >>> 3, value: varint() });
    else if (wireType === 2) {
      const length = varint();
      fields.push({ field: key >>> 3, value: bytes.subarray(offset, offset + length) });
      offset += length;
    } else throw new Error(`wire type ${wireType} is not in Bazel's pprof`);
  }
  return fields;
}
/** A repeated number field: one varint, or packed varints. */
function numbers(value: number | Uint8Array): number[] {
  if (typeof value === "number") return [value];
  const values: number[] = [];
  let current = 0;
  let shift = 0;
  for (const byte of value) {
    current += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) !== 0) continue;
    values.push(current);
    current = 0;
    shift = 0;
  }
  return values;
}
const only = (fields: { field: number; value: number | Uint8Array }[], field: number): (number | Uint8Array)[] =>
  fields.filter((candidate) => candidate.field === field).map((candidate) => candidate.value);
const first = (fields: { field: number; value: number | Uint8Array }[], field: number): number => (only(fields, field)[0] as number | undefined) ?? 0;

/** The per-function sums read straight off the wire: self at each sample's first frame, cumulative once a sample. */
function independentSummary(bytes: Uint8Array) {
  const profile = wireFields(bytes);
  const strings = only(profile, 6).map((value) => new TextDecoder().decode(value as Uint8Array));
  const functions = new Map(
    only(profile, 5).map((value) => {
      const fn = wireFields(value as Uint8Array);
      return [first(fn, 1), { name: strings[first(fn, 2)]!, file: strings[first(fn, 4)]! }] as const;
    }),
  );
  const locations = new Map(
    only(profile, 4).map((value) => {
      const location = wireFields(value as Uint8Array);
      return [first(location, 1), only(location, 4).map((line) => functions.get(first(wireFields(line as Uint8Array), 1))!)] as const;
    }),
  );
  const [sampleType] = only(profile, 1).map((value) => wireFields(value as Uint8Array));
  const sums = new Map<string, PprofFunction>();
  let totalMicros = 0;
  const samples = only(profile, 2).map((value) => wireFields(value as Uint8Array));
  for (const sample of samples) {
    const micros = only(sample, 2).flatMap(numbers)[0]!;
    totalMicros += micros;
    const frames = only(sample, 1).flatMap(numbers).flatMap((id) => locations.get(id)!);
    const seen = new Set<string>();
    frames.forEach((frame, index) => {
      const key = `${frame.name}\0${frame.file}`;
      const sum = sums.get(key) ?? { name: frame.name, file: frame.file, selfNanos: 0, cumulativeNanos: 0 };
      sums.set(key, {
        ...sum,
        selfNanos: sum.selfNanos + (index === 0 ? micros * 1000 : 0),
        cumulativeNanos: sum.cumulativeNanos + (seen.has(key) ? 0 : micros * 1000),
      });
      seen.add(key);
    });
  }
  return {
    sampleType: strings[first(sampleType!, 1)],
    sampleUnit: strings[first(sampleType!, 2)],
    samples: samples.length,
    totalNanos: totalMicros * 1000,
    functions: [...sums.values()],
  };
}

const byKey = (functions: readonly PprofFunction[]): PprofFunction[] =>
  [...functions].sort((a, b) => (`${a.name}\0${a.file}` < `${b.name}\0${b.file}` ? -1 : 1));

describe.each(PPROFS)("$name", ({ path }) => {
  const bytes = protobuf(path);
  const summary = summarizePprof(bytes);
  const expected = independentSummary(bytes);

  it("sums time per function as a reading of the protobuf without pprof-format does", () => {
    expect(summary).toMatchObject({ complete: true, sampleType: "CPU", sampleUnit: "microseconds" });
    expect(expected).toMatchObject({ sampleType: "CPU", sampleUnit: "microseconds" });
    expect(summary.samples).toBe(expected.samples);
    expect(summary.totalNanos).toBe(expected.totalNanos);
    expect(byKey(summary.functions)).toEqual(byKey(expected.functions));
    expect(summary.samples).toBeGreaterThan(0);
  });

  it("puts every sample's time on one leaf, and sorts by self time", () => {
    expect(summary.functions.reduce((sum, fn) => sum + fn.selfNanos, 0)).toBe(summary.totalNanos);
    for (const fn of summary.functions) expect(fn.cumulativeNanos).toBeGreaterThanOrEqual(fn.selfNanos);
    for (const fn of summary.functions) expect(fn.cumulativeNanos).toBeLessThanOrEqual(summary.totalNanos);
    const selfTimes = summary.functions.map((fn) => fn.selfNanos);
    expect(selfTimes).toEqual([...selfTimes].sort((a, b) => b - a));
  });
});

it("the reproduction at 1g: the aspect's implementation holds most of the CPU, spent in builtins", () => {
  const summary = summarizePprof(protobuf(LIGHT_PPROF));
  expect(summary).toMatchObject({ samples: 1144, totalNanos: 12_810_000_000, durationNanos: 22_886_855_386 });
  expect(summary.functions[0]).toEqual({ name: "append", file: "<builtin>", selfNanos: 7_570_000_000, cumulativeNanos: 7_570_000_000 });
  expect(summary.functions.find((fn) => fn.name === "traverse_impl")).toEqual({
    name: "traverse_impl",
    file: "/work/main/memory/private/traverse.bzl",
    selfNanos: 0,
    cumulativeNanos: 10_560_000_000,
  });
});

describe("edited copies of a real profile", () => {
  const original = Profile.decode(protobuf(LIGHT_PPROF));
  const reencoded = (edit: (profile: Profile) => void): Uint8Array => {
    const copy = Profile.decode(original.encode());
    edit(copy);
    return copy.encode();
  };
  const baseline = summarizePprof(original.encode());

  it("a function twice on one stack counts once in its cumulative time", () => {
    const summary = summarizePprof(reencoded((profile) => profile.sample.forEach((sample) => sample.locationId.push(...sample.locationId))));
    expect(byKey(summary.functions)).toEqual(byKey(baseline.functions));
  });

  it("converts other time units, and takes the default sample type", () => {
    const summary = summarizePprof(
      reencoded((profile) => {
        const cpu = profile.sampleType[0]!;
        profile.sampleType = [ValueType.create({ type: profile.stringTable.dedup("samples"), unit: profile.stringTable.dedup("count") }), cpu];
        profile.sampleType[1] = ValueType.create({ type: cpu.type, unit: profile.stringTable.dedup("milliseconds") });
        profile.defaultSampleType = cpu.type;
        profile.sample = profile.sample.map((sample) => Sample.create({ locationId: sample.locationId, value: [1, Number(sample.value[0]) / 1000] }));
      }),
    );
    expect(summary).toMatchObject({ sampleType: "CPU", sampleUnit: "milliseconds", totalNanos: baseline.totalNanos });
    expect(byKey(summary.functions)).toEqual(byKey(baseline.functions));
  });

  it.each<{ what: string; edit: (profile: Profile) => void; message: RegExp }>([
    {
      what: "samples that are not time",
      edit: (profile) => (profile.sampleType = [ValueType.create({ type: profile.stringTable.dedup("alloc_space"), unit: profile.stringTable.dedup("bytes") })]),
      message: /measure alloc_space in bytes, not time/,
    },
    { what: "no sample type", edit: (profile) => (profile.sampleType = []), message: /no sample type/ },
    {
      what: "a sample at a location the profile lacks",
      edit: (profile) => (profile.location = profile.location.slice(1)),
      message: /names location \d+, which the profile lacks/,
    },
    {
      what: "a location of a function the profile lacks",
      edit: (profile) => (profile.function = profile.function.slice(1)),
      message: /names function \d+, which the profile lacks/,
    },
    {
      what: "a function named past the string table",
      edit: (profile) => (profile.function = [PprofFunctionRecord.create({ ...profile.function[0]!, name: 100_000 }), ...profile.function.slice(1)]),
      message: /past the end of the string table/,
    },
    {
      what: "a sample with a value per sample type missing",
      edit: (profile) => (profile.sample = [Sample.create({ locationId: profile.sample[0]!.locationId, value: [] }), ...profile.sample.slice(1)]),
      message: /has 0 values for 1 sample types/,
    },
  ])("$what", ({ edit, message }) => {
    const bytes = reencoded(edit);
    expect(() => summarizePprof(bytes)).toThrow(PprofFormatError);
    expect(() => summarizePprof(bytes)).toThrow(message);
  });

  it("a location with no lines (an address only): its samples' time is in the total but in no function", () => {
    const summary = summarizePprof(reencoded((profile) => (profile.location = [Location.create({ id: profile.location[0]!.id }), ...profile.location.slice(1)])));
    expect(summary.totalNanos).toBe(baseline.totalNanos);
    expect(summary.functions.reduce((sum, fn) => sum + fn.selfNanos, 0)).toBeLessThan(baseline.totalNanos);
  });
});

describe("bytes that are not a pprof profile", () => {
  const trace = gunzipSync(readFileSync(join(sweepFixture("4.2.3"), "runs", "0256m-r01", "profile.json.gz")));
  it.each([
    { what: "a JSON trace profile", bytes: trace },
    { what: "nothing", bytes: new Uint8Array(0) },
    { what: "text", bytes: new TextEncoder().encode("FATAL: bazel ran out of memory and crashed.\n") },
    { what: "a gzip stream (not inflated)", bytes: readFileSync(LIGHT_PPROF) },
  ])("$what: PprofFormatError", ({ bytes }) => {
    expect(() => summarizePprof(bytes)).toThrow(PprofFormatError);
  });

  it("a protobuf cut anywhere is summarised or rejected as no pprof, never anything else", () => {
    const bytes = protobuf(LIGHT_PPROF);
    for (let cut = 0; cut < bytes.length; cut += Math.ceil(bytes.length / 40)) {
      try {
        const summary = summarizePprof(bytes.subarray(0, cut));
        expect(summary.complete).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(PprofFormatError);
      }
    }
  });
});
