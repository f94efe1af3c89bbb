// `heap`: who holds the heap of a crashed Bazel server, from its heap dump(s) or the digests a sweep wrote.
import { HEAP_JSON_SCHEMA } from "../core/heap/digest-document.js";
import { writeHeapProfile } from "./heap-profile.js";
import { terminalDigestProgress, withDigestProgress } from "../io/digest-progress.js";
import { digestOf, findHeapInputs, type SourcedDigest } from "../io/heap-dumps.js";
import { defaultWorkspace } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { sweepWorkspace } from "../io/run-folders.js";
import { heapText, heapWritten } from "../render/heap.js";
import { heapHtmlWritten, heapPicturePage } from "../render/treemap.js";

export interface HeapRequest {
  /** A heap dump, a run or sweep folder, or a Bazel output base. */
  readonly path: string;
  readonly top: number;
  readonly json: boolean;
  /** Where to write instead of stdout. */
  readonly out: string | undefined;
  /** Where to write the digests as a gzipped pprof profile, too. */
  readonly pprof: string | undefined;
  /** Where to write the picture of who holds each heap (one HTML page), too. */
  readonly html: string | undefined;
  /** The most memory a digest may take (default: what the system has available). */
  readonly memoryLimitBytes: number | undefined;
  /** --state-dir: where a digest keeps part of its state (default: beside its dump). */
  readonly stateDir: string | undefined;
}

export async function digestHeaps(request: HeapRequest): Promise<void> {
  if (request.out !== undefined) await checkOutputPath(request.out);
  if (request.pprof !== undefined) await checkOutputPath(request.pprof);
  if (request.html !== undefined) await checkOutputPath(request.html);
  const digests: SourcedDigest[] = [];
  for (const input of await findHeapInputs(request.path)) {
    digests.push(await withDigestProgress(terminalDigestProgress, (observer) => digestOf(input, { top: request.top, observer, memoryLimitBytes: request.memoryLimitBytes, stateDir: request.stateDir })));
  }
  const workspace = await workspaceFor(request.path);
  const rendered = request.json
    ? `${JSON.stringify({ schema: HEAP_JSON_SCHEMA, dumps: digests.map(({ source, digest }) => ({ source, ...digest })) }, null, 2)}\n`
    : digests.map(({ source, digest }) => heapText(source, digest, workspace, request.top)).join("\n");
  if (request.out === undefined) {
    process.stdout.write(rendered);
  } else {
    await writeOutputFile(request.out, rendered);
    process.stderr.write(heapWritten(request.out, digests.length));
  }
  if (request.pprof !== undefined) await writeHeapProfile(request.pprof, digests, workspace);
  if (request.html !== undefined) {
    await writeOutputFile(request.html, heapPicturePage(digests, workspace));
    process.stderr.write(heapHtmlWritten(request.html, digests.length));
  }
}

/** The workspace whose .bzl files the names are shown relative to: the sweep's, else the one we run in. */
async function workspaceFor(path: string): Promise<string | undefined> {
  const fromSweep = await sweepWorkspace(path);
  if (fromSweep !== undefined) return fromSweep;
  try {
    return defaultWorkspace();
  } catch {
    return undefined;
  }
}
