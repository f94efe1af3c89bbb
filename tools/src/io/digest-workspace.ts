// The workspace a digest's .bzl paths belong to, so that `diff` can name them relative to it and two checkouts
// in two folders compare.
import { statSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { digestFiles, type SourcedDump } from "../core/heap/digest-document.js";
import { findWorkspaceRoot } from "./invocation.js";
import { sweepWorkspace } from "./run-folders.js";

/**
 * The workspace the dump's absolute .bzl paths are under: the sweep's, when the file or the dump lies in a sweep
 * folder (<sweep>/runs/<id>/…); else the workspace enclosing its .bzl files, when they exist on this machine;
 * else undefined (paths stay as written, except external repositories').
 */
export async function digestWorkspace(file: string, dump: SourcedDump): Promise<string | undefined> {
  for (const path of [file, dump.source]) {
    const sweep = path === undefined ? undefined : /^(.*)\/runs\/[^/]+\/[^/]+$/.exec(path)?.[1];
    const workspace = sweep === undefined ? undefined : await sweepWorkspace(sweep).catch(() => undefined);
    if (workspace !== undefined) return workspace;
  }
  for (const bzl of digestFiles(dump.digest)) {
    if (!isAbsolute(bzl) || /\/external\//.test(bzl) || !statSync(bzl, { throwIfNoEntry: false })?.isFile()) continue;
    try {
      return findWorkspaceRoot(dirname(bzl));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
