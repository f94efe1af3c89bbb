"""A control: ten rule kinds, each with its own implementation, each keeping about the same memory.

No single function stands out; the memory is spread thin over many. Blame must say so, not accuse one.
"""

KeptInfo = provider(
    doc = "What a keep_N target keeps.",
    fields = {"items": "(list of string) the strings kept"},
)

def _keep_0_impl(ctx):
    return [KeptInfo(items = ["kind 0 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_0 = rule(
    implementation = _keep_0_impl,
    doc = "Rule kind 0: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_1_impl(ctx):
    return [KeptInfo(items = ["kind 1 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_1 = rule(
    implementation = _keep_1_impl,
    doc = "Rule kind 1: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_2_impl(ctx):
    return [KeptInfo(items = ["kind 2 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_2 = rule(
    implementation = _keep_2_impl,
    doc = "Rule kind 2: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_3_impl(ctx):
    return [KeptInfo(items = ["kind 3 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_3 = rule(
    implementation = _keep_3_impl,
    doc = "Rule kind 3: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_4_impl(ctx):
    return [KeptInfo(items = ["kind 4 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_4 = rule(
    implementation = _keep_4_impl,
    doc = "Rule kind 4: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_5_impl(ctx):
    return [KeptInfo(items = ["kind 5 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_5 = rule(
    implementation = _keep_5_impl,
    doc = "Rule kind 5: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_6_impl(ctx):
    return [KeptInfo(items = ["kind 6 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_6 = rule(
    implementation = _keep_6_impl,
    doc = "Rule kind 6: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_7_impl(ctx):
    return [KeptInfo(items = ["kind 7 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_7 = rule(
    implementation = _keep_7_impl,
    doc = "Rule kind 7: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_8_impl(ctx):
    return [KeptInfo(items = ["kind 8 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_8 = rule(
    implementation = _keep_8_impl,
    doc = "Rule kind 8: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)

def _keep_9_impl(ctx):
    return [KeptInfo(items = ["kind 9 %s %d %s" % (ctx.label.name, i, "=" * ctx.attr.size) for i in range(ctx.attr.items)])]

keep_9 = rule(
    implementation = _keep_9_impl,
    doc = "Rule kind 9: keeps `items` strings in KeptInfo.",
    attrs = {
        "items": attr.int(default = 160, doc = "how many strings to keep"),
        "size": attr.int(default = 25000, doc = "characters of each string"),
    },
)
