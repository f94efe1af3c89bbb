// `snapshot`: one cold build in a server of its own, then Bazel's used-heap-size-after-gc and a live heap dump of
// that server, digested as `heap` does; written as a snapshot file (core/heap/snapshot-document.ts) that `diff`,
// budgets and pprof read; the top holders printed; a budget checked.
import { copyFile, mkdir, readFile, realpath, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ExitCode, UsageError } from "../core/exit-codes.js";
import { checkBudget, type Budget } from "../core/heap/budget.js";
import { digestTotals } from "../core/heap/digest-diff.js";
import { withRelativeFiles } from "../core/heap/digest-document.js";
import { DEFAULT_DIGEST_TOP, type HeapDigest } from "../core/heap/heap-digest.js";
import {
  besideSnapshot,
  defaultSnapshotName,
  parseBazelHeapFigure,
  SNAPSHOT_SCHEMA,
  snapshotDocument,
  type SnapshotCommit,
  type SnapshotRecord,
} from "../core/heap/snapshot-document.js";
import { firstBazelError } from "../core/run/bazel-messages.js";
import { MODE_SINCE, supportsMode, sweepBuildFlags } from "../core/run/bazel-flags.js";
import type { BuildMode } from "../core/vocabulary.js";
import type { BuildChoice } from "./build-choice.js";
import { Interrupter } from "../io/bazel-process.js";
import { terminalDigestProgress, withDigestProgress } from "../io/digest-progress.js";
import { gitCommit } from "../io/git-commit.js";
import { digestDumpFile } from "../io/heap-dumps.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { ServerGoneError, SnapshotServer } from "../io/snapshot-server.js";
import { interruptOnSignals } from "../io/sweep-runner.js";
import { budgetJson, budgetText } from "../render/diff.js";
import {
  buildFailed,
  buildingLine,
  commandLineRefused,
  dumpingLine,
  dumpKept,
  infoFailed,
  INTERRUPTED_LINE,
  oomHang,
  serverGone,
  snapshotText,
  snapshotWritten,
  versionLine,
} from "../render/snapshot.js";
import { modeUnsupported } from "../render/sweep.js";
import { heapHtmlWritten, heapPicturePage } from "../render/treemap.js";
import { readBudget } from "./diff.js";
import { writeHeapProfile } from "./heap-profile.js";
import { detectVersion } from "./sweep.js";


/** Where the snapshot goes: a file the user named, or a new file named after its time and commit in a folder. */
export type SnapshotOut = { readonly kind: "file"; readonly path: string } | { readonly kind: "default"; readonly folder: string };


export interface SnapshotRequest {
  readonly build: BuildChoice;
  readonly mode: BuildMode;
  readonly out: SnapshotOut;
  readonly keepHeapDumps: boolean;
  /** A budget file to check the snapshot against. */
  readonly budget: string | undefined;
  /** Where to write the snapshot's heap as a pprof profile, too. */
  readonly pprof: string | undefined;
  /** Where to write the picture of who holds the heap (one HTML page), too. */
  readonly html: string | undefined;
  readonly json: boolean;
}

/** Bazel's exit code for a command line it refuses (a bad flag, an unknown --config). */
const COMMAND_LINE_EXIT_CODE = 2;

