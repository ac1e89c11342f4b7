# SPDX-License-Identifier: Apache-2.0
"""Every run's results.json into sweep.csv (one row per point and seed) and
points.csv (one row per point, across its seeds). Rows are in grid order,
numbers printed the same way on every machine, no wall-clock time.

The overflow probability per page request of a run is

    pq_dropped / page_requests
    pq_dropped    = iommu0.pq.drop.full + iommu0.pq.drop.overflow
                    (page requests the IOMMU did not queue because the queue
                    was full, or because pqof was set by an earlier overflow)
    page_requests = the sum over devices of iommu0.dev.<rid>.pr_received
                    (every Page Request message the IOMMU received, retries
                    included)

and, in points.csv, the same ratio pooled over the point's seeds (sum of
pq_dropped / sum of page_requests) with a 95 % Wilson score interval.
"""
import csv
import math
import os

from .runner import read_json
from .stats import mean_ci, wilson


def _lat(field):
    def get(r):
        v = r["summary"]["fault_latency_ps"].get(field)
        return None if v is None else v / 1e6
    return get


# The stages of summary.stage_latency_ps (docs/results.md, "Stage
# latencies"), in path order.
STAGES = ("request", "pq_write", "drain", "deliver", "read", "answer", "kernel", "respond", "retry")


def _stage(name):
    """The stage's mean in us, weighted so that the stages of a run add up
    to its mean fault latency: mean x its count / the faults sampled (a
    stage only some faults pass, `kernel` or `read` in a mixed run, counts
    for its share). None when no fault passed it."""
    def get(r):
        s = r["summary"]
        h = s.get("stage_latency_ps", {}).get(name)
        n = s["fault_latency_ps"]["count"]
        if h is None or not n:
            return None
        return h["mean"] * h["count"] / n / 1e6
    return get


def _counter_sum(r, suffix, prefix="iommu0.dev."):
    return sum(v for k, v in r.get("counters", {}).items()
               if k.startswith(prefix) and k.endswith(suffix))


def _dropped(r):
    c = r.get("counters", {})
    return c.get("iommu0.pq.drop.full", 0) + c.get("iommu0.pq.drop.overflow", 0)


def _occ(queue, field, scale=1):
    """occupancy.<queue>.<field> (docs/results.md, "Queue occupancy"),
    divided by scale; None when the run does not have it."""
    def get(r):
        v = r.get("occupancy", {}).get(queue, {}).get(field)
        return None if v is None else (v / scale if scale != 1 else v)
    return get


def _overflow_probability(r):
    n = _counter_sum(r, ".pr_received")
    return _dropped(r) / n if n else None


# (column, function of results.json): the statistics of each run.
STATS = (
    ("faults", lambda r: r["summary"]["faults"]),
    ("lat_p50_us", _lat("p50")),
    ("lat_p90_us", _lat("p90")),
    ("lat_p99_us", _lat("p99")),
    ("lat_max_us", _lat("max")),
    ("lat_mean_us", _lat("mean")),
    ("pq_entries", lambda r: r["summary"]["pq_entries"]),
    ("pq_hwm", lambda r: r["summary"]["pq_hwm"]),
    ("pq_overflows", lambda r: r["summary"]["pq_overflows"]),
    ("pq_occupancy_avg", _occ("iommu0.pq", "avg")),
    ("pq_full_us", _occ("iommu0.pq", "full_ps", 1e6)),
    ("pq_full_episodes", _occ("iommu0.pq", "full_episodes")),
    ("cq_hwm", _occ("iommu0.cq", "hwm")),
    ("fault_unread_hwm", _occ("sw.iommufd.fault_unread", "hwm")),
    ("fault_pending_hwm", _occ("sw.iommufd.fault_pending", "hwm")),
    ("page_requests", lambda r: _counter_sum(r, ".pr_received")),
    ("pq_dropped", _dropped),
    ("overflow_probability", _overflow_probability),
    ("auto_success", lambda r: r["summary"]["auto_responses"]["success"]),
    ("prgs", lambda r: r["summary"]["prgs"]),
    ("prg_retries", lambda r: r["summary"]["prg_retries"]),
    ("credit_stalls", lambda r: r["summary"]["credit_stalls"]),
    ("pri_allocation_sum", lambda r: sum(d.get("allocation", 0) for d in r.get("devices", []))),
    ("sim_time_us", lambda r: r["summary"]["sim_time_ps"] / 1e6),
) + tuple((f"stage_{n}_us", _stage(n)) for n in STAGES)
STAT_NAMES = tuple(n for n, _ in STATS)
# Aggregated with a t interval in points.csv (the probability is pooled).
MEAN_STATS = tuple(n for n in STAT_NAMES if n != "overflow_probability")
POOLED = ("pq_dropped_total", "page_requests_total", "overflow_probability",
          "overflow_probability_ci_lo", "overflow_probability_ci_hi")
