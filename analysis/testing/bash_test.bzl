"""`bash_test`: a test that is one bash script, with its `data` (and their runfiles) in its runfiles.

A stand-in for rules_shell's sh_test, which is not native in Bazel 8 and which this workspace cannot
download. The script finds its data under "$TEST_SRCDIR/$TEST_WORKSPACE/<package>/<name>".
"""

def _bash_test_impl(ctx):
    executable = ctx.actions.declare_file(ctx.label.name)

    # A copy rather than a symlink: ctx.actions.symlink is missing from older Bazel versions we support.
    ctx.actions.expand_template(
        template = ctx.file.src,
        output = executable,
        substitutions = {},
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = ctx.files.data)
    for target in ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = executable, runfiles = runfiles)]

bash_test = rule(
    implementation = _bash_test_impl,
    test = True,
    attrs = {
        "src": attr.label(
            allow_single_file = [".sh"],
            mandatory = True,
            doc = "The bash script to run; it passes when it exits 0.",
        ),
        "data": attr.label_list(
            allow_files = True,
            doc = "Files and targets the script uses; executables come with their own runfiles.",
        ),
    },
    doc = "Runs `src` with bash as a test, with `data` in its runfiles.",
)
