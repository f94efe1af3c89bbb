// Writes a pprof profile (core/heap/pprof-profile.ts gives the protobuf bytes) gzipped, as pprof files usually
// are, in one step (io/output-file.ts).
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { writeOutputFile } from "./output-file.js";

const gzipAsync = promisify(gzip);

export async function writePprofFile(path: string, profile: Uint8Array): Promise<void> {
  await writeOutputFile(path, await gzipAsync(profile));
}
