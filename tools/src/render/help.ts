// Wording of the root command's help. Each subcommand's help wording gets its own module here in render/.

export const PROGRAM_NAME = "memory-adventure";

export const ROOT_DESCRIPTION = "Find the Starlark code that makes the Bazel server run out of memory.";

/** Shown after the root command's options and commands. */
export const ROOT_HELP_FOOTER = `
Examples:
  Sweep this workspace's reproduction across heap limits:
    bazel run //analysis:sweep
  Show the sweep's options:
    bazel run //analysis:sweep -- --help
  Who held the heap when a build just ran out of memory (its output base holds the JVM's heap dump):
    bazel run //analysis:heap -- $(bazel info output_base)
  Which Starlark function to blame, from every signal a sweep left:
    bazel run //analysis:blame -- measurements/sweep-<id>
  Run the same CLI without Bazel (needs only Node.js 18 or newer):
    node tools/dist/memory-adventure.mjs --help

Every command takes --help. Relative paths are read from the directory you ran the
command in; outputs go under <workspace>/measurements/ unless you say otherwise.
Exit codes: 0 ok, 1 findings or failed runs, 2 usage error, 3 internal error.
Set DEBUG=1 to see stack traces, NO_COLOR=1 to turn colours off.`;
