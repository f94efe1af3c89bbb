/**
 * A heap digest as a pprof profile (profile.proto, encoded by pprof-format), for `go tool pprof` and the tools
 * that read its format: `heap --pprof FILE`, and `diff --pprof FILE` for `go tool pprof -diff_base BASE NEW`.
 *
 * One sample type, retained/bytes (Eclipse MAT's retained size, as the digest measures it). A sample is one
 * holder of a function (a provider it returned, its actions, its calls' local variables…), and its leaf frame
 * is the Starlark function the bytes are charged to (name and .bzl file; the line it was executing when it was
 * on a stack at the dump). Where the dump shows that function on a thread (its locals, a builtin's work in
 * progress), the callers on that thread stand above it. Labels say what holds the bytes: `holder` (provider,
 * actions, locals, in-flight, analysis, shared), `provider`, `owner_kind` (rule or aspect implementation),
 * `target` (the labels holding most, largest first: the digest keeps the biggest few, without their bytes),
 * the number of `targets`, the `thread`, and `dump` when several dumps share a profile.
 *
 * Samples carry only what the digest measured. It has no object counts or shallow sizes per holder, so the
 * profile has no objects/count or shallow/bytes sample types; nor does it charge Bazel's own structures to any
 * function, so they are left out of the samples (a comment gives their size). Returns the protobuf bytes,
 * uncompressed; io/pprof-file.ts gzips them, as pprof files usually are.
 */
import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from "pprof-format";
import type { DigestFrame, DigestThread, Evidence, FunctionRef, HeapDigest, HolderGroup, HolderKind } from "./heap-digest.js";

export interface ProfiledDump {
  /** Files already workspace-relative (digest-document.ts withRelativeFiles). */
  readonly digest: HeapDigest;
  /** Labels the samples when several dumps share one profile. */
  readonly source: string | undefined;
}

export const PPROF_SAMPLE_TYPE = { type: "retained", unit: "bytes" } as const;
/** The file name pprof shows for builtins (Bazel's Starlark CPU profile says the same). */
export const BUILTIN_FILE = "<builtin>";

const MAPPING_ID = 1;

const HOLDER_OF_EVIDENCE: Readonly<Record<Exclude<Evidence["kind"], "on-stack">, HolderKind>> = {
  providers: "provider",
  actions: "action",
  "frame-locals": "frame-locals",
  "in-flight": "in-flight",
  analysis: "analysis",
  shared: "shared",
};

/** profile.proto bytes (not gzipped) for one dump, or several summed with a `dump` label on each sample. */
export function heapProfile(dumps: readonly ProfiledDump[]): Uint8Array {
  const strings = new StringTable();
  const builder = new ProfileBuilder(strings);
  const comments: string[] = [
    "memory-adventure: retained bytes of a JVM heap dump of a Bazel server, charged to the Starlark function that owns them",
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
        const holder = matchingHolder(digest.holders, suspect, evidence);
        const thread = "thread" in evidence ? digest.threads.find((candidate) => candidate.name === evidence.thread) : undefined;
        const labels: [string, string | number][] = [["holder", HOLDER_OF_EVIDENCE[evidence.kind]]];
        if (evidence.kind === "providers") labels.push(["provider", evidence.provider]);
        if (ownerKind !== undefined && evidence.kind !== "frame-locals" && evidence.kind !== "in-flight") labels.push(["owner_kind", ownerKind]);
        for (const target of holder?.topLabels ?? []) labels.push(["target", target]);
        const targets = evidence.kind === "providers" ? evidence.targets : holder?.targets;
        if (targets !== undefined && targets > 0) labels.push(["targets", targets]);
        if ("thread" in evidence) labels.push(["thread", evidence.thread]);
        if (dumps.length > 1 && source !== undefined) labels.push(["dump", source]);
        builder.sample(stackOf(suspect, thread), evidence.bytes, labels);
      }
    }
  }
  const firstWritten = dumps.length === 0 ? NaN : Date.parse(dumps[0]!.digest.dump.writtenAt);
  const sampleType = new ValueType({ type: strings.dedup(PPROF_SAMPLE_TYPE.type), unit: strings.dedup(PPROF_SAMPLE_TYPE.unit) });
  // One mapping that says every frame is already symbolized, so pprof looks for no binary to read.
  const mapping = new Mapping({ id: MAPPING_ID, filename: strings.dedup("starlark"), hasFunctions: true, hasFilenames: true, hasLineNumbers: true });
  const profile = new Profile({
    sampleType: [sampleType],
    mapping: [mapping],
    defaultSampleType: sampleType.type,
    sample: builder.samples,
    location: builder.locations,
    function: builder.functions,
    comment: comments.map((comment) => strings.dedup(comment)),
    ...(Number.isFinite(firstWritten) ? { timeNanos: BigInt(firstWritten) * 1_000_000n } : {}),
    stringTable: strings,
  });
  return profile.encode();
}

/** Innermost first: the function, then its callers on the thread where the dump shows it running. */
function stackOf(fn: FunctionRef, thread: DigestThread | undefined): FrameRef[] {
  const index = thread?.frames.findIndex((frame) => !frame.builtin && sameFunction(frame, fn)) ?? -1;
  if (thread === undefined || index < 0) return [{ function: fn.function, file: fn.file, line: undefined }];
  return thread.frames.slice(index).map((frame: DigestFrame) => ({ function: frame.function, file: frame.builtin ? BUILTIN_FILE : frame.file, line: frame.line }));
}

/** The holder group behind a suspect's evidence, when the digest kept it (it keeps the largest groups only). */
function matchingHolder(holders: readonly HolderGroup[], fn: FunctionRef, evidence: Exclude<Evidence, { kind: "on-stack" }>): HolderGroup | undefined {
  const kind = HOLDER_OF_EVIDENCE[evidence.kind];
  return holders.find(
    (holder) => holder.kind === kind && sameFunction(holder.function, fn) && (evidence.kind !== "providers" || holder.provider === evidence.provider),
  );
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

  sample(stack: readonly FrameRef[], bytes: number, labels: readonly [string, string | number][]): void {
    this.samples.push(
      new Sample({
        locationId: stack.map((frame) => this.location(frame)),
        value: [bytes],
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
