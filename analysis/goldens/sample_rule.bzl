"""`sample_binary`: a small executable target for the golden tests of analysis/*.cquery.

It has everything those files print: an executable with runfiles, an output group of its own, and a
Starlark provider, `SampleInfo`, with a field of every kind and one field left unset, which shows how
analysis/providers.cquery prints a provider that has no printer of its own.
"""

SampleInfo = provider(
    doc = "Fields of every kind, for the generic printer of analysis/providers.cquery.",
    fields = {
        "text": "(string) a text longer than a printed head",
        "count": "(int) a small number",
        "enabled": "(bool) a flag",
        "nothing": "(None) always None",
        "names": "(list of string) more names than fit on a line",
        "weights": "(dict of string to int) a small dict",
        "notes": "(depset of File) the notes file",
        "script": "(File) the executable",
        "dependency": "(Target) the `dependency` attribute",
        "nested": "(struct) a struct with two fields",
        "unset": "(string) never set: absent from dir() of an instance",
    },
)

def _sample_binary_impl(ctx):
    notes = ctx.actions.declare_file(ctx.label.name + ".notes.txt")
    ctx.actions.write(notes, "notes of {}\n".format(ctx.label.name))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, "#!/usr/bin/env bash\necho sample\n", is_executable = True)
    return [
        DefaultInfo(
            executable = script,
            runfiles = ctx.runfiles(files = [notes]),
        ),
        OutputGroupInfo(notes = depset([notes])),
        SampleInfo(
            text = "line {}\n".format(ctx.label.name) * 20,
            count = 3,
            enabled = True,
            nothing = None,
            names = ["name_{}".format(number) for number in range(12)],
            weights = {"light": 1, "heavy": 9},
            notes = depset([notes]),
            script = script,
            dependency = ctx.attr.dependency,
            nested = struct(first = 1, second = "two"),
        ),
    ]

sample_binary = rule(
    implementation = _sample_binary_impl,
    executable = True,
    attrs = {
        "dependency": attr.label(
            mandatory = True,
            doc = "Any target; it is returned in SampleInfo.dependency.",
        ),
    },
    doc = "Writes a notes file and a script that runs; returns SampleInfo and the output group `notes`.",
)
