#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/bench.py's split of callgrind instructions by part
(`make bench-ir`, ir_per_fault_by_part), on a synthetic callgrind file:
name compression, code inlined from another file (fi= / fe=), and the
inclusive cost line after calls=, which must not be counted again.
Exit status 0 when every check holds."""
import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "scripts", "bench.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

SW = os.path.join(ROOT, "sw", "iommu", "io-pgfault.c")
MODEL = os.path.join(ROOT, "model", "device", "pxdev.cpp")
RTL = "/b/model/CMakeFiles/prisim_rtl.dir/Viotlb.dir/Viotlb___024root__DepSet_0.cpp"

CALLGRIND = f"""# callgrind format
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 1111111

ob=(1) /b/prisim-bench
fl=(1) {MODEL}
fn=(1) prisim::device::pxdev::main_thread()
10 100
+2 20
cob=(2) /usr/lib/x86_64-linux-gnu/libsystemc-2.3.4.so
cfi=(2) ???
cfn=(2) sc_core::wait(sc_core::sc_time const&)
calls=1 0
12 999999
fi=(3) /usr/include/sysc/kernel/sc_time.h
40 3
fe=(1)
14 4

ob=(2)
fl=(2)
fn=(2)
0 1000

ob=(1)
fl=(4) {RTL}
fn=(3) Viotlb::eval_step()
5 500
fi=(5) {SW}
7 7
fn=(4) other_rtl()
8 50

ob=(3) /usr/lib/x86_64-linux-gnu/libc.so.6
fl=(6) ./string/memcpy.S
fn=(5) memcpy
1 60

ob=(1)
fl=(7) {SW}
fn=(6) iopf_handler
20 200
-1 2
* 1
"""

EXPECT = {
    # 100 + 20 + 3 (a SystemC header inlined into the model) + 4
    "model": 127,
    "systemc_kernel": 1000,
    # 500 + 50 (fn= goes back to the function's file, fl=)
    "rtl": 550,
    # 7 (sw code inlined into an RTL function) + 200 + 2 + 1
    "software": 210,
    "libc": 60,
}


def read_text(text, *src_root):
    """bench.read_callgrind() of a callgrind file holding text."""
    with tempfile.NamedTemporaryFile("w", suffix=".out", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return bench.read_callgrind(path, *src_root)
    finally:
        os.unlink(path)


def main():
    failures = []
    total, got = read_text(CALLGRIND)
    # The total is callgrind's own (its summary line here: no totals line).
    if total != 1111111:
        failures.append(f"total: {total} instructions, expected the summary line's 1111111")
    for part, want in EXPECT.items():
        if got.get(part) != want:
            failures.append(f"{part}: {got.get(part)} instructions, expected {want}")
    if set(got) != set(bench.PARTS):
        failures.append(f"parts {sorted(got)}, expected {sorted(bench.PARTS)}")
    # The parts add up to every exclusive cost line, the call's inclusive
    # line (999999) left out.
    if sum(got.values()) != sum(EXPECT.values()):
        failures.append(f"parts add up to {sum(got.values())}, expected {sum(EXPECT.values())}")
    # A build of another checkout: its own sw/ is the software, this
    # tree's is not (bench.source_root() reads the build's CMakeCache.txt).
    other = "/elsewhere/prisim"
    text = CALLGRIND.replace(os.path.join(ROOT, "sw"), os.path.join(other, "sw"))
    _, mine = read_text(text)
    _, theirs = read_text(text, other)
    if mine["software"] != 0 or mine["model"] != EXPECT["model"] + EXPECT["software"]:
        failures.append(f"another tree's sw/ under this tree's root: {mine}, expected it in the model")
    if theirs != got:
        failures.append(f"another tree's sw/ under its own root: {theirs}, expected {got}")
    with tempfile.TemporaryDirectory() as build:
        with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
            f.write("# This is the CMakeCache file.\nCMAKE_HOME_DIRECTORY:INTERNAL=/elsewhere/prisim\n")
        if bench.source_root(build) != other:
            failures.append(f"source_root: {bench.source_root(build)}, expected {other}")
        os.unlink(os.path.join(build, "CMakeCache.txt"))
        if bench.source_root(build) != bench.ROOT:
            failures.append(f"source_root without a cache: {bench.source_root(build)}, expected {bench.ROOT}")
    for msg in failures:
        print("bench_parts_test: " + msg, file=sys.stderr)
    if not failures:
        print("bench_parts_test: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
