"""Public entry points of the convoluted tree (see cpu/private/tree.bzl for its shape)."""

load(
    "//cpu/private:tree.bzl",
    _tree_package_levels = "tree_package_levels",
    _tree_top_labels = "tree_top_labels",
)

tree_package_levels = _tree_package_levels
tree_top_labels = _tree_top_labels
