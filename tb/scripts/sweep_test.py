#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of scripts/sweep.py (docs/sweep.md), one case per CTest test.

  sweep_test.py --prisim PRISIM --work DIR --case local|open_loop|bad_input|resume|interrupt|slurm|slurm_real

local      a 48-run sweep (16 points x 3 seeds, 2 devices x 16 pages):
           sweep.csv and points.csv rows and columns, the overflow
           probability, recommendation.json, the plots
open_loop  48 points of open-loop traffic (Poisson bursts; queue depth x
           credits x arrival gap), one seed: the merged CSV and the
           recommendation, every run behind it meeting the targets
bad_input  unknown keys, out-of-range values, bad targets: exit 2 naming
           the key, before any run (no run directory)
resume     the same command again runs nothing and rewrites the same CSV
           bytes; a run whose results.json reports other values runs again
interrupt  SIGINT during a sweep: exit 130, finished runs kept, the same
           command finishes only the rest; a run past --timeout fails and
           runs again
slurm      --slurm writes the job array and its inputs; the array's tasks,
           run here one by one with bash as Slurm would, then --merge
           (without prisim, from the sweep's own copy of the key registry);
           a partial array merges with the missing runs counted
slurm_real the same against a real Slurm: a private one-node cluster
           (slurm_cluster.py: munged, slurmctld, slurmd) runs the array
           that --slurm wrote, submitted with the sbatch command line the
           sweep prints; the merge has every point and seed with exit 0 and
           the same results as a local sweep of the grid. Then a grown grid:
           --slurm writes only the new runs; one array task cancelled
           before it starts (held array, scancel, release) is missing from
           the merge (exit 1); --slurm again writes only that run, and after
           it the merge is complete and equal to the local sweep. The
           cluster is torn down even on failure, no process left behind.
           Installs Debian's slurm-wlm and munge (scripts/deps.sh slurm) and
           fails, naming them, when they cannot be had. Runs as root.
Python 3 standard library only.
"""
import argparse
import csv
import glob
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP = os.path.join(ROOT, "scripts", "sweep.py")
SMALL = ["--set", "device.pages=16", "--set", "device.count=2"]


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def sweep(args, *extra, env=None):
    p = subprocess.run([sys.executable, SWEEP, "--prisim", args.prisim] + list(extra),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    return path


def have_matplotlib():
    """As the sweep itself decides: this interpreter or /usr/bin/python3."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run([py, "-c", "import matplotlib"],
                                                 capture_output=True).returncode == 0:
            return True
    return False


