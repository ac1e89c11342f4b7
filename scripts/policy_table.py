#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Side by side: the same workload under each page-request-queue overflow
policy (docs/user-guide.md, Overflow policies of IOMMU families). Reads the
results.json of the runs named on the command line (one per policy, e.g.
overflow-pq2, overflow-pq2-smmuv3, overflow-pq2-vtd) and prints one row per
run: the policy, faults, PRGs sent, retries, the PQ's overflows and dropped
requests, the IOMMU's automatic responses, the devices' PRG Response
timeouts, and the fault latency (p50, p99, max).

usage: policy_table.py RESULTS.json...   (--self-test: its own check)
Exit status: 0, or 2 if a file cannot be read.
"""
import json
import sys


def row(path):
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
    s, c = r["summary"], r["counters"]
    lat = s["fault_latency_ps"]
    drops = sum(v for k, v in c.items() if k.startswith("iommu0.pq.drop."))
    auto = s["auto_responses"]
    if isinstance(auto, dict):  # by response code
        auto = sum(auto.values())
    timeouts = sum(v for k, v in c.items() if k.startswith("dev.") and k.endswith(".prg_timeouts"))
    return [r["scenario"]["name"], r["scenario"]["params"].get("iommu.pq_overflow_policy", "riscv"),
            s["faults"], s["prgs"], s["prg_retries"], s["pq_overflows"], drops, auto,
            timeouts, "%.1f" % (lat["p50"] / 1e6), "%.1f" % (lat["p99"] / 1e6),
            "%.1f" % (lat["max"] / 1e6)]


def main(paths):
    head = ["scenario", "policy", "faults", "PRGs", "retries", "overflows", "dropped", "auto-rsp",
            "timeouts", "p50 us", "p99 us", "max us"]
    try:
        rows = [row(p) for p in paths]
    except (OSError, ValueError, KeyError) as e:
        print(f"policy_table: {e}", file=sys.stderr)
        return 2
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for line in [head] + rows:
        print("  ".join(str(x).rjust(w) if i > 1 else str(x).ljust(w)
                        for i, (x, w) in enumerate(zip(line, widths))))
    return 0


def self_test():
    """Two made-up runs: their rows, the sums, and a bad file's exit 2."""
    import os
    import tempfile
    runs = []
    with tempfile.TemporaryDirectory() as d:
        for name, pol, auto in (("a", "riscv", {"success": 5, "invalid": 1}), ("b", "vtd", 0)):
            r = {"scenario": {"name": name, "params": {"iommu.pq_overflow_policy": pol}},
                 "summary": {"faults": 10, "prgs": 16, "prg_retries": 6, "pq_overflows": 2,
                             "auto_responses": auto,
                             "fault_latency_ps": {"p50": 1e6, "p99": 2e6, "max": 3.5e6}},
                 "counters": {"iommu0.pq.drop.overflow": 4, "iommu0.pq.drop.full": 2,
                              "dev.0001.prg_timeouts": 3, "dev.0002.prg_timeouts": 1}}
            path = os.path.join(d, name + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(r, f)
            runs.append(path)
        got = [row(p) for p in runs]
        ok = got[0] == ["a", "riscv", 10, 16, 6, 2, 6, 6, 4, "1.0", "2.0", "3.5"] and \
            got[1][1] == "vtd" and got[1][7] == 0 and main([os.path.join(d, "none.json")]) == 2
    print("self-test: " + ("ok" if ok else f"FAILED: {got}"))
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(main(sys.argv[1:]))