# The statistic columns of points.csv.
POINT_STATS = tuple(f"{s}{x}" for s in MEAN_STATS for x in ("_mean", "_ci_lo", "_ci_hi")) + POOLED


def fmt(v):
    """A cell: integers as such, other numbers with 9 significant digits."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.9g}"
    return str(v)


def collect(sweep_dir, runs, grid, targets=()):
    """One row per run (dicts), in grid order; `targets` add their per-run
    values under ("target", i)."""
    rows = []
    keys = grid.keys()
    for run in runs:
        d = os.path.join(sweep_dir, run.reldir)
        st = read_json(os.path.join(d, "status.json"))
        res = read_json(os.path.join(d, "results.json")) if st else None
        row = {"point": run.point, "seed": run.seed,
               "exit": st.get("exit") if st else None, "run_dir": run.reldir,
               "values": run.values}
        for k, v in zip(keys, run.values):
            row[k] = v.typed
        for name, get in STATS:
            try:
                row[name] = get(res) if res else None
            except (KeyError, TypeError):
                row[name] = None
        for i, t in enumerate(targets):
            row[("target", i)] = t.value(row, res)
        rows.append(row)
    return rows


def sweep_columns(grid):
    return ["point"] + grid.keys() + ["seed", "exit"] + list(STAT_NAMES) + ["run_dir"]


def write_sweep_csv(path, rows, grid):
    cols = sweep_columns(grid)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([fmt(r.get(c)) for c in cols])


def aggregate(rows, grid):
    """One dict per point, in grid order."""
    by_point = {}
    for r in rows:
        by_point.setdefault(r["point"], []).append(r)
    out = []
    for p in sorted(by_point):
        rs = by_point[p]
        a = {"point": p, "values": rs[0]["values"]}
        for k in grid.keys():
            a[k] = rs[0][k]
        a["seeds"] = len(rs)
        a["seeds_ok"] = sum(1 for r in rs if r["exit"] == 0)
        a["seeds_failed"] = sum(1 for r in rs if r["exit"] != 0)
        a["seeds_missing"] = sum(1 for r in rs if r["exit"] is None)
        for s in MEAN_STATS:
            m, lo, hi = mean_ci([r[s] for r in rs])
            a[s + "_mean"], a[s + "_ci_lo"], a[s + "_ci_hi"] = m, lo, hi
        have = [r for r in rs if r["page_requests"] is not None]
        k = sum(r["pq_dropped"] for r in have)
        n = sum(r["page_requests"] for r in have)
        p_hat, lo, hi = wilson(k, n)
        a["pq_dropped_total"], a["page_requests_total"] = (k, n) if have else (None, None)
        a["overflow_probability"], a["overflow_probability_ci_lo"], a["overflow_probability_ci_hi"] = p_hat, lo, hi
        a["runs"] = rs
        out.append(a)
    return out


def points_columns(grid):
    cols = ["point"] + grid.keys() + ["seeds", "seeds_ok", "seeds_failed", "seeds_missing"]
    return cols + list(POINT_STATS)


def write_points_csv(path, points, grid):
    cols = points_columns(grid)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for a in points:
            w.writerow([fmt(a.get(c)) for c in cols])
