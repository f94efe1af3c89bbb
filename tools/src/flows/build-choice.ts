// What to build and with which Bazel: the options the sweep and the snapshot share, as commands/build-options.ts
// parses them.
export interface BuildChoice {
  /** The workspace's root folder, absolute. */
  readonly workspace: string;
  /** A path when the user gave one (resolved from where they stand), else a name looked up on PATH. */
  readonly bazel: string;
  readonly targets: readonly string[];
  readonly configs: readonly string[];
  readonly buildFlags: readonly string[];
  readonly startupFlags: readonly string[];
}
