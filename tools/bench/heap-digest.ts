// Issue 18's goals for `heap`: digest real Bazel heap dumps of both shapes a Starlark memory bug leaves, each of at
// least 1 GB, and a list-heavy one of at least 4 GB, at 150 MB/s or more on this 2-core machine, with a peak RSS of
// at most 0.35× the dump's size. Per dump it times `cat DUMP > /dev/null` and the digest in the same run (page cache
// warm for both: the dump is read once first) and prints the size, MB/s of each and their ratio, the digest's CPU
// time (the figure to compare two versions by when other work shares the machine: wall time is noisy there), its
// peak RSS per byte of dump, the objects, the goals (met / not met) and a table of the digest's phases (seconds,
// share, MB/s of the read, peak RSS after each). At the end, one Markdown row per dump for the README. Prints
// numbers only; nothing asserts on them.
//
//   npm run bench:heap -- [--dumps DIR] [--shapes string-heavy,list-heavy,list-heavy-4g,many-targets] [--runs 3]
//                         [--baseline REV] [--bazel PATH] [--keep] [--max-memory SIZE]
//   npm run bench:heap -- --dump PATH [--runs 3] [--baseline REV]      (just that file)
//
// --max-memory SIZE digests as `heap --max-memory SIZE` does (what the digest keeps on disk when memory is short:
// the id lookup always, the cross edges when the limit leaves them too little room); a dump it cannot hold fails
// the run.
//
// The dumps, made with real Bazel (4.2.3, `bazel` on PATH, or --bazel) when missing from DIR (default: a folder
// under the system's temp folder, kept between runs so that re-runs skip the builds):
//   string-heavy    the reproduction, `build --config=eat --//memory:multiplier=200 //...` in this repository at
//                   -Xmx1100m (~1.4 GB file): the aspect's strings;
//   list-heavy      a copy of test/workspaces/list_lattice with 8 layers of 16 (a rule that flattens its deps'
//                   lists into its provider) at -Xmx1200m (1.4–1.5 GB): huge Object[] of references to few strings;
//   list-heavy-4g   the same at -Xmx3400m (~5 GB);
//   many-targets    a copy of test/workspaces/many_targets with 200 packages of 1,000 nodes, analysis only, at
//                   -Xmx3g, then a live heap dump (~0.5 GB) as `snapshot` takes one: no Starlark bug, a
//                   monorepo's graph (a target, a provider and an action per node: 600,000 holders to attribute).
// Each build runs in an output base of its own under a temporary folder, ends with exit 33 (out of memory) and its
// JVM's -XX:HeapDumpPath dump moves into DIR with a record of how it was made (SHAPE.json: the recipe, the exit
// code, the build's time); that server is shut down and its output base deleted. A dump whose recipe changed, or
// that has no record, is made again; a build that does not run out of memory is reported and its shape skipped
// (exit 1); a dump smaller than promised is digested and flagged. The file is larger than the heap was: 8-byte ids
// in the file, 4-byte compressed references in the heap. Needs ~9 GB of free disk in DIR, ~5 GB of memory for the
// biggest build.
//
// The digest runs in a child process, so that the peak RSS is the digest's alone: the child reports its own
// (getrusage's maxrss) with its CPU time, a hash of the digest, and each phase the digest reports to its observer
// (core/heap/digest-phases.ts) with the peak RSS so far at the phase's end ("(open)": before the first phase;
// "(JSON)": the output built as `heap --json` builds it). The child is bundled with esbuild from the working tree's
// sources (not dist/). With --baseline REV, the same child is bundled from git revision REV too (checked out with
// `git worktree add` into a temporary folder, removed afterwards) and the two run interleaved, alternating which
// goes first, on the same dump: each pair's CPU ratio current/baseline, their median (goal ≤ 1.05), each side's
// peak RSS, and whether both digests are the same. A revision whose digest takes no observer reports no phases.
//
// Measured 2026-12-05 ~11:18 on this 2-core machine (24 GB), load average 6–8 from other tests and Bazel builds
// beside it, working tree of 11dcb2f with the reader being changed (--runs 3; best wall, least CPU, highest RSS):
//   string-heavy   1.43 GB, 28.4 M objects: 119 MB/s wall (81× cat), 122 MB/s CPU, RSS 0.59×; read 6.7 s of 12.1
//   list-heavy     1.41 GB, 286 k objects:  448 MB/s wall (18× cat), 509 MB/s CPU, RSS 0.08×; read 2.5 s of 3.1
//   list-heavy-4g  5.07 GB, 287 k objects:  620 MB/s wall (15× cat), 697 MB/s CPU, RSS 0.02×; read 7.7 s of 8.2
// Goals: met on both list-heavy dumps, not on string-heavy (speed nor RSS). Wall times moved by up to 2× between
// runs (string-heavy 55–119 MB/s over four runs that day); CPU times by ~15%. Making the dumps took 88 s, 69 s and
// 106 s, waits for other builds on the machine included (list-heavy alone: 18 s).
// Before: 2026-11-30, the 641 MB reproduction dump (-Xmx640m, multiplier 60): 99–123 MB/s, peak RSS 0.55×.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DIGEST_PHASES } from "../src/core/heap/digest-phases.js";
import { parseMemoryLimit } from "../src/core/heap/memory-budget.js";
import { dumpHeap, pathInTarget } from "../src/io/jvm-attach.js";

