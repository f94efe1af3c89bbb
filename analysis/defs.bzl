"""Public API of //analysis: the rule that makes `bazel run //analysis:<command>` launchers.

Each subcommand of the memory-adventure CLI gets one target in analysis/BUILD.bazel, added when the
subcommand exists:

    memory_adventure_command(name = "sweep", command = "sweep")
"""

load("//analysis/private:launcher.bzl", _memory_adventure_command = "memory_adventure_command")

memory_adventure_command = _memory_adventure_command