def case_local(args):
    out = fresh(os.path.join(args.work, "local"))
    rc, so, se = sweep(args, "-q", "-o", out, "-j", "2", "--seeds", "3", *SMALL,
                       "--grid", "sw.driver.pq_log2sz=2..5", "--grid", "device.pri_capacity=4,8",
                       "--grid", "sw.cost.handler.mean_ns=2us,8000",
                       "--set", "sw.cost.handler.dist=exponential",
                       "--target", "summary.fault_latency_ps.p99 < 150us",
                       "--target", "overflow_probability <= 0.5")
    check(rc == 0, f"sweep exited {rc}: {se}")
    cols, rows = read_csv(os.path.join(out, "sweep.csv"))
    want = ["point", "sw.driver.pq_log2sz", "device.pri_capacity", "sw.cost.handler.mean_ns", "seed",
            "exit", "faults", "lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_max_us", "lat_mean_us",
            "pq_entries", "pq_hwm", "pq_overflows", "pq_occupancy_avg", "pq_full_us", "pq_full_episodes",
            "cq_hwm", "fault_unread_hwm", "fault_pending_hwm", "page_requests", "pq_dropped",
            "overflow_probability", "auto_success", "prgs", "prg_retries", "credit_stalls",
            "pri_allocation_sum", "sim_time_us"] + [
            f"stage_{n}_us" for n in ("request", "pq_write", "drain", "deliver", "read", "answer", "kernel",
                                      "respond", "retry")] + ["run_dir"]
    check(cols == want, f"sweep.csv columns {cols}")
    check(len(rows) == 48, f"sweep.csv has {len(rows)} rows, want 48")
    seen = set()
    for r in rows:
        key = (r["sw.driver.pq_log2sz"], r["device.pri_capacity"], r["sw.cost.handler.mean_ns"], r["seed"])
        seen.add(key)
        check(r["exit"] == "0", f"row {r}: exit {r['exit']}")
        check(r["faults"] == "32", f"row {r}: faults {r['faults']}")
        check(int(r["pq_entries"]) == 2 ** int(r["sw.driver.pq_log2sz"]), f"row {r}: pq_entries")
        p = int(r["pq_dropped"]) / int(r["page_requests"])
        check(abs(float(r["overflow_probability"]) - p) < 1e-8, f"row {r}: overflow_probability")
        check(float(r["lat_p50_us"]) <= float(r["lat_p99_us"]) <= float(r["lat_max_us"]), f"row {r}: latencies")
        check(r["pri_allocation_sum"] == str(2 * int(r["device.pri_capacity"])), f"row {r}: allocations")
        # The stage columns (userspace handler: no kernel stage) add up to
        # the mean latency (each is rounded to 1e-6 us by the CSV).
        stage_sum = sum(float(r[f"stage_{n}_us"]) for n in ("request", "pq_write", "drain", "deliver", "read",
                                                            "answer", "respond", "retry"))
        check(r["stage_kernel_us"] == "" and abs(stage_sum - float(r["lat_mean_us"])) < 1e-4,
              f"row {r}: stages add up to {stage_sum} us, the mean latency is {r['lat_mean_us']} us")
    check(len(seen) == 48, "sweep.csv: a (point, seed) appears twice")
    check({r["sw.cost.handler.mean_ns"] for r in rows} == {"2000", "8000"}, "2us was not read as 2000 ns")
    # The smallest queue overflows, the largest does not.
    check(any(int(r["pq_overflows"]) > 0 for r in rows if r["sw.driver.pq_log2sz"] == "2"), "no overflow at 4 entries")
    # An overflowing queue was full; the occupancy columns are filled in.
    check(any(float(r["pq_full_us"]) > 0 and int(r["pq_full_episodes"]) >= 1
              for r in rows if r["sw.driver.pq_log2sz"] == "2"), "no full PQ at 4 entries")
    check(all(0 <= float(r["pq_occupancy_avg"]) <= int(r["pq_hwm"]) and int(r["cq_hwm"]) >= 1
              and int(r["fault_unread_hwm"]) >= 1 for r in rows), "occupancy columns")
    check(all(r["pq_overflows"] == "0" for r in rows if r["sw.driver.pq_log2sz"] == "5"), "overflow at 32 entries")

    pcols, points = read_csv(os.path.join(out, "points.csv"))
    check(len(points) == 16, f"points.csv has {len(points)} rows, want 16")
    for c in ("seeds", "seeds_ok", "lat_p99_us_mean", "lat_p99_us_ci_lo", "lat_p99_us_ci_hi",
              "overflow_probability", "overflow_probability_ci_lo", "overflow_probability_ci_hi"):
        check(c in pcols, f"points.csv: no column {c}")
    for a in points:
        check(a["seeds"] == "3" and a["seeds_ok"] == "3", f"point {a['point']}: seeds")
        lo, m, hi = (float(a[f"lat_p99_us_{s}"]) for s in ("ci_lo", "mean", "ci_hi"))
        check(lo <= m <= hi, f"point {a['point']}: p99 CI {lo} {m} {hi}")
        lo, m, hi = (float(a[f"overflow_probability{s}"]) for s in ("_ci_lo", "", "_ci_hi"))
        check(0 <= lo <= m <= hi <= 1, f"point {a['point']}: Wilson interval {lo} {m} {hi}")
        mine = [r for r in rows if r["point"] == a["point"]]
        pooled = sum(int(r["pq_dropped"]) for r in mine) / sum(int(r["page_requests"]) for r in mine)
        check(abs(pooled - m) < 1e-8, f"point {a['point']}: pooled probability")

    with open(os.path.join(out, "recommendation.json")) as f:
        rec = json.load(f)
    check(rec["depth_axis"] == "sw.driver.pq_log2sz", "depth axis")
    check(rec["credit_axes"] == ["device.pri_capacity"], f"credit axes {rec['credit_axes']}")
    check(rec["condition_axes"] == ["sw.cost.handler.mean_ns"], "condition axes")
    r = rec["recommendation"]
    check(r is not None, "no recommendation")
    d = r["sw.driver.pq_log2sz"]
    check(r["entries"] == 2 ** d, "entries")
    # Every run behind it meets both targets; the next smaller depth does not.
    behind = [x for x in rows if x["run_dir"] in set(r["runs"])]
    check(len(behind) == len(r["runs"]) == 6, f"runs behind the recommendation: {len(r['runs'])}")
    for x in behind:
        check(float(x["lat_p99_us"]) < 150 and float(x["overflow_probability"]) <= 0.5, f"run {x['run_dir']}")
    def meets(x):
        return x["exit"] == "0" and float(x["lat_p99_us"]) < 150 and float(x["overflow_probability"]) <= 0.5
    for depth in range(2, d):
        for cap in ("4", "8"):
            design = [x for x in rows if x["sw.driver.pq_log2sz"] == str(depth) and x["device.pri_capacity"] == cap]
            check(not all(meets(x) for x in design), f"depth {depth}, capacity {cap} meets the targets too")
    for t in r["targets"]:
        check(t["holds"] and t["margin"] >= 0, f"target {t}")
    vtd = {v["credit"]["device.pri_capacity"]: v for v in rec["vtd"]}
    check(vtd[4]["allocation_sum"] == 8 and vtd[4]["entries"] == 16 and vtd[4]["sw.driver.pq_log2sz"] == 4,
          f"VT-d rule for capacity 4: {vtd[4]}")
    check(vtd[8]["entries"] == 32 and vtd[8]["in_grid"] and vtd[8]["runs"] == 6, f"VT-d for 8: {vtd[8]}")

    # Point-level targets (points.csv columns), given to a merge.
    rc, so, se = sweep(args, "-q", "--no-plots", "--merge", "-o", out,
                       "--target", "lat_p99_us_ci_hi < 200us", "--target", "overflow_probability_ci_hi < 0.1")
    check(rc == 0, f"merge with point-level targets exited {rc}: {se}")
    with open(os.path.join(out, "recommendation.json")) as f:
        rec2 = json.load(f)["recommendation"]
    check(rec2 is not None and rec2["sw.driver.pq_log2sz"] == 4, f"point-level recommendation {rec2}")
    for a in points:
        if (a["sw.driver.pq_log2sz"] == str(rec2["sw.driver.pq_log2sz"])
                and a["device.pri_capacity"] == str(rec2["credit"]["device.pri_capacity"])):
            check(float(a["lat_p99_us_ci_hi"]) < 200 and float(a["overflow_probability_ci_hi"]) < 0.1,
                  f"point {a['point']} behind the point-level recommendation")

    plots = sorted(os.listdir(os.path.join(out, "plots"))) if os.path.isdir(os.path.join(out, "plots")) else []
    if have_matplotlib():
        for name in ("p99_vs_depth", "overflow_vs_depth", "stages_by_point"):
            for mean in ("2000", "8000"):
                for ext in ("png", "svg"):
                    fn = f"{name}_sw.cost.handler.mean_ns={mean}.{ext}"
                    check(fn in plots and os.path.getsize(os.path.join(out, "plots", fn)) > 1000,
                          f"plot {fn} missing (have {plots})")
    else:
        print("sweep_test: matplotlib is not installed: plots not checked")


