/**
 * What changed between two heap digests (core/heap/heap-digest.ts), per Starlark function: the bytes it retains
 * in BASE and in NEW, and under it, per provider, its local variables (frames in flight and a builtin's work
 * in progress on its thread), its actions, the rest of its targets' analysis data, and objects shared among its
 * holders. Functions are matched by name and workspace-relative .bzl file: the digests must have been passed
 * through withRelativeFiles (digest-document.ts) first.
 *
 * Each digest's `suspects` list every function that holds bytes (its `holders` only the largest groups), so
 * the comparison reads the suspects and their evidence.
 *
 * `--fail-over` gates growth: a percentage of the function's bytes in BASE, or an absolute size. A percentage
 * alone would trip on noise: a function holding a few KiB changes by tens of percent between two dumps of the
 * same build, because a crash dump is written wherever analysis happened to be (in the checked-in fixtures,
 * two dumps of one Bazel 7.7.1 build differ by 7.4 KiB, +146%, for a rule that wrote test files). So growth
 * trips a percentage gate only when it is also at least NOISE_FLOOR_BYTES: 1 MiB is over a hundred times the
 * largest such difference seen there, and still below what moves a build's heap threshold at the sweep's
 * finest usual resolution (16m). To be re-measured once snapshots give run-to-run spreads of deliberate dumps.
 */
import type { Evidence, HeapDigest, Suspect } from "./heap-digest.js";
import { LimitSyntaxError, parseByteSize, type LimitProblem } from "../sweep/heap-limit.js";
import { byCodeUnits } from "../text-order.js";

/** Growth below this never trips a percentage gate (see the module comment for why 1 MiB). */
export const NOISE_FLOOR_BYTES = 2 ** 20;

/** One part of a function's bytes. */
export type BreakdownPart =
  | { readonly kind: "provider"; readonly provider: string }
  /** frame-locals and in-flight holders: what its calls in flight keep alive. */
  | { readonly kind: "locals" }
  | { readonly kind: "actions" }
  | { readonly kind: "analysis" }
  | { readonly kind: "shared" };

export interface BytesChange {
  readonly baseBytes: number;
  readonly newBytes: number;
  /** newBytes − baseBytes. */
  readonly deltaBytes: number;
}

export type BreakdownChange = BreakdownPart & BytesChange;

export interface FunctionChange extends BytesChange {
  readonly function: string;
  /** Workspace-relative .bzl file; undefined when the dump did not say. */
  readonly file: string | undefined;
  /** Sorted like the functions: by |deltaBytes|, then by size. */
  readonly breakdown: readonly BreakdownChange[];
}

export interface DigestTotals {
  /** The dump's whole reachable heap. */
  readonly reachableBytes: number;
  /** What Starlark functions retain, summed. */
  readonly starlarkBytes: number;
  readonly functions: number;
}

export interface DigestDiff {
  /** Every function holding bytes in either digest, by |deltaBytes| (largest change first), then by size. */
  readonly functions: readonly FunctionChange[];
  readonly base: DigestTotals;
  readonly new: DigestTotals;
  /** Functions found in both digests: none means they are not digests of the same code. */
  readonly commonFunctions: number;
}

export type GrowthGate = { readonly kind: "percent"; readonly percent: number; readonly text: string } | { readonly kind: "bytes"; readonly bytes: number; readonly text: string };

/** Why a --fail-over text is no gate: bare digits (bytes? percent?), a size that is wrong, or neither kind. */
export type GateProblem = { readonly kind: "no-unit" } | { readonly kind: "size"; readonly problem: LimitProblem } | { readonly kind: "not-a-gate" };

export class GateSyntaxError extends Error {
  override readonly name = "GateSyntaxError";
  constructor(
    readonly text: string,
    readonly problem: GateProblem,
  ) {
    super(`bad growth gate: ${text}`);
  }
}

export interface GateTrip {
  readonly change: FunctionChange;
  /** deltaBytes / baseBytes; Infinity for a function new in NEW. */
  readonly growth: number;
}

export function diffDigests(base: HeapDigest, next: HeapDigest): DigestDiff {
  const before = functionBytes(base);
  const after = functionBytes(next);
  const keys = new Set([...before.keys(), ...after.keys()]);
  let commonFunctions = 0;
  const functions: FunctionChange[] = [];
  for (const key of keys) {
    const old = before.get(key);
    const current = after.get(key);
    if (old !== undefined && current !== undefined) commonFunctions++;
    const baseBytes = old?.bytes ?? 0;
    const newBytes = current?.bytes ?? 0;
    if (baseBytes === 0 && newBytes === 0) continue;
    const parts = new Set([...(old?.parts.keys() ?? []), ...(current?.parts.keys() ?? [])]);
    const breakdown: BreakdownChange[] = [];
    for (const partKey of parts) {
      const part = (old?.parts.get(partKey) ?? current?.parts.get(partKey))!.part;
      const partBase = old?.parts.get(partKey)?.bytes ?? 0;
      const partNew = current?.parts.get(partKey)?.bytes ?? 0;
      breakdown.push({ ...part, baseBytes: partBase, newBytes: partNew, deltaBytes: partNew - partBase });
    }
    const { function: name, file } = (old ?? current)!;
    functions.push({ function: name, file, baseBytes, newBytes, deltaBytes: newBytes - baseBytes, breakdown: breakdown.sort(byChange) });
  }
  functions.sort((a, b) => byChange(a, b) || byCodeUnits(a.function, b.function) || byCodeUnits(a.file ?? "", b.file ?? ""));
  return { functions, base: totalsOf(base, before), new: totalsOf(next, after), commonFunctions };
}

