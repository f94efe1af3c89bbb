// Paths of the real-Bazel fixtures (captured by test/fixtures/capture.mjs; see its header for how).
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants as zlibConstants, gunzipSync } from "node:zlib";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

export const BAZEL_VERSIONS = ["4.2.3", "7.7.1"] as const;
export type BazelVersion = (typeof BAZEL_VERSIONS)[number];

/**
 * A temporary folder holding a copy of each Bazel version's sweep fixture as bazel-<version>/sweep, made once
 * per test process: readers cache each run's summary (run-summary.json) in its run folder, and the checked-in
 * fixtures must stay as captured. CLI tests run in it to keep the paths they print short.
 */
export function sweepFixturesRoot(): string {
  if (fixturesRoot === undefined) {
    fixturesRoot = mkdtempSync(join(tmpdir(), "memory-adventure-fixtures-"));
    for (const version of BAZEL_VERSIONS) {
      cpSync(join(FIXTURES_DIR, `bazel-${version}`, "sweep"), join(fixturesRoot, `bazel-${version}`, "sweep"), { recursive: true });
    }
  }
  return fixturesRoot;
}

let fixturesRoot: string | undefined;

/** The small sweep folder captured with that Bazel (its copy: see sweepFixturesRoot): runs/<id>/run.json and artifacts. */
export function sweepFixture(version: BazelVersion): string {
  return join(sweepFixturesRoot(), `bazel-${version}`, "sweep");
}

/** A complete profile of a successful build (the first non-warm-up run at the highest limit). */
export function okProfile(version: BazelVersion): string {
  return join(sweepFixture(version), "runs", "0256m-r01", "profile.json.gz");
}

/**
 * Crashed builds' profiles (see capture.mjs): "oom-complete" (4.2.3: Bazel still wrote all of it),
 * "oom-json-cut" (7.7.1: gzip closed, JSON cut mid-event), "crash-truncated" (both: gzip and JSON cut).
 */
export type CrashProfile = "oom-complete" | "oom-json-cut" | "crash-truncated";

/** The crash profile captured with each version besides crash-truncated. */
export const OOM_PROFILE: Readonly<Record<BazelVersion, CrashProfile>> = { "4.2.3": "oom-complete", "7.7.1": "oom-json-cut" };

export function crashProfile(version: BazelVersion, name: CrashProfile): string {
  return join(FIXTURES_DIR, `bazel-${version}`, "profiles", `${name}.json.gz`);
}

/** The decompressed text of a gzipped fixture. */
export function gunzippedText(path: string): string {
  return gunzipSync(readFileSync(path)).toString("utf8");
}

/**
 * Independent of the scanner: Bazel writes the header and `"traceEvents":[` on the first line, then
 * one event a line. Returns the character offset where each complete event's JSON object ends (a
 * line cut short by the end of the text is no event).
 */
export function eventEndOffsets(text: string): number[] {
  const ends: number[] = [];
  let lineStart = text.indexOf("\n") + 1;
  while (lineStart > 0 && lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    const line = text.slice(lineStart, newline < 0 ? text.length : newline);
    const trimmed = line.trim().replace(/,$/, "");
    if (trimmed.startsWith("{") && parses(trimmed)) ends.push(lineStart + line.indexOf("{") + trimmed.length);
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  return ends;
}

/** What zlib can inflate from a gzip file cut anywhere (the reference for truncation tests). */
export function inflatablePrefix(gzipped: Uint8Array): string {
  return gunzipSync(gzipped, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString("utf8");
}

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}
