# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python system tests: run prisim into a directory
and read its results.json; collect failed checks and report them at the
end."""
import json
import os
import subprocess

failures = []


def check(cond, what):
    """Record `what` as failed unless `cond`; returns `cond`."""
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def run(prisim, work, name, args):
    """prisim -q -o WORK/NAME ARGS; exits with its output if it fails."""
    out = os.path.join(work, name)
    cmd = [prisim, "-q", "-o", out] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        print(p.stdout + p.stderr)
        raise SystemExit("FAIL: %s exited %d" % (" ".join(cmd), p.returncode))
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)
