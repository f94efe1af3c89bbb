"""The memory-eater aspect `eat` and its provider `TraverseInfo`.

    bazel build --aspects //memory:eat.bzl%eat --output_groups=+eat_memory //...

The implementation (function `traverse_impl`) lives in memory/private/traverse.bzl.
"""

load("//memory/private:traverse.bzl", _TraverseInfo = "TraverseInfo", _eat = "eat")

eat = _eat
TraverseInfo = _TraverseInfo