def case_open_loop(args):
    """48 points of open-loop traffic (Poisson bursts), one seed each."""
    out = fresh(os.path.join(args.work, "open_loop"))
    rc, so, se = sweep(args, "-q", "--no-plots", "-o", out, "-j", "2", "--seeds", "1", *SMALL,
                       "--set", "device.arrival=poisson",
                       "--grid", "sw.driver.pq_log2sz=2..5", "--grid", "device.pri_capacity=4,8,16",
                       "--grid", "device.arrival_gap_ns=500,2us,8us,32us",
                       "--target", "summary.fault_latency_ps.p99 < 1ms",
                       "--target", "overflow_probability <= 0.5")
    check(rc == 0, f"sweep exited {rc}: {se}")
    cols, rows = read_csv(os.path.join(out, "sweep.csv"))
    check(len(rows) == 48, f"sweep.csv has {len(rows)} rows, want 48")
    keys = {(r["sw.driver.pq_log2sz"], r["device.pri_capacity"], r["device.arrival_gap_ns"]) for r in rows}
    check(len(keys) == 48, f"sweep.csv: {len(keys)} distinct points, want 48")
    check({r["device.arrival_gap_ns"] for r in rows} == {"500", "2000", "8000", "32000"},
          "arrival gaps not read in ns")
    for r in rows:
        check(r["exit"] == "0" and r["faults"] == "32", f"row {r['point']}: exit {r['exit']}, faults {r['faults']}")
        p = int(r["pq_dropped"]) / int(r["page_requests"])
        check(abs(float(r["overflow_probability"]) - p) < 1e-8, f"row {r['point']}: overflow_probability")
    # Open loop: the arrival gap shapes the run, so the points differ.
    check(len({r["sim_time_us"] for r in rows}) > 4, "every point ran the same time")
    _, points = read_csv(os.path.join(out, "points.csv"))
    check(len(points) == 48, f"points.csv has {len(points)} rows, want 48")
    with open(os.path.join(out, "recommendation.json")) as f:
        rec = json.load(f)
    check(rec["depth_axis"] == "sw.driver.pq_log2sz", "depth axis")
    check(rec["condition_axes"] == ["device.arrival_gap_ns"], f"condition axes {rec['condition_axes']}")
    r = rec["recommendation"]
    check(r is not None, "no recommendation")
    if r:
        behind = [x for x in rows if x["run_dir"] in set(r["runs"])]
        check(len(behind) == len(r["runs"]) == 4, f"runs behind the recommendation: {len(r['runs'])}")
        for x in behind:
            check(float(x["lat_p99_us"]) < 1000 and float(x["overflow_probability"]) <= 0.5,
                  f"run {x['run_dir']} behind the recommendation misses a target")


