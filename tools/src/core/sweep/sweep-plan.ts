/**
 * The sweep's plan: which runs, in which order, under which folder names; how a shard takes its slice;
 * and the fingerprint that tells whether an output folder holds this plan or another one.
 */
import { createHash } from "node:crypto";
import { limitIdPart, type HeapLimit } from "./heap-limit.js";
import type { SweepManifest } from "../run/run-record.js";
import type { RunStatus } from "../vocabulary.js";
import { byCodeUnits } from "../text-order.js";

export interface PlannedRun {
  /** Folder name under runs/: `0256m-w01` (warm-up 1 at 256m), `0256m-r02` (run 2), `0256m-e01` (evidence run 1). */
  readonly id: string;
  readonly limit: HeapLimit;
  /** 1-based, counted separately for warm-ups, runs and evidence runs. */
  readonly iteration: number;
  readonly warmup: boolean;
  /** An evidence run (run-record.ts RunRecord.evidence): full profile, outside the threshold. */
  readonly evidence?: boolean;
}

export function runId(limitBytes: number, warmup: boolean, iteration: number, evidence = false): string {
  return `${limitIdPart(limitBytes)}-${evidence ? "e" : warmup ? "w" : "r"}${String(iteration).padStart(2, "0")}`;
}

/**
 * `count` evidence runs at the limits that matter, once the threshold is known, in the order below, below, at,
 * below, below, at…: below it they crash, leaving crashed profiles with every Starlark call (what blame reads
 * without heap dumps: two crashes stopping in the same function corroborate each other); at it, a complete full
 * profile near the crash, for the GC and time signals. With only one side known, all of them on that side.
 */
export function evidencePlan(below: HeapLimit | undefined, atThreshold: HeapLimit | undefined, count: number): PlannedRun[] {
  const sides = [below, atThreshold].filter((limit): limit is HeapLimit => limit !== undefined);
  if (sides.length === 0) return [];
  const iterations = new Map<number, number>();
  return Array.from({ length: count }, (_, index) => {
    const limit = sides.length === 1 || index % 3 !== 2 ? sides[0]! : sides[1]!;
    const iteration = (iterations.get(limit.bytes) ?? 0) + 1;
    iterations.set(limit.bytes, iteration);
    return { id: runId(limit.bytes, false, iteration, true), limit, iteration, warmup: false, evidence: true };
  });
}

/**
 * Every limit `warmup` + `runs` times, in rounds: all warm-ups first, then round k runs every limit once.
 * Rounds alternate direction (ascending, then descending, ...), so a slow drift of the machine (a warming
 * page cache, a neighbour's load) does not always fall on the same limits, and repetitions of one limit
 * are spread over the whole sweep instead of back to back.
 */
export function gridPlan(limits: readonly HeapLimit[], runs: number, warmup: number): PlannedRun[] {
  const ascending = [...limits].sort((a, b) => a.bytes - b.bytes);
  const rounds = [
    ...Array.from({ length: warmup }, (_, i) => ({ warmup: true, iteration: i + 1 })),
    ...Array.from({ length: runs }, (_, i) => ({ warmup: false, iteration: i + 1 })),
  ];
  return rounds.flatMap((round, index) => {
    const order = index % 2 === 0 ? ascending : [...ascending].reverse();
    return order.map((limit) => ({ id: runId(limit.bytes, round.warmup, round.iteration), limit, ...round }));
  });
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export type ShardProblem = { readonly kind: "shard-syntax"; readonly text: string } | { readonly kind: "shard-range"; readonly text: string };

export class ShardSyntaxError extends Error {
  override readonly name = "ShardSyntaxError";
  constructor(readonly problem: ShardProblem) {
    super(`bad shard: ${problem.kind}`);
  }
}

/** `2/3` -> the second of three shards. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null) throw new ShardSyntaxError({ kind: "shard-syntax", text });
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) throw new ShardSyntaxError({ kind: "shard-range", text });
  return { index, count };
}

/**
 * The runs of one shard: every count-th run of the plan, starting at its index. Dealing the plan out like
 * cards gives every shard a share of each limit and of each round, so shards take about as long; the
 * slices are disjoint and together are the plan, so copying the shards' folders together gives the sweep.
 */
export function shardSlice<T>(plan: readonly T[], shard: Shard | undefined): T[] {
  if (shard === undefined) return [...plan];
  return plan.filter((_, position) => position % shard.count === shard.index - 1);
}

/** Everything that decides what a sweep's runs are (sweep.json's `settings`); equal settings may share a folder. */
export type SweepSettings = SweepManifest["settings"];

/**
 * Settings that add runs after the plan's without changing any of them: evidence runs. A shard (which plans
 * none) and the sweep that later adds them to the copied-together folder, or a resume with another count,
 * hold the same plan, so these stay out of the fingerprint and of the comparison.
 */
const ADDED_RUN_SETTINGS: ReadonlySet<string> = new Set<keyof SweepSettings>(["evidenceRuns"]);

function planPart(settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !ADDED_RUN_SETTINGS.has(key)));
}

/** A short hash of the settings that decide the planned runs, stored in sweep.json. */
export function planFingerprint(settings: SweepSettings): string {
  return createHash("sha256").update(canonicalJson(planPart(settings as unknown as Record<string, unknown>))).digest("hex").slice(0, 16);
}

/** Names of the settings that differ, for the message that refuses to mix two plans in one folder. */
export function settingsDifferences(stored: Readonly<Record<string, unknown>>, wanted: SweepSettings): string[] {
  const wantedPlan = planPart(wanted as unknown as Record<string, unknown>);
  return Object.keys(wantedPlan).filter((key) => canonicalJson(stored[key]) !== canonicalJson(wantedPlan[key]));
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === "object" && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => byCodeUnits(a, b)))
      : inner,
  ) ?? "undefined";
}

/** A run already on disk: its run.json's status. */
export interface FinishedRun {
  readonly id: string;
  readonly status: RunStatus;
}

/**
 * The planned runs still to do: those without a run.json, and those interrupted (a Ctrl-C cut them short,
 * so they measured nothing); with `force`, all of them.
 */
export function runsToDo(plan: readonly PlannedRun[], onDisk: readonly FinishedRun[], force: boolean): PlannedRun[] {
  if (force) return [...plan];
  const done = new Set(onDisk.filter((run) => run.status !== "interrupted").map((run) => run.id));
  return plan.filter((run) => !done.has(run.id));
}
