// Issue 10's goal for `heap`: digest a real Bazel heap dump of at least 500 MB, retained sizes included, at
// 100 MB/s or more, with a peak RSS of at most 0.6× the dump's size. Times `cat DUMP > /dev/null` and the digest
// in the same run (page cache warm for both: the dump is read once first) and prints MB/s of each, their ratio,
// the digest's CPU time (the figure to compare two versions by when other work shares the machine: wall time
// is noisy there) and its peak RSS, absolute and per byte of dump. Prints numbers only; nothing asserts on them.
//
//   npm run bench:heap -- [--dump PATH] [--runs 3] [--baseline REV] [--bazel PATH] [--keep]
//
// Without --dump it makes the dump with real Bazel, in this repository: the reproduction at a large heap and a
// higher multiplier, in an output base of its own under the system's temp folder (the build ends with exit 33,
// out of memory, leaving a ~640 MB dump), then shuts that server down. Needs ~1 GB of free disk there.
//
// The digest runs in a child process, so that the peak RSS is the digest's alone: the child reports its own
// (getrusage's maxrss) with its CPU time and a hash of the digest. The child is bundled with esbuild from the
// working tree's sources (not dist/). With --baseline REV, the same child is bundled from git revision REV too
// (checked out with `git worktree add` into a temporary folder, removed afterwards) and the two run interleaved,
// alternating which goes first, on the same dump: each pair's CPU ratio current/baseline, their median (goal
// ≤ 1.05), each side's peak RSS, and whether both digests are the same.
//
// Measured 2026-11-30 on this 2-core machine, a Bazel sweep running beside it, with the 641 MB Bazel 4.2.3 dump
// (-Xmx640m, multiplier 60): digest 5.2–6.5 s wall (99–123 MB/s), 4.9–5.3 s CPU, peak RSS 350–353 MB (0.55×
// the dump). Before the edges' memory was reused for the tree and the digest's per-vertex arrays (and ownerOf's
// for the last one): 0.68–0.71×; before issue 10's work on the reader and the tree: 8.1–10.5 s CPU, 0.87×.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

// npm runs scripts in tools/; the reproduction is the repository around it.
const TOOLS = resolve(".");
const WORKSPACE = resolve("..");
/** Bazel's exit code when the build ran out of memory. */
const OOM_EXIT = 33;
/** Where the child's imports are, in any tree since the core moved into folders by domain. */
const CHILD_IMPORTS = ["src/io/heap-dumps.ts", "src/core/heap/heap-digest.ts"];
/** The child: the digest as `heap --json` computes it, timed from inside; its report on stdout. */
const CHILD_SOURCE = `
import { createHash } from "node:crypto";
import { digestDumpFile } from "./${CHILD_IMPORTS[0]}";
import { DEFAULT_DIGEST_TOP } from "./${CHILD_IMPORTS[1]}";
const dump = process.argv[2];
const start = performance.now();
const cpu = process.cpuUsage();
const digest = await digestDumpFile(dump, DEFAULT_DIGEST_TOP);
// The command's output, built as \`heap --json\` builds it (hashed, not written: writing it is not the digest's cost).
const json = JSON.stringify({ schema: 1, dumps: [{ source: dump, ...digest }] }, null, 2);
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({
  wallSeconds: (performance.now() - start) / 1000,
  cpuSeconds: (used.user + used.system) / 1e6,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  objects: digest.dump.objects,
  digestHash: createHash("sha256").update(json).digest("hex"),
}) + "\\n");
`;

interface ChildReport {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly objects: number;
  readonly digestHash: string;
}