/**
 * `5%` (of the function's bytes in BASE) or a size as --limits spells one (`64m`); GateSyntaxError otherwise.
 * Bare digits, which --limits reads as bytes, are refused here: `--fail-over 5` more likely means 5% than 5 bytes.
 */
export function parseGrowthGate(text: string): GrowthGate {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent !== null) return { kind: "percent", percent: Number(percent[1]), text: trimmed };
  if (/^\d+$/.test(trimmed)) throw new GateSyntaxError(text, { kind: "no-unit" });
  try {
    return { kind: "bytes", bytes: parseByteSize(trimmed), text: trimmed };
  } catch (error) {
    if (!(error instanceof LimitSyntaxError)) throw error;
    // Digits first: a size gone wrong (1.5m, 64mb), worth --limits' diagnosis; anything else is neither kind.
    throw new GateSyntaxError(text, /^-?[\d.]/.test(trimmed) && !trimmed.includes("%") ? { kind: "size", problem: error.problem } : { kind: "not-a-gate" });
  }
}

/** The functions that grew past the gate, in the diff's order. */
export function overGate(diff: DigestDiff, gate: GrowthGate): GateTrip[] {
  const trips: GateTrip[] = [];
  for (const change of diff.functions) {
    if (change.deltaBytes <= 0) continue;
    const growth = change.baseBytes > 0 ? change.deltaBytes / change.baseBytes : Infinity;
    const over = gate.kind === "bytes" ? change.deltaBytes > gate.bytes : change.deltaBytes >= NOISE_FLOOR_BYTES && growth * 100 > gate.percent;
    if (over) trips.push({ change, growth });
  }
  return trips;
}

interface FunctionBytes {
  readonly function: string;
  readonly file: string | undefined;
  readonly bytes: number;
  readonly parts: Map<string, { readonly part: BreakdownPart; bytes: number }>;
}

function functionBytes(digest: HeapDigest): Map<string, FunctionBytes> {
  const functions = new Map<string, FunctionBytes>();
  for (const suspect of digest.suspects) {
    const key = functionKey(suspect);
    // Two suspects can meet under one key only when two absolute paths made the same relative one; add them.
    const entry = functions.get(key) ?? { function: suspect.function, file: suspect.file, bytes: 0, parts: new Map() };
    const parts = entry.parts;
    for (const evidence of suspect.evidence) {
      if (evidence.kind === "on-stack") continue;
      const part = partOf(evidence);
      const partKey = part.kind === "provider" ? `provider|${part.provider}` : part.kind;
      const existing = parts.get(partKey);
      if (existing === undefined) parts.set(partKey, { part, bytes: evidence.bytes });
      else existing.bytes += evidence.bytes;
    }
    functions.set(key, { ...entry, bytes: entry.bytes + suspect.retainedBytes });
  }
  return functions;
}

function partOf(evidence: Exclude<Evidence, { kind: "on-stack" }>): BreakdownPart {
  switch (evidence.kind) {
    case "providers":
      return { kind: "provider", provider: evidence.provider };
    case "frame-locals":
    case "in-flight":
      return { kind: "locals" };
    case "actions":
      return { kind: "actions" };
    case "analysis":
      return { kind: "analysis" };
    case "shared":
      return { kind: "shared" };
  }
}

/** The reachable heap and what Starlark functions hold of it, in one digest. */
export function digestTotals(digest: HeapDigest): DigestTotals {
  return totalsOf(digest, functionBytes(digest));
}

function totalsOf(digest: HeapDigest, functions: ReadonlyMap<string, FunctionBytes>): DigestTotals {
  let starlarkBytes = 0;
  for (const entry of functions.values()) starlarkBytes += entry.bytes;
  return { reachableBytes: digest.dump.reachableBytes, starlarkBytes, functions: [...functions.values()].filter((entry) => entry.bytes > 0).length };
}

function functionKey(fn: Pick<Suspect, "function" | "file">): string {
  return `${fn.function}\u0000${fn.file ?? ""}`;
}

function byChange(a: BytesChange, b: BytesChange): number {
  return Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) || Math.max(b.baseBytes, b.newBytes) - Math.max(a.baseBytes, a.newBytes);
}
