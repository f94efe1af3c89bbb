/**
 * The heap digest's phases, and how a caller watches them: io/ shows a progress line on a terminal, the bench
 * times each phase. The core only reports; it never reads a clock.
 */

/** The phases in the order they run. */
export const DIGEST_PHASES = ["read", "resolve", "search", "stacks", "dominators", "attribute"] as const;
export type DigestPhase = (typeof DIGEST_PHASES)[number];

/** What a phase is doing, for a person watching (render/ words it). */
export interface DigestObserver {
  /** `name` begins; the phase before it, if any, has ended. */
  phase(name: DigestPhase): void;
  /** During "read": bytes of the file read so far, of `total`; called once per window the pass reads (2 MB). */
  bytesRead(done: number, total: number): void;
}

/** An observer that watches nothing. */
export const UNOBSERVED: DigestObserver = { phase: () => undefined, bytesRead: () => undefined };
