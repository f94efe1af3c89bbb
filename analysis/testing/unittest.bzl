"""Minimal unittest/analysistest helpers in the style of bazel-skylib, so the workspace needs no external repo.

    load("//analysis/testing:unittest.bzl", "analysistest", "asserts")

    def _provides_content_test_impl(ctx):
        env = analysistest.begin(ctx)
        target = analysistest.target_under_test(env)
        asserts.true(env, SomeInfo in target, "expected SomeInfo")
        return analysistest.end(env)

    provides_content_test = analysistest.make(_provides_content_test_impl)

Each failed assertion is recorded; `end` turns them into the test's result (Bazel writes the test script).
"""

def _begin(ctx):
    """Starts a test; returns the environment that assertions record into."""
    return struct(ctx = ctx, failures = [])

def _end(env):
    """Finishes a test; returns the providers that make it pass or fail."""
    return [AnalysisTestResultInfo(
        success = not env.failures,
        message = "\n".join(env.failures),
    )]

def _fail(env, message):
    env.failures.append("In test {}: {}".format(env.ctx.label, message))

def _target_under_test(env):
    """Returns the target named by the test's `target_under_test` attribute."""
    target = env.ctx.attr.target_under_test

    # An attribute with a transition (config_settings) holds a list of one target.
    if type(target) == "list":
        return target[0]
    return target

def _make(impl, attrs = {}, config_settings = {}, extra_target_under_test_aspects = [], doc = ""):
    """Creates an analysis test rule.

    Args:
      impl: (function) the test implementation; it calls begin, asserts and end.
      attrs: (dict) extra attributes of the test rule.
      config_settings: (dict) build settings (label string -> value) to analyse target_under_test with.
      extra_target_under_test_aspects: (list of aspects) applied to target_under_test, as skylib does.
      doc: (string) what the test checks.

    Returns:
      A rule to declare tests with, taking `target_under_test`.
    """
    all_attrs = dict(attrs)
    all_attrs["target_under_test"] = attr.label(
        mandatory = True,
        cfg = analysis_test_transition(settings = config_settings) if config_settings else "target",
        aspects = extra_target_under_test_aspects,
        doc = "The target whose analysis is checked.",
    )
    return rule(
        implementation = impl,
        attrs = all_attrs,
        analysis_test = True,
        doc = doc,
    )

analysistest = struct(
    make = _make,
    begin = _begin,
    end = _end,
    fail = _fail,
    target_under_test = _target_under_test,
)

def _equals(env, expected, actual, message = ""):
    """Records a failure unless expected == actual."""
    if expected != actual:
        _fail(env, "expected {}, got {}{}".format(repr(expected), repr(actual), ": " + message if message else ""))

def _true(env, condition, message):
    """Records `message` as a failure unless condition is true."""
    if not condition:
        _fail(env, message)

def _contains(env, haystack, needle, message = ""):
    """Records a failure unless `needle` is in `haystack` (a string, list or dict)."""
    if needle not in haystack:
        shown = haystack if len(str(haystack)) < 300 else str(haystack)[:300] + "..."
        _fail(env, "expected {} in {}{}".format(repr(needle), repr(shown), ": " + message if message else ""))

asserts = struct(
    equals = _equals,
    true = _true,
    contains = _contains,
)