// npm runs scripts in tools/; the reproduction is the repository around it.
const TOOLS = resolve(".");
const REPOSITORY = resolve("..");
/** Bazel's exit code when the build ran out of memory. */
const OOM_EXIT = 33;
const GOAL_MB_PER_SECOND = 150;
/** The flags the launcher gives node (analysis/private/launcher.sh.tpl): the digest is measured as users run it. */
const LAUNCHER_NODE_FLAGS = ["--max-semi-space-size=4"];
const GOAL_PEAK_RSS_PER_DUMP_BYTE = 0.35;
const GOAL_BASELINE_CPU_RATIO = 1.05;
const GB = 1e9;
const DEFAULT_DUMPS_DIR = join(tmpdir(), "memory-adventure-bench-dumps");

const SHAPES = ["string-heavy", "list-heavy", "list-heavy-4g", "many-targets"] as const;
type ShapeName = (typeof SHAPES)[number];

/** How one shape's dump is made; a cached dump's record holds it, so that a changed recipe makes the dump again. */
interface DumpRecipe {
  readonly shape: ShapeName;
  /** The least size of the dump file, in bytes. */
  readonly promisedBytes: number;
  /**
   * The workspace built: this repository (the reproduction), a copy of list_lattice with its own layers, or a copy
   * of many_targets with `packages` packages of `perPackage` nodes.
   */
  readonly workspace:
    | { readonly kind: "reproduction" }
    | { readonly kind: "lattice"; readonly layers: number; readonly width: number }
    | { readonly kind: "targets"; readonly packages: number; readonly perPackage: number };
  /** The Bazel server's -Xmx: with the shape, it sets the dump's size. */
  readonly maxHeap: string;
  /**
   * When the dump is taken: by the JVM as it runs out of memory (the build must exit 33), or, for a build that
   * succeeds, asked of the live server over the attach protocol (reachable objects only), as `snapshot` does.
   */
  readonly dumpWhen: "out-of-memory" | "after-the-build";
  readonly build: readonly string[];
}

// 8 layers of 16: a node of layer k holds ~3.2 × 16^k references, so layer 6's nodes hold 54 M each (215 MB as
// compressed references): any heap below ~50 GB runs out there or in layer 7, and the heap's size alone sets the
// dump's, as in a monorepo where one more target tips the server over.
const LATTICE = { kind: "lattice", layers: 8, width: 16 } as const;
const LATTICE_BUILD = ["build", "--symlink_prefix=/", "//..."];
const RECIPES: readonly DumpRecipe[] = [
  {
    shape: "string-heavy",
    promisedBytes: 1 * GB,
    workspace: { kind: "reproduction" },
    maxHeap: "1100m",
    dumpWhen: "out-of-memory",
    build: ["build", "--config=eat", "--//memory:multiplier=200", "--symlink_prefix=/", "//..."],
  },
  { shape: "list-heavy", promisedBytes: 1 * GB, workspace: LATTICE, maxHeap: "1200m", dumpWhen: "out-of-memory", build: LATTICE_BUILD },
  { shape: "list-heavy-4g", promisedBytes: 4 * GB, workspace: LATTICE, maxHeap: "3400m", dumpWhen: "out-of-memory", build: LATTICE_BUILD },
  // 200,000 nodes, analysis only, then a live dump as `snapshot` takes one (~2.3 KB of heap a node). Run out of
  // memory, such a graph does not throw: at -Xmx1100m the server collected for minutes at 259,000 of 600,000
  // nodes (G1), or crawled through them (parallel collector: 18,600 in 6 minutes), and wrote no dump.
  {
    shape: "many-targets",
    promisedBytes: 0.4 * GB,
    workspace: { kind: "targets", packages: 200, perPackage: 1000 },
    maxHeap: "3g",
    dumpWhen: "after-the-build",
    build: ["build", "--nobuild", "--symlink_prefix=/", "//..."],
  },
];

/** SHAPE.json beside SHAPE.hprof in the dumps folder: how the dump was made. */
interface DumpRecord {
  readonly recipe: DumpRecipe;
  /** `bazel --version`. */
  readonly bazelVersion: string;
  readonly exitCode: number;
  readonly buildSeconds: number;
  readonly bytes: number;
  /** ISO 8601. */
  readonly madeAt: string;
}

