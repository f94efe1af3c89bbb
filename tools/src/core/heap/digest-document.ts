/**
 * The heap digests a file holds, as `diff` and `heap --pprof` read them: the output of `heap --json`
 * (`{ schema, dumps: [{ source, ...digest }] }`), a snapshot (the same shape plus a `snapshot` object), or the
 * heap-digest.json a sweep writes into each crashed run's folder (one digest).
 *
 * Digests gain fields within schema 1 (holder groups' objects, shallowBytes and topTargets, and the evidence's
 * objects and shallowBytes came later): a file without them is read as it is, and its readers do without them.
 *
 * A digest names .bzl files as the dump did (absolute paths of the machine that built); a snapshot names them
 * relative to its workspace. Two digests are compared on the relative form (core/blame/source-file.ts), so
 * that a checkout moved, or another machine's, still matches: withRelativeFiles rewrites a digest to it.
 */
import { workspaceRelative } from "../blame/source-file.js";
import { HEAP_DIGEST_SCHEMA, type FunctionRef, type HeapDigest, type HeapVerdict, type Suspect } from "./heap-digest.js";

/** The schema of `heap --json`'s envelope (commands/heap.ts writes it). */
export const HEAP_JSON_SCHEMA = 1;

export interface SourcedDump {
  /** Where the digest came from (the dump or heap-digest.json), when the file says. */
  readonly source: string | undefined;
  readonly digest: HeapDigest;
}

export interface DigestDocument {
  readonly kind: "heap-json" | "snapshot" | "run-digest";
  /** In the file's order (never empty). */
  readonly dumps: readonly SourcedDump[];
}

/** The value is not a heap digest; the message says what it is instead (render/diff.ts prefixes the file). */
export class NotADigestError extends Error {
  override readonly name = "NotADigestError";
}

/** The digests in a parsed JSON file; NotADigestError when it holds none. */
export function digestDocument(value: unknown): DigestDocument {
  if (!isObject(value)) throw new NotADigestError("not a JSON object");
  if ("dumps" in value) {
    if (value["schema"] !== HEAP_JSON_SCHEMA) throw new NotADigestError(`"dumps" but not heap --json's schema ${HEAP_JSON_SCHEMA}`);
    const dumps = value["dumps"];
    if (!Array.isArray(dumps)) throw new NotADigestError(`"dumps" is not a list`);
    if (dumps.length === 0) throw new NotADigestError("it lists no dumps");
    return {
      kind: "snapshot" in value ? "snapshot" : "heap-json",
      dumps: dumps.map((dump: unknown, index) => {
        const digest = checkedDigest(dump, `dumps[${index}]`);
        const source = (dump as Record<string, unknown>)["source"];
        return { source: typeof source === "string" ? source : undefined, digest };
      }),
    };
  }
  return { kind: "run-digest", dumps: [{ source: undefined, digest: checkedDigest(value, undefined) }] };
}

/** The digest with every .bzl file named relative to `workspace` (external repositories as external/<repo>/…). */
export function withRelativeFiles(digest: HeapDigest, workspace: string | undefined): HeapDigest {
  const file = (path: string | undefined): string | undefined => workspaceRelative(path, workspace);
  const ref = (fn: FunctionRef | undefined): FunctionRef | undefined => (fn === undefined ? undefined : { function: fn.function, file: file(fn.file) });
  const suspect = (entry: Suspect): Suspect => ({ ...entry, file: file(entry.file) });
  return {
    ...digest,
    threads: digest.threads.map((thread) => ({ ...thread, frames: thread.frames.map((frame) => ({ ...frame, file: file(frame.file) })) })),
    holders: digest.holders.map((holder) => ({
      ...holder,
      function: ref(holder.function),
      ...(holder.providerFile === undefined ? {} : { providerFile: file(holder.providerFile) }),
    })),
    // Owners are described in words that name .bzl files with their lines ("local `x` of f (/ws/a.bzl:3)").
    largest: digest.largest.map((object) => ({ ...object, owner: workspaceRelativeText(object.owner, workspace) })),
    suspects: digest.suspects.map(suspect),
    verdict: verdictWith(digest.verdict, suspect),
  };
}

