"""A rule that hoards in its providers, and CPU-heavy decoys that spend more Starlark time.

`hoard` keeps, in HoardInfo, everything its dependencies kept plus `pieces` new strings of its own, so the heap
its targets hold grows with the chain's length. `decoy` burns CPU in loops and keeps nothing: a CPU profile
ranks it first, the heap says otherwise.
"""

HoardInfo = provider(
    doc = "What a hoard target and its dependencies kept.",
    fields = {"chunks": "(list of string) every piece kept so far"},
)

def _hoard_impl(ctx):
    chunks = []
    for dep in ctx.attr.deps:
        chunks.extend(dep[HoardInfo].chunks)
    chunks.extend(["%s:%d:%s" % (ctx.label.name, i, "h" * ctx.attr.size) for i in range(ctx.attr.pieces)])
    return [HoardInfo(chunks = chunks)]

hoard = rule(
    implementation = _hoard_impl,
    doc = "Keeps its dependencies' pieces and `pieces` of its own in HoardInfo.",
    attrs = {
        "deps": attr.label_list(providers = [HoardInfo], doc = "hoard targets whose pieces this one keeps too"),
        "pieces": attr.int(default = 3000, doc = "how many strings of its own to keep"),
        "size": attr.int(default = 4000, doc = "characters of each string"),
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
