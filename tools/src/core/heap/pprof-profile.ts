/**
 * A heap digest as a pprof profile (profile.proto, encoded by pprof-format), for `go tool pprof` and the tools
 * that read its format: `heap --pprof FILE`, and `diff --pprof FILE` for `go tool pprof -diff_base BASE NEW`.
 *
 * Three sample types: retained/bytes (Eclipse MAT's retained size, as the digest measures it; the default),
 * objects/count (how many objects those bytes are) and shallow/bytes (the holder objects' own size: the provider
 * instances, actions, frames themselves). A sample is one holder group of a function (a provider it returned,
 * its actions, its calls' local variables…) on one target, and its leaf frame is the Starlark function the bytes
 * are charged to (name and .bzl file; the line it was executing when it was on a stack at the dump). Where the
 * dump shows that function on a thread (its locals, a builtin's work in progress), the callers on that thread
 * stand above it. Labels say what holds the bytes: `holder` (provider, actions, locals, in-flight, analysis,
 * shared), `provider`, `owner_kind` (rule or aspect implementation), `target` (the label: the digest keeps the
 * few targets holding most in each group, each a sample of its own; the rest of the group is one more sample
 * without a `target`, whose `targets` says how many targets it stands for), the `thread`, and `dump` when
 * several dumps share a profile.
 *
 * Samples carry only what the digest measured. A digest written before objects and shallow sizes were measured
 * gives 0 for those two, and one sample per group whose `target` labels are its top labels; nor does a digest
 * charge Bazel's own structures to any function, so they are left out of the samples (a comment gives their
 * size). Returns the protobuf bytes, uncompressed; io/pprof-file.ts gzips them, as pprof files usually are.
 */
import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from "pprof-format";
import { HOLDER_OF_EVIDENCE, holderOfEvidence } from "./digest-verdict.js";
import type { DigestFrame, DigestThread, Evidence, FunctionRef, HeapDigest, HeldCounts, HolderGroup } from "./heap-digest.js";

export interface ProfiledDump {
  /** Files already workspace-relative (digest-document.ts withRelativeFiles). */
  readonly digest: HeapDigest;
  /** Labels the samples when several dumps share one profile. */
  readonly source: string | undefined;
}

/** The sample types, in the order of each sample's values; the first is the default. */
export const PPROF_SAMPLE_TYPES = [
  { type: "retained", unit: "bytes" },
  { type: "objects", unit: "count" },
  { type: "shallow", unit: "bytes" },
] as const;
/** The file name pprof shows for builtins (Bazel's Starlark CPU profile says the same). */
export const BUILTIN_FILE = "<builtin>";

const MAPPING_ID = 1;

/** profile.proto bytes (not gzipped) for one dump, or several summed with a `dump` label on each sample. */
export function heapProfile(dumps: readonly ProfiledDump[]): Uint8Array {
  const strings = new StringTable();
  const builder = new ProfileBuilder(strings);
  const comments: string[] = [
    "memory-adventure: retained bytes (and their objects, and the holders' shallow bytes) of a JVM heap dump of a Bazel server, charged to the Starlark function that owns them",
  ];
  for (const { digest, source } of dumps) {
    const starlarkBytes = digest.suspects.reduce((sum, suspect) => sum + suspect.retainedBytes, 0);
    comments.push(
      `${source ?? "heap dump"}: reachable ${digest.dump.reachableBytes} bytes; Starlark functions ${starlarkBytes} bytes (the samples); ` +
        `Bazel's own structures ${digest.bazel.retainedBytes} bytes (not in the samples)`,
    );
    for (const suspect of digest.suspects) {
      const ownerKind = digest.holders.find((holder) => sameFunction(holder.function, suspect) && holder.ownerKind !== undefined)?.ownerKind;
      for (const evidence of suspect.evidence) {
        if (evidence.kind === "on-stack" || evidence.bytes <= 0) continue;
        const holder = holderOfEvidence(digest.holders, suspect, evidence);
        const thread = "thread" in evidence ? digest.threads.find((candidate) => candidate.name === evidence.thread) : undefined;
        const labels: Labels = [["holder", HOLDER_OF_EVIDENCE[evidence.kind]]];
        if (evidence.kind === "providers") labels.push(["provider", evidence.provider]);
        if (ownerKind !== undefined && evidence.kind !== "frame-locals" && evidence.kind !== "in-flight") labels.push(["owner_kind", ownerKind]);
        const after: Labels = [];
        if ("thread" in evidence) after.push(["thread", evidence.thread]);
        if (dumps.length > 1 && source !== undefined) after.push(["dump", source]);
        const stack = stackOf(suspect, thread);
        const targets = evidence.kind === "providers" ? evidence.targets : (holder?.targets ?? 0);
        for (const part of partsByTarget(evidence, holder, targets)) builder.sample(stack, valuesOf(part), [...labels, ...part.labels, ...after]);
      }
    }
  }
  const firstWritten = dumps.length === 0 ? NaN : Date.parse(dumps[0]!.digest.dump.writtenAt);
  const sampleTypes = PPROF_SAMPLE_TYPES.map((type) => new ValueType({ type: strings.dedup(type.type), unit: strings.dedup(type.unit) }));
  // One mapping that says every frame is already symbolized, so pprof looks for no binary to read.
  const mapping = new Mapping({ id: MAPPING_ID, filename: strings.dedup("starlark"), hasFunctions: true, hasFilenames: true, hasLineNumbers: true });
  const profile = new Profile({
    sampleType: sampleTypes,
    mapping: [mapping],
    defaultSampleType: sampleTypes[0]!.type,
    sample: builder.samples,
    location: builder.locations,
    function: builder.functions,
    comment: comments.map((comment) => strings.dedup(comment)),
    ...(Number.isFinite(firstWritten) ? { timeNanos: BigInt(firstWritten) * 1_000_000n } : {}),
    stringTable: strings,
  });
  return profile.encode();
}