def case_bad_input(args):
    out = os.path.join(args.work, "bad_input")
    cases = [
        (["--grid", "sw.driver.pq_depth=4,5"], "sw.driver.pq_depth"),
        (["--grid", "sw.driver.pq_log2sz=0..4"], "sw.driver.pq_log2sz = '0': out of range [1, 16]"),
        (["--grid", "sw.driver.pq_log2sz=4..17"], "sw.driver.pq_log2sz = '17': out of range"),
        (["--grid", "device.pri_capacity=8,x"], "device.pri_capacity = 'x'"),
        (["--grid", "sw.driver.pq_log2sz=4", "--set", "device.count=0"], "device.count = '0'"),
        (["--grid", "class.dsa.pri_capacity=0,8"], "class.dsa.pri_capacity = '0'"),
        (["--grid", "class.dsa.colour=1"], "class.dsa.colour"),
        (["--grid", "class.dsa.preset=intel-dsa,gpu"], "class.dsa.preset = 'gpu'"),
        (["--grid", "sw.cost.handler.mean_ns=1.5ns"], "sw.cost.handler.mean_ns = '1.5ns'"),
        (["--grid", "sw.driver.pq_log2sz=4,4"], "appears twice"),
        (["--grid", "sw.driver.pq_log2sz=4", "--target", "lat_p99_us ~ 5"], "--target"),
        (["--grid", "sw.driver.pq_log2sz=4", "--target", "faults < 5us"], "faults has no time unit"),
        (["--grid", "sw.driver.pq_log2sz=4", "--seeds", "x"], "--seeds"),
        ([], "no --grid axis"),
    ]
    for extra, needle in cases:
        fresh(out)
        rc, so, se = sweep(args, "-q", "-o", out, *extra)
        check(rc == 2, f"{extra}: exit {rc}, want 2: {se}")
        check(needle in se, f"{extra}: message does not name {needle!r}: {se}")
        check(not os.path.exists(os.path.join(out, "runs")), f"{extra}: a run was started")
    # A class key the registry resolves is accepted.
    fresh(out)
    rc, so, se = sweep(args, "-q", "-o", out, *SMALL, "--seeds", "1", "--no-plots",
                       "--set", "class.dsa.count=2", "--set", "class.dsa.pages=8",
                       "--grid", "class.dsa.pri_capacity=2,16")
    check(rc == 0, f"class keys: exit {rc}: {se}")
    _, rows = read_csv(os.path.join(out, "sweep.csv"))
    check([r["class.dsa.pri_capacity"] for r in rows] == ["2", "16"], "class axis values")


def mtimes(out):
    return {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(out, "runs", "*", "*", "results.json"))}


