/**
 * Heap limits as the sweep's `--limits` takes them: `155m..180m:1m,190m..250m:5m,300m,1g`.
 *
 * A size is what `-Xmx` accepts: whole digits with an optional unit k, m, g or t (either case, 1024-based),
 * or bare digits for bytes. The JVM reads `010m` as 10 MiB (decimal), so leading zeros are allowed and
 * dropped. A range `START..END:STEP` lists START, START+STEP, ... END; the step must land exactly on END
 * (we refuse rather than silently drop or add the end, so the plan is always what was typed). A list joins
 * sizes and ranges with commas. The result is sorted by size; a size listed twice runs once, under the
 * spelling seen first.
 *
 * Each generated limit keeps the user's spelling in canonical form (lower-case unit, no leading zeros):
 * a plain size keeps its unit (`1G` -> `1g`); a range's values use the smallest unit among its START, END
 * and STEP, in which all of them are whole (`1g..2g:512m` -> `1024m`, `1536m`, `2048m`).
 *
 * Note: G1 (the JVM's default collector here) rounds the heap up to its alignment, 2 MiB for these sizes
 * on JDK 17, so `155m` and `156m` run with the same heap (measured with -XX:+PrintFlagsFinal).
 */

export interface HeapLimit {
  /** Canonical spelling, e.g. "256m"; what run.json's `limit` holds. */
  readonly spelling: string;
  /** The same size in bytes, as the JVM reads it. */
  readonly bytes: number;
}

export type SizeUnit = "" | "k" | "m" | "g" | "t";

export const UNIT_BYTES: Readonly<Record<SizeUnit, number>> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** Below this the Bazel server dies during startup (4.2.3 at 8m: OutOfMemoryError in jvm.out), so nothing is measured. */
export const MIN_LIMIT_BYTES = 16 * UNIT_BYTES.m;
/** Larger than any machine this runs on; a typo such as `1000g` more likely than a wish. */
export const MAX_LIMIT_BYTES = UNIT_BYTES.t;
/** More limits than this in one --limits is a typo (a step of 1k) rather than a plan. */
export const MAX_LIMIT_COUNT = 500;

/** What is wrong with one token of --limits; render/sweep.ts words it. */
export type LimitProblem =
  | { readonly kind: "empty-list" }
  | { readonly kind: "empty-token"; readonly position: number }
  | { readonly kind: "negative"; readonly token: string }
  | { readonly kind: "fraction"; readonly token: string; readonly suggestion: string | undefined }
  | { readonly kind: "unknown-unit"; readonly token: string; readonly unit: string; readonly suggestion: string | undefined }
  | { readonly kind: "not-a-size"; readonly token: string }
  | { readonly kind: "zero"; readonly token: string }
  | { readonly kind: "too-small"; readonly token: string; readonly min: string }
  | { readonly kind: "too-large"; readonly token: string; readonly max: string }
  | { readonly kind: "range-without-step"; readonly token: string }
  | { readonly kind: "malformed-range"; readonly token: string }
  | { readonly kind: "zero-step"; readonly token: string }
  | { readonly kind: "reversed-range"; readonly token: string; readonly swapped: string }
  | { readonly kind: "empty-range"; readonly token: string; readonly single: string }
  | { readonly kind: "uneven-step"; readonly token: string; readonly below: string; readonly above: string }
  | { readonly kind: "too-many"; readonly token: string; readonly count: number; readonly max: number };

export class LimitSyntaxError extends Error {
  override readonly name = "LimitSyntaxError";
  constructor(readonly problem: LimitProblem) {
    super(`bad heap limit: ${problem.kind}`);
  }
}

interface Size {
  readonly value: number;
  readonly unit: SizeUnit;
  readonly bytes: number;
}

const SIZE = /^(\d+)([kmgt]?)$/i;

/** Parses a whole --limits text; throws LimitSyntaxError naming the first bad token. */
export function parseLimits(text: string): HeapLimit[] {
  if (text.trim() === "") throw new LimitSyntaxError({ kind: "empty-list" });
  const seen = new Map<number, HeapLimit>();
  text.split(",").forEach((raw, index) => {
    const token = raw.trim();
    if (token === "") throw new LimitSyntaxError({ kind: "empty-token", position: index + 1 });
    for (const limit of parseToken(token)) {
      if (!seen.has(limit.bytes)) seen.set(limit.bytes, limit);
    }
  });
  const limits = [...seen.values()].sort((a, b) => a.bytes - b.bytes);
  if (limits.length > MAX_LIMIT_COUNT) {
    throw new LimitSyntaxError({ kind: "too-many", token: text.trim(), count: limits.length, max: MAX_LIMIT_COUNT });
  }
  return limits;
}

/** Parses one size such as `256m` (no ranges); throws LimitSyntaxError. */
export function parseLimit(token: string): HeapLimit {
  const size = parseSize(token.trim(), true);
  return { spelling: spell(size.value, size.unit), bytes: size.bytes };
}

