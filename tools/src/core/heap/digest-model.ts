/**
 * The heap digest's data model: the records it hands out (functions, frames, threads, holder groups, large
 * objects, suspects, the verdict; heap-digest.ts assembles them into a HeapDigest) and the kinds of holder
 * objects the digest's modules share.
 */

export interface FunctionRef {
  readonly function: string;
  /** The .bzl file as the dump names it (usually absolute); undefined for builtins and when unknown. */
  readonly file: string | undefined;
}

export interface DigestFrame extends FunctionRef {
  /** The line being executed (innermost frame: where the error hit). */
  readonly line: number | undefined;
  readonly builtin: boolean;
  /** Bytes the frame's local variables retain (values shared only with the thread's own Java stack included). */
  readonly localsRetainedBytes: number;
  /** The biggest locals, by retained bytes. */
  readonly locals: readonly { readonly name: string; readonly retainedBytes: number }[];
}

export interface DigestThread {
  readonly name: string;
  /** This thread was the one that ran out of memory (HotSpot marks it with an OutOfMemoryError.<init> frame). */
  readonly threwError: boolean;
  /** Innermost first. */
  readonly frames: readonly DigestFrame[];
}

export type HolderKind = "frame-locals" | "in-flight" | "provider" | "action" | "analysis" | "shared";

/**
 * Besides retained bytes, what a holder group (or a suspect's evidence, or a target) measures: how many objects
 * its holders retain (the objects the dominator tree gives them and no holder inside them, as retainedBytes
 * counts their bytes) and the holder objects' own size (the provider instances, actions, frames themselves).
 * Optional: digests written before they were measured lack them, and are still read.
 */
export interface HeldCounts {
  readonly objects?: number;
  readonly shallowBytes?: number;
}

/** A target (label) of a holder group, with what its holders in the group retain. */
export interface TargetBytes extends HeldCounts {
  readonly label: string;
  readonly retainedBytes: number;
}

export interface HolderGroup extends HeldCounts {
  readonly kind: HolderKind;
  /** The function charged; undefined when the dump does not say (then nobody is charged). */
  readonly function: FunctionRef | undefined;
  readonly retainedBytes: number;
  readonly share: number;
  /** provider: its name and the file that declared it. */
  readonly provider?: string;
  readonly providerFile?: string;
  /** rule or aspect implementation (provider, action, analysis). */
  readonly ownerKind?: "rule" | "aspect";
  /** Instances and distinct targets (labels) behind the group, and the labels holding most. */
  readonly instances: number;
  readonly targets: number;
  readonly topLabels: readonly string[];
  /** topLabels with what each holds (absent in older digests). */
  readonly topTargets?: readonly TargetBytes[];
  /**
   * frame-locals / in-flight: the thread (a group per function and thread; digests written before that merged a
   * function's threads under the first one's name).
   */
  readonly thread?: string;
}

export interface LargeObject {
  readonly className: string;
  readonly shallowBytes: number;
  readonly retainedBytes: number;
  /** Strings (and a String's byte[]): the text's start, escaped, at most PREVIEW_CHARS characters. */
  readonly preview: string | undefined;
  /** Who holds it, in Starlark terms when a holder does. */
  readonly owner: string;
}

/** Evidence of a function's holder group: its retained bytes, and the group's objects and shallow bytes. */
export type Evidence =
  | ({ readonly kind: "providers"; readonly bytes: number; readonly provider: string; readonly targets: number } & HeldCounts)
  | ({ readonly kind: "actions"; readonly bytes: number; readonly count: number } & HeldCounts)
  | ({ readonly kind: "frame-locals"; readonly bytes: number; readonly thread: string } & HeldCounts)
  | ({ readonly kind: "in-flight"; readonly bytes: number; readonly thread: string } & HeldCounts)
  | ({ readonly kind: "analysis"; readonly bytes: number } & HeldCounts)
  | ({ readonly kind: "shared"; readonly bytes: number } & HeldCounts)
  | { readonly kind: "on-stack"; readonly thread: string; readonly threwError: boolean; readonly line: number | undefined };

export interface Suspect extends FunctionRef {
  readonly retainedBytes: number;
  readonly share: number;
  readonly evidence: readonly Evidence[];
}

export type HeapVerdict =
  | { readonly kind: "culprit"; readonly suspect: Suspect; readonly runnerUp: Suspect | undefined }
  | { readonly kind: "no-single-culprit"; readonly starlarkShare: number; readonly top: readonly Suspect[] }
  | { readonly kind: "no-starlark" };

/** The thread that ran out of memory: its name, whether it ran Starlark, its Java frames under the error's. */
export interface ErrorThread {
  readonly name: string;
  readonly inStarlark: boolean;
  readonly javaFrames: readonly string[];
}

/** Kinds of holder objects, by class (0: not a holder). */
export const H_NONE = 0;
export const H_FRAME = 1;
export const H_THREAD = 2;
export const H_PROVIDER = 3;
export const H_ACTION = 4;
export const H_OWNER = 5;
