"""The `multiplier` build setting: how many times the eat aspect repeats what it collected.

Set it on the command line without editing files: `bazel build --config=eat --//memory:multiplier=40 //...`.
"""

MultiplierInfo = provider(
    doc = "The value of an integer build setting read by the eat aspect.",
    fields = {
        "value": "(int) how many times each target's collected text is repeated; at least 1",
    },
)

def _multiplier_setting_impl(ctx):
    value = ctx.build_setting_value
    if value < 1:
        fail("{}: the multiplier must be at least 1, got {}; pass e.g. --{}=8".format(
            ctx.label,
            value,
            ctx.label,
        ))
    return [MultiplierInfo(value = value)]

multiplier_setting = rule(
    implementation = _multiplier_setting_impl,
    build_setting = config.int(flag = True),
    doc = "An integer command-line flag (`--//pkg:name=N`, N ≥ 1) that returns MultiplierInfo.",
)