def case_resume(args):
    out = fresh(os.path.join(args.work, "resume"))
    cmd = ["-o", out, "-j", "2", "--seeds", "2", *SMALL, "--no-plots",
           "--grid", "sw.driver.pq_log2sz=2..5", "--grid", "device.pri_capacity=4,8"]
    rc, so, se = sweep(args, *cmd)
    check(rc == 0, f"first run exited {rc}: {se}")
    check("0 already done, 16 to run" in se, f"first run: {se}")
    before = mtimes(out)
    check(len(before) == 16, f"{len(before)} results.json")
    with open(os.path.join(out, "sweep.csv"), "rb") as f:
        csv1 = f.read()
    time.sleep(0.05)
    rc, so, se = sweep(args, *cmd)
    check(rc == 0, f"second run exited {rc}: {se}")
    check("16 already done, 0 to run" in se, f"second run recomputed: {se}")
    check(mtimes(out) == before, "a results.json was rewritten")
    with open(os.path.join(out, "sweep.csv"), "rb") as f:
        check(f.read() == csv1, "sweep.csv differs after the resume")
    # A results.json that does not match its run (another seed) is redone.
    victim = os.path.join(out, "runs", "device.pri_capacity=8,sw.driver.pq_log2sz=3", "seed-2",
                          "results.json")
    with open(victim) as f:
        res = json.load(f)
    res["scenario"]["seed"] = 99
    with open(victim, "w") as f:
        json.dump(res, f)
    rc, so, se = sweep(args, *cmd)
    check(rc == 0 and "15 already done, 1 to run" in se, f"third run: {rc} {se}")
    with open(os.path.join(out, "sweep.csv"), "rb") as f:
        check(f.read() == csv1, "sweep.csv differs after redoing one run")
    # A grid with one more value runs only the new points.
    rc, so, se = sweep(args, *cmd[:-1], "device.pri_capacity=4,8,16")
    check(rc == 0, f"fourth run exited {rc}: {se}")
    check("24 runs; 16 already done, 8 to run" in se, f"grown grid: {se}")
    # The axes in another order are the same points.
    rc, so, se = sweep(args, *cmd[:-4], "--grid", "device.pri_capacity=4,8,16",
                       "--grid", "sw.driver.pq_log2sz=2..5")
    check(rc == 0 and "24 already done, 0 to run" in se, f"axes reordered: {rc} {se}")


def case_interrupt(args):
    out = fresh(os.path.join(args.work, "interrupt"))
    cmd = [sys.executable, SWEEP, "--prisim", args.prisim, "-q", "--no-plots", "-o", out, "-j", "1",
           "--seeds", "1", "--grid", "sw.driver.pq_log2sz=6..9",
           "--set", "device.pages=16384", "--set", "platform.dram_mib=1024"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 40
    while not glob.glob(os.path.join(out, "runs", "*", "*", "status.json")):
        check(time.monotonic() < deadline and p.poll() is None, "no run finished")
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=30)
    if p.returncode == 0:
        print("sweep_test: the sweep finished before the interrupt; nothing to check")
        return
    check(p.returncode == 130, f"interrupted sweep exited {p.returncode}: {se}")
    check("interrupted:" in se, f"no interruption message: {se}")
    kept = len(glob.glob(os.path.join(out, "runs", "*", "*", "status.json")))
    check(1 <= kept < 4, f"{kept} runs kept")
    rc, so, se = sweep(args, *cmd[4:])
    check(rc == 0, f"resumed sweep exited {rc}: {se}")
    _, rows = read_csv(os.path.join(out, "sweep.csv"))
    check(len(rows) == 4 and all(r["exit"] == "0" for r in rows), "resumed sweep rows")
    # A run past --timeout is killed, fails the sweep, and runs again on resume.
    out2 = fresh(os.path.join(args.work, "timeout"))
    cmd2 = ["-q", "--no-plots", "-o", out2, "--seeds", "1", "--grid", "sw.driver.pq_log2sz=9",
            "--set", "device.pages=16384", "--set", "platform.dram_mib=1024"]
    rc, so, se = sweep(args, *cmd2, "--timeout", "0.05")
    check(rc == 1 and "run failed (exit -9)" in se, f"--timeout: {rc} {se}")
    rc, so, se = sweep(args, *cmd2)
    check(rc == 0, f"after --timeout: {rc} {se}")