/** A dump to digest, with where it came from. */
interface BenchDump {
  /** The shape, or "given" for --dump. */
  readonly label: string;
  readonly path: string;
  readonly bytes: number;
  /** One line: how it was made, or that it was given. */
  readonly origin: string;
  /** Set when the dump is smaller than its recipe promised. */
  readonly shortfall: string | undefined;
}

/** A build that did not leave the dump its recipe asks for. */
class DumpNotMade extends Error {}

/** A stretch of the child's digest: a phase the digest reported, or the child's own "(open)" and "(JSON)". */
interface PhaseSpan {
  readonly name: string;
  readonly seconds: number;
  /** The child's peak RSS so far at the span's end. */
  readonly peakRssBytes: number;
}

interface ChildReport {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly objects: number;
  readonly digestHash: string;
  /** In order; empty when the child's digest takes no observer (a revision from before the phases). */
  readonly phases: readonly PhaseSpan[];
}

/** Where the child's imports are, in any tree since the core moved into folders by domain. */
const CHILD_IMPORTS = ["src/io/heap-dumps.ts", "src/core/heap/heap-digest.ts"];
/** A revision's digestDumpFile from before DumpDigestOptions: it takes top and the observer one by one. */
const POSITIONAL_DIGEST = /function digestDumpFile\(path: string, top: number/;
/** Since: one options object. A tree with neither is refused rather than called wrong. */
const OPTIONS_DIGEST = /function digestDumpFile\(path: string, \{ top,/;
/**
 * The child: the digest as `heap --json` computes it, timed from inside; its report on stdout. An older revision's
 * digestDumpFile ignores the observer, leaving only the child's own two spans: it then reports no phases.
 * `positional`: the revision's digestDumpFile takes its options one by one (POSITIONAL_DIGEST).
 */
const childSource = (positional: boolean): string => `
import { createHash } from "node:crypto";
import { digestDumpFile } from "./${CHILD_IMPORTS[0]}";
import { DEFAULT_DIGEST_TOP } from "./${CHILD_IMPORTS[1]}";
const dump = process.argv[2];
const memoryLimitBytes = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;
const start = performance.now();
const cpu = process.cpuUsage();
const spans = [{ name: "(open)", start }];
const endSpan = (now) => {
  const span = spans[spans.length - 1];
  span.seconds = (now - span.start) / 1000;
  span.peakRssBytes = peakRssBytes();
};
const observer = {
  phase(name) {
    const now = performance.now();
    endSpan(now);
    spans.push({ name, start: now });
  },
  bytesRead() {},
};
const digest = await digestDumpFile(dump, ${positional ? "DEFAULT_DIGEST_TOP, observer" : "{ top: DEFAULT_DIGEST_TOP, observer, memoryLimitBytes }"});
const digestEnd = performance.now();
endSpan(digestEnd);
spans.push({ name: "(JSON)", start: digestEnd });
// The command's output, built as \`heap --json\` builds it (hashed, not written: writing it is not the digest's cost).
const json = JSON.stringify({ schema: 1, dumps: [{ source: dump, ...digest }] }, null, 2);
const used = process.cpuUsage(cpu);
const end = performance.now();
endSpan(end);
process.stdout.write(JSON.stringify({
  wallSeconds: (end - start) / 1000,
  cpuSeconds: (used.user + used.system) / 1e6,
  peakRssBytes: peakRssBytes(),
  objects: digest.dump.objects,
  digestHash: createHash("sha256").update(json).digest("hex"),
  phases: spans.length > 2 ? spans.map(({ name, seconds, peakRssBytes }) => ({ name, seconds, peakRssBytes })) : [],
}) + "\\n");
`;

/** A bundled child and what it is (its sources' tree). */
interface Digester {
  readonly label: string;
  readonly script: string;
}

/** What one dump's measurement gives the closing Markdown table. */
interface DumpSummary {
  readonly dump: BenchDump;
  readonly catSeconds: number;
  /** The current tree's run with the least wall time. */
  readonly best: ChildReport;
  /** The highest peak RSS of the current tree's runs. */
  readonly peakRssBytes: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dump: { type: "string" },
      dumps: { type: "string", default: DEFAULT_DUMPS_DIR },
      shapes: { type: "string", default: SHAPES.join(",") },
      runs: { type: "string", default: "3" },
      baseline: { type: "string" },
      bazel: { type: "string", default: "bazel" },
      keep: { type: "boolean", default: false },
      "max-memory": { type: "string" },
    },
  });
  const launcher = await readFile(join(REPOSITORY, "analysis", "private", "launcher.sh.tpl"), "utf8");
  const missing = LAUNCHER_NODE_FLAGS.find((flag) => !launcher.includes(`exec "$node" ${flag} `));
  if (missing !== undefined) throw new Error(`the launcher no longer gives node ${missing}: make LAUNCHER_NODE_FLAGS what analysis/private/launcher.sh.tpl gives`);
  const runs = Number(values.runs);
  const memoryLimitBytes = values["max-memory"] === undefined ? undefined : parseMemoryLimit(values["max-memory"]);
  if (memoryLimitBytes === null) return usage(`--max-memory ${values["max-memory"]}: give a size of at least 160m, as heap --max-memory takes it (512m, 8g)`);
  if (!Number.isSafeInteger(runs) || runs < 1) return usage(`--runs ${values.runs}: give a whole number of at least 1`);
  if (values.dump !== undefined && !existsSync(values.dump)) return usage(`--dump ${values.dump}: no such file; give a heap dump (.hprof)`);
  const shapeNames = values.shapes.split(",").filter((name) => name !== "");
  const unknown = shapeNames.find((name) => !(SHAPES as readonly string[]).includes(name));
  if (unknown !== undefined || shapeNames.length === 0) return usage(`--shapes ${values.shapes}: give some of ${SHAPES.join(", ")}, separated by commas`);
  const recipes = RECIPES.filter((recipe) => shapeNames.includes(recipe.shape));
  const baselineCommit = values.baseline === undefined ? undefined : commitOf(values.baseline);
  if (values.baseline !== undefined && baselineCommit === undefined) return usage(`--baseline ${values.baseline}: not a git revision of this repository; give a commit, branch or tag`);
  const dir = await mkdtemp(join(tmpdir(), "heap-digest-bench-"));
  const worktree = join(dir, "baseline");
  try {
    const current: Digester = { label: "current", script: await bundleChild(TOOLS, join(dir, "current.mjs")) };
    let baseline: Digester | undefined;
    if (baselineCommit !== undefined) {
      git(["worktree", "add", "--detach", worktree, baselineCommit]);
      baseline = { label: `baseline ${values.baseline} (${baselineCommit.slice(0, 10)})`, script: await bundleChild(join(worktree, "tools"), join(dir, "baseline.mjs")) };
    }
    const dumps: BenchDump[] = [];
    if (values.dump !== undefined) dumps.push(await givenDump(resolve(values.dump)));
    else {
      const dumpsDir = resolve(values.dumps);
      await mkdir(dumpsDir, { recursive: true });
      for (const recipe of recipes) {
        try {
          dumps.push(await cachedOrMadeDump(recipe, dumpsDir, values.bazel, dir));
        } catch (error) {
          if (!(error instanceof DumpNotMade)) throw error;
          log(`${recipe.shape}: NO DUMP, skipped: ${error.message}`);
          process.exitCode = 1;
        }
      }
    }
    const summaries: DumpSummary[] = [];
    for (const dump of dumps) {
      log(`\n== ${dump.label}: ${dump.path}, ${mb(dump.bytes).toFixed(0)} MB`);
      log(`   ${dump.origin}`);
      if (dump.shortfall !== undefined) log(`   ${dump.shortfall}`);
      // Other work on the machine shows in the wall times (not much in the CPU times): say how much there was.
      log(`   machine: ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} over the last minute`);
      const cat = await catSeconds(dump.path, runs);
      log(`cat > /dev/null: ${cat.toFixed(2)} s (best of ${runs}), ${(mb(dump.bytes) / cat).toFixed(0)} MB/s`);
      summaries.push(baseline === undefined ? await measure(current, dump, cat, runs, memoryLimitBytes) : await compare(current, baseline, dump, cat, runs, memoryLimitBytes));
    }
    if (summaries.length > 0) printMarkdown(summaries);
    if (values.keep) log(`kept: ${dir}`);
  } finally {
    if (existsSync(worktree)) git(["worktree", "remove", "--force", worktree]);
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

async function givenDump(path: string): Promise<BenchDump> {
  return { label: "given", path, bytes: (await stat(path)).size, origin: "given with --dump: its origin is not checked", shortfall: undefined };
}

/** The recipe's dump from `dumpsDir` when its record matches, else made now (and recorded there). */
async function cachedOrMadeDump(recipe: DumpRecipe, dumpsDir: string, bazel: string, scratch: string): Promise<BenchDump> {
  const path = join(dumpsDir, `${recipe.shape}.hprof`);
  const recordPath = join(dumpsDir, `${recipe.shape}.json`);
  const record = await readRecord(recordPath);
  const bytes = existsSync(path) ? (await stat(path)).size : undefined;
  const stale =
    bytes === undefined
      ? `none in ${dumpsDir}`
      : record === undefined
        ? `${path} has no record of how it was made (${recordPath})`
        : JSON.stringify(record.recipe) !== JSON.stringify(recipe)
          ? "its recipe changed"
          : record.bytes !== bytes
            ? `its size is ${bytes} bytes, not the ${record.bytes} recorded`
            : undefined;
  if (stale === undefined) return recordedDump(recipe, path, record!, "cached");
  log(`${recipe.shape}: making the dump with Bazel (${stale})`);
  await rm(recordPath, { force: true });
  const made = await makeDump(recipe, path, bazel, scratch);
  await writeFile(recordPath, `${JSON.stringify(made, null, 2)}\n`);
  return recordedDump(recipe, path, made, "made now");
}

async function readRecord(path: string): Promise<DumpRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as DumpRecord;
  } catch {
    return undefined;
  }
}

