#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""System tests of the per-stage fault latencies and the fault trace
(docs/results.md "Stage latencies", docs/trace.md).

  stages.py --prisim P --work DIR stats
      Small runs over each route (userspace handler, kernel-resident
      handler, both in one run, multi-page groups, device classes): the
      stage histograms are present with their fields, each stage counts the
      faults its route passes, and the stage means add up to the mean
      fault latency within the rounding of the integer means.
  stages.py --prisim P --work DIR trace
      A run with --trace-out: the file parses, every span has ts and
      dur >= 0, each fault's spans are ordered and contiguous from its
      request to its retry and add up to its latency, spans on one track
      never overlap, every track is named; a second run with
      --trace-window holds exactly the faults that overlap the window.
"""
import argparse
import json
import os
import sys

from runlib import check, failures, run  # tb/system/runlib.py

FD_STAGES = ["request", "pq_write", "drain", "deliver", "read", "answer", "respond", "retry"]
KERNEL_STAGES = ["request", "pq_write", "drain", "kernel", "respond", "retry"]
FIELDS = ["count", "min", "p50", "p90", "p99", "p99_9", "max", "mean", "unit"]
SMALL = ["--set", "device.pages=64"]


def check_pool(label, pool_lat, stages, routes, want):
    """pool_lat: a fault_latency_ps; stages: its stage_latency_ps; routes: its
    stage_routes; want: {"fd": n, "kernel": n} expected route counts."""
    n = pool_lat["count"]
    check(n > 0, "%s: no faults sampled" % label)
    check(routes.get("other", -1) == 0, "%s: %s faults of route other, want 0" % (label, routes.get("other")))
    for r, c in want.items():
        check(routes.get(r) == c, "%s: route %s has %s faults, want %d" % (label, r, routes.get(r), c))
    counts = {s: 0 for s in set(FD_STAGES) | set(KERNEL_STAGES)}
    for s in FD_STAGES:
        counts[s] += want.get("fd", 0)
    for s in KERNEL_STAGES:
        counts[s] += want.get("kernel", 0)
    for s, c in counts.items():
        if c == 0:
            check(s not in stages, "%s: stage %s present, but no fault passed it" % (label, s))
            continue
        if not check(s in stages, "%s: stage %s missing" % (label, s)):
            continue
        h = stages[s]
        for f in FIELDS:
            check(f in h, "%s: stage %s has no %s" % (label, s, f))
        if not all(f in h for f in FIELDS):
            continue
        check(h["unit"] == "ps", "%s: stage %s unit %r" % (label, s, h["unit"]))
        check(h["count"] == c, "%s: stage %s counts %d faults, want %d" % (label, s, h["count"], c))
        check(h["min"] <= h["p50"] <= h["p90"] <= h["p99"] <= h["p99_9"] <= h["max"],
              "%s: stage %s percentiles out of order: %s" % (label, s, h))
        check(h["min"] <= h["mean"] <= h["max"], "%s: stage %s mean outside [min, max]" % (label, s))
    # Each fault's stages add up to its latency: the sums of the stage
    # durations equal the sum of the latencies. The results give integer
    # means (floors), so the sum of the stage means is within the number of
    # stages (and the fault latency's own floor) of the mean latency.
    total = 0.0
    for s in stages:
        total += stages[s]["mean"] * stages[s]["count"]
    mean_sum = total / n
    nstages = len(stages)
    check(abs(mean_sum - pool_lat["mean"]) <= nstages + 1,
          "%s: stage means add up to %.1f ps, the mean fault latency is %d ps" % (label, mean_sum, pool_lat["mean"]))
    if want.get("kernel", 0) == 0 or want.get("fd", 0) == 0:
        plain = sum(stages[s]["mean"] for s in stages)
        check(abs(plain - pool_lat["mean"]) <= nstages + 1,
              "%s: sum of stage means %d ps, mean fault latency %d ps" % (label, plain, pool_lat["mean"]))


def rid_hex(name):
    """ "bb:dd.f" -> the 4-hex-digit form of the counter names."""
    bus, rest = name.split(":")
    dev, fn = rest.split(".")
    return "%04x" % ((int(bus, 16) << 8) | (int(dev, 16) << 3) | int(fn, 16))


def stats(prisim, work):
    r = run(prisim, work, "fd", SMALL)
    s = r["summary"]
    n = s["fault_latency_ps"]["count"]
    check(s["stage_stamps_unmatched"] == 0, "fd: %d unmatched stamps" % s["stage_stamps_unmatched"])
    check_pool("fd", s["fault_latency_ps"], s["stage_latency_ps"], s["stage_routes"], {"fd": n, "kernel": 0})

    r = run(prisim, work, "kernel", SMALL + ["--set", "sw.user.handler=kernel"])
    s = r["summary"]
    n = s["fault_latency_ps"]["count"]
    check_pool("kernel", s["fault_latency_ps"], s["stage_latency_ps"], s["stage_routes"], {"fd": 0, "kernel": n})

    # Kernel-resident and userspace handlers in one run: the handlers'
    # groups give the route counts.
    scen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scenarios")
    r = run(prisim, work, "mixed", [os.path.join(scen, "handler-kernel-vs-user.yaml")])
    s = r["summary"]
    k = sum(d["fault_latency_ps"]["count"] for d in r["devices"]
            if r["counters"].get("sw.dev.%s.handler.kernel.groups" % rid_hex(d["rid"]), 0))
    n = s["fault_latency_ps"]["count"]
    check(0 < k < n, "mixed: %d of %d faults by the kernel handler, want some but not all" % (k, n))
    check_pool("mixed", s["fault_latency_ps"], s["stage_latency_ps"], s["stage_routes"], {"fd": n - k, "kernel": k})

    # Groups of several pages: one sample per page in every stage.
    r = run(prisim, work, "groups", [os.path.join(scen, "groups.yaml")])
    s = r["summary"]
    n = s["fault_latency_ps"]["count"]
    check(s["prgs"] < s["faults"], "groups: %d PRGs for %d faults: not multi-page" % (s["prgs"], s["faults"]))
    check_pool("groups", s["fault_latency_ps"], s["stage_latency_ps"], s["stage_routes"], {"fd": n, "kernel": 0})

    # Device classes: each class's pool.
    r = run(prisim, work, "classes", [os.path.join(scen, "classes.yaml")])
    check("classes" in r, "classes: no classes in results")
    for name, c in r.get("classes", {}).items():
        n = c["fault_latency_ps"]["count"]
        check_pool("classes.%s" % name, c["fault_latency_ps"], c["stage_latency_ps"], c["stage_routes"],
                   {"fd": n, "kernel": 0})


def load_trace(path):
    with open(path) as f:
        doc = json.load(f)
    check(isinstance(doc.get("traceEvents"), list), "%s: no traceEvents array" % path)
    return doc["traceEvents"]


def us_ps(v):
    return int(round(v * 1e6))


def trace_faults(events, label):
    """Spans by fault; checks the format on the way."""
    named = set()
    procs = set()
    faults = {}
    tracks = {}
    for e in events:
        if e.get("ph") == "M":
            if e["name"] == "thread_name":
                named.add((e["pid"], e["tid"]))
            if e["name"] == "process_name":
                procs.add(e["pid"])
            continue
        if not check(e.get("ph") == "X", "%s: event of phase %r" % (label, e.get("ph"))):
            continue
        for k in ("name", "pid", "tid", "ts", "dur", "args"):
            check(k in e, "%s: span without %s: %s" % (label, k, e))
        check(e["ts"] >= 0 and e["dur"] >= 0, "%s: span with ts %s dur %s" % (label, e["ts"], e["dur"]))
        check((e["pid"], e["tid"]) in named, "%s: track %s/%s has no thread_name" % (label, e["pid"], e["tid"]))
        check(e["pid"] in procs, "%s: process %s has no process_name" % (label, e["pid"]))
        a = e["args"]
        for k in ("fault", "rid", "pasid", "prg_index", "iova", "route"):
            check(k in a, "%s: span args without %s" % (label, k))
        faults.setdefault(a["fault"], []).append(e)
        tracks.setdefault((e["pid"], e["tid"]), []).append((us_ps(e["ts"]), us_ps(e["ts"]) + us_ps(e["dur"])))
    for t, spans in tracks.items():
        spans.sort()
        for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
            if not check(s1 >= e0, "%s: spans overlap on track %s: [%d, %d] and [%d, %d] ps" % (label, t, s0, e0, s1, e1)):
                break
    latency = {}
    for fid, spans in faults.items():
        spans.sort(key=lambda e: (us_ps(e["ts"]), us_ps(e["ts"]) + us_ps(e["dur"])))
        check(spans[0]["name"] == "request" and spans[-1]["name"] == "retry",
              "%s: fault %s runs from %s to %s" % (label, fid, spans[0]["name"], spans[-1]["name"]))
        key = {(e["args"]["rid"], e["args"]["pasid"], e["args"]["prg_index"], e["args"]["iova"]) for e in spans}
        check(len(key) == 1, "%s: fault %s has spans of several groups: %s" % (label, fid, key))
        for a, b in zip(spans, spans[1:]):
            if not check(us_ps(a["ts"]) + us_ps(a["dur"]) == us_ps(b["ts"]),
                         "%s: fault %s: %s ends at %.6f, %s starts at %.6f" %
                         (label, fid, a["name"], a["ts"] + a["dur"], b["name"], b["ts"])):
                break
        start = us_ps(spans[0]["ts"])
        latency[fid] = (start, us_ps(spans[-1]["ts"]) + us_ps(spans[-1]["dur"]))
    return latency


def trace(prisim, work):
    path = os.path.join(work, "full.trace.json")
    r = run(prisim, work, "trace", SMALL + ["--trace-out", path])
    s = r["summary"]
    faults = trace_faults(load_trace(path), "full")
    check(len(faults) == s["faults"], "full: %d faults traced, %d in the run" % (len(faults), s["faults"]))
    if faults:
        total = sum(e - b for b, e in faults.values())
        check(abs(total // len(faults) - s["fault_latency_ps"]["mean"]) <= 1,
              "full: traced faults' mean latency %d ps, results say %d ps" %
              (total // len(faults), s["fault_latency_ps"]["mean"]))
    # A window over the middle of the faults: exactly the faults that
    # overlap it, and fewer than all.
    ends = sorted(e for _, e in faults.values())
    lo, hi = ends[len(ends) // 3], ends[len(ends) // 2]
    w0, w1 = lo / 1e6, hi / 1e6
    wpath = os.path.join(work, "window.trace.json")
    run(prisim, work, "trace_window", SMALL + ["--trace-out", wpath, "--trace-window", "%.6f:%.6f" % (w0, w1)])
    wf = trace_faults(load_trace(wpath), "window")
    want = sorted((b, e) for b, e in faults.values() if b <= hi and e >= lo)
    got = sorted(wf.values())
    check(0 < len(got) < len(faults), "window: %d of %d faults" % (len(got), len(faults)))
    check(got == want, "window: %d faults written, %d overlap [%d, %d] ps" % (len(got), len(want), lo, hi))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("what", choices=["stats", "trace"])
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    (stats if a.what == "stats" else trace)(a.prisim, a.work)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
