"""A CPU-bound rule, analysed after loading: it keeps nothing."""

def _busy_impl(ctx):
    digest = 0
    for i in range(ctx.attr.rounds):
        digest = (digest * 31 + len("%d-%d" % (i, digest))) % 1000003
    return [DefaultInfo()]

busy = rule(
    implementation = _busy_impl,
    doc = "Burns CPU for `rounds` iterations and keeps nothing.",
    attrs = {"rounds": attr.int(default = 60000, doc = "how many loop iterations")},
)
