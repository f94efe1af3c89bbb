"""A rule whose memory goes into a helper function it calls.

`report`'s implementation is small; it asks `_expand` for a long text, and `_expand` builds it from many pieces
in a local list before joining them. The heap fills while `_expand` runs: the helper, not the rule, is the hog.
"""

def _expand(name, lines, width):
    """Returns `lines` numbered lines of `width` characters, built piece by piece."""
    pieces = []
    for i in range(lines):
        pieces.append("%s %d %s\n" % (name, i, "." * width))
    return "".join(pieces)

def _report_impl(ctx):
    text = _expand(ctx.label.name, ctx.attr.lines, ctx.attr.width)
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, str(len(text)))
    return [DefaultInfo(files = depset([out]))]

report = rule(
    implementation = _report_impl,
    doc = "Writes the length of a long text that the helper `_expand` builds.",
    attrs = {
        "lines": attr.int(default = 500, doc = "how many lines the helper builds"),
        "width": attr.int(default = 4000, doc = "characters of padding per line"),
    },
)

def _decoy_impl(ctx):
    digest = 0
    for i in range(ctx.attr.rounds):
        digest = (digest * 31 + len("%d-%d" % (i, digest))) % 1000003
    return [DefaultInfo()]

decoy = rule(
    implementation = _decoy_impl,
    doc = "Burns CPU for `rounds` iterations and keeps nothing.",
    attrs = {"rounds": attr.int(default = 60000, doc = "how many loop iterations")},
)
