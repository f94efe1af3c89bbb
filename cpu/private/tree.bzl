"""The convoluted tree: a deep, multi-package dependency graph for the eat aspect to walk.

Level 0 are leaves; a node at level L > 0 depends on the node in its own column one level down and on
the spine (column 0) one level down, so every spine node is seen by every column above it (fan-in) while
the number of paths, and with it the size of what the aspect collects, grows polynomially with the height.
Levels are spread over several packages so that loading and analysis cross package boundaries.
"""

# Packages holding the levels, lowest first; each holds LEVELS_PER_PACKAGE consecutive levels.
TREE_PACKAGES = ["//cpu/tree/roots", "//cpu/tree/trunk", "//cpu/tree/branches", "//cpu/tree/twigs"]
LEVELS_PER_PACKAGE = 6
TREE_HEIGHT = len(TREE_PACKAGES) * LEVELS_PER_PACKAGE
TREE_WIDTH = 4

def _tree_node_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".node.txt")
    ctx.actions.write(out, "{} at level {}\n".format(ctx.label, ctx.attr.level))
    return [DefaultInfo(files = depset([out]))]

tree_node = rule(
    implementation = _tree_node_impl,
    attrs = {
        "deps": attr.label_list(doc = "Nodes one level down."),
        "level": attr.int(mandatory = True, doc = "Height of this node; 0 for leaves."),
    },
    doc = "One node of the convoluted tree; writes a one-line file naming itself.",
)

def tree_node_label(level, column):
    """Returns the label of the node at `level` (0 = leaves) and `column` (0 = spine)."""
    if level < 0 or level >= TREE_HEIGHT:
        fail("level {} is outside the tree; use 0 to {}".format(level, TREE_HEIGHT - 1))
    if column < 0 or column >= TREE_WIDTH:
        fail("column {} is outside the tree; use 0 to {}".format(column, TREE_WIDTH - 1))
    return "{}:n{}_{}".format(TREE_PACKAGES[level // LEVELS_PER_PACKAGE], level, column)

def tree_top_labels():
    """Returns the labels of the nodes at the top level, one per column."""
    return [tree_node_label(TREE_HEIGHT - 1, column) for column in range(TREE_WIDTH)]

def tree_package_levels(package_index):
    """Declares the nodes of the levels that package number `package_index` holds.

    Args:
      package_index: (int) position of the calling package in TREE_PACKAGES.
    """
    if native.package_name() != TREE_PACKAGES[package_index][2:]:
        fail("package_index {} belongs to {}, not //{}; pass the index of this package".format(
            package_index,
            TREE_PACKAGES[package_index],
            native.package_name(),
        ))
    first = package_index * LEVELS_PER_PACKAGE
    for level in range(first, first + LEVELS_PER_PACKAGE):
        for column in range(TREE_WIDTH):
            deps = []
            if level > 0:
                deps.append(tree_node_label(level - 1, column))
                if column != 0:
                    deps.append(tree_node_label(level - 1, 0))
            tree_node(
                name = "n{}_{}".format(level, column),
                level = level,
                deps = deps,
                visibility = ["//visibility:public"],
            )
