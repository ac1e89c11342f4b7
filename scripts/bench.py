#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Host cost of prisim, as one JSON document on stdout (docs/bench.md).

  bench.py --build build          wall time, allocations, RSS   (make bench)
  bench.py --build build --ir     instruction counts, callgrind (make bench-ir)

Progress goes to stderr. Exit status: 0 done, 1 a run failed (the message
names the command and shows its output), 2 usage error or a missing tool.
Python 3 standard library only.
"""
import argparse
import ctypes
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCEN_100K = os.path.join(ROOT, "scenarios", "bench", "faults-100k.yaml")
SCEN_IDLE = os.path.join(ROOT, "scenarios", "bench", "idle-devices.yaml")

# The floor runs around each scenario run: about as long as the run itself
# (a few ms for the default scenario), so that both see the same host speed.
FLOOR_RESUMES_PAIRED = {"default": 50_000, "faults-100k": 500_000}
FLOOR_RESUMES_IR = 200_000
IDLE_DEVICE_COUNTS = (1, 32, 64, 127)
IR_PAGES = 1280  # default scenario with 4 x 1280 = 5120 faults


class RunFailed(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def sig(x, digits=6):
    """x rounded to `digits` significant digits (JSON stays readable); integers stay."""
    return x if isinstance(x, int) else float(f"{x:.{digits}g}")


def shown(args):
    """args for the JSON: scenario files relative to the source tree."""
    return [os.path.relpath(a, ROOT) if os.path.isabs(a) else a for a in args]


def run(cmd, what):
    """Run cmd; return its stdout. Raise RunFailed unless it exits 0."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError as e:
        raise RunFailed(f"{what}: cannot run {shlex.join(cmd)}: {e}")
    stdout = p.stdout.decode(errors="replace")
    check_status(cmd, what, p.returncode, stdout + p.stderr.decode(errors="replace"))
    return stdout


def check_status(cmd, what, rc, output):
    """Raise RunFailed, naming the command and showing its output, unless rc is 0."""
    if rc != 0:
        how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
        tail = "\n".join(output.strip().splitlines()[-20:])
        raise RunFailed(f"{what}: {shlex.join(cmd)} {how}" + (f"\n{tail}" if tail else ""))