export async function takeSnapshot(request: SnapshotRequest): Promise<ExitCode> {
  const { build } = request;
  // Everything the user gave is checked before the build, which can take minutes.
  if (request.out.kind === "file") await checkOutputPath(request.out.path);
  if (request.pprof !== undefined) await checkOutputPath(request.pprof);
  if (request.html !== undefined) await checkOutputPath(request.html);
  const budget = request.budget === undefined ? undefined : await readBudget(request.budget);
  const commit = await gitCommit(build.workspace);

  const interrupter = new Interrupter();
  const uninstall = interruptOnSignals(interrupter);
  const server = await SnapshotServer.create(build.bazel, build.workspace, build.startupFlags, interrupter);
  try {
    const version = await detectVersion(build.bazel, build.workspace, server.outputBase);
    if (!supportsMode(version, request.mode)) throw new UsageError(modeUnsupported(request.mode, version, build.bazel, MODE_SINCE[request.mode]));
    process.stderr.write(versionLine(build.bazel, version));
    const bazelArgs = [
      ...build.configs.map((config) => `--config=${config}`),
      ...build.buildFlags,
      // No bazel-* convenience symlinks: they would point the user's workspace at an output base about to go.
      "--symlink_prefix=/",
      // The sweep's flags for this version and mode, recording nothing (so these paths are never used).
      ...sweepBuildFlags(version, { mode: request.mode, profileLevel: "none", profile: "", starlarkCpuProfile: "", memoryProfile: "", bep: "" }),
      "--",
      ...build.targets,
    ];
    process.stderr.write(buildingLine(build.targets, request.mode, server.outputBase));
    const built = await server.build(bazelArgs);
    const buildSeconds = (built.endedAt.getTime() - built.startedAt.getTime()) / 1000;
    if (interrupter.interrupted) {
      process.stderr.write(INTERRUPTED_LINE);
      return ExitCode.findings;
    }
    if (built.exitCode !== 0 || built.stoppedBy !== undefined) {
      const console = await readFile(built.consoleFile, "utf8").catch(() => "");
      if (built.exitCode === COMMAND_LINE_EXIT_CODE && built.stoppedBy === undefined) throw new UsageError(commandLineRefused(firstBazelError(console) ?? lastLine(console)));
      const kept = besideSnapshot(outFile(request.out, new Date(), commit), ".console.log");
      await mkdir(dirname(kept), { recursive: true });
      await copyFile(built.consoleFile, kept);
      process.stderr.write(built.stoppedBy === "oom-hang" ? oomHang(kept) : buildFailed(built.exitCode, built.signal, firstBazelError(console), kept));
      return ExitCode.findings;
    }

    // Bazel's own figure, then the dump: both right after a full collection, a moment apart, nothing built between.
    const info = await server.usedHeapSizeAfterGc();
    const figure = parseBazelHeapFigure(info.output);
    if (figure === undefined) process.stderr.write(infoFailed(info.exitCode, info.output));
    const takenAt = new Date();
    const out = outFile(request.out, takenAt, commit);
    const dumpPath = request.keepHeapDumps ? besideSnapshot(out, ".hprof") : join(server.outputBase, "snapshot.hprof");
    if (request.keepHeapDumps) {
      await mkdir(dirname(dumpPath), { recursive: true });
      // The JVM never overwrites a file; an earlier snapshot's dump of the same name is replaced like the snapshot.
      await rm(dumpPath, { force: true });
    }
    let dump;
    try {
      dump = await server.dumpLiveHeap(dumpPath);
    } catch (error) {
      if (!(error instanceof ServerGoneError)) throw error;
      process.stderr.write(`${serverGone(error.outputBase)}\n`);
      return ExitCode.findings;
    }
    process.stderr.write(dumpingLine(dump.pid, dump.bytes));
    // The digest needs memory the server no longer does.
    await server.shutdown();
    // Ctrl-C while Bazel answered or the JVM wrote its dump (neither can be cut short) ends it here.
    if (interrupter.interrupted) {
      process.stderr.write(INTERRUPTED_LINE);
      return ExitCode.findings;
    }
    const digested = await withDigestProgress(terminalDigestProgress, (observer) => digestDumpFile(dumpPath, { top: DEFAULT_DIGEST_TOP, observer }));
    const digest = await relativeDigest(digested, build.workspace);

    const record: SnapshotRecord = {
      schema: SNAPSHOT_SCHEMA,
      takenAt: takenAt.toISOString(),
      bazel: { binary: build.bazel, version: version.label, versionSource: version.source },
      workspace: build.workspace,
      targets: build.targets,
      mode: request.mode,
      configs: build.configs,
      buildFlags: build.buildFlags,
      startupFlags: build.startupFlags,
      bazelArgs: [...server.startupFlags, "build", ...bazelArgs],
      commit,
      usedHeapSizeAfterGc: figure ?? null,
      heapDump: { live: true, fileBytes: dump.bytes, keptAt: request.keepHeapDumps ? dumpPath : null },
      buildSeconds: Math.round(buildSeconds * 10) / 10,
    };
    const source = request.keepHeapDumps ? dumpPath : `live heap of Bazel server ${dump.pid} (dump deleted)`;
    const document = snapshotDocument(record, source, digest);
    await writeOutputFile(out, `${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(snapshotWritten(out));
    if (request.keepHeapDumps) process.stderr.write(dumpKept(dumpPath));
    if (request.pprof !== undefined) await writeHeapProfile(request.pprof, [{ source, digest }], undefined);
    if (request.html !== undefined) {
      await writeOutputFile(request.html, heapPicturePage([{ source, digest }], undefined));
      process.stderr.write(heapHtmlWritten(request.html, 1));
    }

    const check = budget === undefined ? undefined : budgetOutcome(request.budget!, budget, digest);
    if (request.json) {
      const withBudget = check === undefined ? document : { ...document, budget: budgetJson(check) };
      process.stdout.write(`${JSON.stringify(withBudget, null, 2)}\n`);
    } else {
      process.stdout.write(snapshotText(document, DEFAULT_DIGEST_TOP));
      if (check !== undefined) process.stdout.write(`\n${budgetText({ path: out, source, totals: digestTotals(digest) }, check)}`);
    }
    return (check?.check.over.length ?? 0) > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    uninstall();
    await server.close();
  }
}

function outFile(out: SnapshotOut, takenAt: Date, commit: SnapshotCommit | null): string {
  return out.kind === "file" ? out.path : join(out.folder, defaultSnapshotName(takenAt, commit));
}

/**
 * The digest with its .bzl files relative to the workspace. Bazel names them under the workspace's real path (its
 * client resolves the working directory), which the user may have given through a symlink: both are tried.
 */
async function relativeDigest(digest: HeapDigest, workspace: string): Promise<HeapDigest> {
  const real = await realpath(workspace);
  const relative = withRelativeFiles(digest, real);
  return real === workspace ? relative : withRelativeFiles(relative, workspace);
}

function budgetOutcome(path: string, budget: Budget, digest: HeapDigest) {
  return { path, check: checkBudget(digest, budget) };
}

function lastLine(text: string): string | null {
  return text.trim().split("\n").filter((line) => line.trim() !== "").pop() ?? null;
}