function recordedDump(recipe: DumpRecipe, path: string, record: DumpRecord, how: string): BenchDump {
  const workspace =
    recipe.workspace.kind === "reproduction"
      ? "the reproduction"
      : recipe.workspace.kind === "lattice"
        ? `list_lattice with ${recipe.workspace.layers} layers of ${recipe.workspace.width}`
        : `many_targets with ${recipe.workspace.packages} packages of ${recipe.workspace.perPackage} nodes`;
  return {
    label: recipe.shape,
    path,
    bytes: record.bytes,
    origin:
      `${how}: ${record.bazelVersion} \`${recipe.build.join(" ")}\` of ${workspace} at -Xmx${recipe.maxHeap} ` +
      `${recipe.dumpWhen === "out-of-memory" ? "ran out of memory" : "built, then dumped live"} (exit ${record.exitCode}) after ${record.buildSeconds.toFixed(0)} s, ${record.madeAt}; ${mb(record.bytes).toFixed(0)} MB, promised ≥ ${mb(recipe.promisedBytes).toFixed(0)} MB`,
    shortfall:
      record.bytes >= recipe.promisedBytes
        ? undefined
        : `SMALLER THAN PROMISED: ${mb(record.bytes).toFixed(0)} MB < ${mb(recipe.promisedBytes).toFixed(0)} MB; raise ${recipe.shape}'s -Xmx in the bench's recipes`,
  };
}