def case_slurm(args):
    out = fresh(os.path.join(args.work, "slurm"))
    cmd = ["-q", "-o", out, "--seeds", "2", *SMALL, "--grid", "sw.driver.pq_log2sz=3,5",
           "--grid", "device.pri_capacity=4,8", "--target", "lat_p99_us < 1000",
           "--slurm", "--sbatch=--partition=short", "--slurm-parallel", "4"]
    rc, so, se = sweep(args, *cmd)
    check(rc == 0, f"--slurm exited {rc}: {se}")
    script = os.path.join(out, "slurm", "sweep.sbatch")
    check(so.strip() == f"sbatch {script}", f"stdout: {so!r}")
    with open(script) as f:
        text = f.read()
    for needle in ("#SBATCH --array=1-8%4", "#SBATCH --partition=short", "SLURM_ARRAY_TASK_ID",
                   os.path.join(out, "slurm", "inputs.txt")):
        check(needle in text, f"sweep.sbatch lacks {needle!r}")
    with open(os.path.join(out, "slurm", "inputs.txt")) as f:
        lines = f.read().splitlines()
    check(len(lines) == 8, f"inputs.txt has {len(lines)} lines")
    check(lines[0].startswith(os.path.join(out, "runs", "device.pri_capacity=4,sw.driver.pq_log2sz=3", "seed-1") + " ") and "--set seed=1" in lines[0]
          and "--set sw.driver.pq_log2sz=3" in lines[0] and "--set device.pages=16" in lines[0],
          f"inputs.txt line 1: {lines[0]}")
    check(not glob.glob(os.path.join(out, "runs", "*", "*", "status.json")), "--slurm ran something")
    # The array as Slurm would run it: tasks 1..5 only, then a merge.
    env = dict(os.environ)
    for i in range(1, 6):
        env["SLURM_ARRAY_TASK_ID"] = str(i)
        p = subprocess.run(["bash", script], env=env, capture_output=True, text=True)
        check(p.returncode == 0, f"task {i} exited {p.returncode}: {p.stderr}")
    rc, so, se = sweep(args, "-q", "--merge", "-o", out)
    check(rc == 1 and "3 runs have no status.json" in se, f"partial merge: {rc} {se}")
    _, rows = read_csv(os.path.join(out, "sweep.csv"))
    check(len(rows) == 8 and [r["exit"] for r in rows] == ["0"] * 5 + [""] * 3, "partial sweep.csv")
    # --slurm again submits only what is left.
    rc, so, se = sweep(args, *cmd)
    with open(os.path.join(out, "slurm", "inputs.txt")) as f:
        left = f.read().splitlines()
    check(rc == 0 and len(left) == 3, f"second --slurm: {len(left)} tasks")
    for i in range(1, 4):
        env["SLURM_ARRAY_TASK_ID"] = str(i)
        subprocess.run(["bash", script], env=env, capture_output=True, check=True)
    # The merge needs neither prisim nor the command line (sweep.json and
    # params.md), and works on a copy of the directory.
    moved = fresh(os.path.join(args.work, "slurm_moved"))
    shutil.copytree(out, moved)
    p = subprocess.run([sys.executable, SWEEP, "--prisim", "/nonexistent/prisim", "-q", "--merge", "-o", moved],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"merge exited {p.returncode}: {p.stderr}")
    _, rows = read_csv(os.path.join(moved, "sweep.csv"))
    check(len(rows) == 8 and all(r["exit"] == "0" for r in rows), "merged sweep.csv")
    with open(os.path.join(moved, "recommendation.json")) as f:
        rec = json.load(f)
    check(rec["targets"] == ["lat_p99_us < 1000"] and rec["recommendation"] is not None,
          f"recommendation after merge: {rec}")
    with open(os.path.join(moved, "sweep.csv"), "rb") as f:
        merged = f.read()
    # The same command without --slurm finds every run done and gives the
    # same CSV bytes.
    rc, so, se = sweep(args, "--no-plots", *cmd[1:cmd.index("--slurm")])
    check(rc == 0 and "8 already done, 0 to run" in se, f"local over the array's outputs: {rc} {se}")
    with open(os.path.join(out, "sweep.csv"), "rb") as f:
        check(f.read() == merged, "sweep.csv of the local merge differs")


