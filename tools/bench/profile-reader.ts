// Throughput of the profile reader against `zcat FILE > /dev/null`, measured in the same run on a
// synthetic profile made by repeating the events of a real one up to a size (1 GiB by default).
// Prints numbers only; there are no timed assertions anywhere in the tests.
//
//   npm run bench:reader -- [--profile FILE.json.gz] [--size-mib 1024] [--keep DIR]
//
// Peak RSS is printed too: it must stay flat however big the profile is (the reader streams).
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, openSync, closeSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createGunzip, createGzip, constants as zlibConstants } from "node:zlib";
import { readProfile } from "../src/io/profile-reader.js";
import { typedEvents } from "../src/core/profile/trace-events.js";
import { ProfileSummaryBuilder } from "../src/core/profile/profile-summary.js";

// npm runs scripts in tools/; the real 4.2.3 fixture of a successful eat build.
const DEFAULT_PROFILE = resolve("test/fixtures/bazel-4.2.3/sweep/runs/0256m-r01/profile.json.gz");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: "string", default: DEFAULT_PROFILE },
      "size-mib": { type: "string", default: "1024" },
      keep: { type: "string" },
    },
  });
  const targetBytes = Number(values["size-mib"]) * 1024 * 1024;
  const dir = values.keep ?? (await mkdtemp(join(tmpdir(), "profile-reader-bench-")));
  const big = join(dir, "big.profile.json.gz");
  try {
    const generated = await seconds(() => synthesize(values.profile, big, targetBytes));
    const compressed = (await stat(big)).size;
    log(`synthetic profile: ${mib(generated.value)} MiB of JSON, ${mib(compressed)} MiB gzipped (made in ${generated.seconds.toFixed(1)} s)`);

    const zcat = await seconds(() => zcatToDevNull(big));
    log(`zcat > /dev/null:             ${zcat.seconds.toFixed(2)} s`);

    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    let rawEvents = 0;
    const raw = await seconds(() => readProfile(big, () => rawEvents++));
    log(`reader, raw events:           ${raw.seconds.toFixed(2)} s  ${ratio(raw.seconds, zcat.seconds)}  ${rawEvents} events`);
    const summary = new ProfileSummaryBuilder();
    const typed = await seconds(() => readProfile(big, typedEvents(summary)));
    clearInterval(sampler);
    const result = summary.build(typed.value);
    log(`reader, typed + summary:      ${typed.seconds.toFixed(2)} s  ${ratio(typed.seconds, zcat.seconds)}  ${result.eventsRecovered} events, ${result.gcCount} GCs`);
    log(`throughput: ${(mib(generated.value) / typed.seconds).toFixed(0)} MiB/s of JSON; peak RSS ${mib(peakRss)} MiB`);
  } finally {
    if (values.keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Writes header + the real profile's event lines repeated + footer, gzipped; returns the JSON size. */
async function synthesize(profile: string, out: string, targetBytes: number): Promise<number> {
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(profile).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of reader) lines.push(line);
  // Bazel writes one event a line between the first line (header + `"traceEvents":[`) and `  ]` `}`.
  const header = lines[0]!;
  const events = lines.slice(1, -2).map((line) => line.replace(/,$/, ""));
  const gzip = createGzip({ level: zlibConstants.Z_BEST_SPEED });
  const sink = gzip.pipe(createWriteStream(out));
  let written = 0;
  const write = async (text: string): Promise<void> => {
    written += Buffer.byteLength(text);
    if (!gzip.write(text)) await new Promise<void>((resolve) => gzip.once("drain", () => resolve()));
  };
  await write(header + "\n    " + events.join(",\n    "));
  // One copy of the events a write: few, large writes keep zlib busy instead of the event loop.
  const repeat = ",\n    " + events.join(",\n    ");
  while (written < targetBytes) await write(repeat);
  await write("\n  ]\n}\n");
  gzip.end();
  await new Promise<void>((resolve, reject) => sink.on("finish", () => resolve()).on("error", reject));
  return written;
}

function zcatToDevNull(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const devNull = openSync("/dev/null", "w");
    const child = spawn("zcat", [path], { stdio: ["ignore", devNull, "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => {
      closeSync(devNull);
      if (code === 0) resolve();
      else reject(new Error(`zcat exited with ${code}`));
    });
  });
}

async function seconds<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - start) / 1000 };
}

function ratio(measured: number, baseline: number): string {
  return `(${(measured / baseline).toFixed(2)}× zcat)`;
}

function mib(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await main();
