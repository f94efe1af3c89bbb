// Bad input to every subcommand, as users type it (the built bundle): each is refused with exit 2 and one
// line on stderr that names what is wrong and how to fix it, with no stack trace, no output on stdout, and
// no file created or changed (the scratch folder, where every path points and the command runs, is compared
// before and after). We run as root, so "unreadable" means a FIFO or a folder where a file is expected:
// chmod 000 does not stop root.
//
// A new subcommand gets its rows in BAD_INPUTS (the first test fails until every subcommand has some, but
// for those in AWAITING_ROWS).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { parseLimits } from "../../src/core/sweep/heap-limit.js";
import { planFingerprint, type SweepSettings } from "../../src/core/sweep/sweep-plan.js";
import { processStartTicks } from "../../src/io/sweep-lock.js";
import { runProcess } from "../helpers/bazel.js";
import { BUNDLE_PATH, cliEnvironment, runCli } from "../helpers/cli.js";
import { FIXTURES_DIR, sweepFixture } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-bad-input-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const at = (...parts: string[]): string => join(scratch, ...parts);

// ---- the scratch folder every case points into ---------------------------------------------------------

const workspace = at("ws");
mkdirSync(workspace);
writeFileSync(join(workspace, "WORKSPACE.bazel"), "");
mkdirSync(at("not-a-workspace"));
writeFileSync(at("not-a-workspace", "BUILD.bazel"), "");
writeFileSync(at("a-file"), "just a file\n");
execFileSync("mkfifo", [at("a-fifo")]);
mkdirSync(at("someone-elses"));
writeFileSync(at("someone-elses", "notes.txt"), "mine\n");
mkdirSync(at("empty-sweep", "runs"), { recursive: true });
cpSync(sweepFixture("4.2.3"), at("sweep"), { recursive: true });
// A real Bazel heap dump (26 MB inflated), for a memory limit it cannot fit in.
cpSync(join(FIXTURES_DIR, "bazel-4.2.3", "heap-dump", "reproduction.hprof.gz"), at("reproduction.hprof.gz"));
// What `rm -rf x` would delete, were a target pattern ever given to a shell.
writeFileSync(at("x"), "still here\n");
writeFileSync(at("empty.csv"), "");
writeFileSync(at("foreign.csv"), "name,price,count\nwidget,3,1\n");
mkdirSync(at("a-folder.svg"));
writeFileSync(at("empty.hprof"), "");
writeFileSync(at("text.hprof"), "this is no heap dump\n");
// A heap dump header with a 5-byte identifier size, and one cut inside its header.
writeFileSync(at("id5.hprof"), Buffer.concat([Buffer.from("JAVA PROFILE 1.0.2\0"), Buffer.from([0, 0, 0, 5]), Buffer.alloc(8)]));
writeFileSync(at("cut-header.hprof"), Buffer.concat([Buffer.from("JAVA PROFILE 1.0.2\0"), Buffer.from([0, 0])]));
mkdirSync(at("cache"));
writeFileSync(at("misspelt-budget.json"), JSON.stringify({ fucntions: [{ function: "f", max: "1m" }] }));

/** Stand-ins for a --bazel that is not Bazel. */
function script(name: string, body: string, mode = 0o755): string {
  writeFileSync(at(name), `#!/bin/sh\n${body}\n`);
  chmodSync(at(name), mode);
  return at(name);
}
const garbageOk = script("garbage-ok.sh", "echo 'Segmentation fault (core dumped)'; echo '%%%%'; exit 0");
const garbageFailing = script("garbage-failing.sh", "echo 'ld.so: cannot open shared object'; exit 1");
const refusesEverything = script("refuses-everything.sh", "echo 'Usage: tool [--help]' >&2; exit 2");
const notExecutable = script("not-executable.sh", "exit 0", 0o644);

