"""Implementation of the `eat` aspect: a deliberate Starlark memory hog.

For every target it describes the target and its direct dependencies, concatenates what the dependencies
collected, repeats the result `--//memory:multiplier` times in many small string concatenations and writes
it with `ctx.actions.write`. The written string stays reachable from the action (and the collected text
from the provider) until the build ends, so the heap it needs grows with the height of the dependency
tree and with the multiplier.
"""

load(":multiplier.bzl", "MultiplierInfo")

TraverseInfo = provider(
    doc = "What the eat aspect collected for a target and everything below it.",
    fields = {
        "content": "(string) the description of this target followed by the content of each dependency",
        "written": "(File) the file holding `content` repeated `multiplier` times; None for analysis tests",
        "multiplier": "(int) how many times `content` was repeated into `written`",
    },
)

def _dependencies(rule_attr):
    """Returns the targets reachable through any attribute of the rule, in attribute order."""
    found = []
    for name in dir(rule_attr):
        value = getattr(rule_attr, name)
        kind = type(value)
        if kind == "Target":
            found.append(value)
        elif kind == "list":
            found.extend([v for v in value if type(v) == "Target"])
        elif kind == "dict":
            found.extend([k for k in value.keys() if type(k) == "Target"])
            found.extend([v for v in value.values() if type(v) == "Target"])
    return found

def _describe(target, kind, dependencies):
    """One line a fact: the label, the rule kind, the providers present, the files, the dependencies."""
    lines = ["target {}".format(target.label), "  kind {}".format(kind)]
    for field in dir(target):
        lines.append("  provides {}".format(field))
    for file in target.files.to_list():
        lines.append("  file {}".format(file.path))
    for dependency in dependencies:
        lines.append("  depends on {}".format(dependency.label))
    return "\n".join(lines) + "\n"

def traverse_impl(target, ctx):
    """Collects, repeats and pins the text of `target` and its dependencies.

    The name `traverse_impl` is what shows up in profiles and OOM stack traces; keep it.
    """
    multiplier = ctx.attr._multiplier[MultiplierInfo].value
    dependencies = _dependencies(ctx.rule.attr)
    content = _describe(target, ctx.rule.kind, dependencies)
    for dependency in dependencies:
        if TraverseInfo in dependency:
            content += dependency[TraverseInfo].content

    # Analysis-test rules (skylib's analysistest and ours) may not register actions, aspects' included.
    if AnalysisTestResultInfo in target:
        return [TraverseInfo(content = content, written = None, multiplier = multiplier)]

    # Many small concatenations on purpose: each line of each repetition is a new string.
    lines = content.splitlines()
    repeated = []
    for repetition in range(multiplier):
        prefix = "{} ".format(repetition)
        for line in lines:
            repeated.append(prefix + line + "\n")

    written = ctx.actions.declare_file("{}.eat_memory.txt".format(target.label.name))
    ctx.actions.write(written, "".join(repeated))
    return [
        TraverseInfo(content = content, written = written, multiplier = multiplier),
        OutputGroupInfo(eat_memory = depset([written])),
    ]

eat = aspect(
    implementation = traverse_impl,
    attr_aspects = ["*"],
    attrs = {
        "_multiplier": attr.label(
            default = Label("//memory:multiplier"),
            providers = [MultiplierInfo],
            doc = "The `--//memory:multiplier` build setting.",
        ),
    },
    provides = [TraverseInfo],
    doc = """Eats memory in proportion to the height of the dependency tree and to `--//memory:multiplier`.

Usage: `bazel build --aspects //memory:eat.bzl%eat --output_groups=+eat_memory //...` (or `--config=eat`).
Returns TraverseInfo and the output group `eat_memory`.""",
)