/**
 * The recipe's build, run until the server runs out of memory and writes its heap dump (or, after a build that
 * succeeds, until the live server has written one), which moves to `path`; the server is shut down after (it is
 * dead already when the build ran out of memory, but a build that did not leaves it up) and its output base
 * deleted.
 */
async function makeDump(recipe: DumpRecipe, path: string, bazel: string, scratch: string): Promise<DumpRecord> {
  // The JVM refuses to write over a file: the dump goes to a name of its own until the build is known to be done.
  const writing = path.replace(/\.hprof$/, ".writing.hprof");
  await rm(writing, { force: true });
  await rm(path, { force: true });
  const workspace = await workspaceFor(recipe, scratch);
  const outputBase = join(scratch, `output-base-${recipe.shape}`);
  const startup = [`--output_base=${outputBase}`, "--max_idle_secs=60"];
  const jvm = [`-Xmx${recipe.maxHeap}`, "-XX:+HeapDumpOnOutOfMemoryError", `-XX:HeapDumpPath=${writing}`].map((flag) => `--host_jvm_args=${flag}`);
  const bazelVersion = bazelVersionOf(bazel);
  const start = performance.now();
  let exitCode: number | null;
  try {
    exitCode = await run(bazel, [...startup, ...jvm, ...recipe.build], workspace);
    if (recipe.dumpWhen === "after-the-build") {
      if (exitCode !== 0) throw new DumpNotMade(`bazel build exited with ${exitCode}, not 0: see its output above`);
      const pid = Number(execFileSync(bazel, [...startup, ...jvm, "info", "server_pid"], { cwd: workspace, encoding: "utf8" }).trim());
      await dumpHeap(pid, await pathInTarget(pid, writing), { live: true });
      await rename(writing, path);
      return { recipe, bazelVersion, exitCode, buildSeconds: (performance.now() - start) / 1000, bytes: (await stat(path)).size, madeAt: new Date().toISOString() };
    }
  } finally {
    // With the build's startup flags: other flags would have Bazel kill a server that is still up.
    await run(bazel, [...startup, ...jvm, "shutdown"], workspace).catch(() => undefined);
    await rm(outputBase, { recursive: true, force: true });
  }
  const buildSeconds = (performance.now() - start) / 1000;
  const written = existsSync(writing);
  if (exitCode !== OOM_EXIT) {
    await rm(writing, { force: true });
    throw new DumpNotMade(
      `bazel build exited with ${exitCode}, not ${OOM_EXIT} (out of memory)${written ? "; the dump it wrote is not used" : ""}: see its output above`,
    );
  }
  if (!written) throw new DumpNotMade(`the build ran out of memory (exit ${OOM_EXIT}) but its JVM wrote no heap dump at ${writing}`);
  await rename(writing, path);
  return { recipe, bazelVersion, exitCode, buildSeconds, bytes: (await stat(path)).size, madeAt: new Date().toISOString() };
}

