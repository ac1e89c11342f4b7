#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""System test of memory faults injected on purpose (docs/scenario.md,
"Injected memory faults"): for every target and kind, a small run ends with
a verdict (exit 0, or 1 with the injected faults named as the cause; never
a crash, a hang or a configuration error), the injected faults are counted
(iommu0.inject.<target>) and the consequence the spec names shows in the
counters; bad values of the keys are configuration errors (exit 2) that
name the key.

  iommu_inject.py --prisim P --work DIR
"""
import argparse
import json
import os
import subprocess
import sys

from runlib import check, failures  # tb/system/runlib.py

SMALL = ["--set", "device.count=2", "--set", "device.pages=24", "--set", "device.streams=2",
         "--set", "run.max_time_us=20000"]

VEVENTS = ["sw.user.vevent_depth=256", "sw.user.vevent_device=1"]
# PASIDs on a PD8 process directory: process-context loads to fail
PASIDS = ["iommu.pd8=true", "device.pasids=2"]

# (target, kind, extra --set values, exit statuses allowed, counters that must be > 0)
CASES = [
    ("ddt", "access_fault", [], {0, 1}, ["iommu0.fq.records_written"]),
    ("ddt", "corrupt", [], {0, 1}, ["iommu0.fq.records_written"]),
    ("pgtbl", "access_fault", ["iommu.inject.nth=3"], {0, 1}, ["iommu0.fq.records_written"]),
    # a process-context load: cause 265 (access fault) or 267 (reserved bit)
    ("pdt", "access_fault", PASIDS, {0, 1}, ["sw.fq.cause.265"]),
    ("pdt", "corrupt", PASIDS, {0, 1}, ["sw.fq.cause.267"]),
    # a reserved PTE bit: not present, one more Page Request; nothing fails
    ("pgtbl", "corrupt", ["iommu.inject.nth=3"], {0}, []),
    # a retried command fetch: nothing lost
    ("cq", "access_fault", ["iommu.inject.nth=4"], {0}, ["sw.cq.cqmf", "sw.cq.retried"]),
    ("cq", "corrupt", ["iommu.inject.nth=4"], {0}, ["sw.cq.cmd_ill", "sw.cq.retried"]),
    # fault records: the vEVENTQ device (RID 0002) has no PRI in its DC, so
    # each of its page requests is a cause 260 record
    ("fq", "access_fault", VEVENTS, {0}, ["sw.fq.memfaults"]),
    ("fq", "corrupt", VEVENTS, {0}, ["sw.fq.cause.2308"]),
    # pqmf: Response Failure stops the devices' PRI (rule I)
    ("pq", "access_fault", ["iommu.inject.nth=5"], {0, 1}, ["iommu0.pq.drop.write_fault",
                                                             "sw.pq.memfaults_handled"]),
    ("pq", "corrupt", ["iommu.inject.nth=5"], {0}, ["sw.pq.reserved_bits"]),
    # the first MSI lost: cause 273, the driver services the queues
    ("msi", "access_fault", [], {0}, ["iommu0.msi.faults", "sw.fq.msi_faults"]),
    # poisoned loads (an uncorrectable memory error): the data-corruption
    # causes, 268 (DDT), 269 (PDT), 274 (page table); a command fetch: cqmf
    ("ddt", "poison", [], {0, 1}, ["sw.fq.cause.268"]),
    ("pdt", "poison", PASIDS, {0, 1}, ["sw.fq.cause.269"]),
    ("pgtbl", "poison", ["iommu.inject.nth=3"], {0, 1}, ["sw.fq.cause.274"]),
    ("cq", "poison", ["iommu.inject.nth=4"], {0}, ["sw.cq.cqmf", "sw.cq.retried"]),
]

# Bad values: exit 2 and the message that names the key.
BAD = [
    (["iommu.inject.target=ttb"], "iommu.inject.target"),
    (["iommu.inject.kind=flip"], "iommu.inject.kind"),
    (["iommu.inject.target=pdt"], "iommu.inject.target = pdt"),
    (["iommu.inject.target=msi", "iommu.inject.kind=corrupt"], "an MSI has no corrupt form"),
    (["iommu.inject.target=pq", "iommu.inject.kind=poison"], "poisoned data is what a load returns"),
    (["iommu.inject.target=cq", "iommu.inject.rid=1"], "no device's behalf"),
    (["iommu.inject.target=ddt", "iommu.inject.rid=7"], "no device has this RID"),
    (["iommu.inject.target=ddt", "iommu.inject.nth=0"], "iommu.inject.nth"),
]


def prisim(p, work, name, sets, timeout=120):
    out = os.path.join(work, name)
    cmd = [p, "-q", "/dev/null", "-o", out] + SMALL
    for s in sets:
        cmd += ["--set", s]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    res = None
    path = os.path.join(out, "results.json")
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    return r, res, " ".join(cmd)


def counter(res, name):
    return res.get("counters", {}).get(name, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)

    for target, kind, extra, allowed, must in CASES:
        name = target + "_" + kind
        sets = ["iommu.inject.target=" + target, "iommu.inject.kind=" + kind] + extra
        r, res, cmd = prisim(a.prisim, a.work, name, sets)
        if not check(r.returncode in allowed and res is not None,
                     "%s: exit %d (allowed %s)\n%s\n%s" % (cmd, r.returncode, sorted(allowed),
                                                           r.stdout[-2000:], r.stderr[-2000:])):
            continue
        n = counter(res, "iommu0.inject." + target)
        check(n == 1, "%s: iommu0.inject.%s = %d, expected 1" % (name, target, n))
        for m in must:
            check(counter(res, m) > 0, "%s: %s = 0" % (name, m))
        sb = res.get("scoreboard", {})
        check("ok" in sb, "%s: no scoreboard verdict" % name)
        if r.returncode == 1:
            why = json.dumps(sb)
            check("injected" in why, "%s: exit 1 without naming the injected faults: %s"
                  % (name, why[:2000]))

    # no injection configured: no inject counters at all
    r, res, cmd = prisim(a.prisim, a.work, "none", [])
    check(r.returncode == 0 and res is not None, "%s: exit %d" % (cmd, r.returncode))
    if res is not None:
        check(not any(k.startswith("iommu0.inject.") for k in res.get("counters", {})),
              "a run without injection reports iommu0.inject.* counters")

    # the same scenario and seed: the same bytes
    r1, _, _ = prisim(a.prisim, a.work, "det1", ["iommu.inject.target=pq", "iommu.inject.nth=5"])
    r2, _, _ = prisim(a.prisim, a.work, "det2", ["iommu.inject.target=pq", "iommu.inject.nth=5"])
    with open(os.path.join(a.work, "det1", "results.json"), "rb") as f1, \
            open(os.path.join(a.work, "det2", "results.json"), "rb") as f2:
        check(f1.read() == f2.read(), "pq injection: results.json differs between two runs")

    for sets, want in BAD:
        r, _, cmd = prisim(a.prisim, a.work, "bad", sets)
        check(r.returncode == 2 and want in r.stderr,
              "%s: exit %d, expected 2 naming '%s'\n%s" % (cmd, r.returncode, want, r.stderr[-1000:]))

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all injection cases ended with a verdict")
    return 0


if __name__ == "__main__":
    sys.exit(main())