/** A bundled child and what it is (its sources' tree). */
interface Digester {
  readonly label: string;
  readonly script: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dump: { type: "string" },
      runs: { type: "string", default: "3" },
      baseline: { type: "string" },
      bazel: { type: "string", default: "bazel" },
      keep: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) return usage(`--runs ${values.runs}: give a whole number of at least 1`);
  if (values.dump !== undefined && !existsSync(values.dump)) return usage(`--dump ${values.dump}: no such file; give a heap dump (.hprof)`);
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
    const dump = values.dump === undefined ? await makeDump(values.bazel, dir) : resolve(values.dump);
    const bytes = (await stat(dump)).size;
    log(`dump: ${dump}, ${mb(bytes).toFixed(0)} MB`);
    const cat = await catSeconds(dump, runs);
    log(`cat > /dev/null: ${cat.toFixed(2)} s (best of ${runs}), ${(mb(bytes) / cat).toFixed(0)} MB/s`);
    if (baseline === undefined) await measure(current, dump, bytes, cat, runs);
    else await compare(current, baseline, dump, bytes, runs);
    if (values.keep) log(`kept: ${dir}`);
  } finally {
    if (existsSync(worktree)) git(["worktree", "remove", "--force", worktree]);
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** The current sources' digest, `runs` times: speed against cat's, CPU, peak RSS against the goals. */
async function measure(current: Digester, dump: string, bytes: number, cat: number, runs: number): Promise<void> {
  const reports: ChildReport[] = [];
  for (let run = 0; run < runs; run++) {
    const report = await digestInChild(current, dump);
    reports.push(report);
    log(
      `digest run ${run + 1}: ${report.wallSeconds.toFixed(2)} s wall (${(mb(bytes) / report.wallSeconds).toFixed(0)} MB/s, ${(report.wallSeconds / cat).toFixed(1)}× cat), ` +
        `${report.cpuSeconds.toFixed(2)} s CPU (${(mb(bytes) / report.cpuSeconds).toFixed(0)} MB/s), ` +
        `peak RSS ${mb(report.peakRssBytes).toFixed(0)} MB (${(report.peakRssBytes / bytes).toFixed(2)}× the dump), ${report.objects} objects`,
    );
  }
  const best = Math.min(...reports.map((report) => report.wallSeconds));
  const leastCpu = Math.min(...reports.map((report) => report.cpuSeconds));
  const peak = Math.max(...reports.map((report) => report.peakRssBytes));
  const speed = mb(bytes) / best;
  log(
    `best: ${speed.toFixed(0)} MB/s wall (goal ≥ 100: ${speed >= 100 ? "met" : "not met"}), ${(best / cat).toFixed(1)}× cat's time; ` +
      `least CPU ${leastCpu.toFixed(2)} s (${(mb(bytes) / leastCpu).toFixed(0)} MB/s); ` +
      `highest peak RSS ${mb(peak).toFixed(0)} MB = ${(peak / bytes).toFixed(2)}× the dump (goal ≤ 0.60: ${peak / bytes <= 0.6 ? "met" : "not met"})`,
  );
}

/** Current and baseline interleaved, `runs` pairs, alternating which goes first: their ratios and peaks. */
async function compare(current: Digester, baseline: Digester, dump: string, bytes: number, runs: number): Promise<void> {
  const pairs: { current: ChildReport; baseline: ChildReport }[] = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? [baseline, current] : [current, baseline];
    const reports = new Map<Digester, ChildReport>();
    for (const digester of order) reports.set(digester, await digestInChild(digester, dump));
    const pair = { current: reports.get(current)!, baseline: reports.get(baseline)! };
    pairs.push(pair);
    const side = (report: ChildReport): string =>
      `${report.cpuSeconds.toFixed(2)} s CPU, ${report.wallSeconds.toFixed(2)} s wall, peak RSS ${mb(report.peakRssBytes).toFixed(0)} MB (${(report.peakRssBytes / bytes).toFixed(2)}×)`;
    log(`run ${run + 1}: baseline ${side(pair.baseline)} | current ${side(pair.current)} | current/baseline CPU ${(pair.current.cpuSeconds / pair.baseline.cpuSeconds).toFixed(3)}`);
  }
  const cpuRatio = median(pairs.map((pair) => pair.current.cpuSeconds / pair.baseline.cpuSeconds));
  const wallRatio = median(pairs.map((pair) => pair.current.wallSeconds / pair.baseline.wallSeconds));
  const bestRatio = Math.min(...pairs.map((pair) => pair.current.cpuSeconds)) / Math.min(...pairs.map((pair) => pair.baseline.cpuSeconds));
  const peak = (side: "current" | "baseline"): number => Math.max(...pairs.map((pair) => pair[side].peakRssBytes));
  const same = pairs.every((pair) => pair.current.digestHash === pair.baseline.digestHash);
  log(`${baseline.label} against ${current.label}, ${runs} pairs on ${mb(bytes).toFixed(0)} MB:`);
  log(`  CPU current/baseline: median ${cpuRatio.toFixed(3)} (goal ≤ 1.05: ${cpuRatio <= 1.05 ? "met" : "not met"}), least against least ${bestRatio.toFixed(3)}; wall: median ${wallRatio.toFixed(3)}`);
  log(`  peak RSS: baseline ${mb(peak("baseline")).toFixed(0)} MB (${(peak("baseline") / bytes).toFixed(2)}×), current ${mb(peak("current")).toFixed(0)} MB (${(peak("current") / bytes).toFixed(2)}×)`);
  log(`  digests: ${same ? "the same" : "DIFFERENT (compare `heap --json` of both)"}`);
}

/** The child bundled from the sources of `tools` (a tools/ folder) into `outfile`. */
async function bundleChild(tools: string, outfile: string): Promise<string> {
  for (const file of CHILD_IMPORTS) if (!existsSync(join(tools, file))) throw new Error(`${tools} has no ${file}: that revision predates the bench's child`);
  const { build } = await import("esbuild");
  await build({
    stdin: { contents: CHILD_SOURCE, resolveDir: tools, loader: "ts", sourcefile: "heap-digest-child.ts" },
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

function digestInChild(digester: Digester, dump: string): Promise<ChildReport> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [digester.script, dump], { stdio: ["ignore", "pipe", "inherit"] });
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
  return execFileSync("git", args, { cwd: WORKSPACE, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The reproduction built until the server runs out of memory at -Xmx640m and writes its heap dump; the server is
 * shut down after (it is dead already when the build ran out of memory, but a build that did not leaves it up).
 */
async function makeDump(bazel: string, dir: string): Promise<string> {
  const outputBase = join(dir, "output_base");
  const dump = join(dir, "big.hprof");
  const startup = [`--output_base=${outputBase}`, "--max_idle_secs=60"];
  const jvm = ["-Xmx640m", "-XX:+HeapDumpOnOutOfMemoryError", `-XX:HeapDumpPath=${dump}`].map((flag) => `--host_jvm_args=${flag}`);
  const build = ["build", "--config=eat", "--//memory:multiplier=60", "--symlink_prefix=/", "//..."];
  try {
    const code = await run(bazel, [...startup, ...jvm, ...build]);
    if (code !== OOM_EXIT) throw new Error(`bazel build exited with ${code}, not ${OOM_EXIT} (out of memory): no heap dump to digest`);
  } finally {
    await run(bazel, [...startup, "shutdown"]).catch(() => undefined);
  }
  await stat(dump).catch(() => {
    throw new Error(`bazel ran out of memory but wrote no heap dump at ${dump}`);
  });
  return dump;
}

/** Runs a command in the repository (its output to this one's stderr); resolves with its exit code. */
function run(command: string, args: readonly string[]): Promise<number | null> {
  process.stderr.write(`\n$ ${command} ${args.join(" ")}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: WORKSPACE, stdio: ["ignore", 2, 2] });
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
