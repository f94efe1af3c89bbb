"""State B of the rule `collect` (copied over defs.bzl by the snapshot e2e test): its provider holds a depset.

The same rule as defs.bzl's, with the same names, but each target's ItemsInfo holds a depset of its own `count`
strings over its dependencies' depsets instead of a flattened copy of their lists: a chain of n targets holds
n × `count` strings and n small depset nodes, which is what the snapshot e2e test expects `diff` to show shrinking.
Nothing loads this file where it lies.
"""

ItemsInfo = provider(
    doc = "Every item a target and the targets below it collected.",
    fields = {"items": "(depset of string) this target's own items over its dependencies' depsets"},
)

def _collect_impl(ctx):
    own = ["%s:%d" % (ctx.label.name, i) for i in range(ctx.attr.count)]
    return [ItemsInfo(items = depset(own, transitive = [dep[ItemsInfo].items for dep in ctx.attr.deps]))]

collect = rule(
    implementation = _collect_impl,
    doc = "Returns a depset of `count` strings of its own over its dependencies' items.",
    attrs = {
        "deps": attr.label_list(providers = [ItemsInfo], doc = "targets whose items this one collects too"),
        "count": attr.int(default = 300, doc = "how many strings of its own to add"),
    },
    provides = [ItemsInfo],
)