def become_subreaper():
    """Orphaned descendants are re-parented to this process (prctl
    PR_SET_CHILD_SUBREAPER), so it can wait4() for a grandchild."""
    libc = ctypes.CDLL(None, use_errno=True)
    one, zero = ctypes.c_ulong(1), ctypes.c_ulong(0)
    if libc.prctl(36, one, zero, zero, zero) != 0:  # PR_SET_CHILD_SUBREAPER
        raise RunFailed(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")


def run_rss(cmd, what):
    """Run cmd; return its peak RSS in KiB (ru_maxrss from os.wait4).

    A process's ru_maxrss also counts the memory image of the process it was
    forked from, before exec: started from this Python process it could not
    read below Python's own peak (~16 MiB). So cmd is started by a small
    shell, which forks it, prints its pid and exits; cmd is re-parented here
    (subreaper), and its own wait4 rusage is exact.
    """
    become_subreaper()
    with tempfile.TemporaryFile() as err:
        sh = subprocess.run(["/bin/sh", "-c", '"$@" >&2 & echo $!', "sh", *cmd],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        if sh.returncode != 0:
            raise RunFailed(f"{what}: cannot start {shlex.join(cmd)}")
        pid = int(sh.stdout)
        _, status, usage = os.wait4(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        err.seek(0)
        output = err.read().decode(errors="replace")
    check_status(cmd, what, rc, output)
    return usage.ru_maxrss


def run_prisim(prisim, args, what, rss=False):
    """One prisim-bench run: (host.json, peak RSS in KiB if rss else None)."""
    with tempfile.TemporaryDirectory(prefix="prisim-bench.") as d:
        cmd = [prisim, *args, "-q", "-o", d]
        peak = run_rss(cmd, what) if rss else None
        if not rss:
            run(cmd, what)
        with open(os.path.join(d, "host.json")) as f:
            host = json.load(f)
    return host, peak


def host_info(prisim):
    info = {"logical_cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    out = run([prisim, "--version"], "version")
    return out.strip(), info


def lsq(xs, ys):
    """Least-squares line through (xs, ys): (slope, intercept)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    return slope, my - slope * mx


# ---------------------------------------------------------------- wall time

def floor_ns(floor, resumes):
    """One run of the floor program: host ns per raw event."""
    return json.loads(run([floor, str(resumes)], "floor program"))["ns_per_resume"]


def bench_scenario(prisim, floor, name, label, args, runs, floor_all):
    """Each run of the scenario between two runs of the floor program of
    about its length (floor, run, floor, run, ..., floor: consecutive runs
    share the floor run between them): the ratio is taken run by run,
    against the mean of the two, so that a change in the host's speed during
    the benchmark (a shared machine) moves both. Every floor run's figure is
    appended to floor_all."""
    hosts, paired = [], []
    resumes = FLOOR_RESUMES_PAIRED[name]
    before = floor_ns(floor, resumes)
    floor_all.append(before)
    for i in range(runs):
        h, _ = run_prisim(prisim, args, f"{name} run {i + 1}")
        after = floor_ns(floor, resumes)
        if "allocations_in_run" not in h:
            raise RunFailed(f"{name}: host.json has no allocations_in_run "
                            f"({prisim} is not built with allocation counting)")
        hosts.append(h)
        floor_all.append(after)
        paired.append((before + after) / 2)
        log(f"{name} {i + 1}/{runs}: {h['faults']} faults, {h['wall_seconds']:.4f} s "
            f"(floor around it: {before:.1f}, {after:.1f} ns per resume)")
        before = after
    faults = hosts[0]["faults"]
    if any(h["faults"] != faults for h in hosts):
        raise RunFailed(f"{name}: fault count differs between runs: "
                        f"{[h['faults'] for h in hosts]}")
    if faults == 0:
        raise RunFailed(f"{name}: no faults")
    walls = [h["wall_seconds"] for h in hosts]
    wall = statistics.median(walls)
    ratios = [w * 1e9 / faults / f for w, f in zip(walls, paired)]
    user_ratios = [h["cpu_user_seconds"] * 1e9 / faults / f for h, f in zip(hosts, paired)]
    allocs = statistics.median(h["allocations_in_run"] for h in hosts)
    host_ns = wall * 1e9 / faults
    rtl = {k: sig(statistics.median(h[k] for h in hosts))
           for k in hosts[0] if k.startswith("rtl_")}
    user_ns = statistics.median(h["cpu_user_seconds"] for h in hosts) * 1e9 / faults
    sys_ns = statistics.median(h["cpu_system_seconds"] for h in hosts) * 1e9 / faults
    minflt = statistics.median(h["minor_page_faults"] for h in hosts) / faults
    elab = statistics.median(h["elaboration_seconds"] for h in hosts)
    return {
        "scenario": label,
        "args": shown(args),
        "runs": runs,
        "faults": faults,
        "wall_seconds": sig(wall),
        "wall_seconds_all": [sig(w) for w in walls],
        "elaboration_seconds": sig(elab),
        "faults_per_wall_second": sig(faults / wall),
        "host_ns_per_fault": sig(host_ns),
        "raw_events_per_fault": sig(statistics.median(ratios), 4),
        "raw_events_per_fault_all": [sig(r, 4) for r in ratios],
        "raw_event_ns_paired": [sig(f, 4) for f in paired],
        "cpu_user_ns_per_fault": sig(user_ns),
        "cpu_system_ns_per_fault": sig(sys_ns),
        "raw_events_per_fault_user_cpu": sig(statistics.median(user_ratios), 4),
        "host_page_faults_per_fault": sig(minflt, 4),
        "allocations_in_run": allocs,
        "allocations_per_fault_total": sig(allocs / faults, 4),
        "rtl_share": rtl.get("rtl_share_of_wall"),
        "rtl": rtl,
    }


def bench_rss(prisim, pages=0):
    """Peak RSS against device.count; pages = 0: idle devices (no workload)."""
    points = []
    what = "idle devices" if pages == 0 else f"devices with {pages} fault(s) each"
    for k in IDLE_DEVICE_COUNTS:
        args = [SCEN_IDLE, "--set", f"device.count={k}", "--set", f"device.pages={pages}"]
        _, rss = run_prisim(prisim, args, f"RSS with {k} {what}", rss=True)
        points.append({"devices": k, "max_rss_kib": rss})
        log(f"RSS: {k} {what}: {rss} KiB")
    slope, intercept = lsq([p["devices"] for p in points], [p["max_rss_kib"] for p in points])
    return sig(slope, 4), {
        "scenario": os.path.relpath(SCEN_IDLE, ROOT),
        "args": ["--set", "device.count=K", "--set", f"device.pages={pages}"],
        "points": points,
        "intercept_kib": sig(intercept, 4),
    }


def bench_wall(build, args):
    prisim, floor = binaries(build)
    generator, host = host_info(prisim)
    floor_all = []
    default = bench_scenario(prisim, floor, "default", "built-in default scenario", [],
                             args.runs, floor_all)
    big = bench_scenario(prisim, floor, "faults-100k", os.path.relpath(SCEN_100K, ROOT),
                         [SCEN_100K], args.runs_100k, floor_all)
    doc = {
        "schema": 1,
        "mode": "wall",
        "generator": generator,
        "host": host,
        # The host's cost of a raw event: every floor run made beside the
        # scenario runs.
        "raw_event_ns": sig(statistics.median(floor_all), 4),
        "raw_event": {
            "program": os.path.basename(floor),
            "resumes": FLOOR_RESUMES_PAIRED,
            "runs": len(floor_all),
            "ns_per_resume_all": [sig(x, 4) for x in floor_all],
        },
    }
    doc["scenarios"] = {"default": default, "faults-100k": big}
    doc["allocations_per_fault_steady_state"] = sig(
        (big["allocations_in_run"] - default["allocations_in_run"]) /
        (big["faults"] - default["faults"]), 4)
    doc["rss_kib_per_idle_device"], doc["rss_idle_devices"] = bench_rss(prisim, 0)
    doc["rss_kib_per_device_one_fault"], doc["rss_devices_one_fault"] = bench_rss(prisim, 1)
    return doc


# ------------------------------------------------------- instruction counts

PARTS = ("systemc_kernel", "rtl", "model", "software", "libc")


def part_of(obj, path, src_root=ROOT):
    """Which part of the simulator an instruction belongs to, by its object
    file and source file: the SystemC kernel (libsystemc), the Verilated RTL
    (generated code and the Verilator runtime), the C software stack (sw/ of
    the source tree src_root the binary was built from), the C and C++
    runtime libraries, or the model (model/ and what it inlines: SystemC, TLM
    and C++ library headers)."""
    if "libsystemc" in obj:
        return "systemc_kernel"
    if any(lib in obj for lib in ("libc.so", "ld-linux", "libstdc++", "libm.so", "libgcc")):
        return "libc"
    if "prisim_rtl.dir" in path or "/verilator/include/" in path:
        return "rtl"
    if path.startswith(os.path.join(src_root, "sw") + os.sep):
        return "software"
    return "model"


def source_root(build):
    """The source tree `build` was configured from (CMakeCache.txt), so that a
    build of another checkout is split by its own paths; this script's tree
    when the cache does not say."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    return os.path.realpath(line.split("=", 1)[1].strip())
    except OSError:
        pass
    return ROOT


def read_callgrind(outfile, src_root=ROOT):
    """The total instructions of a callgrind output file (its totals line,
    else its summary line; None if it has neither) and the same by part
    (part_of): the exclusive cost lines, each under its object and source
    file (name compression and inlined files, fi= / fe=, followed)."""
    names = {"ob": {}, "fl": {}}
    parts = dict.fromkeys(PARTS, 0)
    obj = path = fl = ""
    skip_next = False
    summary = totals = None

    def name(kind, tok):
        tok = tok.strip()
        if tok.startswith("("):
            ref, _, rest = tok.partition(")")
            if rest.strip():
                names[kind][ref] = rest.strip()
            return names[kind].get(ref, "")
        return tok

    with open(outfile) as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                if skip_next:  # the inclusive cost of a call
                    skip_next = False
                    continue
                fields = line.split()
                if len(fields) >= 2:
                    parts[part_of(obj, path, src_root)] += int(fields[1])
            elif line.startswith("ob="):
                obj = name("ob", line[3:])
            elif line.startswith("fl="):
                fl = path = name("fl", line[3:])
            elif line.startswith(("fi=", "fe=")):
                path = name("fl", line[3:])
            elif line.startswith("fn="):
                path = fl
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith(("cfi=", "cfl=")):
                name("fl", line[4:])
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
            elif line.startswith("totals:"):
                totals = int(line.split()[1])
    return (totals if totals is not None else summary), parts


def callgrind_ir(valgrind, cmd, what, src_root=ROOT):
    """Total instructions executed by cmd (callgrind's summary/totals line),
    and the same by part (read_callgrind, sources under src_root)."""
    with tempfile.TemporaryDirectory(prefix="prisim-bench-ir.") as d:
        outfile = os.path.join(d, "callgrind.out")
        stdout = run([valgrind, "--tool=callgrind", "-q", f"--callgrind-out-file={outfile}",
                         *cmd], what)
        ir, parts = read_callgrind(outfile, src_root)
    if ir is None:
        raise RunFailed(f"{what}: no summary or totals line in the callgrind output")
    return ir, stdout, parts


def bench_ir(build, args):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        log("valgrind not found: install the Debian package 'valgrind' "
            "(apt-get install valgrind)")
        sys.exit(2)
    prisim, floor = binaries(build)
    src_root = source_root(build)
    generator, host = host_info(prisim)
    vg_version = run([valgrind, "--version"], "valgrind --version")

    n_hi, n_lo = FLOOR_RESUMES_IR, FLOOR_RESUMES_IR // 2
    big_args = ["--set", f"device.pages={IR_PAGES}"]

    def floor_job(n):
        ir, _, _ = callgrind_ir(valgrind, [floor, str(n)], f"floor program, {n} resumes")
        log(f"callgrind: floor, {n} resumes: {ir} Ir")
        return ir

    def prisim_job(label, sargs):
        with tempfile.TemporaryDirectory(prefix="prisim-bench.") as d:
            ir, _, parts = callgrind_ir(valgrind, [prisim, *sargs, "-q", "-o", d], label, src_root)
            with open(os.path.join(d, "host.json")) as f:
                faults = json.load(f)["faults"]
        log(f"callgrind: {label}: {faults} faults, {ir} Ir")
        return {"scenario": label, "args": sargs, "faults": faults, "ir": ir, "ir_by_part": parts}

    # Instruction counts do not depend on load: run the four at once.
    log("callgrind: 4 runs, in parallel")
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        f_small = pool.submit(prisim_job, "built-in default scenario", [])
        f_big = pool.submit(prisim_job, f"built-in default scenario, device.pages={IR_PAGES}",
                            big_args)
        f_hi = pool.submit(floor_job, n_hi)
        f_lo = pool.submit(floor_job, n_lo)
        ir_hi, ir_lo, small, big = f_hi.result(), f_lo.result(), f_small.result(), f_big.result()

    raw_ir = (ir_hi - ir_lo) / (n_hi - n_lo)
    if big["faults"] == small["faults"]:
        raise RunFailed("the two scenario sizes gave the same fault count")
    ir_per_fault = (big["ir"] - small["ir"]) / (big["faults"] - small["faults"])
    by_part = {p: (big["ir_by_part"][p] - small["ir_by_part"][p]) / (big["faults"] - small["faults"])
               for p in PARTS}
    return {
        "schema": 1,
        "mode": "callgrind",
        "generator": generator,
        "valgrind": vg_version.strip(),
        "host": host,
        "raw_event_ir": sig(raw_ir, 6),
        "raw_event": {
            "program": os.path.basename(floor),
            "resumes": [n_lo, n_hi],
            "ir": [ir_lo, ir_hi],
        },
        "ir_per_fault": sig(ir_per_fault, 6),
        "ir_fixed_per_run": round(small["ir"] - ir_per_fault * small["faults"]),
        "scenarios": [small, big],
        "raw_events_per_fault_ir": sig(ir_per_fault / raw_ir, 4),
        "ir_per_fault_by_part": {p: sig(v, 4) for p, v in by_part.items()},
        "raw_events_per_fault_ir_by_part": {p: sig(v / raw_ir, 3) for p, v in by_part.items()},
    }


# --------------------------------------------------------------------- main

def binaries(build):
    prisim = os.path.join(build, "prisim-bench")
    floor = os.path.join(build, "prisim-floor")
    for b in (prisim, floor):
        if not os.access(b, os.X_OK):
            log(f"{b} not found: build first (make build BUILD={build}); "
                "prisim-bench is not built with PRISIM_SANITIZE=ON")
            sys.exit(2)
    return prisim, floor


def positive(s):
    n = int(s)
    if n < 1:
        raise argparse.ArgumentTypeError(f"'{s}': expected a positive integer")
    return n


def main():
    ap = argparse.ArgumentParser(
        description="Host cost of prisim as JSON on stdout (docs/bench.md).")
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--runs", type=positive, default=15,
                    help="runs of the default scenario (median; default 15)")
    ap.add_argument("--runs-100k", type=positive, default=5,
                    help="runs of scenarios/bench/faults-100k.yaml (median; default 5)")
    ap.add_argument("--ir", action="store_true",
                    help="instruction counts under valgrind --tool=callgrind instead of wall time")
    ap.add_argument("--out", nargs="?", const="", metavar="FILE",
                    help="also write the JSON to FILE (default: BUILD/bench.json, "
                         "BUILD/bench-ir.json with --ir)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)

    try:
        doc = bench_ir(build, args) if args.ir else bench_wall(build, args)
    except RunFailed as e:
        log(f"FAILED: {e}")
        sys.exit(1)

    text = json.dumps(doc, indent=2) + "\n"
    sys.stdout.write(text)
    if args.out is not None:
        path = args.out or os.path.join(build, "bench-ir.json" if args.ir else "bench.json")
        with open(path, "w") as f:
            f.write(text)
        log(f"written to {path}")


if __name__ == "__main__":
    main()
