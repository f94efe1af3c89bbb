"""`no_coverage_report_generator`: stands in for Bazel's coverage report generator.

Every test rule has an implicit dependency on `--coverage_report_generator`, whose default lives in a
repository that Bazel downloads. This workspace downloads nothing, so .bazelrc points the flag here; asking
for coverage then fails with a message instead of a download.
"""

def _no_coverage_report_generator_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        "#!/usr/bin/env bash\necho 'coverage reports are not supported offline: this workspace downloads nothing' >&2\nexit 1\n",
        is_executable = True,
    )
    return [DefaultInfo(executable = script)]

no_coverage_report_generator = rule(
    implementation = _no_coverage_report_generator_impl,
    executable = True,
    doc = "An executable that refuses to generate coverage reports; see the module docstring.",
)