def submitted_job(p):
    """The job id in sbatch's 'Submitted batch job N'."""
    words = p.stdout.split()
    check(p.returncode == 0 and words[:3] == ["Submitted", "batch", "job"] and words[3:4] and words[3].isdigit(),
          f"sbatch exited {p.returncode}: {p.stdout}{p.stderr}")
    return words[3]


def results_by_run(path):
    """{(point, seed): row without run_dir} of a sweep.csv."""
    _, rows = read_csv(path)
    return {(r["point"], r["seed"]): {k: v for k, v in r.items() if k != "run_dir"} for r in rows}


def case_slurm_real(args):
    t0 = time.monotonic()
    deps = subprocess.run([os.path.join(ROOT, "scripts", "deps.sh"), "slurm"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    check(deps.returncode == 0, f"scripts/deps.sh slurm exited {deps.returncode}; this test needs Debian's "
          f"slurm-wlm and munge:\n{deps.stderr}")
    absent = slurm_cluster.missing_programs()
    check(not absent, "missing " + ", ".join(f"{p} (Debian package {pkg})" for p, pkg in absent))
    t_deps = time.monotonic() - t0

    out = fresh(os.path.join(args.work, "slurm_real"))
    local = fresh(os.path.join(args.work, "slurm_real_local"))
    base = ["--seeds", "2", "--set", "device.pages=16", "--set", "device.count=2"]
    grid1 = base + ["--grid", "sw.driver.pq_log2sz=3..5"]
    grid2 = base + ["--grid", "sw.driver.pq_log2sz=3..6"]
    inputs = os.path.join(out, "slurm", "inputs.txt")

    # The reference: a local sweep of the grown grid (results are
    # deterministic per seed).
    t = time.monotonic()
    rc, so, se = sweep(args, "-q", "--no-plots", "-o", local, "-j", "2", *grid2)
    t_local = time.monotonic() - t
    check(rc == 0, f"local sweep exited {rc}: {se}")
    want = results_by_run(os.path.join(local, "sweep.csv"))
    check(len(want) == 8 and all(r["exit"] == "0" for r in want.values()), "local sweep rows")

    marker = None
    timing = {}
    try:
        t = time.monotonic()
        with slurm_cluster.SlurmCluster() as c:
            marker = c.dir
            timing["cluster up"] = time.monotonic() - t
            try:
                slurm_real_steps(args, c, out, inputs, grid1, grid2, want, timing)
            except Fail as e:
                raise Fail(f"{e}\n{c.describe()}\n{c.logs()}")
            t = time.monotonic()
        timing["tear-down"] = time.monotonic() - t
    except slurm_cluster.ClusterError as e:
        raise Fail(f"the Slurm cluster: {e}")
    if marker:
        left = slurm_cluster.processes_of(marker)
        check(not left, f"processes left behind by the cluster: {left}")
        check(not os.path.exists(marker), f"{marker} left behind")
    timing["total"] = time.monotonic() - t0
    print(f"sweep_test slurm_real: deps check {t_deps:.1f} s, local sweep {t_local:.1f} s, "
          + ", ".join(f"{k} {v:.1f} s" for k, v in timing.items()))


def slurm_real_steps(args, c, out, inputs, grid1, grid2, want, timing):
    def wait_tasks(job):
        t = time.monotonic()
        c.wait_job(job, timeout=60)
        timing[f"job {job}"] = time.monotonic() - t
        return c.array_tasks(job)

    # The documented path: --slurm, the sbatch command line it prints, --merge.
    rc, so, se = sweep(args, "-q", "-o", out, *grid1, "--slurm")
    check(rc == 0, f"--slurm exited {rc}: {se}")
    script = os.path.join(out, "slurm", "sweep.sbatch")
    check(so.strip() == f"sbatch {script}", f"--slurm printed {so!r}")
    job = submitted_job(c.run(shlex.split(so.strip())))
    tasks = wait_tasks(job)
    check(tasks == {i: ("COMPLETED", "0:0") for i in range(1, 7)}, f"array {job}: {tasks}")
    for i in range(1, 7):
        check(os.path.exists(os.path.join(out, "slurm", "logs", f"{job}_{i}.out")), f"no Slurm log of task {i}")
    rc, so, se = sweep(args, "-q", "--no-plots", "--merge", "-o", out)
    check(rc == 0, f"merge exited {rc}: {se}")
    got = results_by_run(os.path.join(out, "sweep.csv"))
    check(len(got) == 6, f"merged sweep.csv has {len(got)} runs, want 6")
    for k, row in got.items():
        check(row == want.get(k), f"run {k}: Slurm {row}\n  local {want.get(k)}")

    # A grown grid: only the two new runs are written. Task 2 is cancelled
    # before it can start (the array is held until then).
    rc, so, se = sweep(args, "-o", out, *grid2, "--slurm")
    check(rc == 0 and "6 already done, 2 to run" in se, f"--slurm on the grown grid: {rc} {se}")
    with open(inputs) as f:
        lines = f.read().splitlines()
    check(len(lines) == 2 and all("--set sw.driver.pq_log2sz=6" in x for x in lines), f"inputs.txt: {lines}")
    argv = shlex.split(so.strip())
    job = submitted_job(c.run(argv[:1] + ["--hold"] + argv[1:]))
    p = c.run(["scancel", f"{job}_2"])
    check(p.returncode == 0, f"scancel {job}_2: {p.stderr}")
    p = c.run(["scontrol", "release", job])
    check(p.returncode == 0, f"scontrol release {job}: {p.stderr}")
    tasks = wait_tasks(job)
    # A pending task cancelled is dropped from the array's record (or, in
    # other Slurm versions, kept as CANCELLED).
    check(tasks.get(1) == ("COMPLETED", "0:0") and set(tasks) <= {1, 2}
          and tasks.get(2, ("CANCELLED",))[0] == "CANCELLED", f"array {job} with task 2 cancelled: {tasks}")
    cancelled = shlex.split(lines[1])[0]
    check(not os.path.exists(os.path.join(cancelled, "status.json")), f"{cancelled} ran")
    rc, so, se = sweep(args, "-q", "--no-plots", "--merge", "-o", out)
    check(rc == 1 and "1 runs have no status.json" in se, f"merge with a cancelled task: {rc} {se}")
    _, rows = read_csv(os.path.join(out, "sweep.csv"))
    check(len(rows) == 8 and [r["exit"] for r in rows].count("") == 1, "sweep.csv with a cancelled task")

    # --slurm again: only the cancelled run; then the merge is complete.
    rc, so, se = sweep(args, "-o", out, *grid2, "--slurm")
    check(rc == 0 and "7 already done, 1 to run" in se, f"--slurm after the cancel: {rc} {se}")
    with open(inputs) as f:
        again = f.read().splitlines()
    check(again == lines[1:], f"inputs.txt after the cancel: {again}, want {lines[1:]}")
    job = submitted_job(c.run(shlex.split(so.strip())))
    tasks = wait_tasks(job)
    check(tasks == {1: ("COMPLETED", "0:0")}, f"array {job}: {tasks}")
    rc, so, se = sweep(args, "-q", "--no-plots", "--merge", "-o", out)
    check(rc == 0, f"final merge exited {rc}: {se}")
    got = results_by_run(os.path.join(out, "sweep.csv"))
    check(got == want, "merged sweep.csv differs from the local sweep's:\n" + "\n".join(
        f"  {k}: Slurm {got.get(k)}\n  {' ' * len(str(k))}  local {want.get(k)}"
        for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)))


CASES = {"local": case_local, "open_loop": case_open_loop, "bad_input": case_bad_input, "resume": case_resume,
         "interrupt": case_interrupt, "slurm": case_slurm, "slurm_real": case_slurm_real}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    args = ap.parse_args()
    args.prisim = os.path.abspath(args.prisim)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)

    # SIGTERM or SIGINT (a CTest timeout, Ctrl-C) unwind through the
    # cases' finally blocks: slurm_real tears its cluster down.
    def interrupted(signum, frame):
        raise Fail(f"stopped by signal {signum}")
    if args.case == "slurm_real":
        signal.signal(signal.SIGTERM, interrupted)
        signal.signal(signal.SIGINT, interrupted)
    try:
        CASES[args.case](args)
    except Fail as e:
        print(f"sweep_test {args.case}: FAIL: {e}", file=sys.stderr)
        return 1
    print(f"sweep_test {args.case}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
