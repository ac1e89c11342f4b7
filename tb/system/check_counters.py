#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run prisim on a scenario, then check equalities between results.

Each --eq takes counter names separated by '=' (names as in results.json
"counters", or dotted paths into the file); all of them must be present
and equal. Each --ge A>=B requires A >= B. prisim must exit 0.
"""
import argparse
import json
import os
import subprocess
import sys


def lookup(res, name):
    """A counter by its full name, or a path through the JSON whose keys may
    themselves hold dots (occupancy.sw.iommufd.fault_pending.hwm)."""
    if name in res.get("counters", {}):
        return res["counters"][name]

    def walk(node, parts):
        if not parts:
            return node
        if isinstance(node, list):
            return walk(node[int(parts[0])], parts[1:])
        if isinstance(node, dict):
            for n in range(len(parts), 0, -1):  # the longest key first
                key = ".".join(parts[:n])
                if key in node:
                    try:
                        return walk(node[key], parts[n:])
                    except KeyError:
                        continue
        raise KeyError(name)

    return walk(res, name.split("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--eq", action="append", default=[])
    ap.add_argument("--ge", action="append", default=[])
    ap.add_argument("--set", action="append", default=[], help="key=value, passed to prisim")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    sets = [x for kv in a.set for x in ("--set", kv)]
    run = subprocess.run([a.prisim, "-q", a.scenario, "-o", a.work] + sets)
    if run.returncode != 0:
        print(f"prisim exited {run.returncode}")
        return 1
    with open(os.path.join(a.work, "results.json")) as f:
        res = json.load(f)
    bad = 0
    for eq in a.eq:
        names = eq.split("=")
        try:
            vals = [int(n) if n.isdigit() else lookup(res, n) for n in names]
        except KeyError as e:
            print(f"missing result {e}")
            bad += 1
            continue
        if len(set(vals)) != 1:
            print("not equal: " + ", ".join(f"{n} = {v}" for n, v in zip(names, vals)))
            bad += 1
    for ge in a.ge:
        lhs, rhs = ge.split(">=")
        try:
            # either side may be a number instead of a result's name
            l, r = (int(x) if x.isdigit() else lookup(res, x) for x in (lhs, rhs))
        except KeyError as e:
            print(f"missing result {e}")
            bad += 1
            continue
        if not l >= r:
            print(f"not {lhs} ({l}) >= {rhs} ({r})")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
