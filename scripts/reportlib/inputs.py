# SPDX-License-Identifier: Apache-2.0
"""What a report's input directory is, and reading its files.

A run directory (prisim -o DIR) holds results.json (and host.json); a
sweep directory (scripts/sweep.py -o DIR) holds points.csv, sweep.csv,
recommendation.json, sweep.json and runs/. Every problem is a ReportError
naming the file.
"""
import csv
import json
import os

from . import ReportError


def kind(path):
    """'run' or 'sweep'; a ReportError when the directory is neither."""
    if not os.path.isdir(path):
        raise ReportError(f"{path}: not a directory")
    if os.path.exists(os.path.join(path, "points.csv")) or os.path.exists(os.path.join(path, "sweep.json")):
        return "sweep"
    if os.path.exists(os.path.join(path, "results.json")) or os.path.exists(os.path.join(path, "host.json")):
        return "run"
    raise ReportError(f"{path}: neither a prisim run directory (results.json) "
                      "nor a sweep directory (points.csv, sweep.json)")


def read_json(path, what="file"):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ReportError(f"{path}: not found")
    except OSError as e:
        raise ReportError(f"{path}: cannot read: {e.strerror}")
    except ValueError as e:
        raise ReportError(f"{path}: not valid JSON ({e})")


def read_results(path):
    """A results.json, checked to be one."""
    r = read_json(path)
    if not isinstance(r, dict) or not isinstance(r.get("summary"), dict) \
            or not isinstance(r.get("scenario"), dict):
        raise ReportError(f"{path}: not a prisim results.json (no summary or scenario)")
    return r


def read_csv(path):
    """(columns, rows as dicts of text)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise ReportError(f"{path}: not found")
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        raise ReportError(f"{path}: cannot read: {e}")
    if not rows:
        raise ReportError(f"{path}: empty")
    cols = rows[0]
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(cols):
            raise ReportError(f"{path}: line {i} has {len(r)} fields, the header {len(cols)}")
    return cols, [dict(zip(cols, r)) for r in rows[1:]]


def typed(text):
    """A CSV cell as a number when it is one; '' as None."""
    if text == "":
        return None
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def load_run(path):
    res = read_results(os.path.join(path, "results.json"))
    host_path = os.path.join(path, "host.json")
    host = read_json(host_path) if os.path.exists(host_path) else None
    return {"dir": path, "results": res, "host": host}


def load_sweep(path):
    """The sweep's tables, definition and recommendation; the results.json
    of every run that has one (failed runs too), by run_dir."""
    pcols, points = read_csv(os.path.join(path, "points.csv"))
    scols, runs = read_csv(os.path.join(path, "sweep.csv"))
    if "seeds" not in pcols or "point" not in pcols:
        raise ReportError(f"{os.path.join(path, 'points.csv')}: not a sweep's points.csv (no seeds column)")
    if "run_dir" not in scols or "exit" not in scols:
        raise ReportError(f"{os.path.join(path, 'sweep.csv')}: not a sweep's sweep.csv (no run_dir column)")
    axes = pcols[1:pcols.index("seeds")]
    definition = read_json(os.path.join(path, "sweep.json"))
    rec = read_json(os.path.join(path, "recommendation.json"))
    results = {}
    for r in runs:
        p = os.path.join(path, r["run_dir"], "results.json")
        if r["exit"] != "" and os.path.exists(p):
            results[r["run_dir"]] = read_results(p)
    for a in points:
        for k in list(a):
            a[k] = typed(a[k])
    return {"dir": path, "axes": axes, "point_columns": pcols, "points": points,
            "run_columns": scols, "runs": runs, "definition": definition,
            "recommendation": rec, "results": results}
