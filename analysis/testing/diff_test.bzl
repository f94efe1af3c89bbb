"""`diff_test`: fails when a checked-in generated file differs from a fresh build of it.

Like bazel-skylib's diff_test, written here so the workspace needs no external repository; the failure
message names the command that regenerates the checked-in file.
"""

def _diff_test_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        """#!/usr/bin/env bash
set -euo pipefail
checked_in="$1"
fresh="$2"
if cmp -s "$checked_in" "$fresh"; then
    echo "$checked_in is up to date"
    exit 0
fi
diff -u "$checked_in" "$fresh" | head -n 40 || true
echo "$checked_in is stale; regenerate it with: $3" >&2
exit 1
""",
        is_executable = True,
    )

    # The script takes its arguments from the test's `args`, which we cannot set from here, so wrap it.
    runner = ctx.actions.declare_file(ctx.label.name + ".run.sh")
    ctx.actions.write(
        runner,
        """#!/usr/bin/env bash
exec "{script}" "{checked_in}" "{fresh}" '{regenerate}'
""".format(
            script = script.short_path,
            checked_in = ctx.file.checked_in.short_path,
            fresh = ctx.file.fresh.short_path,
            regenerate = ctx.attr.regenerate.replace("'", "'\\''"),
        ),
        is_executable = True,
    )
    return [DefaultInfo(
        executable = runner,
        runfiles = ctx.runfiles(files = [script, ctx.file.checked_in, ctx.file.fresh]),
    )]

diff_test = rule(
    implementation = _diff_test_impl,
    test = True,
    attrs = {
        "checked_in": attr.label(
            allow_single_file = True,
            mandatory = True,
            doc = "The generated file as checked into the repository.",
        ),
        "fresh": attr.label(
            allow_single_file = True,
            mandatory = True,
            doc = "The same file generated now by the build.",
        ),
        "regenerate": attr.string(
            mandatory = True,
            doc = "The command, run from the workspace root, that rewrites `checked_in`.",
        ),
    },
    doc = "Passes when `checked_in` and `fresh` are byte-for-byte equal; otherwise prints a diff and `regenerate`.",
)