function verdictWith(verdict: HeapVerdict, suspect: (s: Suspect) => Suspect): HeapVerdict {
  switch (verdict.kind) {
    case "culprit":
      return { ...verdict, suspect: suspect(verdict.suspect), runnerUp: verdict.runnerUp === undefined ? undefined : suspect(verdict.runnerUp) };
    case "no-single-culprit":
      return { ...verdict, top: verdict.top.map(suspect) };
    case "no-starlark":
      return verdict;
  }
}

/** Free text (an owner's description) with the workspace's absolute paths made relative to it. */
export function workspaceRelativeText(text: string, workspace: string | undefined): string {
  if (workspace === undefined || workspace === "") return text;
  return text.split(workspace.endsWith("/") ? workspace : `${workspace}/`).join("");
}

/** The .bzl files a digest names (absolute or not), for finding the workspace they belong to. */
export function digestFiles(digest: HeapDigest): string[] {
  const files = new Set<string>();
  for (const suspect of digest.suspects) if (suspect.file !== undefined) files.add(suspect.file);
  for (const thread of digest.threads) for (const frame of thread.frames) if (frame.file !== undefined) files.add(frame.file);
  return [...files];
}

/**
 * Checks the parts of a digest that diff, budgets and profiles read (the rest is shown as written). A digest
 * of another schema is refused rather than misread.
 */
function checkedDigest(value: unknown, where: string | undefined): HeapDigest {
  const at = where === undefined ? "" : `${where}: `;
  if (!isObject(value)) throw new NotADigestError(`${at}not a JSON object`);
  if (value["schema"] !== HEAP_DIGEST_SCHEMA) {
    throw new NotADigestError(`${at}${"schema" in value ? `a digest of schema ${JSON.stringify(value["schema"])}, not ${HEAP_DIGEST_SCHEMA}` : "no heap digest schema"}`);
  }
  const dump = value["dump"];
  if (!isObject(dump) || typeof dump["reachableBytes"] !== "number") throw new NotADigestError(`${at}no dump.reachableBytes`);
  for (const list of ["suspects", "holders", "threads"] as const) {
    if (!Array.isArray(value[list])) throw new NotADigestError(`${at}no "${list}" list`);
  }
  (value["suspects"] as unknown[]).forEach((suspect, index) => {
    const ok =
      isObject(suspect) &&
      typeof suspect["function"] === "string" &&
      (suspect["file"] === undefined || typeof suspect["file"] === "string") &&
      typeof suspect["retainedBytes"] === "number" &&
      Array.isArray(suspect["evidence"]);
    if (!ok) throw new NotADigestError(`${at}suspects[${index}] is not a function with retainedBytes and evidence`);
  });
  (value["holders"] as unknown[]).forEach((holder, index) => {
    const problem = holderProblem(holder);
    if (problem !== undefined) throw new NotADigestError(`${at}holders[${index}] ${problem}`);
  });
  return value as unknown as HeapDigest;
}

/** What is wrong with a holder group, in the parts profiles and pictures read; undefined when nothing is. */
function holderProblem(holder: unknown): string | undefined {
  if (!isObject(holder) || typeof holder["retainedBytes"] !== "number") return "is not a holder group with retainedBytes";
  for (const count of ["objects", "shallowBytes"] as const) {
    if (holder[count] !== undefined && typeof holder[count] !== "number") return `has a ${count} that is not a number`;
  }
  const targets = holder["topTargets"];
  if (targets === undefined) return undefined;
  const ok = Array.isArray(targets) && targets.every((target) => isObject(target) && typeof target["label"] === "string" && typeof target["retainedBytes"] === "number");
  return ok ? undefined : "has topTargets that are not labels with retainedBytes";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
