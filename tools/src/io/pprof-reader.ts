// Reads a Starlark CPU profile (--starlark_cpu_profile: gzipped pprof) from disk and summarises it with the
// pure core/profile/pprof-summary.ts. A file the crash cut short (Bazel wrote the 10-byte gzip header when the command
// started and the rest only when it ends) is a summary with `complete: false`; anything that is not a pprof
// profile is a one-line InputError naming the file.
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { InputError } from "../core/exit-codes.js";
import { CUT_SHORT_PPROF, PprofFormatError, summarizePprof, type PprofSummary } from "../core/profile/pprof-summary.js";

const gunzipAsync = promisify(gunzip);
const GZIP_MAGIC = [0x1f, 0x8b] as const;

export async function readPprof(path: string): Promise<PprofSummary> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read the Starlark CPU profile (${code ?? String(error)})`);
  }
  const gzipped = bytes.length === 0 || (bytes[0] === GZIP_MAGIC[0] && (bytes.length === 1 || bytes[1] === GZIP_MAGIC[1]));
  if (!gzipped) return summarize(path, bytes);
  let protobuf: Buffer;
  try {
    protobuf = await gunzipAsync(bytes);
  } catch (error) {
    // zlib reports a stream that stops early as Z_BUF_ERROR ("unexpected end of file"); an empty file is the same.
    if ((error as NodeJS.ErrnoException).code === "Z_BUF_ERROR") return CUT_SHORT_PPROF;
    throw new InputError(`${path}: corrupt gzip data (${(error as Error).message}); not a Starlark CPU profile Bazel wrote or cut short`);
  }
  return summarize(path, protobuf);
}

function summarize(path: string, bytes: Uint8Array): PprofSummary {
  try {
    return summarizePprof(bytes);
  } catch (error) {
    if (error instanceof PprofFormatError) {
      throw new InputError(`${path}: not a Starlark CPU profile: ${error.message}; expected the pprof file of --starlark_cpu_profile`);
    }
    throw error;
  }
}
