// The heap digests the sweeps of the blame fixtures wrote (test/fixtures/bazel-*/blame/repro-dumps/runs/<id>/
// heap-digest.json: real crash dumps of the reproduction), and copies of them changed for growth cases.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Evidence, HeapDigest, Suspect } from "../../src/core/heap/heap-digest.js";
import { FIXTURES_DIR, type BazelVersion } from "./fixtures.js";

/** The crash runs of each version's fixture that left a digest. */
export const DIGEST_RUNS: Readonly<Record<BazelVersion, readonly string[]>> = {
  "4.2.3": ["0256m-e01", "0256m-e02", "0256m-r01"],
  "7.7.1": ["0256m-e01", "0256m-r01"],
};

export function digestSweep(version: BazelVersion): string {
  return join(FIXTURES_DIR, `bazel-${version}`, "blame", "repro-dumps");
}

export function digestPath(version: BazelVersion, run: string): string {
  return join(digestSweep(version), "runs", run, "heap-digest.json");
}

export function fixtureDigest(version: BazelVersion, run: string): HeapDigest {
  return JSON.parse(readFileSync(digestPath(version, run), "utf8")) as HeapDigest;
}

/** The workspace the fixture's sweep built (its .bzl paths are under it). */
export function fixtureWorkspace(version: BazelVersion): string {
  return (JSON.parse(readFileSync(join(digestSweep(version), "sweep.json"), "utf8")) as { settings: { workspace: string } }).settings.workspace;
}

/**
 * A copy of the digest in which one function holds `extraBytes` more in one kind of holder (its provider
 * `provider`, say), its total and the reachable heap grown alike, as a digest of a build whose function grew
 * would show.
 */
export function grown(digest: HeapDigest, fn: string, kind: Exclude<Evidence["kind"], "on-stack">, extraBytes: number, provider?: string): HeapDigest {
  const suspects = digest.suspects.map((suspect): Suspect => {
    if (suspect.function !== fn) return suspect;
    let found = false;
    const evidence = suspect.evidence.map((entry): Evidence => {
      if (entry.kind !== kind || (entry.kind === "providers" && entry.provider !== provider)) return entry;
      found = true;
      return { ...entry, bytes: entry.bytes + extraBytes };
    });
    if (!found) throw new Error(`${fn} has no ${kind} ${provider ?? ""} in this digest`);
    return { ...suspect, retainedBytes: suspect.retainedBytes + extraBytes, evidence };
  });
  return { ...digest, dump: { ...digest.dump, reachableBytes: digest.dump.reachableBytes + extraBytes }, suspects };
}

/** A copy with every .bzl path under `from` moved under `to` (another checkout, another machine). */
export function moved(digest: HeapDigest, from: string, to: string): HeapDigest {
  return JSON.parse(JSON.stringify(digest).replaceAll(`"${from}/`, `"${to}/`)) as HeapDigest;
}
