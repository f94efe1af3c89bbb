"""A macro that eats memory while its package loads.

`tables` builds, at loading time, a long table of rows in a local list, then declares one small genrule per
chunk of it: the heap fills inside the macro, before any rule is analysed.
"""

def tables(name, rows, width = 4000, chunks = 20):
    """Declares `chunks` genrules `<name>_<i>`, after building `rows` rows of `width` characters."""
    table = []
    for i in range(rows):
        table.append("row %d of %s: %s" % (i, name, "-" * width))
    size = len(table) // chunks
    for c in range(chunks):
        native.genrule(
            name = "%s_%d" % (name, c),
            outs = ["%s_%d.txt" % (name, c)],
            cmd = "echo %d > $@" % len(table[c * size:(c + 1) * size]),
        )