/** The sweep settings `sweep --workspace ws --limits 18m,256m --out …` plans, as sweep.json stores them. */
const fixturePlan: SweepSettings = {
  workspace,
  bazel: "bazel",
  targets: ["//..."],
  limits: parseLimits("18m,256m").map((limit) => limit.spelling),
  runs: 1,
  warmup: 0,
  mode: "regular",
  configs: [],
  buildFlags: [],
  startupFlags: [],
  timeoutSeconds: 600,
  search: null,
  profile: "light",
  evidenceRuns: 2,
};
/** A sweep folder of that plan (the fixture's runs) whose run.json `id` was edited by hand into nonsense. */
function sweepOfThisPlan(name: string, brokenRun?: string): string {
  const dir = at(name);
  cpSync(sweepFixture("4.2.3"), dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(dir, "sweep.json"), JSON.stringify({ ...manifest, fingerprint: planFingerprint(fixturePlan), settings: fixturePlan }, null, 2));
  if (brokenRun !== undefined) writeFileSync(join(dir, "runs", brokenRun, "run.json"), '{"schema":1,"id":');
  return dir;
}
sweepOfThisPlan("broken-sweep", "0256m-r01");
sweepOfThisPlan("other-plan");
writeFileSync(
  at("other-plan", "sweep.json"),
  JSON.stringify({ schema: 1, fingerprint: "0000000000000000", settings: { ...fixturePlan, runs: 3 } }),
);
// A folder a live sweep is writing: its lock names this (live) test process.
mkdirSync(at("locked"));
writeFileSync(
  at("locked", "sweep.lock"),
  JSON.stringify({ pid: process.pid, startTicks: await processStartTicks(process.pid), host: hostname(), startedAt: "2025-06-01T10:00:00.000Z", argv: ["node", "/opt/memory-adventure.mjs", "sweep", "--limits", "1g"], token: "t" }),
);
mkdirSync(at("garbled-lock"));
writeFileSync(at("garbled-lock", "sweep.lock"), "locked by me\n");
// A run folder whose run.json is someone else's JSON.
mkdirSync(at("foreign-run"));
writeFileSync(at("foreign-run", "run.json"), '{"name":"my-run"}');

// ---- the cases ------------------------------------------------------------------------------------------

interface BadInput {
  readonly why: string;
  readonly args: readonly string[];
  /** What the one line must say after "memory-adventure: ". */
  readonly says: RegExp;
  /** A known bug this row shows: the row is expected to fail until it is fixed (then drop this). */
  readonly knownBug?: string;
}

const sweep = (...args: string[]): string[] => ["sweep", "--workspace", workspace, ...args];
const out = (name: string): string[] => ["--out", at(name)];
const S = scratch.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Subcommands that exist but have no rows yet (a new subcommand must get rows: see the coverage test). */
const AWAITING_ROWS: ReadonlySet<string> = new Set([]);

