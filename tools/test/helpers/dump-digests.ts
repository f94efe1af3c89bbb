// Digests of the real Bazel heap dumps of test/fixtures/bazel-<version>/heap-dump, made by the current sources
// (so with every field a digest has now, whatever generation the goldens beside them are), once per test process.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DEFAULT_DIGEST_TOP, digestHeap, type HeapDigest } from "../../src/core/heap/heap-digest.js";
import { bytesSource, readHeap } from "../../src/core/heap/hprof.js";
import { FIXTURES_DIR, type BazelVersion } from "./fixtures.js";

/** The cases of test/fixtures/capture-heap-dumps.mjs, checked in for each Bazel version. */
export const DUMP_CASES = ["reproduction", "list-lattice"] as const;
export type DumpCase = (typeof DUMP_CASES)[number];

export function dumpFile(version: BazelVersion, name: DumpCase): string {
  return join(FIXTURES_DIR, `bazel-${version}`, "heap-dump", `${name}.hprof.gz`);
}

const digests = new Map<string, HeapDigest>();

/** The digest `heap --json` makes of the dump (the .bzl files absolute, as the dump names them). */
export function dumpDigest(version: BazelVersion, name: DumpCase): HeapDigest {
  const file = dumpFile(version, name);
  let digest = digests.get(file);
  if (digest === undefined) {
    const source = bytesSource(new Uint8Array(gunzipSync(readFileSync(file))));
    digest = JSON.parse(JSON.stringify(digestHeap(readHeap(source), source, { top: DEFAULT_DIGEST_TOP }))) as HeapDigest;
    digests.set(file, digest);
  }
  return digest;
}
