// A process of its own for read-ahead.test.ts (bundled there with esbuild, as the CLI is): reads the first windows
// of the file in argv[2] through the read-ahead, says how many came from the ring and whether they were the file's
// bytes, then closes the dump (argv[3] "close") or leaves it open ("forget"), and returns. Its process must end on
// its own at once either way: no worker may keep it alive.
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileSource } from "../../src/io/hprof-file.js";
import { readAhead } from "../../src/io/read-ahead.js";

const [path, mode] = process.argv.slice(2) as [string, "close" | "forget"];
const CHUNK = 64 * 1024;
const whole = readFileSync(path);
const fd = openSync(path, "r");
const ahead = readAhead(fileSource(fd), path, { chunkBytes: CHUNK, slots: 2, startAfterBytes: 0 });
const started = await ahead.started;
let same = true;
// Three windows, while the file has many more: the worker is left waiting for room in its ring.
for (let offset = 0; offset < 3 * (CHUNK - 7); offset += CHUNK - 7) {
  const view = ahead.source.read(offset, CHUNK);
  same &&= Buffer.from(view).equals(whole.subarray(offset, offset + CHUNK));
}
process.stdout.write(`${JSON.stringify({ started, ringReads: ahead.ringReads, same })}\n`);
if (mode === "close") {
  ahead.close();
  closeSync(fd);
}
