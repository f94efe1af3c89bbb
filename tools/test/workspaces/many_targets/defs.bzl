"""Many small targets, as a monorepo has them: no Starlark bug, only a build graph too big for its heap.

Each target registers one action and returns a provider whose depset shares its dependencies' files (no
flattening), so the heap holds a configured target, a provider instance and an action per node of the graph,
hundreds of thousands of each: what the heap digest must attribute one by one.
"""

NodeInfo = provider(
    doc = "What a node returns: its name and, without copying them, its dependencies' files.",
    fields = {
        "name": "(string) the target's name",
        "files": "(depset of File) its output and its dependencies' outputs",
    },
)

def _node_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, ctx.label.name)
    files = depset([out], transitive = [dep[NodeInfo].files for dep in ctx.attr.deps])
    return [NodeInfo(name = ctx.label.name, files = files), DefaultInfo(files = depset([out]))]

node = rule(
    implementation = _node_impl,
    doc = "One node of a big build graph: an action, and a provider that shares its dependencies' files.",
    attrs = {"deps": attr.label_list(doc = "The nodes it depends on.", providers = [NodeInfo])},
)

def nodes(count, below = None):
    """`count` nodes t0 … t{count-1}, each depending on two nodes of the package `below` (none when None).

    Args:
      count: (int) how many nodes the package holds.
      below: (string) the package whose nodes t{i} and t{i+1} node t{i} depends on, or None.
    """
    for i in range(count):
        deps = [] if below == None else ["//%s:t%d" % (below, i), "//%s:t%d" % (below, (i + 1) % count)]
        node(name = "t%d" % i, deps = deps, visibility = ["//visibility:public"])
