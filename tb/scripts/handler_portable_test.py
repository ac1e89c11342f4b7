#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The sample handlers' logic is written against the syscall-shaped layer and
the uAPI only (sw/user/README.md): it must not call the HAL or include a
kernel-side header, so that it reads as a Linux handler does. Checks every
file named below for a `hal_*` call, a `prisim/hal.h` include and an include
of the simulated kernel's internals; --self-test shows that each is found.

Usage: handler_portable_test.py [--self-test]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The handler logic; the simulator adapters (handler_sim.c, handler_ext.c)
# and the syscall layer (syscall.c) are where the HAL is reached.
FILES = ["sw/user/demand_pager.c", "sw/user/fault_handler.c", "sw/user/guest.c",
         "sw/user/fault_handler.h", "sw/user/pager.h"]
RULES = [
    (re.compile(r"\bhal_[a-z_0-9]+\s*\("), "calls the HAL"),
    (re.compile(r'#\s*include\s*"prisim/hal\.h"'), "includes prisim/hal.h"),
    (re.compile(r'#\s*include\s*"(kernel|iommu|iommufd|drivers)/'), "includes a kernel-side header"),
]


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def problems(name, text):
    out = []
    for lineno, line in enumerate(strip_comments(text).splitlines(), 1):
        for pat, what in RULES:
            if pat.search(line):
                out.append(f"{name}:{lineno}: {what}: {line.strip()}")
    return out


def self_test():
    bad = 'int f(void) { return hal_now_ps(h); }\n#include "prisim/hal.h"\n#include "kernel/file.h"\n'
    good = '/* hal_now_ps() in a comment */\nint g(void) { return px_read(p, fd, b, n); }\n'
    found = problems("bad.c", bad)
    ok = len(found) == 3 and not problems("good.c", good)
    print("self-test: " + ("ok" if ok else "FAILED: " + "; ".join(found)))
    return 0 if ok else 1


def main():
    if "--self-test" in sys.argv[1:]:
        return self_test()
    found = []
    for rel in FILES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            found += problems(rel, f.read())
    for p in found:
        print(p)
    print(f"{len(FILES)} files checked: " + ("ok" if not found else f"FAIL: {len(found)} problems"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