function parseToken(token: string): HeapLimit[] {
  if (!token.includes("..")) return [parseLimit(token)];
  const match = /^([^.:]*)\.\.([^.:]*)(?::([^:]*))?$/.exec(token);
  if (match === null) throw new LimitSyntaxError({ kind: "malformed-range", token });
  const [, startText = "", endText = "", stepText] = match;
  if (stepText === undefined) throw new LimitSyntaxError({ kind: "range-without-step", token });
  const start = parseSize(startText, true, token);
  const end = parseSize(endText, true, token);
  const step = parseSize(stepText, false, token);
  if (step.bytes === 0) throw new LimitSyntaxError({ kind: "zero-step", token });
  if (end.bytes < start.bytes) {
    throw new LimitSyntaxError({ kind: "reversed-range", token, swapped: `${endText}..${startText}:${stepText}` });
  }
  if (end.bytes === start.bytes) throw new LimitSyntaxError({ kind: "empty-range", token, single: spell(start.value, start.unit) });
  const unit = smallestUnit([start.unit, end.unit, step.unit]);
  const span = end.bytes - start.bytes;
  if (span % step.bytes !== 0) {
    const below = start.bytes + Math.floor(span / step.bytes) * step.bytes;
    throw new LimitSyntaxError({
      kind: "uneven-step",
      token,
      below: spell(below / UNIT_BYTES[unit], unit),
      above: spell((below + step.bytes) / UNIT_BYTES[unit], unit),
    });
  }
  const count = span / step.bytes + 1;
  if (count > MAX_LIMIT_COUNT) throw new LimitSyntaxError({ kind: "too-many", token, count, max: MAX_LIMIT_COUNT });
  return Array.from({ length: count }, (_, i) => {
    const bytes = start.bytes + i * step.bytes;
    return { spelling: spell(bytes / UNIT_BYTES[unit], unit), bytes };
  });
}

/** `context` is the whole token when `text` is part of a range, for the error message. */
function parseSize(text: string, isLimit: boolean, context: string = text): Size {
  const match = SIZE.exec(text);
  if (match === null) throw new LimitSyntaxError(sizeProblem(text, context));
  const [, digits = "", unitText = ""] = match;
  const unit = unitText.toLowerCase() as SizeUnit;
  const value = Number(digits);
  const bytes = value * UNIT_BYTES[unit];
  if (!Number.isSafeInteger(bytes)) throw new LimitSyntaxError({ kind: "too-large", token: context, max: formatBytes(MAX_LIMIT_BYTES) });
  if (!isLimit) return { value, unit, bytes };
  if (bytes === 0) throw new LimitSyntaxError({ kind: "zero", token: context });
  if (bytes < MIN_LIMIT_BYTES) throw new LimitSyntaxError({ kind: "too-small", token: context, min: formatBytes(MIN_LIMIT_BYTES) });
  if (bytes > MAX_LIMIT_BYTES) throw new LimitSyntaxError({ kind: "too-large", token: context, max: formatBytes(MAX_LIMIT_BYTES) });
  return { value, unit, bytes };
}

function sizeProblem(text: string, context: string): LimitProblem {
  if (text.startsWith("-")) return { kind: "negative", token: context };
  const fraction = /^(\d*)\.(\d+)([kmgt]?)$/i.exec(text);
  if (fraction !== null) {
    const [, whole = "", decimals = "", unitText = ""] = fraction;
    const unit = unitText.toLowerCase() as SizeUnit;
    const bytes = Number(`${whole || "0"}.${decimals}`) * UNIT_BYTES[unit];
    return { kind: "fraction", token: context, suggestion: Number.isInteger(bytes) && bytes > 0 ? formatBytes(bytes) : undefined };
  }
  const withUnit = /^(\d+)\s*([a-z]+)$/i.exec(text);
  if (withUnit !== null) {
    const [, digits = "", unitText = ""] = withUnit;
    // "1gb", "512MiB", "2 g": the first letter is a unit the JVM knows, the rest is not.
    const first = unitText[0]!.toLowerCase();
    const suggestion = first in UNIT_BYTES && first !== "" ? `${Number(digits)}${first}` : undefined;
    return { kind: "unknown-unit", token: context, unit: unitText, suggestion };
  }
  return { kind: "not-a-size", token: context };
}

function smallestUnit(units: readonly SizeUnit[]): SizeUnit {
  return units.reduce((smallest, unit) => (UNIT_BYTES[unit] < UNIT_BYTES[smallest] ? unit : smallest));
}

function spell(value: number, unit: SizeUnit): string {
  return `${value}${unit}`;
}

/** The shortest exact spelling of `bytes`: `1g`, `1536m`, `1000k`, `1234`. */
const BYTE_SIZE = /^(\d+)([kmgt]?)$/i;

/**
 * A size in bytes as `--limits` spells one (`64m`, `512k`, `1g`, `4096`), without --limits' floor and ceiling
 * for a JVM heap (a budget of 2m for one provider is fine). LimitSyntaxError otherwise.
 */
export function parseByteSize(text: string): number {
  const token = text.trim();
  const match = BYTE_SIZE.exec(token);
  if (match === null) {
    // Not a size at all: --limits' own parser tells why (negative, a fraction, an unknown unit) in its words.
    parseLimit(token);
    throw new LimitSyntaxError({ kind: "not-a-size", token });
  }
  const bytes = Number(match[1]) * UNIT_BYTES[match[2]!.toLowerCase() as SizeUnit];
  if (!Number.isSafeInteger(bytes)) throw new LimitSyntaxError({ kind: "too-large", token, max: "8192t" });
  return bytes;
}

export function formatBytes(bytes: number): string {
  for (const unit of ["t", "g", "m", "k"] as const) {
    if (bytes >= UNIT_BYTES[unit] && bytes % UNIT_BYTES[unit] === 0) return `${bytes / UNIT_BYTES[unit]}${unit}`;
  }
  return String(bytes);
}

/**
 * The limit's part of a run id: whole MiB as 4+ digits (`0256m`, `1024m`), else KiB as 7+ digits, else
 * bytes as 10+ digits, so that folder names sort by size within one unit (the usual case: all MiB).
 */
export function limitIdPart(bytes: number): string {
  if (bytes % UNIT_BYTES.m === 0) return `${String(bytes / UNIT_BYTES.m).padStart(4, "0")}m`;
  if (bytes % UNIT_BYTES.k === 0) return `${String(bytes / UNIT_BYTES.k).padStart(7, "0")}k`;
  return String(bytes).padStart(10, "0");
}
