// The HPROF reader on ten thousand mutated and cut windows of the real dumps (test/fixtures/hprof and the
// Bazel dumps of test/fixtures/bazel-*/heap-dump), seeded so that a failure names a case anyone can replay:
// each read returns a consistent Heap (truncated where only cut) or throws HprofError with an offset in the
// file, within an allocation bound set by the file's size. `npm run bench:fuzz` runs many more cases.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";
import { loadFuzzBase, runCases, type FuzzBase } from "./hprof-fuzz-cases.js";

const SEED = 20261205;
const CASES = 10_000;

/** Every checked-in dump: the two tiny Java programs' and the real Bazel ones. */
function fuzzDumps(): string[] {
  const dumps = ["shapes", "oom"].map((name) => join(FIXTURES_DIR, "hprof", `${name}.hprof.gz`));
  for (const version of readdirSync(FIXTURES_DIR).filter((name) => name.startsWith("bazel-"))) {
    const folder = join(FIXTURES_DIR, version, "heap-dump");
    if (existsSync(folder)) for (const file of readdirSync(folder).sort()) if (file.endsWith(".hprof.gz")) dumps.push(join(folder, file));
  }
  return dumps;
}

describe("readHeap on mutated and cut windows of real dumps", () => {
  it(`returns a consistent Heap or throws HprofError, for ${CASES} seeded cases`, () => {
    const bases: FuzzBase[] = fuzzDumps().map(loadFuzzBase);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    const failures: string[] = [];
    const outcomes = { heaps: 0, truncated: 0, errors: 0 };
    runCases(bases, SEED, 0, CASES, (index, fuzz, result) => {
      if (result.failure !== undefined) failures.push(`case ${index} (seed ${SEED}; ${fuzz.recipe}): ${result.failure}`);
      else if (result.outcome === "error") outcomes.errors++;
      else if (result.outcome === "truncated") outcomes.truncated++;
      else outcomes.heaps++;
    });
    expect(failures.slice(0, 5)).toEqual([]);
    expect(failures).toHaveLength(0);
    // The cases reach every outcome: whole heaps, cut ones, and corruption found.
    expect(outcomes.heaps).toBeGreaterThan(CASES / 50);
    expect(outcomes.truncated).toBeGreaterThan(CASES / 10);
    expect(outcomes.errors).toBeGreaterThan(CASES / 10);
  }, 120_000);
});
