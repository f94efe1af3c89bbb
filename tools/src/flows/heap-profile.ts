// `--pprof FILE` of `heap` and `diff`: heap digests written as one gzipped pprof profile.
import type { HeapDigest } from "../core/heap/heap-digest.js";
import { withRelativeFiles } from "../core/heap/digest-document.js";
import { heapProfile } from "../core/heap/pprof-profile.js";
import { checkOutputPath } from "../io/output-file.js";
import { writePprofFile } from "../io/pprof-file.js";
import { pprofWritten } from "../render/pprof.js";

/** Writes the profile of the digests (their .bzl files named relative to `workspace`) and says so on stderr. */
export async function writeHeapProfile(
  out: string,
  dumps: readonly { readonly source: string | undefined; readonly digest: HeapDigest }[],
  workspace: string | undefined,
): Promise<void> {
  await checkOutputPath(out);
  await writePprofFile(out, heapProfile(dumps.map(({ source, digest }) => ({ source, digest: withRelativeFiles(digest, workspace) }))));
  process.stderr.write(pprofWritten(out, dumps.length));
}
