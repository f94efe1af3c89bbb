"""State A of the rule `collect`: its provider flattens its dependencies' lists into a list of its own.

Each target returns, in ItemsInfo, every item of its dependencies followed by `count` strings of its own, copied
into one new list, so a chain of n targets holds about n²/2 × `count` references to n × `count` strings.
defs_depset.bzl is state B of this file: the same rule, same names, with depsets. The snapshot e2e test commits
this file, then defs_depset.bzl in its place, and compares the two snapshots.
"""

ItemsInfo = provider(
    doc = "Every item a target and the targets below it collected.",
    fields = {"items": "(list of string) the dependencies' items, in order, followed by this target's own"},
)

def _collect_impl(ctx):
    items = []
    for dep in ctx.attr.deps:
        items.extend(dep[ItemsInfo].items)
    items.extend(["%s:%d" % (ctx.label.name, i) for i in range(ctx.attr.count)])
    return [ItemsInfo(items = items)]

collect = rule(
    implementation = _collect_impl,
    doc = "Returns its dependencies' items followed by `count` strings of its own, flattened into one list.",
    attrs = {
        "deps": attr.label_list(providers = [ItemsInfo], doc = "targets whose items this one collects too"),
        "count": attr.int(default = 300, doc = "how many strings of its own to add"),
    },
    provides = [ItemsInfo],
)
