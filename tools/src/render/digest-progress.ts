// Wording of a heap digest's progress line (io/digest-progress.ts draws it on a terminal, alone or inside the
// sweep's line): the phase as a person reads it, and during "read" the bytes read and the rate.
import { DIGEST_PHASES, type DigestPhase } from "../core/heap/digest-phases.js";
import { formatSize } from "./heap.js";

/** What the digest is doing, as the progress line shows it. */
export interface DigestProgressState {
  readonly phase: DigestPhase;
  /** During "read", once the pass has read its first window. */
  readonly bytes?: {
    readonly done: number;
    readonly total: number;
    /** Since the pass began; undefined before any time has passed. */
    readonly perSecond: number | undefined;
  };
}

/** Each phase of core/heap/digest-phases.ts as the progress line names it. */
const PHASE_WORDS: Readonly<Record<DigestPhase, string>> = {
  read: "reading the dump",
  resolve: "resolving references",
  search: "tracing reachable objects",
  stacks: "finding Starlark stacks",
  dominators: "computing the dominator tree",
  attribute: "attributing retained bytes",
};

/** "heap digest 1/6: reading the dump, 120.0 MiB of 512.0 MiB (23%), 95.1 MiB/s"; later phases without bytes. */
export function digestProgressText(state: DigestProgressState): string {
  const step = `heap digest ${DIGEST_PHASES.indexOf(state.phase) + 1}/${DIGEST_PHASES.length}: ${PHASE_WORDS[state.phase]}`;
  const bytes = state.bytes;
  if (bytes === undefined) return step;
  const share = bytes.total > 0 ? ` (${Math.floor((bytes.done / bytes.total) * 100)}%)` : "";
  const rate = bytes.perSecond === undefined ? "" : `, ${formatSize(bytes.perSecond)}/s`;
  return `${step}, ${formatSize(bytes.done)} of ${formatSize(bytes.total)}${share}${rate}`;
}
