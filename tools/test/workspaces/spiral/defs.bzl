"""A build whose live data creeps toward the heap limit while every target also makes garbage.

Each `creep` target keeps `keep` strings in its CreepInfo, which stays live until the build ends (Skyframe holds
every configured target's providers), and while its implementation runs it makes `churn` strings that become
garbage `lifetime` iterations later. `spiral` declares ballast targets that fill most of the heap at once, then a
chain of creep targets, each keeping little and making much garbage: near the heap limit every collection frees only
what the current target dropped since the last one, the live data creeps up a little with each target, and the
build crawls on in the little room left. It neither finishes nor throws for minutes: the server SPIRALS, which the
sweep must tell from its GC log (tools/src/core/run/gc-log.ts gcSpiral) and stop, with a heap dump.

How long the garbage lives decides how G1, the JVM's default collector, spirals:
  lifetime 1      the strings die young: young collections, back to back, each leaving the heap 90-99% full
                  ("Evacuation Failure" on JDK 25), with a full collection now and then;
  lifetime 20000  about 1.5 MB of strings outlive each young collection, which cannot free them: G1 falls back on
                  full collections, several a second.
"""

CreepInfo = provider(
    doc = "What a creep target keeps for the rest of the build.",
    fields = {"kept": "(list of string) `keep` strings of this target's own"},
)

def _creep_impl(ctx):
    # No function calls in the loops: a profile that records every Starlark call would keep them in memory.
    kept = ["%s:%d:%s" % (ctx.label.name, i, ctx.attr.pad) for i in range(ctx.attr.keep)]
    recent = {}
    lifetime = ctx.attr.lifetime
    for i in range(ctx.attr.churn):
        recent[i % lifetime] = "%d-%d-%d-%d" % (i, i, i, i)
    return [CreepInfo(kept = kept)]

creep = rule(
    implementation = _creep_impl,
    doc = "Keeps `keep` strings in CreepInfo and makes `churn` strings of garbage, each dropped `lifetime` iterations later.",
    attrs = {
        "deps": attr.label_list(providers = [CreepInfo], doc = "creep targets analysed before this one"),
        "keep": attr.int(default = 100, doc = "how many strings stay live until the build ends"),
        "pad": attr.string(default = "", doc = "appended to each kept string, to size what a target keeps"),
        "churn": attr.int(default = 20000, doc = "how many strings of garbage the implementation makes"),
        "lifetime": attr.int(default = 1, doc = "for how many iterations each garbage string stays reachable"),
    },
    provides = [CreepInfo],
)

def spiral(name, ballast, ballast_keep, creepers, keep, churn, lifetime, pad_chars = 1000):
    """Declares a chain of creep targets that brings the live data up to the heap limit and then crawls past it.

    First `ballast` targets `<name>_ballast_<i>` that keep `ballast_keep` strings each and make no garbage: they
    fill most of the heap fast. Then `creepers` targets `<name>_<i>`, a chain (each depends on the one before, the
    first on every ballast target, so they are analysed one after another) that keep `keep` strings each and make
    `churn` strings of garbage: the live data creeps up a little with each. Last, the filegroup `name`.

    Args:
      name: the filegroup's name and the prefix of the targets' names.
      ballast: how many ballast targets.
      ballast_keep: strings each ballast target keeps.
      creepers: how many creep targets in the chain.
      keep: strings each creep target keeps.
      churn: strings of garbage each creep target makes.
      lifetime: iterations each garbage string stays reachable.
      pad_chars: characters appended to each kept string (a kept string is about this many bytes).
    """
    pad = "p" * pad_chars
    for i in range(ballast):
        creep(
            name = "%s_ballast_%d" % (name, i),
            keep = ballast_keep,
            pad = pad,
            churn = 0,
        )
    for i in range(creepers):
        creep(
            name = "%s_%d" % (name, i),
            deps = [":%s_%d" % (name, i - 1)] if i > 0 else [":%s_ballast_%d" % (name, j) for j in range(ballast)],
            keep = keep,
            pad = pad,
            churn = churn,
            lifetime = lifetime,
        )
    native.filegroup(
        name = name,
        srcs = [":%s_%d" % (name, creepers - 1)],
    )
