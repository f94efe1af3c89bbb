"""`eat_aspect_result`: a target whose own providers are what the eat aspect returns for another target.

    bazel cquery --output=starlark --starlark:file=analysis/providers.cquery //memory/aspect_results:lock_1

cquery prints the providers of configured targets only: an aspect given with `--aspects` is not part of
them (on Bazel 4.2.3 and 7.7.1 alike), so `TraverseInfo` is invisible to cquery on `//cpu:lock_1`. This rule
attaches `eat` through an attribute and returns its result as its own, which cquery can print.
"""

load("//memory/private:eat_aspect_result.bzl", _eat_aspect_result = "eat_aspect_result")

eat_aspect_result = _eat_aspect_result
