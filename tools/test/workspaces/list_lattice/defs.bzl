"""A rule that flattens its dependencies' lists into its provider, over a dependency lattice.

The commonest real Starlark memory bug: each target returns, in LatticeInfo, the concatenation of all its
dependencies' lists plus a few strings of its own. Over a lattice (layers of `width` targets, each depending on
every target of the layer below) the lists grow by a factor of about `width` per layer while the distinct
strings stay few: the heap fills with big lists of references to the same strings. A depset would share them.
"""

LatticeInfo = provider(
    doc = "Every string a lattice target and the targets below it collected, with repetitions.",
    fields = {"items": "(list of string) the dependencies' items, in order, followed by this target's own"},
)

def _lattice_node_impl(ctx):
    items = []
    for dep in ctx.attr.deps:
        items.extend(dep[LatticeInfo].items)
    items.extend(["%s:%d" % (ctx.label.name, i) for i in range(ctx.attr.own)])
    return [LatticeInfo(items = items)]

lattice_node = rule(
    implementation = _lattice_node_impl,
    doc = "Returns its dependencies' items followed by `own` strings of its own, flattened into one list.",
    attrs = {
        "deps": attr.label_list(providers = [LatticeInfo], doc = "lattice nodes whose items this one repeats"),
        "own": attr.int(default = 3, doc = "how many strings of its own to add"),
    },
    provides = [LatticeInfo],
)

def lattice(name, layers, width, own = 3):
    """Declares `layers` layers of `width` lattice nodes, each depending on every node of the layer below.

    Node `i` of layer `k` is `<name>_<k>_<i>`; the nodes of layer `k` hold about `width ** k` items each.

    Args:
      name: prefix of the nodes' names.
      layers: how many layers.
      width: nodes per layer.
      own: strings each node adds of its own.
    """
    for layer in range(layers):
        below = ["%s_%d_%d" % (name, layer - 1, i) for i in range(width)] if layer > 0 else []
        for i in range(width):
            lattice_node(
                name = "%s_%d_%d" % (name, layer, i),
                deps = [":" + dep for dep in below],
                own = own,
            )