/** `bazel --version` (no server needed), or DumpNotMade when BAZEL does not run. */
function bazelVersionOf(bazel: string): string {
  try {
    return execFileSync(bazel, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    throw new DumpNotMade(`${bazel} --version failed (${(error as Error).message.split("\n")[0]}); give Bazel 4.2.3 with --bazel PATH`);
  }
}

/** The folder to build the recipe in: this repository, or a fresh copy of list_lattice with the recipe's lattice. */
async function workspaceFor(recipe: DumpRecipe, scratch: string): Promise<string> {
  if (recipe.workspace.kind === "reproduction") return REPOSITORY;
  const workspace = join(scratch, `workspace-${recipe.shape}`);
  await rm(workspace, { recursive: true, force: true });
  if (recipe.workspace.kind === "targets") {
    await cp(join(TOOLS, "test", "workspaces", "many_targets"), workspace, { recursive: true });
    const { packages, perPackage } = recipe.workspace;
    // Ten chains of packages: p{k} depends on p{k-10}, so the graph is a tenth of the packages deep.
    for (let p = 0; p < packages; p++) {
      await mkdir(join(workspace, `p${p}`), { recursive: true });
      const below = p >= 10 ? `, below = "p${p - 10}"` : "";
      await writeFile(join(workspace, `p${p}`, "BUILD.bazel"), `# Written by tools/bench/heap-digest.ts.\nload("//:defs.bzl", "nodes")\n\nnodes(count = ${perPackage}${below})\n`);
    }
    return workspace;
  }
  await cp(join(TOOLS, "test", "workspaces", "list_lattice"), workspace, { recursive: true });
  const { layers, width } = recipe.workspace;
  await writeFile(
    join(workspace, "BUILD.bazel"),
    `# Written by tools/bench/heap-digest.ts: the lattice of test/workspaces/list_lattice, grown to fill a big heap.\n` +
      `load(":defs.bzl", "lattice")\n\nlattice(\n    name = "node",\n    layers = ${layers},\n    width = ${width},\n)\n`,
  );
  return workspace;
}

/** The current sources' digest, `runs` times: speed against cat's, CPU, peak RSS, phases against the goals. */
async function measure(current: Digester, dump: BenchDump, cat: number, runs: number, memoryLimitBytes: number | undefined): Promise<DumpSummary> {
  const reports: ChildReport[] = [];
  for (let run = 0; run < runs; run++) {
    const report = await digestInChild(current, dump.path, memoryLimitBytes);
    reports.push(report);
    log(`digest run ${run + 1}: ${describeRun(report, dump.bytes, cat)}`);
  }
  return summarize(dump, cat, reports);
}

/** Current and baseline interleaved, `runs` pairs, alternating which goes first: their ratios and peaks. */
async function compare(current: Digester, baseline: Digester, dump: BenchDump, cat: number, runs: number, memoryLimitBytes: number | undefined): Promise<DumpSummary> {
  const pairs: { current: ChildReport; baseline: ChildReport }[] = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? [baseline, current] : [current, baseline];
    const reports = new Map<Digester, ChildReport>();
    for (const digester of order) reports.set(digester, await digestInChild(digester, dump.path, memoryLimitBytes));
    const pair = { current: reports.get(current)!, baseline: reports.get(baseline)! };
    pairs.push(pair);
    log(`run ${run + 1}: baseline ${describeRun(pair.baseline, dump.bytes, cat)}`);
    log(`       current ${describeRun(pair.current, dump.bytes, cat)}; current/baseline CPU ${(pair.current.cpuSeconds / pair.baseline.cpuSeconds).toFixed(3)}`);
  }
  const cpuRatio = median(pairs.map((pair) => pair.current.cpuSeconds / pair.baseline.cpuSeconds));
  const wallRatio = median(pairs.map((pair) => pair.current.wallSeconds / pair.baseline.wallSeconds));
  const bestRatio = Math.min(...pairs.map((pair) => pair.current.cpuSeconds)) / Math.min(...pairs.map((pair) => pair.baseline.cpuSeconds));
  const peak = (side: "current" | "baseline"): number => Math.max(...pairs.map((pair) => pair[side].peakRssBytes));
  const same = pairs.every((pair) => pair.current.digestHash === pair.baseline.digestHash);
  log(`${baseline.label} against ${current.label}, ${runs} pairs on ${mb(dump.bytes).toFixed(0)} MB:`);
  log(
    `  CPU current/baseline: median ${cpuRatio.toFixed(3)} (goal ≤ ${GOAL_BASELINE_CPU_RATIO}: ${verdict(cpuRatio <= GOAL_BASELINE_CPU_RATIO)}), ` +
      `least against least ${bestRatio.toFixed(3)}; wall: median ${wallRatio.toFixed(3)}`,
  );
  log(`  peak RSS: baseline ${mb(peak("baseline")).toFixed(0)} MB (${(peak("baseline") / dump.bytes).toFixed(2)}×), current ${mb(peak("current")).toFixed(0)} MB (${(peak("current") / dump.bytes).toFixed(2)}×)`);
  log(`  digests: ${same ? "the same" : "DIFFERENT (compare `heap --json` of both)"}`);
  const baselineBest = leastWall(pairs.map((pair) => pair.baseline));
  log(`baseline's phases, its run of least wall time:`);
  printPhases(baselineBest, dump.bytes);
  return summarize(dump, cat, pairs.map((pair) => pair.current));
}

