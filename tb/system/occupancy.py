#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""System tests of queue occupancy (docs/results.md "Queue occupancy",
docs/user-guide.md --occupancy-out).

  occupancy.py --prisim P --work DIR series
      A small run with --occupancy-out, twice: the same CSV and
      results.json bytes. The CSV has its header and a row per change of
      the three queues; within a queue, a row is stamped at most TOLERANCE
      before the latest (loose timing); its largest level is the queue's
      high-water mark in results.json and its last the final level, 0 in
      the quiesced run; the time-weighted distribution covers the run and
      gives the reported average. A run with --occupancy-window holds the
      rows stamped within the window, each queue's first preceded by its
      level at the window's start.
  occupancy.py --prisim P --work DIR overflow
      scenarios/overflow-pq2.yaml: the PQ (one usable entry) was full for
      some time, in at least one episode, and its overflow episodes are
      summary.pq_overflows.
"""
import argparse
import csv
import filecmp
import os
import sys

from runlib import check, failures, run  # tb/system/runlib.py

QUEUES = ["iommu0.pq", "iommu0.cq", "sw.iommufd.fault_unread", "sw.iommufd.fault_pending"]
SMALL = ["--set", "device.pages=64", "--set", "device.count=2"]
# How far a row may be stamped before the latest row of its queue, in ps:
# the command engine and the PQ front end run ahead of simulated time while
# they have work, software tasks by up to a quantum (docs/user-guide.md, "Time").
TOLERANCE_PS = 50_000_000


def read_csv(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [(int(t), q, int(l)) for t, q, l in r]
    return header, rows


def check_results(res):
    occ = res.get("occupancy", {})
    for q in QUEUES:
        if not check(q in occ, "results.json has no occupancy.%s" % q):
            continue
        o = occ[q]
        for k in ("capacity", "hwm", "avg", "final", "level_p50", "level_p90", "level_p99", "full_ps",
                  "full_episodes", "time_at_level_ps"):
            check(k in o, "occupancy.%s has no %s" % (q, k))
        hist = o["time_at_level_ps"]
        total = sum(ps for _, _, ps in hist)
        check(total >= res["summary"]["sim_time_ps"],
              "%s: the distribution covers %d ps, the run %d" % (q, total, res["summary"]["sim_time_ps"]))
        if o["hwm"] < 64:  # exact per level: the average follows from it
            area = sum(lo * ps for lo, hi, ps in hist)
            check(all(lo == hi for lo, hi, _ in hist), "%s: a bucket below 64 spans levels" % q)
            want = area / total if total else 0
            check(abs(o["avg"] - want) <= 1e-9 * max(1.0, want),
                  "%s: avg %r, the distribution gives %r" % (q, o["avg"], want))
        check(o["level_p50"] <= o["level_p90"] <= o["level_p99"] <= o["hwm"],
              "%s: percentiles out of order" % q)
    pq = occ.get("iommu0.pq", {})
    check(pq.get("capacity") == (1 << res["scenario"]["params"]["sw.driver.pq_log2sz"]) - 1,
          "PQ capacity %s, want N - 1" % pq.get("capacity"))
    check(pq.get("overflow_episodes") == res["summary"]["pq_overflows"], "PQ overflow episodes != pq_overflows")
    check(pq.get("hwm") == res["summary"]["pq_hwm"], "PQ hwm != summary.pq_hwm")


def series(prisim, work):
    csv1, csv2 = os.path.join(work, "a.csv"), os.path.join(work, "b.csv")
    res = run(prisim, work, "a", SMALL + ["--occupancy-out", csv1])
    run(prisim, work, "b", SMALL + ["--occupancy-out", csv2])
    check(filecmp.cmp(csv1, csv2, shallow=False), "the CSV differs between two runs of the same scenario")
    check(filecmp.cmp(os.path.join(work, "a", "results.json"), os.path.join(work, "b", "results.json"),
                      shallow=False), "results.json differs between two runs with --occupancy-out")
    check(res["summary"]["quiesced"], "the run did not quiesce")
    check_results(res)
    header, rows = read_csv(csv1)
    check(header == ["time_ps", "queue", "level"], "CSV header %r" % header)
    by_q = {}
    for t, q, l in rows:
        by_q.setdefault(q, []).append((t, l))
    check(set(by_q) <= set(QUEUES), "CSV names unknown queues %s" % (set(by_q) - set(QUEUES)))
    worst = 0
    for q in QUEUES:
        o = res["occupancy"][q]
        ch = by_q.get(q, [])
        if not check(ch, "CSV has no row of %s" % q):
            continue
        latest, prev = 0, 0
        for t, l in ch:
            check(l != prev, "%s: a row at %d does not change the level (%d)" % (q, t, l))
            worst = max(worst, latest - t)
            latest, prev = max(latest, t), l
        check(max(l for _, l in ch) == o["hwm"], "%s: CSV max %d, hwm %d" % (q, max(l for _, l in ch), o["hwm"]))
        check(ch[-1][1] == o["final"], "%s: CSV ends at %d, final %d" % (q, ch[-1][1], o["final"]))
        check(o["final"] == 0, "%s: final level %d after a quiesced run" % (q, o["final"]))
        check(o["hwm"] >= 1, "%s: never occupied" % q)
    check(worst <= TOLERANCE_PS, "a row is stamped %d ps before the latest of its queue" % worst)
    print("%d rows; largest step back within a queue %d ps" % (len(rows), worst))

    # A window: the rows stamped within it, each queue's first preceded by
    # its level at the start.
    t_all = sorted(t for t, _, _ in rows)
    lo_ps, hi_ps = t_all[len(t_all) // 3], t_all[2 * len(t_all) // 3]
    lo_ps -= lo_ps % 1_000_000  # whole microseconds
    hi_ps += 1_000_000 - hi_ps % 1_000_000
    csv3 = os.path.join(work, "w.csv")
    run(prisim, work, "w", SMALL + ["--occupancy-out", csv3, "--occupancy-window",
                                    "%d:%d" % (lo_ps // 1_000_000, hi_ps // 1_000_000)])
    _, wrows = read_csv(csv3)
    want, level, seen = [], {q: 0 for q in QUEUES}, set()
    for t, q, l in rows:
        if lo_ps <= t <= hi_ps:
            if q not in seen:
                seen.add(q)
                if t > lo_ps:
                    want.append((lo_ps, q, level[q]))
            want.append((t, q, l))
        level[q] = l
    check(wrows == want, "the window's rows (%d) are not the run's rows within it (%d)" % (len(wrows), len(want)))


def overflow(prisim, work, scen):
    res = run(prisim, work, "pq2", [scen])
    check_results(res)
    pq = res["occupancy"]["iommu0.pq"]
    check(pq["capacity"] == 1, "overflow-pq2: PQ capacity %d, want 1" % pq["capacity"])
    check(pq["full_ps"] > 0, "overflow-pq2: the PQ was never full")
    check(pq["full_episodes"] >= 1, "overflow-pq2: no full episode")
    check(pq["overflow_episodes"] >= 1, "overflow-pq2: no overflow episode")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--scenario", default="")
    ap.add_argument("what", choices=["series", "overflow"])
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.what == "series":
        series(a.prisim, a.work)
    else:
        overflow(a.prisim, a.work, a.scenario)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
