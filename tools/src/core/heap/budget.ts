/**
 * Heap budgets: the most a Starlark function, a provider or the whole reachable heap may retain in a heap
 * digest, checked by `diff --budget FILE`. The file is JSON; sizes are written as `--limits` takes them
 * (core/sweep/heap-limit.ts: 64m, 512k, 1g, or bare digits for bytes):
 *
 *   {
 *     "heap": "768m",
 *     "functions": [{ "function": "my_rule_impl", "file": "rules/private/my_rule.bzl", "max": "64m" }],
 *     "providers": [{ "provider": "MyInfo", "max": "16m" }]
 *   }
 *
 * Every key is optional. `heap` bounds the whole reachable heap of the dump; a function budget bounds what the
 * function retains (all its holders: providers, actions, locals, analysis data); without `file` it applies to
 * every function of that name. A provider budget bounds that provider's instances summed over every function
 * that returned them. Files are workspace-relative, as diff names them. Unknown keys are refused: a misspelt
 * key would otherwise be a budget silently not checked.
 */
import type { HeapDigest } from "./heap-digest.js";
import { LimitSyntaxError, parseByteSize, type LimitProblem } from "../sweep/heap-limit.js";

export interface BudgetSize {
  readonly maxBytes: number;
  /** As the file wrote it. */
  readonly max: string;
}

export interface FunctionBudget extends BudgetSize {
  readonly function: string;
  /** undefined: every function of that name. */
  readonly file: string | undefined;
}

export interface ProviderBudget extends BudgetSize {
  readonly provider: string;
}

export interface Budget {
  readonly heap: BudgetSize | undefined;
  readonly functions: readonly FunctionBudget[];
  readonly providers: readonly ProviderBudget[];
}

export type BudgetProblem =
  | { readonly kind: "not-an-object" }
  | { readonly kind: "unknown-key"; readonly key: string; readonly known: readonly string[] }
  | { readonly kind: "not-a-list" }
  | { readonly kind: "missing"; readonly key: string }
  | { readonly kind: "not-text"; readonly key: string }
  | { readonly kind: "size"; readonly problem: LimitProblem }
  | { readonly kind: "empty" };

/** What is wrong with a budget file, and where in it (`functions[1].max`; "" for the whole file). */
export class BudgetSyntaxError extends Error {
  override readonly name = "BudgetSyntaxError";
  constructor(
    readonly where: string,
    readonly problem: BudgetProblem,
  ) {
    super(`bad budget at ${where || "top level"}: ${problem.kind}`);
  }
}

export interface BudgetLine {
  readonly kind: "heap" | "function" | "provider";
  readonly function?: string;
  readonly file?: string;
  readonly provider?: string;
  /** What the digest holds (0 when nothing in it matches). */
  readonly bytes: number;
  readonly maxBytes: number;
  readonly max: string;
  /** Something in the digest matched the entry (a misspelt name matches nothing and holds 0 bytes). */
  readonly matched: boolean;
}

export interface BudgetCheck {
  /** One line per budget entry, and per function for an entry without a file that several functions match. */
  readonly lines: readonly BudgetLine[];
  /** The lines whose bytes exceed their maximum, largest excess first. */
  readonly over: readonly BudgetLine[];
}

const TOP_KEYS = ["heap", "functions", "providers"] as const;
const FUNCTION_KEYS = ["function", "file", "max"] as const;
const PROVIDER_KEYS = ["provider", "max"] as const;

/** A parsed budget file; BudgetSyntaxError names the first thing wrong. */
export function parseBudget(value: unknown): Budget {
  const top = objectWithKeys(value, "", TOP_KEYS);
  const heap = top["heap"] === undefined ? undefined : size(top["heap"], "heap");
  const functions = listAt(top["functions"], "functions").map((entry, index): FunctionBudget => {
    const where = `functions[${index}]`;
    const fields = objectWithKeys(entry, where, FUNCTION_KEYS);
    const file = fields["file"] === undefined ? undefined : text(fields["file"], `${where}.file`);
    return { function: text(required(fields, "function", where), `${where}.function`), file, ...size(required(fields, "max", where), `${where}.max`) };
  });
  const providers = listAt(top["providers"], "providers").map((entry, index): ProviderBudget => {
    const where = `providers[${index}]`;
    const fields = objectWithKeys(entry, where, PROVIDER_KEYS);
    return { provider: text(required(fields, "provider", where), `${where}.provider`), ...size(required(fields, "max", where), `${where}.max`) };
  });
  if (heap === undefined && functions.length === 0 && providers.length === 0) throw new BudgetSyntaxError("", { kind: "empty" });
  return { heap, functions, providers };
}

/** Each budget entry against a digest whose files are workspace-relative (digest-document.ts withRelativeFiles). */
export function checkBudget(digest: HeapDigest, budget: Budget): BudgetCheck {
  const lines: BudgetLine[] = [];
  const limit = (entry: BudgetSize) => ({ maxBytes: entry.maxBytes, max: entry.max });
  if (budget.heap !== undefined) lines.push({ kind: "heap", bytes: digest.dump.reachableBytes, ...limit(budget.heap), matched: true });
  for (const entry of budget.functions) {
    const matches = digest.suspects.filter((suspect) => suspect.function === entry.function && (entry.file === undefined || suspect.file === entry.file));
    if (matches.length === 0) {
      lines.push({ kind: "function", function: entry.function, ...(entry.file === undefined ? {} : { file: entry.file }), bytes: 0, ...limit(entry), matched: false });
    }
    for (const suspect of matches) {
      lines.push({ kind: "function", function: suspect.function, ...(suspect.file === undefined ? {} : { file: suspect.file }), bytes: suspect.retainedBytes, ...limit(entry), matched: true });
    }
  }
  for (const entry of budget.providers) {
    let bytes = 0;
    let matched = false;
    for (const suspect of digest.suspects) {
      for (const evidence of suspect.evidence) {
        if (evidence.kind !== "providers" || evidence.provider !== entry.provider) continue;
        bytes += evidence.bytes;
        matched = true;
      }
    }
    lines.push({ kind: "provider", provider: entry.provider, bytes, ...limit(entry), matched });
  }
  const over = lines.filter((line) => line.bytes > line.maxBytes).sort((a, b) => b.bytes - b.maxBytes - (a.bytes - a.maxBytes));
  return { lines, over };
}

function objectWithKeys(value: unknown, where: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BudgetSyntaxError(where, { kind: "not-an-object" });
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) throw new BudgetSyntaxError(where, { kind: "unknown-key", key, known });
  }
  return fields;
}

function listAt(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new BudgetSyntaxError(where, { kind: "not-a-list" });
  return value;
}

function required(fields: Record<string, unknown>, key: string, where: string): unknown {
  if (fields[key] === undefined) throw new BudgetSyntaxError(where, { kind: "missing", key });
  return fields[key];
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new BudgetSyntaxError(where, { kind: "not-text", key: where.slice(where.lastIndexOf(".") + 1) });
  return value;
}

/** A size written as text ("64m"), or a whole number of bytes. */
function size(value: unknown, where: string): BudgetSize {
  const spelling = typeof value === "number" ? String(value) : value;
  if (typeof spelling !== "string") throw new BudgetSyntaxError(where, { kind: "size", problem: { kind: "not-a-size", token: JSON.stringify(value) } });
  try {
    return { maxBytes: parseByteSize(spelling), max: spelling.trim() };
  } catch (error) {
    if (error instanceof LimitSyntaxError) throw new BudgetSyntaxError(where, { kind: "size", problem: error.problem });
    throw error;
  }
}
