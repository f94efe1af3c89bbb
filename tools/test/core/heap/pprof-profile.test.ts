// Heap digests as pprof profiles, decoded back with pprof-format: sample types, the culprit's frames, labels, a
// sample per target. Digests of two generations: the sweeps' fixtures (written before objects, shallow sizes and
// per-target bytes were measured) and digests of the real dumps in bazel-*/heap-dump (with them).
import { Profile } from "pprof-format";
import { describe, expect, it } from "vitest";
import { withRelativeFiles } from "../../../src/core/heap/digest-document.js";
import type { HeapDigest, Suspect } from "../../../src/core/heap/heap-digest.js";
import { heapProfile } from "../../../src/core/heap/pprof-profile.js";
import { BAZEL_VERSIONS } from "../../helpers/fixtures.js";
import { DUMP_CASES, dumpDigest } from "../../helpers/dump-digests.js";
import { DIGEST_RUNS, fixtureDigest, fixtureWorkspace } from "../../helpers/digests.js";

interface DecodedSample {
  readonly bytes: number;
  readonly objects: number;
  readonly shallow: number;
  /** Innermost first. */
  readonly frames: readonly { readonly name: string; readonly file: string; readonly line: number }[];
  readonly labels: ReadonlyMap<string, readonly (string | number)[]>;
}

function decode(bytes: Uint8Array): { profile: Profile; text: (index: unknown) => string; samples: DecodedSample[] } {
  const profile = Profile.decode(bytes);
  const text = (index: unknown): string => profile.stringTable.strings[Number(index)]!;
  const functions = new Map(profile.function.map((fn) => [Number(fn.id), fn]));
  const locations = new Map(profile.location.map((location) => [Number(location.id), location]));
  const samples = profile.sample.map((sample): DecodedSample => {
    const labels = new Map<string, (string | number)[]>();
    for (const label of sample.label) {
      const values = labels.get(text(label.key)) ?? [];
      values.push(Number(label.str) !== 0 ? text(label.str) : Number(label.num));
      labels.set(text(label.key), values);
    }
    const frames = sample.locationId.map((id) => {
      const line = locations.get(Number(id))!.line[0]!;
      const fn = functions.get(Number(line.functionId))!;
      return { name: text(fn.name), file: text(fn.filename), line: Number(line.line) };
    });
    return { bytes: Number(sample.value[0]), objects: Number(sample.value[1]), shallow: Number(sample.value[2]), frames, labels };
  });
  return { profile, text, samples };
}

const cases = BAZEL_VERSIONS.flatMap((version) => DIGEST_RUNS[version].map((run) => [version, run] as const));

