"""Implementation of `memory_adventure_command`; load it from //analysis:defs.bzl.

The launcher is a bash script that finds the checked-in bundle (tools/dist/memory-adventure.mjs) in its
runfiles and execs `node --max-semi-space-size=4 <bundle> <command> "$@"` (a small young generation: see
the template), so `bazel run //analysis:<command>` needs Bazel and Node.js only: no npm step, no Node.js rules.
"""

def _shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"

def _runfiles_path(file, workspace_name):
    # short_path is "../<repository>/<path>" for a file of another repository; runfiles drop the "../".
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return workspace_name + "/" + file.short_path

def _memory_adventure_command_impl(ctx):
    command = ctx.attr.command
    if not command or "\n" in command:
        fail("memory_adventure_command %s: attribute `command` must be one line naming the subcommand to run, e.g. command = \"sweep\"; got %r" % (ctx.label, command))
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = launcher,
        substitutions = {
            "{{COMMAND}}": _shell_quote(command),
            "{{BUNDLE_RUNFILES_PATH}}": _shell_quote(_runfiles_path(ctx.file.bundle, ctx.workspace_name)),
        },
        is_executable = True,
    )
    return [DefaultInfo(
        executable = launcher,
        runfiles = ctx.runfiles(files = [ctx.file.bundle]),
    )]

memory_adventure_command = rule(
    implementation = _memory_adventure_command_impl,
    executable = True,
    doc = """An executable that runs one subcommand of the memory-adventure CLI with Node.js.

`bazel run //analysis:sweep -- --help` runs `node tools/dist/memory-adventure.mjs sweep --help`. The
launcher takes `node` from `$NODE` or `PATH` and refuses, in one line on stderr with exit code 2, when
it is missing or older than Node.js 18. It also works when executed directly as bazel-bin/<package>/<name>.
""",
    attrs = {
        "command": attr.string(
            mandatory = True,
            doc = "The first argument given to the CLI: the subcommand to run, e.g. \"sweep\".",
        ),
        "bundle": attr.label(
            default = Label("//tools:dist/memory-adventure.mjs"),
            allow_single_file = [".mjs"],
            doc = "The bundled CLI that node runs. Keep the default; tests substitute a small script here.",
        ),
        "_template": attr.label(
            default = Label("//analysis/private:launcher.sh.tpl"),
            allow_single_file = True,
            doc = "The bash launcher, with the command and the bundle's runfiles path filled in.",
        ),
    },
)
