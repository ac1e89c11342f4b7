#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""System tests of fault injection into the software stack (sw.inject.*,
docs/scenario.md "Fault injection").

  inject.py --prisim P --work DIR chosen
      The 11th group allocation fails: exactly one failure, at
      iopf.group_alloc; its group is answered FAILURE through io-pgfault's
      abort path, its requests counted as aborted, the device stops PRI,
      and the scoreboard holds by rule A. With `interval` and `times`, the
      failures are the calls those attributes select.
  inject.py --prisim P --work DIR sites
      A filter that matches nothing runs normally and warns with the sites
      the run reached. Then every such site, failed once at its first, 4th
      and 201st call: each run ends with a verdict (exit 0 or 1, never a
      crash or hang), results.json counts the failure at that site, and a
      failing run names a cause in its failed checks.
  inject.py --prisim P --work DIR seed
      With a probability, the failures are the same for the same seed
      (byte-identical results.json) and differ for another seed; without
      injection the results are those of a run without the keys.
"""
import argparse
import filecmp
import json
import os
import re
import subprocess
import sys

from runlib import check, failures, run  # tb/system/runlib.py

SMALL = ["--set", "device.pages=64"]


def run_any(prisim, work, name, args, timeout=120):
    """prisim -o WORK/NAME ARGS, any exit status: (rc, stderr, results or None)."""
    out = os.path.join(work, name)
    cmd = [prisim, "-q", "-o", out] + args
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        check(False, "%s: no verdict within %d s" % (" ".join(cmd), timeout))
        return None, "", None
    path = os.path.join(out, "results.json")
    res = None
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    return p.returncode, p.stderr, res


def chosen(prisim, work):
    r = run(prisim, work, "chosen", ["/dev/null", "--set", "sw.inject.site=iopf.group_alloc",
                                      "--set", "sw.inject.space=10"])
    c = r["counters"]
    check(c.get("platform.inject.failures") == 1, "one failure: %s" % c.get("platform.inject.failures"))
    check(c.get("platform.inject.failures.iopf.group_alloc") == 1, "the failure is at iopf.group_alloc")
    check(c.get("platform.inject.calls", 0) > 11, "the calls after the 11th went on")
    check(c.get("sw.iopf.abort_failure") == 1, "one group aborted: %s" % c.get("sw.iopf.abort_failure"))
    check(c.get("sw.iopf.requests_aborted", 0) >= 1, "its requests counted as aborted")
    check(c.get("sw.iopf.responses.failure") == 1, "answered FAILURE once")
    stopped = [d for d in r["devices"] if d["pages_failed"]]
    check(len(stopped) == 1, "one device stopped by Response Failure: %d" % len(stopped))
    run_check = r["scoreboard"]["checks"][0]
    check(run_check["ok"] and "injected group-allocation failure" in run_check["detail"],
          "run completes by rule A: %s" % run_check["detail"])
    check(r["ok"], "the scoreboard holds")

    # interval 5, times 3, after a space of 2: calls 7, 12 and 17 fail.
    r = run(prisim, work, "interval", ["/dev/null"] + SMALL + [
        "--set", "sw.inject.site=iopf.partial_alloc", "--set", "sw.inject.space=2",
        "--set", "sw.inject.interval=5", "--set", "sw.inject.times=3"])
    c = r["counters"]
    check(c.get("platform.inject.failures") == 3, "times caps the failures at 3: %s"
          % c.get("platform.inject.failures"))
    check(c.get("sw.iopf.partials_dropped_nomem") == 3, "three partials dropped: %s"
          % c.get("sw.iopf.partials_dropped_nomem"))
    check(r["ok"], "a dropped partial is retried by its device: the scoreboard holds")


def sites(prisim, work):
    rc, err, r = run_any(prisim, work, "none", ["/dev/null"] + SMALL + ["--set", "sw.inject.site=no.such_site"])
    check(rc == 0 and r is not None and r["ok"], "a filter that matches nothing runs normally (rc %s)" % rc)
    m = re.search(r"sw\.inject\.site = 'no\.such_site' matched no fault-injection site in this run; "
                  r"sites reached: ([a-z0-9_., ]+)", err)
    if not check(m is not None, "the warning names the sites reached: %r" % err[-400:]):
        return
    reached = [s.strip() for s in m.group(1).split(",")]
    check(len(reached) >= 20, "the run reached %d sites" % len(reached))
    for want in ("iopf.group_alloc", "iopf.partial_alloc", "uaccess.copy_to_user", "riscv_iommu.pgtbl_alloc"):
        check(want in reached, "%s is reached" % want)
    check(r is None or "platform.inject.calls" in r["counters"], "an enabled filter reports its calls")
    for site in reached:
        for space in (0, 3, 200):
            name = "%s-%d" % (site, space)
            rc, err, r = run_any(prisim, work, name, ["/dev/null"] + SMALL + [
                "--set", "sw.inject.site=" + site, "--set", "sw.inject.space=%d" % space])
            if not check(rc in (0, 1), "%s: exit %s (a verdict, not a crash)\n%s" % (name, rc, err[-600:])):
                continue
            if not check(r is not None, "%s: results.json written" % name):
                continue
            c = r["counters"]
            calls = c.get("platform.inject.calls", 0)
            want = 1 if calls > space else 0
            check(c.get("platform.inject.failures", 0) == want,
                  "%s: %d calls, %s failures, expected %d" % (name, calls, c.get("platform.inject.failures"), want))
            if want:
                check(c.get("platform.inject.failures." + site) == 1, "%s: the failure is counted at its site" % name)
            if rc == 1:
                bad = [x for x in r["scoreboard"]["checks"] if not x["ok"]]
                check(bad and all(x["violations"] for x in bad),
                      "%s: every failed check names its cause" % name)
            else:
                check(r["ok"], "%s: exit 0 with a scoreboard that holds" % name)


def seed(prisim, work):
    args = ["/dev/null"] + SMALL + ["--set", "sw.inject.site=iopf.partial_alloc", "--set", "sw.inject.probability=30",
                                    "--set", "sw.inject.times=0"]
    a = run(prisim, work, "p1", args)
    run(prisim, work, "p2", args)
    check(filecmp.cmp(os.path.join(work, "p1", "results.json"), os.path.join(work, "p2", "results.json"),
                      shallow=False), "the same seed gives byte-identical results.json")
    fa = a["counters"].get("platform.inject.failures", 0)
    calls = a["counters"].get("platform.inject.calls", 0)
    check(0 < fa < calls, "probability 30 fails some calls, not all: %d of %d" % (fa, calls))
    check(abs(fa - 0.3 * calls) < 0.15 * calls + 5, "about 30 %% fail: %d of %d" % (fa, calls))
    b = run(prisim, work, "p3", args + ["--set", "seed=2"])
    check(b["counters"].get("platform.inject.failures") != fa
          or b["summary"]["fault_latency_ps"] != a["summary"]["fault_latency_ps"],
          "another seed draws other failures")
    # The keys at their defaults change nothing.
    plain = run(prisim, work, "plain", ["/dev/null"] + SMALL)
    off = run(prisim, work, "off", ["/dev/null"] + SMALL + ["--set", "sw.inject.site=", "--set",
                                                             "sw.inject.probability=30"])
    check(plain["summary"] == off["summary"] and plain["counters"] == off["counters"],
          "an empty sw.inject.site injects nothing and reports nothing")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("what", choices=["chosen", "sites", "seed"])
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    {"chosen": chosen, "sites": sites, "seed": seed}[a.what](a.prisim, a.work)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
