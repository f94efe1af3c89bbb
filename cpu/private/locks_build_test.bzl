"""`locks_build_test`: builds every lock_* target and checks the file each one wrote."""

def _locks_build_test_impl(ctx):
    outputs = []
    for lock in ctx.attr.locks:
        outputs.extend(lock[DefaultInfo].files.to_list())
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        """#!/usr/bin/env bash
set -euo pipefail
status=0
for out in {outputs}; do
    if ! grep -q '^rule [0-9][0-9]* digest [0-9][0-9]* last ' "$out"; then
        echo "$out does not hold a lock summary" >&2
        status=1
    fi
done
echo "checked {count} lock outputs"
exit "$status"
""".format(
            outputs = " ".join(["'{}'".format(f.short_path) for f in outputs]),
            count = len(outputs),
        ),
        is_executable = True,
    )
    if len(outputs) != len(ctx.attr.locks):
        fail("locks: expected one output per lock target, got {} for {} targets".format(len(outputs), len(ctx.attr.locks)))
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = outputs))]

locks_build_test = rule(
    implementation = _locks_build_test_impl,
    test = True,
    attrs = {
        "locks": attr.label_list(
            mandatory = True,
            doc = "The lock_* targets; each must produce exactly one summary file.",
        ),
    },
    doc = "Passes when every lock target builds and its output holds the summary its rule wrote.",
)