type Labels = [string, string | number][];

/** One sample's share of a holder group: its values and the labels that say which targets it covers. */
interface Part extends HeldCounts {
  readonly retainedBytes: number;
  readonly labels: Labels;
}

/**
 * A group's samples: one per target the digest kept with its bytes, then the rest (the targets not kept, and
 * what no target holds) as one more. Without per-target bytes (older digests), or when the kept targets would
 * hold more than the evidence says (a digest edited by hand), the group is one sample labelled with its top labels.
 */
function partsByTarget(evidence: Exclude<Evidence, { kind: "on-stack" }>, holder: HolderGroup | undefined, targets: number): Part[] {
  const whole = { retainedBytes: evidence.bytes, ...countsOf(evidence) };
  const kept = holder?.topTargets ?? [];
  const keptBytes = kept.reduce((sum, target) => sum + target.retainedBytes, 0);
  if (holder?.topTargets === undefined || keptBytes > whole.retainedBytes) {
    const labels: Labels = (holder?.topLabels ?? []).map((label) => ["target", label]);
    if (targets > 0) labels.push(["targets", targets]);
    return [{ ...whole, labels }];
  }
  const parts: Part[] = kept.map((target) => ({ retainedBytes: target.retainedBytes, ...countsOf(target), labels: [["target", target.label]] }));
  const rest: Part = {
    retainedBytes: whole.retainedBytes - keptBytes,
    ...(whole.objects === undefined ? {} : { objects: Math.max(0, whole.objects - kept.reduce((sum, target) => sum + (target.objects ?? 0), 0)) }),
    ...(whole.shallowBytes === undefined ? {} : { shallowBytes: Math.max(0, whole.shallowBytes - kept.reduce((sum, target) => sum + (target.shallowBytes ?? 0), 0)) }),
    labels: targets > kept.length ? [["targets", targets - kept.length]] : [],
  };
  if (rest.retainedBytes > 0 || (rest.objects ?? 0) > 0) parts.push(rest);
  return parts;
}

function countsOf(counts: HeldCounts): HeldCounts {
  return { ...(counts.objects === undefined ? {} : { objects: counts.objects }), ...(counts.shallowBytes === undefined ? {} : { shallowBytes: counts.shallowBytes }) };
}

/** A part's values in the order of PPROF_SAMPLE_TYPES (what a digest did not measure: 0). */
function valuesOf(part: Part): number[] {
  return [part.retainedBytes, part.objects ?? 0, part.shallowBytes ?? 0];
}

/** Innermost first: the function, then its callers on the thread where the dump shows it running. */
function stackOf(fn: FunctionRef, thread: DigestThread | undefined): FrameRef[] {
  const index = thread?.frames.findIndex((frame) => !frame.builtin && sameFunction(frame, fn)) ?? -1;
  if (thread === undefined || index < 0) return [{ function: fn.function, file: fn.file, line: undefined }];
  return thread.frames.slice(index).map((frame: DigestFrame) => ({ function: frame.function, file: frame.builtin ? BUILTIN_FILE : frame.file, line: frame.line }));
}

function sameFunction(a: FunctionRef | undefined, b: FunctionRef): boolean {
  return a !== undefined && a.function === b.function && a.file === b.file;
}

interface FrameRef extends FunctionRef {
  readonly line: number | undefined;
}

/** Functions and locations made once each, as profile.proto wants them (ids from 1). */
class ProfileBuilder {
  readonly functions: PprofFunction[] = [];
  readonly locations: Location[] = [];
  readonly samples: Sample[] = [];
  private readonly functionIds = new Map<string, number>();
  private readonly locationIds = new Map<string, number>();

  constructor(private readonly strings: StringTable) {}

  sample(stack: readonly FrameRef[], values: readonly number[], labels: readonly [string, string | number][]): void {
    this.samples.push(
      new Sample({
        locationId: stack.map((frame) => this.location(frame)),
        value: [...values],
        label: labels.map(([key, value]) =>
          typeof value === "number"
            ? new Label({ key: this.strings.dedup(key), num: value, numUnit: this.strings.dedup("count") })
            : new Label({ key: this.strings.dedup(key), str: this.strings.dedup(value) }),
        ),
      }),
    );
  }

  private location(frame: FrameRef): number {
    const functionId = this.function(frame);
    const key = `${functionId}:${frame.line ?? 0}`;
    let id = this.locationIds.get(key);
    if (id === undefined) {
      id = this.locations.length + 1;
      this.locations.push(new Location({ id, mappingId: MAPPING_ID, line: [new Line({ functionId, line: frame.line ?? 0 })] }));
      this.locationIds.set(key, id);
    }
    return id;
  }

  private function(fn: FunctionRef): number {
    const key = `${fn.function}\u0000${fn.file ?? ""}`;
    let id = this.functionIds.get(key);
    if (id === undefined) {
      id = this.functions.length + 1;
      const name = this.strings.dedup(fn.function);
      this.functions.push(new PprofFunction({ id, name, systemName: name, filename: this.strings.dedup(fn.file ?? "") }));
      this.functionIds.set(key, id);
    }
    return id;
  }
}
