// Heap dumps on disk for `heap` and the sweep: where they are (a file, a run folder, a sweep folder, or a Bazel
// output base a crashed build left one in), and their digest (core/heap/heap-digest.ts), read from the file or from
// the heap-digest.json a sweep already wrote next to it.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { UNOBSERVED, type DigestObserver } from "../core/heap/digest-phases.js";
import { digestHeap, type HeapDigest } from "../core/heap/heap-digest.js";
import { HprofError, readHeap } from "../core/heap/hprof.js";
import { MemoryLimitError } from "../core/heap/memory-budget.js";
import { memoryLimitProblem } from "../render/heap.js";
import { ARTIFACT_FILES, RUN_RECORD_FILE, RUNS_DIR } from "../core/run/run-record.js";
import { readHeapDigestFile } from "./heap-digest-file.js";
import { availableMemoryBytes, openHeapDump } from "./hprof-file.js";
import { SpillFile } from "./spill-file.js";
import { isFile } from "./sweep-folder.js";


/** A digest with where it came from. */
export interface SourcedDigest {
  /** The dump file, or the heap-digest.json it was read from. */
  readonly source: string;
  readonly digest: HeapDigest;
}

/** A dump to digest, or a digest already written. */
export type HeapInput = { readonly kind: "dump"; readonly path: string } | { readonly kind: "digest"; readonly path: string };

/**
 * What PATH holds: a dump file (.hprof, .hprof.gz), a run folder (its dump, else its heap-digest.json), a sweep
 * folder (every run's), or a Bazel output base (the java_pid*.hprof / *.heapdump.hprof a crash left, newest first).
 * InputError when there is nothing to digest.
 */
export async function findHeapInputs(path: string): Promise<HeapInput[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(error.code === "ENOENT" ? `${path}: no such file or folder` : `${path}: cannot read it (${error.code ?? error.message})`);
  });
  if (info.isFile()) return [{ kind: "dump", path }];
  if (!info.isDirectory()) throw new InputError(`${path}: not a file or folder; give a heap dump (.hprof), a run or sweep folder, or a Bazel output base`);
  if (await isFile(join(path, RUN_RECORD_FILE))) return runInputs(path);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  if (entries.some((entry) => entry.isDirectory() && entry.name === RUNS_DIR)) {
    const runs = (await readdir(join(path, RUNS_DIR), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    const inputs: HeapInput[] = [];
    for (const run of runs) inputs.push(...(await runInputs(join(path, RUNS_DIR, run))));
    if (inputs.length === 0) throw new InputError(`${path}: no run of this sweep left a heap dump or digest (only runs that run out of memory do)`);
    return inputs;
  }
  // A Bazel output base: the JVM's java_pid<pid>.hprof, or Bazel 7's --heap_dump_on_oom <id>.heapdump.hprof.
  const dumps: { path: string; mtime: number }[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !/^java_pid\d+\.hprof$|\.heapdump\.hprof$/.test(entry.name)) continue;
    dumps.push({ path: join(path, entry.name), mtime: (await stat(join(path, entry.name))).mtimeMs });
  }
  if (dumps.length === 0) {
    throw new InputError(`${path}: no heap dump here; give a .hprof file, a run or sweep folder, or the output base of a build that ran out of memory`);
  }
  return dumps.sort((a, b) => b.mtime - a.mtime).map((dump) => ({ kind: "dump", path: dump.path }));
}

async function runInputs(dir: string): Promise<HeapInput[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const dumps = names.filter((name) => /\.hprof(\.gz)?$/.test(name)).sort();
  if (dumps.length > 0) return dumps.map((name) => ({ kind: "dump", path: join(dir, name) }));
  return names.includes(ARTIFACT_FILES.heapDigest) ? [{ kind: "digest", path: join(dir, ARTIFACT_FILES.heapDigest) }] : [];
}

/** How a dump is digested. */
export interface DumpDigestOptions {
  /** How many of each ranking the digest keeps. */
  readonly top: number;
  /** Told each phase as it begins (a progress line, the bench); default: no one. */
  readonly observer?: DigestObserver;
  /** The most memory the digest may take; default: what the system has available. */
  readonly memoryLimitBytes?: number;
  /** Where the digest keeps part of its state (spill-file.ts); default: beside the dump. */
  readonly stateDir?: string;
}

/**
 * The digest of an input; InputError (one line, with the byte offset) for what is not a readable dump.
 * The options apply to a dump's digest; a digest already written is only read.
 */
export async function digestOf(input: HeapInput, options: DumpDigestOptions): Promise<SourcedDigest> {
  if (input.kind === "digest") return { source: input.path, digest: await readHeapDigestFile(input.path) };
  return { source: input.path, digest: await digestDumpFile(input.path, options) };
}

/** The digest of the dump at `path`; InputError when it is not a readable dump or would need more memory than allowed. */
export async function digestDumpFile(path: string, { top, observer = UNOBSERVED, memoryLimitBytes, stateDir }: DumpDigestOptions): Promise<HeapDigest> {
  const limit = memoryLimitBytes ?? availableMemoryBytes();
  // The state file first: a --state-dir that cannot take it fails before a gzipped dump is inflated.
  const spill = SpillFile.open(path, stateDir);
  try {
    const dump = await openHeapDump(path);
    try {
      const heap = readHeap(dump.source, { observer, memoryLimitBytes: limit, heldBytes: dump.heldBytes, passEnded: () => dump.passEnded(), spill });
      return digestHeap(heap, dump.source, { top, observer, memoryLimitBytes: limit });
    } finally {
      dump.close();
    }
  } catch (error) {
    if (error instanceof HprofError) throw new InputError(`${path}: ${error.message} (at byte ${error.offset})`);
    if (error instanceof MemoryLimitError) throw new InputError(memoryLimitProblem(path, error, memoryLimitBytes !== undefined));
    throw error;
  } finally {
    spill.close();
  }
}
