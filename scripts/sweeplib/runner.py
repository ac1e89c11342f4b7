# SPDX-License-Identifier: Apache-2.0
"""The runs of a sweep (one per point and seed), their directories, resume,
and local parallel execution.

Each run has a directory DIR/runs/<point>/seed-<seed> (<point>: the point's
KEY=VALUE pairs, sorted, joined with commas) holding
  run.json      what it runs: the point's values, the seed, every --set, argv
  log.txt       prisim's stdout and stderr
  results.json  host.json   prisim's outputs (-o)
  status.json   {"exit": N}, written (atomically) once prisim has exited
A run is finished when status.json exists, run.json names the same keys and
values, and results.json (when prisim wrote one) reports those values and
that seed; a finished run is not run again. A run killed by a signal
(--timeout) is not finished.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .grid import BOOL_TEXT


class Run:
    """One prisim process of the sweep."""

    def __init__(self, point_index, values, seed, sets, reldir):
        self.point, self.values, self.seed = point_index, values, seed
        self.sets = sets            # [(key, text)], fixed keys, the point's, seed
        self.reldir = reldir        # relative to the sweep directory

    def argv(self, prisim, scenario, outdir, extra):
        cmd = [prisim]
        if scenario:
            cmd.append(scenario)
        cmd += ["-q", "-o", outdir]
        for k, v in self.sets:
            cmd += ["--set", f"{k}={v}"]
        return cmd + list(extra)


def point_dir(keys, values):
    """The directory name of a point: its KEY=VALUE pairs sorted by key and
    joined with commas, so that it does not depend on the axes' order and a
    grown grid finds its old points; a hash where that is too long or not
    plain file-name text."""
    name = ",".join(f"{k}={v.text}" for k, v in sorted(zip(keys, values), key=lambda kv: kv[0]))
    if len(name) <= 200 and re.fullmatch(r"[A-Za-z0-9._=,+-]+", name):
        return name
    return "p-" + hashlib.sha256(name.encode()).hexdigest()[:16]


def plan(grid, sweep_dir):
    """Every Run of the grid, point by point (grid order), seed by seed."""
    runs = []
    for i, values in enumerate(grid.points()):
        pdir = point_dir(grid.keys(), values)
        for seed in grid.seeds:
            sets = [(k, v.text) for k, v in grid.fixed]
            sets += [(k, v.text) for k, v in zip(grid.keys(), values)]
            sets.append(("seed", str(seed)))
            runs.append(Run(i, values, seed, sets, os.path.join("runs", pdir, f"seed-{seed}")))
    return runs


def write_json_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def same_value(found, text):
    """Does a scenario.params value in results.json equal the --set text?"""
    if isinstance(found, bool):
        return BOOL_TEXT.get(text.lower()) == found
    if isinstance(found, int):
        try:
            return found == (int(text, 16) if text[:2].lower() == "0x" else int(float(text)))
        except ValueError:
            return False
    if isinstance(found, float):
        try:
            return abs(found - float(text)) <= 1e-9 * max(1.0, abs(found))
        except ValueError:
            return False
    return str(found) == text


def results_match(results, run):
    """results.json was produced with the run's seed and --set values."""
    sc = (results or {}).get("scenario", {})
    if sc.get("seed") != run.seed:
        return False
    params = sc.get("params", {})
    for k, v in run.sets:
        if k == "seed":
            continue
        if k not in params or not same_value(params[k], v):
            return False
    return True


def status(sweep_dir, run):
    """The exit status of a finished run, or None if it must (re)run."""
    d = os.path.join(sweep_dir, run.reldir)
    meta = read_json(os.path.join(d, "run.json"))
    st = read_json(os.path.join(d, "status.json"))
    if not meta or not st or not isinstance(st.get("exit"), int) or st["exit"] < 0:
        return None  # not run, or killed (--timeout): run it again
    if sorted(list(x) for x in run.sets) != sorted(meta.get("sets") or []):
        return None
    res_path = os.path.join(d, "results.json")
    if os.path.exists(res_path):
        if not results_match(read_json(res_path), run):
            return None
    elif st["exit"] in (0, 1):
        return None  # exit 0 and 1 always leave results.json
    return st["exit"]


def prepare(sweep_dir, run, argv):
    """Create the run's directory and run.json; forget an earlier status."""
    d = os.path.join(sweep_dir, run.reldir)
    os.makedirs(d, exist_ok=True)
    for f in ("status.json", "results.json"):
        try:
            os.unlink(os.path.join(d, f))
        except FileNotFoundError:
            pass
    write_json_atomic(os.path.join(d, "run.json"),
                      {"point": run.point, "seed": run.seed, "sets": [list(x) for x in run.sets],
                       "argv": argv})


class Progress:
    """A tqdm bar (runs done, failed, time left), or plain lines without
    tqdm, or nothing when quiet."""

    def __init__(self, total, quiet):
        self.total, self.done, self.failed, self.quiet = total, 0, 0, quiet
        self.bar = None
        self.last_print = 0.0
        if quiet or total == 0:
            return
        try:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="run", desc="sweep", file=sys.stderr,
                            dynamic_ncols=True, postfix={"failed": 0})
        except ImportError:
            pass

    def update(self, failed):
        self.done += 1
        self.failed += int(failed)
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
        elif time.monotonic() - self.last_print > 5 or self.done == self.total:
            self.last_print = time.monotonic()
            print(f"sweep: {self.done}/{self.total} runs, {self.failed} failed",
                  file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_local(sweep_dir, todo, argvs, jobs, quiet, timeout=None):
    """Run `todo` (Runs) with `argvs` (their argv), `jobs` at a time.
    Returns {reldir: exit status}. On KeyboardInterrupt the running prisim
    processes are stopped, finished runs stay, and it is raised again."""
    procs = {}
    lock = threading.Lock()
    stopping = threading.Event()

    def one(run, argv):
        if stopping.is_set():
            return run, None
        d = os.path.join(sweep_dir, run.reldir)
        with open(os.path.join(d, "log.txt"), "wb") as log:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            with lock:
                procs[run.reldir] = p
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                log.write(f"\nsweep: stopped after {timeout} s of wall time\n".encode())
                rc = -signal.SIGKILL
            with lock:
                procs.pop(run.reldir, None)
        if stopping.is_set() and rc < 0:
            return run, None  # stopped by the interrupt: not finished
        write_json_atomic(os.path.join(d, "status.json"), {"exit": rc})
        return run, rc

    out = {}
    bar = Progress(len(todo), quiet)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        pending = {pool.submit(one, r, a) for r, a in zip(todo, argvs)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                run, rc = f.result()
                if rc is not None:
                    out[run.reldir] = rc
                    bar.update(rc != 0)
    except KeyboardInterrupt:
        stopping.set()
        for f in pending:
            f.cancel()
        with lock:
            for p in procs.values():
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        pool.shutdown(wait=True)
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    return out


def failure_line(path):
    """The first line of a run's log that says what failed."""
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    for pick in (lambda ln: "[FAIL]" in ln,
                 lambda ln: ln.startswith("prisim:") and not ln.startswith("prisim: warning")):
        for ln in lines:
            if pick(ln):
                return ln.strip()[:300]
    return ""
