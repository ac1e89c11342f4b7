#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Parameter sweeps of prisim for queue sizing (docs/sweep.md).

  sweep.py [SCENARIO] --grid KEY=VALUES ... [--set KEY=VALUE ...] [--seeds N]
           [--target 'STAT OP NUMBER'] [-o DIR] [-j JOBS]      run locally, merge
  sweep.py ... --slurm [--sbatch OPTION ...]                   write a Slurm job array
  sweep.py --merge -o DIR [--target ...]                       merge what DIR holds

Every point of the grid (the product of the --grid axes) runs once per seed
as its own `prisim` process, in DIR/runs/<KEY=VALUE,...>/seed-<seed>. Every key and
value is checked against `prisim --list-params` before anything runs. A run
already finished with the same values is not run again, so the same command
resumes an interrupted sweep. The merge writes DIR/sweep.csv (per run),
DIR/points.csv (per point, across seeds), DIR/recommendation.json and
DIR/plots/*.png|svg.

Exit status: 0 every run exited 0; 1 a run failed (exit 1 or 2 of prisim,
each named with its values and log) or is missing; 2 usage or configuration
error (nothing was run); 130 interrupted.

Needs the Debian packages python3-matplotlib (plots) and python3-tqdm
(progress bar). When the interpreter running this script lacks them and
/usr/bin/python3 is another interpreter, the script runs itself again with
/usr/bin/python3.
"""
import importlib.util
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"


def _use_system_python():
    """Run again under Debian's interpreter if this one lacks the packages."""
    if all(importlib.util.find_spec(m) for m in ("matplotlib", "tqdm")):
        return
    if os.environ.get("PRISIM_SWEEP_REEXEC") or not os.path.exists(SYSTEM_PYTHON):
        return
    if os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON):
        return
    os.environ["PRISIM_SWEEP_REEXEC"] = "1"
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


if __name__ == "__main__":
    _use_system_python()

import argparse  # noqa: E402
import signal  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweeplib import SweepError, merge, plot, recommend, registry, runner, slurm  # noqa: E402
from sweeplib.grid import Grid  # noqa: E402
from sweeplib.target import Target  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = "sweep.json"
PARAMS = "params.md"


def log(msg):
    print("sweep: " + msg, file=sys.stderr, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="sweep.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", help="scenario file (default: the built-in scenario)")
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=VALUES",
                    help="an axis: a comma list or an integer range a..b[:step]; "
                         "time keys take ns/us/ms/s suffixes")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a key fixed for every run")
    ap.add_argument("--seeds", default="3",
                    help="N (seeds 1..N), a..b, or a comma list (default 3)")
    ap.add_argument("--target", action="append", default=[], metavar="EXPR",
                    help="'STAT OP NUMBER[UNIT]' every run of the recommended point meets")
    ap.add_argument("--expect", action="append", default=[], metavar="EXPR",
                    help="passed to every prisim run (prisim --expect)")
    ap.add_argument("--keep-expect", action="store_true",
                    help="check the scenario's own expectations in every run (prisim --keep-expect)")
    ap.add_argument("-o", "--out", default="sweep-out", metavar="DIR",
                    help="sweep directory (default sweep-out)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="prisim processes at a time (default: CPU count)")
    ap.add_argument("--prisim", default=os.path.join(ROOT, "build", "prisim"),
                    help="the prisim binary (default build/prisim)")
    ap.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                    help="wall-time limit per run (default none); a run past it fails")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")
    ap.add_argument("--depth-axis", metavar="KEY",
                    help="the queue-depth axis (default sw.driver.pq_log2sz if swept, else the first)")
    ap.add_argument("--credit-axis", action="append", default=[], metavar="KEY",
                    help="an axis that sets PRI credits (default: keys ending in pri_capacity, "
                         "pri_alloc_max, pri_alloc_fixed, pri_alloc_policy)")
    ap.add_argument("--series", metavar="KEY", help="plots: one line per value of KEY")
    ap.add_argument("--no-plots", action="store_true", help="do not draw plots")
    ap.add_argument("--slurm", action="store_true",
                    help="write DIR/slurm/sweep.sbatch and inputs.txt instead of running")
    ap.add_argument("--sbatch", action="append", default=[], metavar="OPTION",
                    help="an #SBATCH line for --slurm, e.g. --sbatch=--partition=short")
    ap.add_argument("--slurm-parallel", type=int, default=None, metavar="N",
                    help="--slurm: at most N array tasks at a time")
    ap.add_argument("--merge", action="store_true",
                    help="only merge DIR (runs nothing); without --grid, the sweep DIR/sweep.json describes")
    return ap.parse_args(argv)


DEFINITION = ("scenario", "grid", "set", "seeds", "expect", "keep_expect")


def load_definition(args):
    """For --merge without --grid: the sweep as DIR/sweep.json recorded it."""
    man = runner.read_json(os.path.join(args.out, MANIFEST))
    if not man:
        raise SweepError(f"--merge: {os.path.join(args.out, MANIFEST)} not found or unreadable "
                         "(give the sweep's --grid, --set and --seeds)")
    for k in DEFINITION:
        setattr(args, k, man[k])
    if not args.target:
        args.target = man.get("target", [])


def keys_for(args, merge_only):
    """The registry: from prisim, or for a merge, the copy the sweep saved."""
    saved = os.path.join(args.out, PARAMS)
    if merge_only and os.path.exists(saved):
        with open(saved) as f:
            return registry.parse(f.read()), None
    keys_text = registry.load_text(args.prisim)
    return registry.parse(keys_text), keys_text


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.merge and not args.grid:
            load_definition(args)
        if args.scenario and not os.path.isfile(args.scenario):
            raise SweepError(f"scenario file '{args.scenario}' not found")
        if args.jobs < 1:
            raise SweepError("-j must be at least 1")
        keys, keys_text = keys_for(args, args.merge)
        grid = Grid(keys, args.grid, args.set, args.seeds)
        targets = [Target(t, merge.STAT_NAMES, merge.POINT_STATS) for t in args.target]
        for k in [args.depth_axis, args.series] + args.credit_axis:
            if k and k not in grid.keys():
                raise SweepError(f"'{k}' is not a --grid axis")
    except SweepError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    scenario = os.path.abspath(args.scenario) if args.scenario else None
    prisim = os.path.abspath(args.prisim)
    extra = [x for e in args.expect for x in ("--expect", e)] + (["--keep-expect"] if args.keep_expect else [])
    runs = runner.plan(grid, out)

    if not args.merge:
        if keys_text is not None:
            with open(os.path.join(out, PARAMS), "w") as f:
                f.write(keys_text)
        runner.write_json_atomic(os.path.join(out, MANIFEST), {
            "scenario": scenario, "grid": args.grid, "set": args.set, "seeds": args.seeds,
            "expect": args.expect, "keep_expect": args.keep_expect, "target": args.target,
            "prisim": prisim})
        todo = [r for r in runs if runner.status(out, r) is None]
        argvs = [r.argv(prisim, scenario, os.path.join(out, r.reldir), extra) for r in todo]
        if not args.quiet:
            log(f"{len(grid.points())} points x {len(grid.seeds)} seeds = {len(runs)} runs; "
                f"{len(runs) - len(todo)} already done, {len(todo)} to run")
        for r, a in zip(todo, argvs):
            runner.prepare(out, r, a)
        if args.slurm:
            if not todo:
                log("every run is done; nothing to submit. Merge with --merge")
                return 0
            script = slurm.write(out, todo, argvs, throttle=args.slurm_parallel,
                                 sbatch_options=args.sbatch)
            print(f"sbatch {script}")
            log(f"{len(todo)} array tasks; then: {sys.argv[0]} --merge -o {args.out}")
            return 0
        # Ctrl-C or SIGTERM (a cancelled job) stop the sweep the same way,
        # also when it was started with SIGINT ignored (`cmd &` in a script).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            runner.run_local(out, todo, argvs, args.jobs, args.quiet, args.timeout)
        except KeyboardInterrupt:
            done = sum(1 for r in runs if runner.status(out, r) is not None)
            log(f"interrupted: {done} of {len(runs)} runs finished and kept; "
                "run the same command again to go on")
            return 130

    return report(args, out, grid, runs, targets)


def report(args, out, grid, runs, targets):
    rows = merge.collect(out, runs, grid, targets)
    merge.write_sweep_csv(os.path.join(out, "sweep.csv"), rows, grid)
    points = merge.aggregate(rows, grid)
    merge.write_points_csv(os.path.join(out, "points.csv"), points, grid)
    rec = recommend.recommend(points, grid, targets, args.depth_axis, args.credit_axis)
    runner.write_json_atomic(os.path.join(out, "recommendation.json"), rec)
    plots = []
    if not args.no_plots:
        if plot.available():
            dk = recommend.depth_axis(grid, args.depth_axis)
            plots = plot.plot(points, grid, os.path.join(out, "plots"), dk, args.series)
        else:
            log("matplotlib is not installed (Debian python3-matplotlib): no plots")

    failed = [r for r in rows if r["exit"] not in (0, None)]
    missing = [r for r in rows if r["exit"] is None]
    for r in failed:
        vals = " ".join(f"{k}={v}" for k, v in zip(grid.keys(), r["values"]))
        logp = os.path.join(args.out, r["run_dir"], "log.txt")
        why = runner.failure_line(os.path.join(out, r["run_dir"], "log.txt"))
        log(f"run failed (exit {r['exit']}): {vals} seed={r['seed']}; log {logp}"
            + (f"\n  {why}" if why else ""))
    if not args.quiet:
        for line in recommend.describe(rec):
            print(line)
        print(f"sweep: {len(rows)} runs, {len(failed)} failed, {len(missing)} missing; "
              f"{os.path.join(args.out, 'sweep.csv')}, points.csv, recommendation.json"
              + (f", {len(plots)} plot files in plots/" if plots else ""))
    if missing:
        log(f"{len(missing)} runs have no status.json (not run yet, or interrupted)")
    if failed or missing:
        log(f"{len(failed)} of {len(rows)} runs failed" + (f", {len(missing)} missing" if missing else ""))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
