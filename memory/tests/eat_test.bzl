"""Tests of the eat aspect: what it collects, the output group it adds, and that it honours the multiplier."""

load("//analysis/testing:unittest.bzl", "analysistest", "asserts")
load("//memory:eat.bzl", "TraverseInfo", "eat")

def _content_includes_dependencies_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    asserts.true(env, TraverseInfo in target, "the eat aspect must return TraverseInfo")
    if TraverseInfo in target:
        content = target[TraverseInfo].content
        asserts.true(
            env,
            content.startswith("target {}\n".format(target.label)),
            "content must start with the target itself, got {}".format(repr(content[:80])),
        )
        asserts.contains(env, content, "  kind tree_node\n")
        for label in ctx.attr.expected_in_content:
            asserts.contains(env, content, "target {}\n".format(Label(label)), "a dependency's content is missing")
        for label in ctx.attr.expected_direct_dependencies:
            asserts.contains(env, content, "  depends on {}\n".format(Label(label)))
    return analysistest.end(env)

content_includes_dependencies_test = analysistest.make(
    _content_includes_dependencies_impl,
    attrs = {
        "expected_in_content": attr.string_list(doc = "Labels whose description must appear in the content."),
        "expected_direct_dependencies": attr.string_list(doc = "Labels listed as direct dependencies."),
    },
    extra_target_under_test_aspects = [eat],
    doc = "Checks that TraverseInfo.content describes the target and everything below it.",
)

def _output_group_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    groups = target[OutputGroupInfo]
    asserts.true(env, hasattr(groups, "eat_memory"), "output group eat_memory is missing")
    if hasattr(groups, "eat_memory"):
        files = groups.eat_memory.to_list()
        asserts.equals(env, 1, len(files), "eat_memory holds exactly the written file")
        if files:
            asserts.equals(env, target.label.name + ".eat_memory.txt", files[0].basename)
            asserts.equals(env, target[TraverseInfo].written, files[0], "TraverseInfo.written is that file")
    return analysistest.end(env)

output_group_test = analysistest.make(
    _output_group_impl,
    extra_target_under_test_aspects = [eat],
    doc = "Checks that the aspect adds the eat_memory output group with the written file.",
)

def _multiplier_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    asserts.equals(env, ctx.attr.expected_multiplier, target[TraverseInfo].multiplier)
    return analysistest.end(env)

_MULTIPLIER_ATTRS = {"expected_multiplier": attr.int(mandatory = True, doc = "The multiplier the aspect must use.")}

multiplier_3_test = analysistest.make(
    _multiplier_impl,
    attrs = _MULTIPLIER_ATTRS,
    config_settings = {"//memory:multiplier": 3},
    extra_target_under_test_aspects = [eat],
    doc = "Checks that --//memory:multiplier=3 reaches the aspect.",
)

multiplier_7_test = analysistest.make(
    _multiplier_impl,
    attrs = _MULTIPLIER_ATTRS,
    config_settings = {"//memory:multiplier": 7},
    extra_target_under_test_aspects = [eat],
    doc = "Checks that --//memory:multiplier=7 reaches the aspect.",
)

def _written_content_test_impl(ctx):
    info = ctx.attr.subject[TraverseInfo]
    expected = ctx.actions.declare_file(ctx.label.name + ".content.txt")
    ctx.actions.write(expected, info.content)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        """#!/usr/bin/env bash
set -euo pipefail
written='{written}'
content='{content}'
multiplier={multiplier}
# Each repetition r writes every line of the content prefixed with "r ".
for r in $(seq 0 $((multiplier - 1))); do
    sed "s/^/$r /" "$content"
done > expected.txt
if ! cmp -s expected.txt "$written"; then
    echo "$written is not the content repeated $multiplier times with repetition prefixes" >&2
    diff expected.txt "$written" | head -n 10 >&2 || true
    exit 1
fi
echo "$written holds $(wc -l < "$written") lines: $(wc -l < "$content") lines x $multiplier"
""".format(
            written = info.written.short_path,
            content = expected.short_path,
            multiplier = info.multiplier,
        ),
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [info.written, expected]))]

written_content_test = rule(
    implementation = _written_content_test_impl,
    test = True,
    attrs = {
        "subject": attr.label(
            mandatory = True,
            aspects = [eat],
            doc = "The target whose written file is checked.",
        ),
    },
    doc = "Builds the file the aspect writes for `subject` and checks it is the content repeated `multiplier` times.",
)
