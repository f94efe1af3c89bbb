"""The numbered CPU-bound rules, declared as targets //cpu:lock_0 ... //cpu:lock_29.

The rules themselves are generated into cpu/private/numbered_rules.bzl by tools/scripts/gen-cpu-rules.mjs.
"""

load("//cpu/private:numbered_rules.bzl", _cpu_locks = "cpu_locks")

cpu_locks = _cpu_locks