describe.each(cases)("the pprof profile of Bazel %s's %s crash dump", (version, run) => {
  const digest = withRelativeFiles(fixtureDigest(version, run), fixtureWorkspace(version));
  const { profile, text, samples } = decode(heapProfile([{ digest, source: "dump.hprof" }]));
  const holder = digest.suspects[0]!;

  it("has retained bytes (the default), objects and shallow bytes, the retained bytes summing to what the functions hold", () => {
    expect(profile.sampleType.map((type) => [text(type.type), text(type.unit)])).toEqual(SAMPLE_TYPES);
    expect(text(profile.defaultSampleType)).toBe("retained");
    expect(samples.reduce((sum, sample) => sum + sample.bytes, 0)).toBe(digest.suspects.reduce((sum, suspect) => sum + suspect.retainedBytes, 0));
    expect(samples.every((sample) => sample.bytes > 0 && !sample.labels.has("dump"))).toBe(true);
    // This digest was written before objects and shallow sizes were measured.
    expect(samples.every((sample) => sample.objects === 0 && sample.shallow === 0)).toBe(true);
  });

  it("puts the function holding most first, as each of its samples' leaf frame, with the line its thread was on", () => {
    const byLeaf = new Map<string, number>();
    for (const sample of samples) byLeaf.set(`${sample.frames[0]!.name} ${sample.frames[0]!.file}`, (byLeaf.get(`${sample.frames[0]!.name} ${sample.frames[0]!.file}`) ?? 0) + sample.bytes);
    const [first] = [...byLeaf].sort((a, b) => b[1] - a[1]);
    expect(first).toEqual([`${holder.function} ${holder.file}`, holder.retainedBytes]);
    const onStack = digest.threads.flatMap((thread) => thread.frames.filter((frame) => frame.function === holder.function && frame.file === holder.file));
    // In every fixture the function holding most was running when the heap ran out, holding its locals.
    const locals = samples.find((sample) => sample.labels.get("holder")?.[0] === "frame-locals" && sample.frames[0]!.name === holder.function)!;
    expect(onStack).toHaveLength(1);
    expect(locals.frames).toEqual([{ name: holder.function, file: holder.file, line: onStack[0]!.line }]);
    expect(locals.labels.get("thread")).toEqual([expect.any(String)]);
  });

  it("labels provider samples with the provider, the implementation's kind and the targets holding most (no bytes per target: one sample)", () => {
    const evidence = holder.evidence.find((entry) => entry.kind === "providers");
    if (evidence?.kind !== "providers") return;
    const group = digest.holders.find((entry) => entry.kind === "provider" && entry.provider === evidence.provider && entry.function?.function === holder.function)!;
    const sample = samples.find((entry) => entry.labels.get("provider")?.[0] === evidence.provider && entry.frames[0]!.name === holder.function)!;
    expect(sample.bytes).toBe(evidence.bytes);
    expect(sample.frames.map((frame) => frame.name)).toEqual([holder.function]);
    expect(Object.fromEntries(sample.labels)).toEqual({
      holder: ["provider"],
      provider: [evidence.provider],
      owner_kind: [group.ownerKind],
      target: group.topLabels,
      targets: [evidence.targets],
    });
  });
});

const SAMPLE_TYPES = [
  ["retained", "bytes"],
  ["objects", "count"],
  ["shallow", "bytes"],
];

const dumps = BAZEL_VERSIONS.flatMap((version) => DUMP_CASES.map((name) => [version, name] as const));

describe.each(dumps)("the pprof profile of Bazel %s's %s dump (a digest with objects and bytes per target)", (version, name) => {
  const digest = dumpDigest(version, name);
  const { profile, text, samples } = decode(heapProfile([{ digest, source: undefined }]));
  const evidence = digest.suspects.flatMap((suspect) => suspect.evidence.flatMap((entry) => (entry.kind === "on-stack" ? [] : [{ suspect, entry }])));
  const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

  it("sums each sample type to what the functions hold", () => {
    expect(profile.sampleType.map((type) => [text(type.type), text(type.unit)])).toEqual(SAMPLE_TYPES);
    expect(sum(samples.map((sample) => sample.bytes))).toBe(sum(evidence.map(({ entry }) => entry.bytes)));
    expect(sum(samples.map((sample) => sample.objects))).toBe(sum(evidence.map(({ entry }) => entry.objects!)));
    expect(sum(samples.map((sample) => sample.shallow))).toBe(sum(evidence.map(({ entry }) => entry.shallowBytes!)));
    expect(sum(samples.map((sample) => sample.objects))).toBeGreaterThan(0);
  });

  it("gives each target the digest kept its own sample, and the rest of the group one more", () => {
    const culprit = digest.suspects[0]!;
    const group = digest.holders.find((entry) => entry.kind === "provider" && entry.function?.function === culprit.function)!;
    expect(group.topTargets!.length).toBeGreaterThan(1);
    const ofGroup = samples.filter((sample) => sample.labels.get("provider")?.[0] === group.provider && sample.frames[0]!.name === culprit.function);
    for (const target of group.topTargets!) {
      const sample = ofGroup.filter((entry) => entry.labels.get("target")?.includes(target.label));
      expect(sample).toHaveLength(1);
      expect(sample[0]).toMatchObject({ bytes: target.retainedBytes, objects: target.objects, shallow: target.shallowBytes });
      expect(sample[0]!.labels.get("target")).toEqual([target.label]);
      expect(sample[0]!.labels.has("targets")).toBe(false);
    }
    const rest = ofGroup.filter((sample) => !sample.labels.has("target"));
    expect(rest).toHaveLength(1);
    expect(rest[0]!.labels.get("targets")).toEqual([group.targets - group.topTargets!.length]);
    expect(ofGroup).toHaveLength(group.topTargets!.length + 1);
    expect(sum(ofGroup.map((sample) => sample.bytes))).toBe(group.retainedBytes);
    expect(sum(ofGroup.map((sample) => sample.objects))).toBe(group.objects);
    expect(sum(ofGroup.map((sample) => sample.shallow))).toBe(group.shallowBytes);
  });

  it("still puts the function holding most first", () => {
    const byLeaf = new Map<string, number>();
    for (const sample of samples) byLeaf.set(sample.frames[0]!.name, (byLeaf.get(sample.frames[0]!.name) ?? 0) + sample.bytes);
    expect([...byLeaf].sort((a, b) => b[1] - a[1])[0]).toEqual([digest.suspects[0]!.function, digest.suspects[0]!.retainedBytes]);
  });
});

