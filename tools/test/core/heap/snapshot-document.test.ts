// The snapshot file's pure parts: Bazel's printed heap figure, the agreement with the dump, the default name, and
// the document that `diff` reads back as a snapshot with workspace-relative files throughout.
import { describe, expect, it } from "vitest";
import { digestDocument, withRelativeFiles } from "../../../src/core/heap/digest-document.js";
import {
  besideSnapshot,
  defaultSnapshotName,
  heapAgreement,
  parseBazelHeapFigure,
  SNAPSHOT_SCHEMA,
  snapshotDocument,
  type SnapshotRecord,
} from "../../../src/core/heap/snapshot-document.js";
import { BAZEL_VERSIONS } from "../../helpers/fixtures.js";
import { fixtureDigest, fixtureWorkspace } from "../../helpers/digests.js";

describe("parseBazelHeapFigure", () => {
  it.each([
    ["161MB\n", 161e6, 1e6],
    ["9876B", 9876, 1],
    ["512KB", 512e3, 1e3],
    ["12GB", 12e9, 1e9],
    // Bazel 7 may print INFO lines (and a warning) around the value.
    ["INFO: Invocation ID: 1c6f\nWARNING: something\n153MB\n", 153e6, 1e6],
  ])("reads %j", (output, bytes, resolutionBytes) => {
    expect(parseBazelHeapFigure(output)).toMatchObject({ bytes, resolutionBytes });
  });

  it.each(["", "ERROR: unknown key: 'used-heap-size-after-gc'\n", "161 MB", "161MiB", "-3MB"])("finds no figure in %j", (output) => {
    expect(parseBazelHeapFigure(output)).toBeUndefined();
  });
});

describe("heapAgreement", () => {
  it("compares with the middle of Bazel's truncated figure", () => {
    const figure = parseBazelHeapFigure("100MB")!;
    expect(heapAgreement(100.5e6, figure)).toEqual({ share: 1, shortfallBytes: 0 });
    expect(heapAgreement(90.45e6, figure).share).toBeCloseTo(0.9, 10);
    expect(heapAgreement(90.45e6, figure).shortfallBytes).toBeCloseTo(10.05e6, 0);
  });
});

describe("defaultSnapshotName", () => {
  const at = new Date("2026-03-04T05:06:07.890Z");
  it("sorts by time and names the commit, and whether it had changes", () => {
    expect(defaultSnapshotName(at, { sha: "0123456789abcdef0123456789abcdef01234567", dirty: false })).toBe("snapshot-20260304-050607-0123456789.json");
    expect(defaultSnapshotName(at, { sha: "0123456789abcdef0123456789abcdef01234567", dirty: true })).toBe("snapshot-20260304-050607-0123456789-dirty.json");
    expect(defaultSnapshotName(at, null)).toBe("snapshot-20260304-050607.json");
  });

  it("keeps the console and the dump beside the snapshot file", () => {
    expect(besideSnapshot("/m/snapshot-1.json", ".hprof")).toBe("/m/snapshot-1.hprof");
    expect(besideSnapshot("/m/base", ".console.log")).toBe("/m/base.console.log");
  });
});

describe("snapshotDocument", () => {
  it.each(BAZEL_VERSIONS)("is read back by diff as a snapshot, its .bzl files relative to the workspace (%s)", (version) => {
    const workspace = fixtureWorkspace(version);
    const digest = withRelativeFiles(fixtureDigest(version, "0256m-r01"), workspace);
    const record: SnapshotRecord = {
      schema: SNAPSHOT_SCHEMA,
      takenAt: "2026-03-04T05:06:07.890Z",
      bazel: { binary: "bazel", version, versionSource: "--version" },
      workspace,
      targets: ["//..."],
      mode: "nobuild",
      configs: ["eat"],
      buildFlags: [],
      startupFlags: [],
      bazelArgs: ["build", "--config=eat", "--", "//..."],
      commit: null,
      usedHeapSizeAfterGc: parseBazelHeapFigure("161MB")!,
      heapDump: { live: true, fileBytes: 1, keptAt: null },
      buildSeconds: 1,
    };
    const written = JSON.parse(JSON.stringify(snapshotDocument(record, "live heap", digest))) as Record<string, unknown>;
    const read = digestDocument(written);
    expect(read.kind).toBe("snapshot");
    expect(read.dumps).toHaveLength(1);
    expect(read.dumps[0]!.source).toBe("live heap");
    expect(read.dumps[0]!.digest.suspects).toEqual(digest.suspects);
    // Nothing in the digest names the workspace's absolute path any more: holders, providers' files, owners' words.
    expect(JSON.stringify(written["dumps"])).not.toContain(`${workspace}/`);
    expect(digest.suspects.some((suspect) => suspect.file === "memory/private/traverse.bzl")).toBe(true);
  });
});
