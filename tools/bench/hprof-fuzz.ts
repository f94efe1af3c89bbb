// Fuzzes the HPROF reader for longer than its test does (test/core/heap/hprof-fuzz.test.ts runs 10,000 cases):
// the same cases (test/core/heap/hprof-fuzz-cases.ts: small windows of real dumps, mutated and cut), as many as
// asked for, from any seed. Every case must read as a consistent Heap or throw HprofError with an offset in the
// file, within the allocation bound; each failure is printed with its seed and case number, which replay it.
// Exits 1 when any case failed.
//
//   npm run bench:fuzz -- [--seed N] [--cases 200000] [--dump PATH]... [--show 20]
//
// Without --dump it fuzzes every checked-in dump (test/fixtures/hprof and test/fixtures/bazel-*/heap-dump).
// A failure found here belongs in the test's seed range once fixed: run the test's seed with more cases to see.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadFuzzBase, runCases } from "../test/core/heap/hprof-fuzz-cases.js";

// npm runs scripts in tools/.
const FIXTURES = resolve("test/fixtures");

function main(): number {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      cases: { type: "string", default: "200000" },
      dump: { type: "string", multiple: true },
      show: { type: "string", default: "20" },
    },
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const cases = Number(values.cases);
  const show = Number(values.show);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed ${values.seed}: give a whole number`);
  if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`--cases ${values.cases}: give a whole number of at least 1`);
  const dumps = values.dump?.map((path) => resolve(path)) ?? checkedInDumps();
  const bases = dumps.map(loadFuzzBase);
  log(`seed ${seed}, ${cases} cases over ${bases.length} dumps: ${bases.map((base) => base.name).join(", ")}`);
  const outcomes = { heap: 0, truncated: 0, error: 0 };
  const failures: string[] = [];
  const start = performance.now();
  runCases(bases, seed, 0, cases, (index, fuzz, result) => {
    outcomes[result.outcome]++;
    if (result.failure !== undefined) {
      failures.push(`case ${index}: ${fuzz.recipe}\n    ${result.failure.split("\n").slice(0, 6).join("\n    ")}`);
      if (failures.length <= show) log(`FAILED ${failures.at(-1)!}`);
    }
    if ((index + 1) % 20_000 === 0) log(`${index + 1} cases, ${failures.length} failed, ${((performance.now() - start) / 1000).toFixed(1)} s`);
  });
  const seconds = (performance.now() - start) / 1000;
  log(
    `${cases} cases in ${seconds.toFixed(1)} s (${Math.round(cases / seconds)}/s): ${outcomes.heap} whole heaps, ${outcomes.truncated} cut ones, ` +
      `${outcomes.error} HprofErrors; ${failures.length} failed${failures.length > 0 ? ` (replay: --seed ${seed})` : ""}`,
  );
  return failures.length > 0 ? 1 : 0;
}

function checkedInDumps(): string[] {
  const dumps = ["shapes", "oom"].map((name) => join(FIXTURES, "hprof", `${name}.hprof.gz`));
  for (const version of readdirSync(FIXTURES).filter((name) => name.startsWith("bazel-")).sort()) {
    const folder = join(FIXTURES, version, "heap-dump");
    if (existsSync(folder)) for (const file of readdirSync(folder).sort()) if (file.endsWith(".hprof.gz")) dumps.push(join(folder, file));
  }
  return dumps;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

process.exitCode = main();
