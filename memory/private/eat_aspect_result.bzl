"""Implementation of `eat_aspect_result`; load it from //memory:eat_aspect_result.bzl."""

load(":traverse.bzl", "TraverseInfo", "eat")

def _eat_aspect_result_impl(ctx):
    info = ctx.attr.target[TraverseInfo]

    # The aspect writes no file for analysis tests (written = None).
    written = depset([info.written] if info.written else [])
    return [
        info,
        DefaultInfo(files = written),
        OutputGroupInfo(eat_memory = written),
    ]

eat_aspect_result = rule(
    implementation = _eat_aspect_result_impl,
    attrs = {
        "target": attr.label(
            mandatory = True,
            aspects = [eat],
            doc = "The target the eat aspect is applied to (and, through it, everything below it).",
        ),
    },
    doc = """Returns what the eat aspect returns for `target`, as this target's own providers.

Providers: the aspect's `TraverseInfo` (the very same instance), `DefaultInfo` with the file the aspect
wrote (none for an analysis test), and the output group `eat_memory` holding that file. Tag such targets
`manual`: then `//...`, whose analysis memory the sweep measures, stays the reproduction alone.""",
)