/** The current tree's best figures against the goals, and its phases in its run of least wall time. */
function summarize(dump: BenchDump, cat: number, reports: readonly ChildReport[]): DumpSummary {
  const best = leastWall(reports);
  const leastCpu = Math.min(...reports.map((report) => report.cpuSeconds));
  const peakRssBytes = Math.max(...reports.map((report) => report.peakRssBytes));
  const speed = mb(dump.bytes) / best.wallSeconds;
  const rssRatio = peakRssBytes / dump.bytes;
  log(`phases of the run of least wall time:`);
  printPhases(best, dump.bytes);
  log(
    `${dump.label}: ${mb(dump.bytes).toFixed(0)} MB, ${best.objects} objects; cat ${cat.toFixed(2)} s (${(mb(dump.bytes) / cat).toFixed(0)} MB/s); ` +
      `digest ${best.wallSeconds.toFixed(2)} s wall = ${speed.toFixed(0)} MB/s (${(best.wallSeconds / cat).toFixed(1)}× cat), ` +
      `least CPU ${leastCpu.toFixed(2)} s = ${(mb(dump.bytes) / leastCpu).toFixed(0)} MB/s; highest peak RSS ${mb(peakRssBytes).toFixed(0)} MB = ${rssRatio.toFixed(2)}× the dump`,
  );
  log(
    `goals: ≥ ${GOAL_MB_PER_SECOND} MB/s: ${verdict(speed >= GOAL_MB_PER_SECOND)} (${speed.toFixed(0)}); ` +
      `peak RSS ≤ ${GOAL_PEAK_RSS_PER_DUMP_BYTE}× the dump: ${verdict(rssRatio <= GOAL_PEAK_RSS_PER_DUMP_BYTE)} (${rssRatio.toFixed(2)}×)` +
      (dump.shortfall === undefined ? "" : `; the dump is smaller than promised`),
  );
  return { dump, catSeconds: cat, best, peakRssBytes };
}

function describeRun(report: ChildReport, bytes: number, cat: number): string {
  return (
    `${report.wallSeconds.toFixed(2)} s wall (${(mb(bytes) / report.wallSeconds).toFixed(0)} MB/s, ${(report.wallSeconds / cat).toFixed(1)}× cat), ` +
    `${report.cpuSeconds.toFixed(2)} s CPU (${(mb(bytes) / report.cpuSeconds).toFixed(0)} MB/s), ` +
    `peak RSS ${mb(report.peakRssBytes).toFixed(0)} MB (${(report.peakRssBytes / bytes).toFixed(2)}× the dump), ${report.objects} objects`
  );
}

/** The phase table of one run: seconds, share of the wall time, MB/s of the read, peak RSS after each phase. */
function printPhases(report: ChildReport, bytes: number): void {
  if (report.phases.length === 0) {
    log(`  (no phases: this revision's digest takes no observer)`);
    return;
  }
  const rows = [["phase", "s", "share", "MB/s", "peak RSS MB", "× dump"]];
  for (const phase of report.phases) {
    rows.push([
      phase.name,
      phase.seconds.toFixed(2),
      `${((100 * phase.seconds) / report.wallSeconds).toFixed(1)}%`,
      phase.name === "read" ? (mb(bytes) / phase.seconds).toFixed(0) : "",
      mb(phase.peakRssBytes).toFixed(0),
      (phase.peakRssBytes / bytes).toFixed(2),
    ]);
  }
  rows.push(["total", report.wallSeconds.toFixed(2), "100.0%", (mb(bytes) / report.wallSeconds).toFixed(0), mb(report.peakRssBytes).toFixed(0), (report.peakRssBytes / bytes).toFixed(2)]);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) log(`  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")}`);
}