/** Subcommand -> its bad inputs. */
const BAD_INPUTS: Readonly<Record<string, readonly BadInput[]>> = {
  sweep: [
    { why: "a heap limit with an unknown unit", args: sweep("--limits", "5x", ...out("o")), says: /^--limits: "5x" has the unit "x"; use k, m, g or t/ },
    { why: "a zero heap limit", args: sweep("--limits", "0m", ...out("o")), says: /^--limits: "0m" is zero; a heap limit must be at least 16m$/ },
    { why: "a heap limit beyond any machine", args: sweep("--limits", "2000000g", ...out("o")), says: /^--limits: "2000000g" is above .*; use a smaller heap limit$/ },
    { why: "a range without a step", args: sweep("--limits", "100m..200m", ...out("o")), says: /^--limits: the range "100m\.\.200m" has no step; add one, e\.g\. 100m\.\.200m:5m$/ },
    { why: "a negative run count", args: sweep("--runs=-1", ...out("o")), says: /^--runs: "-1" is not a whole number of at least 0$/ },
    { why: "a run count in words", args: sweep("--runs", "two", ...out("o")), says: /^--runs: "two" is not a whole number of at least 0$/ },
    { why: "a fractional warm-up count", args: sweep("--warmup", "1.5", ...out("o")), says: /^--warmup: "1\.5" is not a whole number of at least 0$/ },
    { why: "a timeout that is not a duration", args: sweep("--timeout", "soon", ...out("o")), says: /^--timeout: "soon" is not a duration; write e\.g\. 90s, 10m or 1h$/ },
    { why: "a zero timeout", args: sweep("--timeout", "0s", ...out("o")), says: /^--timeout: "0s" is not a duration; write e\.g\. 90s, 10m or 1h$/ },
    { why: "shard 0 of 3", args: sweep("--shard", "0/3", ...out("o")), says: /^--shard: "0\/3" is out of range; i goes from 1 to n/ },
    { why: "shard 3 of 2", args: sweep("--shard", "3/2", ...out("o")), says: /^--shard: "3\/2" is out of range; i goes from 1 to n/ },
    { why: "a shard that is not i/n", args: sweep("--shard", "half", ...out("o")), says: /^--shard: "half" is not i\/n; write e\.g\. --shard 2\/3/ },
    { why: "--shard with --search", args: sweep("--search", "--shard", "1/2", ...out("o")), says: /^--shard cannot be combined with --search: / },
    { why: "--resolution without --search", args: sweep("--resolution", "5m", ...out("o")), says: /^--resolution only applies to --search; add --search, or leave --resolution out$/ },
    { why: "a resolution that is no size", args: sweep("--search", "--resolution", "5", ...out("o")), says: /^--resolution: "5" is not a heap size step; write a whole number with k, m or g, e\.g\. 5m$/ },
    { why: "nothing to run", args: sweep("--runs", "0", "--warmup", "0", ...out("o")), says: /^--runs 0 and --warmup 0 plan no builds; ask for at least one run$/ },
    { why: "an unknown mode", args: sweep("--mode", "fast", ...out("o")), says: /^option '--mode <mode>' argument 'fast' is invalid\. Allowed choices are regular, nobuild, skymeld \(see --help\)$/ },
    { why: "an unknown option", args: sweep("--frobnicate", ...out("o")), says: /^unknown option '--frobnicate' \(see --help\)$/ },
    {
      why: "a workspace without WORKSPACE or MODULE.bazel",
      args: ["sweep", "--workspace", at("not-a-workspace"), ...out("o")],
      says: new RegExp(`^--workspace: ${S}/not-a-workspace is not a Bazel workspace \\(no MODULE\\.bazel, WORKSPACE\\.bazel or WORKSPACE\\); give the workspace's root folder$`),
    },
    { why: "a workspace that does not exist", args: ["sweep", "--workspace", at("no-such-ws"), ...out("o")], says: /^--workspace: .*\/no-such-ws is not a Bazel workspace/ },
    { why: "a workspace that is a file", args: ["sweep", "--workspace", at("a-file"), ...out("o")], says: /^--workspace: .*\/a-file is not a Bazel workspace/ },
    { why: "an --out that is a file", args: sweep(...out("a-file")), says: new RegExp(`^--out: ${S}/a-file exists and is not a folder; choose a new or empty folder$`) },
    { why: "an --out that is a FIFO", args: sweep(...out("a-fifo")), says: new RegExp(`^--out: ${S}/a-fifo exists and is not a folder; choose a new or empty folder$`) },
    { why: "an --out through a file", args: sweep(...out("a-file/sweep")), says: new RegExp(`^--out: part of ${S}/a-file/sweep is a file, not a folder; choose a new or empty folder$`) },
    { why: "an --out holding other files", args: sweep(...out("someone-elses")), says: /^--out: .*\/someone-elses already holds other files and no sweep\.json; choose a new or empty folder$/ },
    { why: "an --out inside the workspace that .bazelignore does not cover", args: sweep("--out", join(workspace, "results")), says: /^the sweep's output base .* is inside the workspace .* add the line "results" to \.bazelignore, or choose an --out outside the workspace$/ },
    { why: "an --out holding another plan", args: sweep("--limits", "18m,256m", ...out("other-plan")), says: /^.*\/other-plan already holds a sweep with other settings \(runs differ\); use another --out, repeat the earlier command to resume it, or delete the folder to start over$/ },
    {
      why: "resuming a sweep whose run.json was edited by hand",
      args: sweep("--limits", "18m,256m", ...out("broken-sweep")),
      says: new RegExp(`^${S}/broken-sweep/runs/0256m-r01/run\\.json: not valid JSON \\(.*\\); move that run folder away \\(or delete it\\) to redo the run$`),
    },
    {
      why: "an --out another sweep is writing",
      args: sweep(...out("locked")),
      says: new RegExp(`^--out: ${S}/locked is in use by another sweep \\(pid ${process.pid}, started 2025-06-01T10:00:00\\.000Z: memory-adventure\\.mjs sweep --limits 1g\\); wait for it to finish, or choose another --out$`),
    },
    { why: "an --out whose lock this tool did not write", args: sweep(...out("garbled-lock")), says: /^--out: .*\/garbled-lock\/sweep\.lock is not a lock this tool wrote; if no sweep writes into .*\/garbled-lock, delete it and try again$/ },
    { why: "a --bazel that does not exist", args: sweep("--bazel", at("no-such-bazel"), ...out("o")), says: /^cannot run Bazel ".*\/no-such-bazel" \(not found or not executable\); install Bazel or give its path with --bazel$/ },
    { why: "a --bazel that is a folder", args: sweep("--bazel", at("ws"), ...out("o")), says: /^cannot run Bazel ".*\/ws" \(not found or not executable\)/ },
    { why: "a --bazel that is not executable", args: sweep("--bazel", notExecutable, ...out("o")), says: /^cannot run Bazel ".*\/not-executable\.sh" \(not found or not executable\)/ },
    { why: "a --bazel that accepts anything (/bin/true)", args: sweep("--bazel", "/bin/true", ...out("o")), says: /^--bazel: \/bin\/true does not answer like Bazel \(`--version` printed .*\); give the path of a Bazel binary$/ },
    { why: "a --bazel printing garbage", args: sweep("--bazel", garbageOk, ...out("o")), says: /^--bazel: .*\/garbage-ok\.sh does not answer like Bazel \(`--version` printed "Segmentation fault \(core dumped\)", / },
    { why: "a --bazel refusing every flag", args: sweep("--bazel", refusesEverything, ...out("o")), says: /^--bazel: .*\/refuses-everything\.sh does not answer like Bazel/ },
    { why: "a --bazel that fails", args: sweep("--bazel", garbageFailing, ...out("o")), says: /^.*\/garbage-failing\.sh failed \(exit 1\) while the sweep probed its version: ld\.so: cannot open shared object; check that it runs, or give another Bazel with --bazel$/ },
    { why: "a target with shell metacharacters, taken literally", args: sweep("--targets", "//foo;rm -rf x", ...out("o")), says: /^--targets: "\/\/foo;rm -rf x" holds whitespace, which no Bazel target pattern has; give each pattern its own --targets$/ },
    { why: "an empty target", args: sweep("--targets", "", ...out("o")), says: /^--targets: an empty pattern; give a target pattern such as \/\/\.\.\. or \/\/pkg:target$/ },
  ],
  stats: [
    { why: "a folder that does not exist", args: ["stats", at("no-such")], says: /^.*\/no-such: no such file or folder$/ },
    { why: "a file", args: ["stats", at("a-file")], says: /^.*\/a-file: not a folder; give a sweep folder \(with runs\/\) or a run folder \(with run\.json\)$/ },
    { why: "a FIFO", args: ["stats", at("a-fifo")], says: /^.*\/a-fifo: not a folder; give a sweep folder/ },
    { why: "a folder that is neither a sweep nor a run", args: ["stats", at("ws")], says: /^.*\/ws: neither a sweep folder \(no runs\/ inside\) nor a run folder \(no run\.json\); give the folder the sweep wrote \(its --out\)$/ },
    { why: "a sweep with no finished run", args: ["stats", at("empty-sweep")], says: /^.*\/empty-sweep: the sweep has no finished runs yet \(no runs\/\*\/run\.json\)$/ },
    { why: "a run folder whose run.json is someone else's", args: ["stats", at("foreign-run")], says: /^.*\/foreign-run\/run\.json: not a run record \(schema is undefined, this version reads schema 1\); it should be a run\.json written by the sweep$/ },
    { why: "an unknown --format", args: ["stats", "--format", "xml", at("sweep")], says: /^option '--format <format>' argument 'xml' is invalid\. Allowed choices are csv, json, legacy \(see --help\)$/ },
    { why: "no folder", args: ["stats"], says: /^missing required argument 'RUNS_DIR' \(see --help\)$/ },
    { why: "an --out that is a folder", args: ["stats", at("sweep"), "--out", at("ws")], says: /^cannot write .*\/ws \(EISDIR: that is a folder; give a file name\)$/ },
    { why: "an --out through a file", args: ["stats", at("sweep"), "--out", at("a-file", "stats.csv")], says: /^cannot write .*\/a-file\/stats\.csv \((ENOTDIR|EEXIST): part of that path is a file; give a path through folders\)$/ },
  ],
  plot: [
    { why: "an empty CSV", args: ["plot", at("empty.csv"), "--out", at("p.svg")], says: /^.*\/empty\.csv: no runs in it$/ },
    { why: "a foreign CSV", args: ["plot", at("foreign.csv"), "--out", at("p.svg")], says: /^.*\/foreign\.csv:1: expected 5 fields <memory limit>,<iteration>,<gc count>,<duration>,<status> or a stats CSV header, found 3$/ },
    { why: "a FIFO (it would be read for ever)", args: ["plot", at("a-fifo"), "--out", at("p.svg")], says: /^.*\/a-fifo: neither a folder nor a file; give a sweep folder, a run folder or a stats CSV file$/ },
    { why: "a series that does not exist", args: ["plot", at("no-such"), "--out", at("p.svg")], says: /^.*\/no-such: no such file or folder$/ },
    { why: "a folder that is not a sweep", args: ["plot", at("ws"), "--out", at("p.svg")], says: /^.*\/ws: neither a sweep folder/ },
    { why: "three series", args: ["plot", at("sweep"), at("sweep"), at("sweep")], says: /^plot takes one or two SERIES, got 3; plot the others separately$/ },
    { why: "more labels than series", args: ["plot", at("sweep"), "--label", "a", "--label", "b"], says: /^give one --label per SERIES \(1\), got 2; or none to name each series after its path$/ },
    { why: "an --out of unknown format", args: ["plot", at("sweep"), "--out", at("plot.pdf")], says: /^cannot tell the format of --out .*\/plot\.pdf; end it with \.svg, \.png or \.html$/ },
    { why: "an --out that is a folder", args: ["plot", at("sweep"), "--out", at("a-folder.svg")], says: /^cannot write .*\/a-folder\.svg \(EISDIR: that is a folder; give a file name\)$/ },
  ],
  report: [
    { why: "a folder that is not a sweep", args: ["report", at("ws")], says: /^.*\/ws: neither a sweep folder/ },
    { why: "a file", args: ["report", at("a-file")], says: /^.*\/a-file: not a folder; give a sweep folder/ },
    { why: "a folder that does not exist", args: ["report", at("no-such")], says: /^.*\/no-such: no such file or folder$/ },
    { why: "a sweep with no finished run", args: ["report", at("empty-sweep")], says: /^.*\/empty-sweep: the sweep has no finished runs yet/ },
    { why: "an --out that is a folder", args: ["report", at("sweep"), "--out", at("ws")], says: /^cannot write .*\/ws \(EISDIR: that is a folder; give a file name\)$/ },
    { why: "two folders", args: ["report", at("sweep"), at("sweep")], says: /^too many arguments for 'report'\. Expected 1 argument but got 2 \(see --help\)$/ },
  ],
  heap: [
    { why: "a dump that does not exist", args: ["heap", at("no-such.hprof")], says: /^.*\/no-such\.hprof: no such file or folder$/ },
    { why: "an empty file", args: ["heap", at("empty.hprof")], says: /^.*\/empty\.hprof: the file is empty, not a heap dump \(at byte 0\)$/ },
    { why: "a text file", args: ["heap", at("text.hprof")], says: /^.*\/text\.hprof: not a heap dump \(HPROF files start with "JAVA PROFILE 1\.0\.2"\) \(at byte 0\)$/ },
    { why: "a foreign identifier size", args: ["heap", at("id5.hprof")], says: /^.*\/id5\.hprof: identifier size 5 is not supported \(4 or 8 bytes are\) \(at byte 19\)$/ },
    { why: "a dump cut inside its header", args: ["heap", at("cut-header.hprof")], says: /^.*\/cut-header\.hprof: the file ends inside its header \(at byte \d+\)$/ },
    { why: "a folder without any dump", args: ["heap", at("someone-elses")], says: /^.*\/someone-elses: no heap dump here; give a \.hprof file/ },
    { why: "a sweep whose runs left no dump", args: ["heap", at("sweep")], says: /^.*\/sweep: no run of this sweep left a heap dump or digest/ },
    { why: "a FIFO instead of a dump", args: ["heap", at("a-fifo")], says: /^.*\/a-fifo: not a file or folder; give a heap dump/ },
    { why: "--top zero", args: ["heap", at("empty.hprof"), "--top", "0"], says: /^--top: "0" is not a whole number from 1 to 1000$/ },
    { why: "--max-memory that is no size", args: ["heap", at("empty.hprof"), "--max-memory", "lots"], says: /^--max-memory: "lots" is not a size of at least 160m; give one like 512m or 8g/ },
    { why: "--max-memory below what Node takes", args: ["heap", at("empty.hprof"), "--max-memory", "100m"], says: /^--max-memory: "100m" is not a size of at least 160m/ },
    {
      why: "a dump that needs more than --max-memory",
      args: ["heap", at("reproduction.hprof.gz"), "--max-memory", "160m"],
      says: /^.*\/reproduction\.hprof\.gz: digesting this dump needs about [\d.]+ MiB of memory \([\d,]+ objects, [\d,]+ references\), more than the 160\.0 MiB --max-memory allows; give --max-memory more, up to what the machine has free$/,
    },
    { why: "--state-dir that does not exist", args: ["heap", at("reproduction.hprof.gz"), "--state-dir", at("no-such-folder")], says: /^--state-dir: .*\/no-such-folder is not a folder; give a folder on a disk with room for the heap digest's state$/ },
    { why: "--state-dir that is a file", args: ["heap", at("reproduction.hprof.gz"), "--state-dir", at("a-file")], says: /^--state-dir: .*\/a-file is not a folder; give a folder on a disk with room for the heap digest's state$/ },
    { why: "--out that is a folder", args: ["heap", at("empty.hprof"), "--out", at("a-folder.svg")], says: /^cannot write .*\/a-folder\.svg \(EISDIR: that is a folder; give a file name\)$/ },
    { why: "--pprof that is a folder", args: ["heap", at("empty.hprof"), "--pprof", at("a-folder.svg")], says: /^cannot write .*\/a-folder\.svg \(EISDIR: that is a folder; give a file name\)$/ },
  ],
  diff: [
    { why: "files that do not exist", args: ["diff", at("no-such.json"), at("no-such-either.json")], says: /^.*\/no-such\.json: no such file$/ },
    { why: "a text file, not a digest", args: ["diff", at("a-file"), at("a-file")], says: /^.*\/a-file: not JSON .*give a heap digest/ },
    { why: "a FIFO instead of a digest", args: ["diff", at("a-fifo"), at("a-file")], says: /^.*\/a-fifo: not a heap digest/ },
    { why: "a folder instead of a digest", args: ["diff", at("sweep"), at("sweep")], says: /^.*\/sweep: a folder; give a heap digest/ },
    { why: "--fail-over without a unit", args: ["diff", at("a-file"), at("a-file"), "--fail-over", "5"], says: /has no unit/ },
    { why: "--pprof that is a folder", args: ["diff", at("a-file"), "--pprof", at("a-folder.svg")], says: /EISDIR/ },
    { why: "a budget that is not one", args: ["diff", at("a-file"), "--budget", at("a-file")], says: /give a heap budget/ },
  ],
  blame: [
    { why: "no sweep folder", args: ["blame"], says: /^missing required argument 'SWEEP_DIR' \(see --help\)$/ },
    { why: "a sweep folder that does not exist", args: ["blame", at("no-such-sweep")], says: /^.*\/no-such-sweep: no such file or folder$/ },
    { why: "a folder that is not a sweep", args: ["blame", at("someone-elses")], says: /^.*\/someone-elses: neither a sweep folder .* nor a run folder/ },
    { why: "a file instead of a sweep", args: ["blame", at("a-file")], says: /^.*\/a-file: not a folder; give a sweep folder/ },
    { why: "a sweep without finished runs", args: ["blame", at("empty-sweep")], says: /^.*\/empty-sweep: the sweep has no finished runs yet/ },
    { why: "an unknown signal to leave out", args: ["blame", at("sweep"), "--without", "astrology"], says: /^--without: "astrology" is not a signal; use one of heap, oom-stack, in-flight, gc, over-representation, cpu$/ },
    { why: "--top in words", args: ["blame", at("sweep"), "--top", "ten"], says: /^--top: "ten" is not a whole number from 1 to 1000$/ },
    { why: "--out through a file", args: ["blame", at("sweep"), "--out", at("a-file", "blame.txt")], says: /^cannot write .*\/a-file\/blame\.txt \(ENOTDIR: part of that path is a file/ },
  ],
  snapshot: [
    { why: "a workspace that does not exist", args: ["snapshot", "--workspace", at("no-such-ws"), ...out("s.json")], says: /^--workspace: .*\/no-such-ws is not a Bazel workspace/ },
    { why: "a workspace without WORKSPACE or MODULE.bazel", args: ["snapshot", "--workspace", at("not-a-workspace"), ...out("s.json")], says: /^--workspace: .*\/not-a-workspace is not a Bazel workspace \(no MODULE\.bazel/ },
    { why: "a workspace that is a file", args: ["snapshot", "--workspace", at("a-file"), ...out("s.json")], says: /^--workspace: .*\/a-file is not a Bazel workspace/ },
    { why: "an unknown mode", args: ["snapshot", "--workspace", workspace, "--mode", "fast", ...out("s.json")], says: /^option '--mode <mode>' argument 'fast' is invalid\. Allowed choices are regular, nobuild, skymeld \(see --help\)$/ },
    { why: "a target with shell metacharacters, taken literally", args: ["snapshot", "--workspace", workspace, "--targets", "//foo;rm -rf x", ...out("s.json")], says: /^--targets: "\/\/foo;rm -rf x" holds whitespace/ },
    { why: "an --out that is a folder", args: ["snapshot", "--workspace", workspace, ...out("a-folder.svg")], says: /^cannot write .*\/a-folder\.svg \(EISDIR: that is a folder; give a file name\)$/ },
    { why: "an --out through a file", args: ["snapshot", "--workspace", workspace, ...out("a-file/s.json")], says: /^cannot write .*\/a-file\/s\.json \(ENOTDIR: part of that path is a file/ },
    { why: "a --pprof that is a folder", args: ["snapshot", "--workspace", workspace, ...out("s.json"), "--pprof", at("a-folder.svg")], says: /^cannot write .*\/a-folder\.svg \(EISDIR/ },
    { why: "a budget that does not exist", args: ["snapshot", "--workspace", workspace, ...out("s.json"), "--budget", at("no-such-budget.json")], says: /^.*\/no-such-budget\.json: no such file$/ },
    { why: "a budget that is not JSON", args: ["snapshot", "--workspace", workspace, ...out("s.json"), "--budget", at("a-file")], says: /^.*\/a-file: not JSON .*; give a heap budget/ },
    { why: "a budget with an unknown key", args: ["snapshot", "--workspace", workspace, ...out("s.json"), "--budget", at("misspelt-budget.json")], says: /^.*\/misspelt-budget\.json: unknown key "fucntions"; the keys are "heap", "functions", "providers"$/ },
    { why: "a --bazel that does not exist", args: ["snapshot", "--workspace", workspace, "--bazel", at("no-such-bazel"), ...out("s.json")], says: /^cannot run Bazel ".*\/no-such-bazel" \(not found or not executable\); install Bazel or give its path with --bazel$/ },
    { why: "a --bazel that accepts anything (/bin/true)", args: ["snapshot", "--workspace", workspace, "--bazel", "/bin/true", ...out("s.json")], says: /^--bazel: \/bin\/true does not answer like Bazel/ },
    { why: "a BASE argument, as diff takes", args: ["snapshot", at("a-file")], says: /^too many arguments for 'snapshot'\. Expected 0 arguments but got 1 \(see --help\)$/ },
  ],
  compare: [
    { why: "no target", args: ["compare", "--workspace", workspace], says: /^missing required argument 'left' \(see --help\)$/ },
    { why: "three targets", args: ["compare", "//a", "//b", "//c", "--workspace", workspace], says: /^too many arguments for 'compare'\. Expected 2 arguments but got 3 \(see --help\)$/ },
    { why: "a workspace without WORKSPACE or MODULE.bazel", args: ["compare", "//a", "//b", "--workspace", at("not-a-workspace")], says: /^--workspace .*\/not-a-workspace is not the top folder of a Bazel workspace/ },
    { why: "a --bazel that does not exist", args: ["compare", "//a", "//b", "--workspace", workspace, "--bazel", at("no-such-bazel")], says: /^cannot run Bazel as '.*\/no-such-bazel': there is no such file or command; install Bazel or point --bazel at it$/ },
    { why: "a --bazel that is not executable", args: ["compare", "//a", "//b", "--workspace", workspace, "--bazel", notExecutable], says: /^cannot run Bazel as '.*\/not-executable\.sh': it is not executable; install Bazel or point --bazel at it$/ },
    {
      why: "a target with shell metacharacters, taken literally (by a --bazel that prints nothing)",
      args: ["compare", "//foo;rm -rf x", "//b", "--workspace", workspace, "--bazel", "/bin/true"],
      says: /^bazel cquery \/\/foo;rm -rf x printed no target; name one target \(a label\), not a pattern that matches nothing$/,
    },
    {
      why: "a --bazel printing garbage",
      args: ["compare", "//a", "//b", "--workspace", workspace, "--bazel", garbageOk],
      says: /^--bazel: .*\/garbage-ok\.sh does not answer like Bazel \(its cquery printed "Segmentation fault \(core dumped\)", and `--version` no Bazel version\); give the path of a Bazel binary$/,
    },
  ],
};

// ---- what "nothing created or changed" is checked against ---------------------------------------------

/** Every entry under the scratch folder: folders by their entries, files by size, time and content. */
function snapshot(): string[] {
  return (readdirSync(scratch, { recursive: true, encoding: "utf8" }) as string[]).sort().map((name) => {
    const info = lstatSync(join(scratch, name));
    if (info.isDirectory()) return `${name}/`;
    if (!info.isFile()) return `${name} (${info.isFIFO() ? "fifo" : "special"})`;
    const hash = createHash("sha1").update(readFileSync(join(scratch, name))).digest("hex");
    return `${name} ${info.size} ${info.mtimeMs} ${info.mode.toString(8)} ${hash}`;
  });
}

const rows = Object.entries(BAD_INPUTS).flatMap(([command, inputs]) => inputs.map((input) => ({ command, ...input })));

describe("bad input to every subcommand", () => {
  it("covers every subcommand, at least 30 inputs in all", async () => {
    const help = await runCli(["--help"]);
    const listed = /\nCommands:\n([\s\S]*?)\n\n/.exec(help.stdout)![1]!;
    const commands = [...listed.matchAll(/^ {2}([a-z][\w-]*) /gm)].map((match) => match[1]!).filter((name) => name !== "help");
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const command of commands.filter((name) => !AWAITING_ROWS.has(name))) {
      expect(BAD_INPUTS[command]?.length ?? 0, `no bad inputs for "${command}" in BAD_INPUTS`).toBeGreaterThan(0);
    }
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  for (const row of rows) {
    const test = row.knownBug === undefined ? it : it.fails;
    test(`${row.command}: ${row.why}${row.knownBug === undefined ? "" : ` (known bug: ${row.knownBug})`}`, async () => {
      const before = snapshot();
      const result = await runCli(row.args, { cwd: scratch, env: { XDG_CACHE_HOME: at("cache"), HOME: at("cache") } });
      expect(result.stdout).toBe("");
      expect(result.exitCode, result.stderr).toBe(2);
      const lines = result.stderr.split("\n");
      expect(lines, result.stderr).toHaveLength(2);
      expect(lines[1]).toBe("");
      expect(lines[0]).toMatch(/^memory-adventure: /);
      expect(lines[0]!.slice("memory-adventure: ".length)).toMatch(row.says);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(snapshot()).toEqual(before);
      // No Bazel server or stand-in is left behind either.
      expect(spawnSync("pgrep", ["-f", scratch]).stdout.toString()).toBe("");
    });
  }
});

describe("heap: a gzipped dump with no room to inflate it", () => {
  it("says so in one line naming the folder and what to do, exit 2, and leaves nothing there", async () => {
    // A real write that fails: bash's `ulimit -f 64` caps the files the command writes at 64 KiB (EFBIG), as a
    // full disk would stop it (ENOSPC) a little later.
    const small = at("small-tmp");
    mkdirSync(small, { recursive: true });
    const before = snapshot();
    const result = await runProcess("bash", ["-c", 'ulimit -f 64 && exec "$0" "$@"', process.execPath, BUNDLE_PATH, "heap", at("reproduction.hprof.gz")], {
      cwd: scratch,
      env: cliEnvironment({ TMPDIR: small, XDG_CACHE_HOME: at("cache"), HOME: at("cache") }),
    });
    expect(result.stdout).toBe("");
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /^memory-adventure: .*\/reproduction\.hprof\.gz: no room in .*\/small-tmp for the inflated heap dump \(EFBIG: the disk, a quota or a file size limit\); set TMPDIR to a folder with room for it, or gunzip it there and give the \.hprof\n$/,
    );
    expect(readdirSync(small)).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});

describe("heap: no room for the digest's state", () => {
  it("says so in one line naming the folder and what to do, exit 2, and leaves nothing there", async () => {
    // The same file size limit, under the state file's first write: the dump, plain, is only read.
    writeFileSync(at("oom.hprof"), gunzipSync(readFileSync(join(FIXTURES_DIR, "hprof", "oom.hprof.gz"))));
    const state = at("small-state");
    mkdirSync(state, { recursive: true });
    const before = snapshot();
    const result = await runProcess("bash", ["-c", 'ulimit -f 8 && exec "$0" "$@"', process.execPath, BUNDLE_PATH, "heap", at("oom.hprof"), "--state-dir", state], {
      cwd: scratch,
      env: cliEnvironment({ XDG_CACHE_HOME: at("cache"), HOME: at("cache") }),
    });
    expect(result.stdout).toBe("");
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /^memory-adventure: no room in .*\/small-state for the heap digest's state: it needs at least \d+\.\d MiB there, none of it written when the disk filled \(EFBIG\): free some there, or name a folder with room with --state-dir\n$/,
    );
    expect(readdirSync(state)).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});

/**
 * A memory control group of `limitBytes` for the test (cgroup v1's memory controller, else v2's), or undefined
 * where this process may not make one (not root, or no writable cgroup file system).
 */
function memoryGroup(limitBytes: number): { readonly procs: string; remove(): void } | undefined {
  const name = `memory-adventure-test-${process.pid}`;
  for (const { root, limitFile } of [
    { root: "/sys/fs/cgroup/memory", limitFile: "memory.limit_in_bytes" },
    { root: "/sys/fs/cgroup", limitFile: "memory.max" },
  ]) {
    const dir = join(root, name);
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    try {
      writeFileSync(join(dir, limitFile), String(limitBytes));
      return { procs: join(dir, "cgroup.procs"), remove: () => rmdirSync(dir) };
    } catch {
      rmdirSync(dir);
    }
  }
  return undefined;
}

describe("heap in a container whose memory limit is below the digest's need", () => {
  const group = memoryGroup(96 * 2 ** 20);
  afterAll(() => group?.remove());

  it.skipIf(group === undefined)("measures the limit, not the host's free memory: one line, exit 2, nothing written", async () => {
    const before = snapshot();
    // The command joins the group itself before it becomes the CLI, so that everything it allocates counts.
    const result = await runProcess("bash", ["-c", 'echo $$ > "$0" && exec "$@"', group!.procs, process.execPath, BUNDLE_PATH, "heap", at("reproduction.hprof.gz")], {
      cwd: scratch,
      env: cliEnvironment({ XDG_CACHE_HOME: at("cache"), HOME: at("cache") }),
    });
    expect(result.stdout).toBe("");
    expect(result.exitCode, result.stderr).toBe(2);
    const free = /more than the ([\d.]+) MiB free for it here \(within any container's memory limit\)/.exec(result.stderr);
    expect(free, result.stderr).not.toBeNull();
    expect(Number(free![1])).toBeLessThan(96);
    expect(result.stderr).toMatch(/^memory-adventure: .*\/reproduction\.hprof\.gz: digesting this dump needs about [\d.]+ MiB of memory .*; free memory or raise the container's limit, or digest it on a machine with more\n$/);
    expect(snapshot()).toEqual(before);
  });
});
