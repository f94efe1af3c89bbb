// Heap digest files, read in one place: a run's heap-digest.json (the digest, core/heap/heap-digest.ts, that the
// sweep writes into a crashed run's folder), `heap --json` output and snapshots, all parsed by
// core/heap/digest-document.ts. `heap`, blame, the report and `diff` read them here with the same checks, so a
// file one of them accepts is never refused or misread by another. Also the one writer of heap-digest.json.
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../core/exit-codes.js";
import { digestDocument, NotADigestError, type DigestDocument } from "../core/heap/digest-document.js";
import type { HeapDigest } from "../core/heap/heap-digest.js";
import { writeOutputFile } from "./output-file.js";

/** Larger than any digest file (a digest is tens of KiB a dump): something else was given. */
const MAX_JSON_BYTES = 256 * 2 ** 20;

/** The digests in a file; InputError (one line naming the file) when it is not one `diff` reads. */
export async function readDigestDocument(path: string): Promise<DigestDocument> {
  const value = await readJsonFile(path, "a heap digest: heap --json output or a run's heap-digest.json");
  try {
    return digestDocument(value);
  } catch (error) {
    if (error instanceof NotADigestError) {
      throw new InputError(`${path}: not a heap digest (${error.message}); give heap --json output, a snapshot or a run's heap-digest.json`);
    }
    throw error;
  }
}

/** The digest in a run's heap-digest.json; InputError (one line naming the file and what to do) for anything else. */
export async function readHeapDigestFile(path: string): Promise<HeapDigest> {
  let value: unknown;
  try {
    value = await readJsonFile(path, "a heap digest");
  } catch (error) {
    // The sweep wrote this file; a broken one is re-made from its dump when the dump is still there.
    if (error instanceof InputError && / not JSON /.test(error.message)) throw new InputError(`${path}: not a heap digest (${error.message.replace(/^.*?: not JSON \((.*)\); give .*$/, "$1")}); delete it to digest the dump again`);
    throw error;
  }
  let problem: string;
  try {
    const document = digestDocument(value);
    if (document.kind === "run-digest") return document.dumps[0]!.digest;
    problem = "it holds heap --json's list of digests, not one run's";
  } catch (error) {
    if (!(error instanceof NotADigestError)) throw error;
    problem = error.message;
  }
  throw new InputError(`${path}: not a heap digest this version reads (${problem}); delete it, or digest the dump again with this version`);
}

/** A JSON file's parsed value; InputError for what cannot be read or parsed. `what` says what was expected. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(error.code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read it (${error.code ?? error.message})`);
  });
  if (info.isDirectory()) throw new InputError(`${path}: a folder; give ${what}`);
  if (!info.isFile() || info.size > MAX_JSON_BYTES) throw new InputError(`${path}: not ${what}`);
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: cannot read it (${error.code ?? error.message})`);
  });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not JSON (${error instanceof Error ? error.message : String(error)}); give ${what}`);
  }
}

/** Writes a heap-digest.json in one step. */
export async function writeHeapDigestFile(path: string, digest: HeapDigest): Promise<void> {
  await writeOutputFile(path, `${JSON.stringify(digest)}\n`);
}
