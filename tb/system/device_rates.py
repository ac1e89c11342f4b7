#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Per-device and per-class rates of results.json (docs/results.md,
"field of `devices[]`"): faults_per_sim_second and dma_bytes_per_sim_second
are the device's faults and dma_bytes counter x 10^12 / summary.sim_time_ps,
rounded to the nearest integer; a class's are its devices' sums so divided.
With the generated workload a device moves device.bytes_per_page bytes per
page written.

  device_rates.py --prisim PRISIM --scenarios DIR --work DIR
"""
import argparse
import math
import os
import sys

from runlib import check, failures, run


def rate(n, sim_ps):
    # As report.cpp: llround(double(n) * 1e12 / double(sim_ps)); n >= 0.
    return int(math.floor(float(n) * 1e12 / float(sim_ps) + 0.5)) if sim_ps else 0


def check_run(res, bytes_per_page):
    sim = res["summary"]["sim_time_ps"]
    ctr = res["counters"]
    sums = {}
    for d in res["devices"]:
        rid = d["rid"]
        key = "dev.%02x%02x" % (int(rid[:2], 16), (int(rid[3:5], 16) << 3) | int(rid[6:], 16))
        dma = ctr[key + ".dma_bytes"]
        for field, n in (("faults_per_sim_second", d["faults"]), ("dma_bytes_per_sim_second", dma)):
            check(d[field] == rate(n, sim), f"{res['scenario']['name']} {rid}: {field} = {d[field]}, "
                                            f"not {rate(n, sim)}")
        if bytes_per_page is not None:
            check(dma == d["pages_done"] * bytes_per_page,
                  f"{rid}: dma_bytes {dma} != pages_done {d['pages_done']} x {bytes_per_page}")
        check(dma > 0 and d["faults_per_sim_second"] > 0 and d["dma_bytes_per_sim_second"] > 0,
              f"{rid}: no DMA or no faults")
        if "class" in d:
            s = sums.setdefault(d["class"], [0, 0])
            s[0] += d["faults"]
            s[1] += dma
    for name, c in (res.get("classes") or {}).items():
        f, b = sums.get(name, (0, 0))
        check(c["faults_per_sim_second"] == rate(f, sim) and c["dma_bytes_per_sim_second"] == rate(b, sim),
              f"class {name}: {c['faults_per_sim_second']}, {c['dma_bytes_per_sim_second']}, "
              f"not {rate(f, sim)}, {rate(b, sim)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    res = run(a.prisim, a.work, "default", ["--set", "device.bytes_per_page=1000"])
    check_run(res, 1000)
    res = run(a.prisim, a.work, "classes", [os.path.join(a.scenarios, "classes.yaml")])
    check(bool(res.get("classes")), "classes.yaml: no classes")
    check_run(res, None)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
