/**
 * The words every domain shares: how a run ended, why the sweep stopped it, how it builds and how much it
 * records. They live here, not in the modules that decide them, so that run records, run status and Bazel's
 * flags can all name them without importing one another.
 */
/**
 * How a run ended (core/run/run-status.ts decides). `server-died`: the Bazel server went away without any
 * OutOfMemoryError (killed from outside, or crashed otherwise); it says nothing about the heap.
 */
export const RUN_STATUSES = ["ok", "oom", "action-killed", "failed", "timeout", "server-died", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How the sub-build runs: a regular build, analysis only (`--nobuild`), or Bazel 6+'s merged analysis and execution. */
export const BUILD_MODES = ["regular", "nobuild", "skymeld"] as const;
export type BuildMode = (typeof BUILD_MODES)[number];


/** Why the sweep itself stopped the sub-build, if it did. */
export const STOP_REASONS = ["timeout", "interrupt", "oom-hang", "gc-thrash"] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/**
 * How much the sweep's sub-builds record (`sweep --profile`). Recording costs heap, so it moves the very
 * threshold the sweep measures, and time; measured on the reproduction by `npm run bench:fidelity` (README):
 *   none  — no trace profile at all (Bazel writes one by default): less than the build's own work;
 *   light — the trace profile Bazel writes by default anyway (slim: short calls merged), into the run folder
 *           instead of the output base, and the Starlark CPU profile: a sampler, and the one record that names
 *           each Starlark function's file, which blame needs when there is no heap dump (the trace profile
 *           names functions only). What `blame`'s time, GC and CPU signals and its in-flight calls read.
 *   full  — light plus every Starlark call, target labels, the BEP and --memory_profile: the most evidence,
 *           and a threshold well above the build's own (1.6× on 4.2.3, 1.9× on 7.7.1), so only for evidence
 *           runs. The BEP was in light while the overhead bench put it at 1.08× a bare build's wall time (goal
 *           ≤ 1.02), and --memory_profile collects the whole heap at every phase end. The threshold needs
 *           neither: `run-status` classifies from the exit code and the logs, `stats` takes the peak heap from
 *           the GC log.
 */
export const PROFILE_LEVELS = ["none", "light", "full"] as const;
export type ProfileLevel = (typeof PROFILE_LEVELS)[number];
/** The sweep's default: light keeps the bare build's threshold and, within the bench's noise, its time (README). */
export const DEFAULT_PROFILE_LEVEL: ProfileLevel = "light";