describe("a profile of a function called from others", () => {
  it("puts its callers on the thread above it, builtins named as such, and only the function for holders off the stack", () => {
    const original = withRelativeFiles(fixtureDigest("4.2.3", "0256m-e01"), fixtureWorkspace("4.2.3"));
    const holder = original.suspects[0]!;
    const caller = (name: string, line: number, builtin = false) => ({ function: name, file: builtin ? undefined : "lib/outer.bzl", line: builtin ? undefined : line, builtin, localsRetainedBytes: 0, locals: [] });
    const threads = original.threads.map((thread) => ({ ...thread, frames: [...thread.frames, caller("map", 0, true), caller("_outer", 12), caller("macro", 3)] }));
    const { samples } = decode(heapProfile([{ digest: { ...original, threads }, source: undefined }]));
    const line = original.threads[0]!.frames.find((frame) => frame.function === holder.function)!.line!;
    const locals = samples.find((sample) => sample.labels.get("holder")?.[0] === "frame-locals")!;
    expect(locals.frames).toEqual([
      { name: holder.function, file: holder.file, line },
      { name: "map", file: "<builtin>", line: 0 },
      { name: "_outer", file: "lib/outer.bzl", line: 12 },
      { name: "macro", file: "lib/outer.bzl", line: 3 },
    ]);
    const provider = samples.find((sample) => sample.labels.get("holder")?.[0] === "provider" && sample.frames[0]!.name === holder.function)!;
    expect(provider.frames).toEqual([{ name: holder.function, file: holder.file, line: 0 }]);
  });
});

describe("a profile of several dumps", () => {
  it("sums them, each sample labelled with its dump", () => {
    const dumps = DIGEST_RUNS["4.2.3"].map((run) => ({ digest: withRelativeFiles(fixtureDigest("4.2.3", run), fixtureWorkspace("4.2.3")), source: run }));
    const { samples, profile, text } = decode(heapProfile(dumps));
    const total = (digest: HeapDigest): number => digest.suspects.reduce((sum, suspect: Suspect) => sum + suspect.retainedBytes, 0);
    for (const { digest, source } of dumps) {
      expect(samples.filter((sample) => sample.labels.get("dump")?.[0] === source).reduce((sum, sample) => sum + sample.bytes, 0)).toBe(total(digest));
    }
    expect(profile.comment.map(text).filter((comment) => comment.startsWith("0256m-"))).toHaveLength(dumps.length);
  });
});
