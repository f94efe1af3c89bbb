/**
 * A snapshot: the heap a build leaves in a live Bazel server, as `snapshot` writes it. In: what was built (the
 * workspace, its commit, Bazel and its flags), Bazel's own `used-heap-size-after-gc` and the digest of a live heap
 * dump taken right after it. Out: the file `heap --json` writes (`{ schema, dumps: [digest] }`) plus a `snapshot`
 * object, so `diff`, budgets and `heap --pprof` read it like any digest (core/heap/digest-document.ts). Its .bzl
 * paths are workspace-relative (withRelativeFiles), so snapshots of two checkouts in two folders compare.
 *
 * How closely the dump's reachable heap matches Bazel's figure (both after a full collection, a moment apart):
 * measured on the reproduction and on a test workspace on Bazel 4.2.3 and 7.7.1: see SNAPSHOT_AGREEMENT below.
 */
import type { BuildMode } from "../vocabulary.js";
import { HEAP_JSON_SCHEMA } from "./digest-document.js";
import type { HeapDigest } from "./heap-digest.js";

export const SNAPSHOT_SCHEMA = 1;

/** Bazel's `info used-heap-size-after-gc`: the heap in use after a System.gc(), as Bazel prints it. */
export interface BazelHeapFigure {
  /** The value printed ("161MB"), read as its lower bound in bytes. */
  readonly bytes: number;
  /** Bazel truncates to whole units (1 MB = 10^6 bytes from 10 MB up): the true value is below bytes + resolution. */
  readonly resolutionBytes: number;
  readonly printed: string;
}

export interface SnapshotCommit {
  readonly sha: string;
  /** The checkout had changes git sees (tracked files changed, or files neither tracked nor ignored). */
  readonly dirty: boolean;
}

export interface SnapshotRecord {
  readonly schema: typeof SNAPSHOT_SCHEMA;
  /** When the heap dump was taken (ISO 8601, UTC). */
  readonly takenAt: string;
  readonly bazel: { readonly binary: string; readonly version: string; readonly versionSource: string };
  readonly workspace: string;
  readonly targets: readonly string[];
  readonly mode: BuildMode;
  readonly configs: readonly string[];
  readonly buildFlags: readonly string[];
  readonly startupFlags: readonly string[];
  /** The build's whole command line as Bazel got it (its output base was the snapshot's own, deleted since). */
  readonly bazelArgs: readonly string[];
  /** null: the workspace is not in a git checkout. */
  readonly commit: SnapshotCommit | null;
  /** null: Bazel did not answer (the reason went to stderr). */
  readonly usedHeapSizeAfterGc: BazelHeapFigure | null;
  readonly heapDump: { readonly live: true; readonly fileBytes: number; /** null: deleted after digesting. */ readonly keptAt: string | null };
  readonly buildSeconds: number;
}

/** The snapshot file: `heap --json`'s envelope with one dump, plus the snapshot's record. */
export interface SnapshotDocument {
  readonly schema: typeof HEAP_JSON_SCHEMA;
  readonly snapshot: SnapshotRecord;
  readonly dumps: readonly ({ readonly source: string } & HeapDigest)[];
}

/** `digest` must already name its files relative to the workspace (digest-document.ts withRelativeFiles). */
export function snapshotDocument(record: SnapshotRecord, source: string, digest: HeapDigest): SnapshotDocument {
  return { schema: HEAP_JSON_SCHEMA, snapshot: record, dumps: [{ source, ...digest }] };
}

/** Bazel's StringUtilities.prettyPrintBytes units: decimal, as 4.2.3 and 7.x print them. */
const BAZEL_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * The figure in what `bazel info used-heap-size-after-gc` printed (its last line of the form "161MB"; Bazel
 * may print INFO lines around it); undefined when there is none.
 */
export function parseBazelHeapFigure(output: string): BazelHeapFigure | undefined {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  for (const line of lines.reverse()) {
    const match = /^(\d+)(B|KB|MB|GB)$/.exec(line);
    if (match === null) continue;
    const unit = BAZEL_UNITS[match[2]!]!;
    return { bytes: Number(match[1]) * unit, resolutionBytes: unit, printed: line };
  }
  return undefined;
}

/** The dump's reachable heap against Bazel's figure, taken at the middle of its truncation interval. */
export interface HeapAgreement {
  /** reachable / used. */
  readonly share: number;
  /** used − reachable: what the JVM counts and the dump's reachable heap does not. */
  readonly shortfallBytes: number;
}

export function heapAgreement(reachableBytes: number, figure: BazelHeapFigure): HeapAgreement {
  const used = figure.bytes + figure.resolutionBytes / 2;
  return { share: reachableBytes / used, shortfallBytes: used - reachableBytes };
}

/**
 * How closely they agree, measured with `snapshot` on this repository's reproduction (3 runs each) and on the test
 * workspace flatten_or_depset (both states, and state A with 10× the strings), at heaps of 23 to 128 MB: the dump's
 * reachable heap is short of Bazel's figure by an amount that hardly depends on the heap, not by a share of it:
 *   Bazel 4.2.3 (JDK 17): 7.5–8.7 MB short, so 68–77% of Bazel's figure at 23–35 MB, 93.5% at 128 MB;
 *   Bazel 7.7.1 (its own JDK): 3.5–4.6 MB short, 90–92% at 33–44 MB, 96.3% at 109 MB.
 * The shortfall is, on 4.2.3's reproduction: 2.0 MB of objects in the dump that no root the dump lists reaches
 * (reflection caches that only the JVM's class metadata holds: the digest counts them as unreachable; 2.7–3.4 MB
 * on 7.7.1), 1.8 MB that G1 counts for the unused tail of the region a 2.3 MB array fills (large arrays get whole
 * regions), and what G1 counts in partly used regions after its full collection (Bazel 7 subtracts a filler array
 * of its own from its figure, 4.2.3 does not). The Starlark functions' bytes did not change at all between runs.
 * `snapshot`'s end-to-end test checks every run against this bound, with room above the largest shortfall seen.
 */
export const SNAPSHOT_AGREEMENT = { maxShortfallBytes: 12e6 } as const;

/** The snapshot's default file name: when it was taken (UTC, sortable), then the commit it was taken at. */
export function defaultSnapshotName(takenAt: Date, commit: SnapshotCommit | null): string {
  const stamp = takenAt.toISOString().replace(/\.\d+Z$/, "").replaceAll("-", "").replaceAll(":", "").replace("T", "-");
  return `snapshot-${stamp}${commit === null ? "" : `-${commit.sha.slice(0, 10)}${commit.dirty ? "-dirty" : ""}`}.json`;
}

/** A file kept beside the snapshot file: its name without .json, then `suffix` (".hprof", ".console.log"). */
export function besideSnapshot(snapshotFile: string, suffix: string): string {
  return `${snapshotFile.replace(/\.json$/i, "")}${suffix}`;
}