/** One row per dump, for the README: size, speed, against cat, peak RSS, each phase's seconds. */
function printMarkdown(summaries: readonly DumpSummary[]): void {
  log(`\nFor the README (${new Date().toISOString().slice(0, 10)}; the run of least wall time, the highest peak RSS):\n`);
  log(`| dump | size | MB/s | × cat | peak RSS | ${DIGEST_PHASES.map((phase) => `${phase} s`).join(" | ")} | total s |`);
  log(`|---|--:|--:|--:|--:|${DIGEST_PHASES.map(() => "--:|").join("")}--:|`);
  for (const { dump, catSeconds, best, peakRssBytes } of summaries) {
    const seconds = (phase: string): string => best.phases.find((span) => span.name === phase)?.seconds.toFixed(2) ?? "–";
    const size = dump.bytes >= GB ? `${(dump.bytes / GB).toFixed(2)} GB` : `${mb(dump.bytes).toFixed(0)} MB`;
    log(
      `| ${dump.label} | ${size} | ${(mb(dump.bytes) / best.wallSeconds).toFixed(0)} | ${(best.wallSeconds / catSeconds).toFixed(1)} | ` +
        `${(peakRssBytes / dump.bytes).toFixed(2)}× | ${DIGEST_PHASES.map(seconds).join(" | ")} | ${best.wallSeconds.toFixed(2)} |`,
    );
  }
}

function leastWall(reports: readonly ChildReport[]): ChildReport {
  return reports.reduce((best, report) => (report.wallSeconds < best.wallSeconds ? report : best));
}

function verdict(met: boolean): string {
  return met ? "met" : "NOT MET";
}

/** The child bundled from the sources of `tools` (a tools/ folder) into `outfile`. */
async function bundleChild(tools: string, outfile: string): Promise<string> {
  for (const file of CHILD_IMPORTS) if (!existsSync(join(tools, file))) throw new Error(`${tools} has no ${file}: that revision predates the bench's child`);
  const digestSource = await readFile(join(tools, CHILD_IMPORTS[0]!), "utf8");
  const positional = POSITIONAL_DIGEST.test(digestSource);
  if (!positional && !OPTIONS_DIGEST.test(digestSource)) throw new Error(`${tools}: cannot tell how its digestDumpFile is called (neither signature the bench knows)`);
  const { build } = await import("esbuild");
  await build({
    stdin: { contents: childSource(positional), resolveDir: tools, loader: "ts", sourcefile: "heap-digest-child.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    // A worktree has no node_modules of its own: packages resolve from this one.
    nodePaths: [join(TOOLS, "node_modules")],
    logLevel: "warning",
  });
  return outfile;
}

function digestInChild(digester: Digester, dump: string, memoryLimitBytes: number | undefined): Promise<ChildReport> {
  return new Promise((resolvePromise, reject) => {
    const limit = memoryLimitBytes === undefined ? [] : [String(memoryLimitBytes)];
    const child = spawn(process.execPath, [...LAUNCHER_NODE_FLAGS, digester.script, dump, ...limit], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`the ${digester.label} digest's child exited with ${code}; see its message above`));
      else resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as ChildReport);
    });
  });
}

/** The commit REV names, or undefined when it names none. */
function commitOf(rev: string): string | undefined {
  try {
    return git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim() || undefined;
  } catch {
    return undefined;
  }
}

function git(args: readonly string[]): string {
  return execFileSync("git", args, { cwd: REPOSITORY, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command in `cwd` (its output to this one's stderr); resolves with its exit code. */
function run(command: string, args: readonly string[], cwd: string): Promise<number | null> {
  process.stderr.write(`\n$ (cd ${cwd} && ${command} ${args.join(" ")})\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", 2, 2] });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code));
  });
}

/** The best of `runs` times of `cat DUMP > /dev/null`, after one read that warms the page cache. */
async function catSeconds(dump: string, runs: number): Promise<number> {
  await catToDevNull(dump);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await catToDevNull(dump);
    times.push((performance.now() - start) / 1000);
  }
  return Math.min(...times);
}

function catToDevNull(path: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const devNull = openSync("/dev/null", "w");
    const child = spawn("cat", [path], { stdio: ["ignore", devNull, "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => {
      closeSync(devNull);
      if (code === 0) resolvePromise();
      else reject(new Error(`cat exited with ${code}`));
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Megabytes of 10^6 bytes (MB/s as disks and `dd` count them). */
function mb(bytes: number): number {
  return bytes / 1e6;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Bad options: one line on stderr, exit 2. */
function usage(message: string): void {
  process.stderr.write(`bench:heap: ${message}\n`);
  process.exitCode = 2;
}

await main();
