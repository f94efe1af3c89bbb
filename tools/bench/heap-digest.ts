// Issue 10's goal for `heap`: digest a real Bazel heap dump of at least 500 MB, retained sizes included, at
// 100 MB/s or more, with a peak RSS of at most 0.6× the dump's size. Times `cat DUMP > /dev/null` and the digest
// in the same run (page cache warm for both: the dump is read once first) and prints MB/s of each, their ratio,
// the digest's CPU time (the figure to compare two versions by when other work shares the machine: wall time
// is noisy there) and its peak RSS, absolute and per byte of dump. Prints numbers only; nothing asserts on them.
//
//   npm run bench:heap -- [--dump PATH] [--runs 3] [--bazel PATH] [--keep]
//
// Without --dump it makes the dump with real Bazel, in this repository: the reproduction at a large heap and a
// higher multiplier, in an output base of its own under the system's temp folder (the build ends with exit 33,
// out of memory, leaving a ~640 MB dump), then shuts that server down. Needs ~1 GB of free disk there.
// The digest runs in a child process (this script again, with --child), so that the peak RSS is the digest's
// alone: the child reports its own (getrusage's maxrss) with its CPU time. It runs the current sources (the
// bench is bundled from them), not dist/.
//
// Measured 2026-11-30 on this 2-core machine, a Bazel sweep running beside it, with the 641 MB Bazel 4.2.3 dump
// (-Xmx640m, multiplier 60): digest 5.2–6.5 s wall (99–123 MB/s), 4.9–5.3 s CPU, peak RSS 350–353 MB (0.55×
// the dump). Before the edges' memory was reused for the tree and the digest's per-vertex arrays (and ownerOf's
// for the last one): 0.68–0.71×; before issue 10's work on the reader and the tree: 8.1–10.5 s CPU, 0.87×.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_DIGEST_TOP } from "../src/core/heap/heap-digest.js";
import { digestDumpFile } from "../src/io/heap-dumps.js";

// npm runs scripts in tools/; the reproduction is the repository around it.
const WORKSPACE = resolve("..");
const SELF = fileURLToPath(import.meta.url);
/** Bazel's exit code when the build ran out of memory. */
const OOM_EXIT = 33;

interface ChildReport {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly objects: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dump: { type: "string" },
      runs: { type: "string", default: "3" },
      bazel: { type: "string", default: "bazel" },
      keep: { type: "boolean", default: false },
      child: { type: "string" },
    },
  });
  if (values.child !== undefined) return child(values.child);
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: give a whole number of at least 1`);
  const dir = values.dump === undefined ? await mkdtemp(join(tmpdir(), "heap-digest-bench-")) : undefined;
  try {
    const dump = values.dump === undefined ? await makeDump(values.bazel, dir!) : resolve(values.dump);
    const bytes = (await stat(dump)).size;
    log(`dump: ${dump}, ${mb(bytes).toFixed(0)} MB`);
    await catToDevNull(dump); // warms the page cache
    const cats: number[] = [];
    for (let run = 0; run < runs; run++) cats.push(await seconds(() => catToDevNull(dump)));
    const cat = Math.min(...cats);
    log(`cat > /dev/null: ${cat.toFixed(2)} s (best of ${runs}), ${(mb(bytes) / cat).toFixed(0)} MB/s`);
    const reports: (ChildReport & { childWallSeconds: number })[] = [];
    for (let run = 0; run < runs; run++) {
      let report: ChildReport | undefined;
      const wall = await seconds(async () => (report = await digestInChild(dump)));
      reports.push({ ...report!, childWallSeconds: wall });
      log(
        `digest run ${run + 1}: ${wall.toFixed(2)} s wall (${(mb(bytes) / wall).toFixed(0)} MB/s, ${(wall / cat).toFixed(1)}× cat), ` +
          `${report!.cpuSeconds.toFixed(2)} s CPU (${(mb(bytes) / report!.cpuSeconds).toFixed(0)} MB/s), ` +
          `peak RSS ${mb(report!.peakRssBytes).toFixed(0)} MB (${(report!.peakRssBytes / bytes).toFixed(2)}× the dump), ${report!.objects} objects`,
      );
    }
    const best = reports.reduce((a, b) => (b.childWallSeconds < a.childWallSeconds ? b : a));
    const leastCpu = Math.min(...reports.map((report) => report.cpuSeconds));
    const peak = Math.max(...reports.map((report) => report.peakRssBytes));
    const speed = mb(bytes) / best.childWallSeconds;
    log(
      `best: ${speed.toFixed(0)} MB/s wall (goal ≥ 100: ${speed >= 100 ? "met" : "not met"}), ${(best.childWallSeconds / cat).toFixed(1)}× cat's time; ` +
        `least CPU ${leastCpu.toFixed(2)} s (${(mb(bytes) / leastCpu).toFixed(0)} MB/s); ` +
        `highest peak RSS ${mb(peak).toFixed(0)} MB = ${(peak / bytes).toFixed(2)}× the dump (goal ≤ 0.60: ${peak / bytes <= 0.6 ? "met" : "not met"})`,
    );
    if (values.keep && dir !== undefined) log(`kept: ${dir}`);
  } finally {
    if (!values.keep && dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** The digest as `heap --json` computes it, timed from inside; its report on stdout. */
async function child(dump: string): Promise<void> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const digest = await digestDumpFile(dump, DEFAULT_DIGEST_TOP);
  // The command's output, built as `heap --json` builds it (and dropped: writing it is not the reader's cost).
  JSON.stringify({ schema: 1, dumps: [{ source: dump, ...digest }] }, null, 2);
  const used = process.cpuUsage(cpu);
  const report: ChildReport = {
    wallSeconds: (performance.now() - start) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    objects: digest.dump.objects,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function digestInChild(dump: string): Promise<ChildReport> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SELF, "--child", dump], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`the digest's child exited with ${code}; see its message above`));
      else resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as ChildReport);
    });
  });
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

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Megabytes of 10^6 bytes (MB/s as disks and `dd` count them). */
function mb(bytes: number): number {
  return bytes / 1e6;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await main();
