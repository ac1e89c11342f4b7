# SPDX-License-Identifier: Apache-2.0
"""The recommendation: the smallest queue depth (and, when swept, the credit
setting) whose every run exits 0 and meets every --target, next to what
Intel's VT-d rule would have chosen.

Axes play three parts:
  depth       sw.driver.pq_log2sz if swept (depth = 2^value entries), else
              the first axis (or --depth-axis)
  credit      the axes that set PRI credits: keys ending in pri_capacity,
              pri_alloc_max, pri_alloc_fixed or pri_alloc_policy (also
              class.<name>.pri_capacity), or those given with --credit-axis
  condition   every other axis (workload, costs): a design must hold under
              every value of them
A design is a (depth, credit setting) pair; it qualifies when every run of
every point with that design, over every seed and condition, exits 0 and
meets every target. The recommendation is the smallest qualifying depth and,
at that depth, the largest qualifying credit setting (the most credits the
queue supports); the others that qualify at that depth are listed.

VT-d rule (Linux intel-iommu): the queue holds the sum of the devices' PRI
allocations (results.json devices[].allocation), rounded up to a power of
two, then doubled.
"""
import math

PQ_KEY = "sw.driver.pq_log2sz"
CREDIT_SUFFIXES = ("pri_capacity", "pri_alloc_max", "pri_alloc_fixed", "pri_alloc_policy")


def depth_axis(grid, forced=None):
    if forced:
        return forced
    return PQ_KEY if PQ_KEY in grid.keys() else grid.keys()[0]


def credit_axes(grid, depth, forced=()):
    if forced:
        return [k for k in forced if k != depth]
    return [k for k in grid.keys() if k != depth and k.endswith(CREDIT_SUFFIXES)]


def entries(depth_key, typed):
    """Queue entries of a depth-axis value (2^v for pq_log2sz)."""
    return 2 ** typed if depth_key == PQ_KEY else typed


def _sort_key(v):
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def _design_eval(points, targets):
    """(qualifies, [target summaries], runs) over the points of one design."""
    runs = [r for a in points for r in a["runs"]]
    ok = bool(runs) and all(r["exit"] == 0 for r in runs)
    summaries = []
    for i, t in enumerate(targets):
        if t.point_level:
            vals = [a.get(t.stat) for a in points]
        else:
            vals = [r[("target", i)] for r in runs]
        holds = all(t.holds(v) for v in vals)
        ok = ok and holds
        worst = t.worst(vals)
        m_abs, m_rel = t.margin(worst)
        summaries.append({"target": t.text, "holds": holds, "worst": worst,
                          "margin": m_abs, "margin_relative": m_rel, "unit": t.unit})
    return ok, summaries, runs


def recommend(points, grid, targets, depth_forced=None, credit_forced=()):
    dk = depth_axis(grid, depth_forced)
    cks = credit_axes(grid, dk, credit_forced)
    keys = grid.keys()
    designs = {}
    for a in points:
        d = a[dk]
        c = tuple(a[k] for k in cks)
        designs.setdefault((d, c), []).append(a)
    evaluated = {}
    for (d, c), pts in designs.items():
        evaluated[(d, c)] = _design_eval(pts, targets)

    depths = sorted({d for d, _ in designs}, key=_sort_key)
    credits = sorted({c for _, c in designs}, key=lambda c: tuple(_sort_key(x) for x in c))
    out = {"depth_axis": dk, "credit_axes": cks,
           "condition_axes": [k for k in keys if k != dk and k not in cks],
           "targets": [t.text for t in targets], "recommendation": None, "vtd": []}

    best = None
    for d in depths:
        good = [c for c in credits if (d, c) in evaluated and evaluated[(d, c)][0]]
        if good:
            best = (d, good[-1], good)
            break
    if best:
        d, c, good = best
        ok, summ, runs = evaluated[(d, c)]
        out["recommendation"] = {
            dk: d, "entries": entries(dk, d),
            "credit": dict(zip(cks, c)),
            "credit_settings_meeting": [dict(zip(cks, g)) for g in good],
            "targets": summ,
            "runs": sorted(r["run_dir"] for r in runs),
        }

    for c in credits:
        runs = [r for (d, cc), (_, _, rs) in evaluated.items() if cc == c for r in rs]
        sums = [r["pri_allocation_sum"] for r in runs if r["pri_allocation_sum"] is not None]
        entry = {"credit": dict(zip(cks, c))}
        if not sums:
            entry["note"] = "no run reported devices[].allocation"
            out["vtd"].append(entry)
            continue
        total = max(sums)
        vtd_entries = 2 * (1 << max(0, math.ceil(math.log2(total)))) if total > 0 else 1
        entry.update({"allocation_sum": total, "entries": vtd_entries})
        if dk == PQ_KEY:
            lg = vtd_entries.bit_length() - 1
            entry[PQ_KEY] = lg
            if (lg, c) in evaluated:
                ok, summ, rs = evaluated[(lg, c)]
                entry.update({"in_grid": True, "meets": ok,
                              "runs_exit_0": sum(1 for r in rs if r["exit"] == 0),
                              "runs": len(rs), "targets": summ})
            else:
                entry["in_grid"] = False
        else:
            entry["in_grid"] = False
            entry["note"] = f"the depth axis is {dk}, not {PQ_KEY}: compare by entries"
        rec = out["recommendation"]
        if rec and tuple(rec["credit"].get(k) for k in cks) == c:
            entry["recommended_entries"] = rec["entries"]
            entry["ratio_to_recommended"] = vtd_entries / rec["entries"] if rec["entries"] else None
        out["vtd"].append(entry)
    return out


def describe(rec):
    """Lines for the terminal."""
    lines = []
    dk = rec["depth_axis"]
    r = rec["recommendation"]
    tg = (" and " + " and ".join(rec["targets"])) if rec["targets"] else ""
    if r is None:
        lines.append(f"recommendation: no {dk} in the grid has every run exit 0{tg}")
    else:
        cred = ", ".join(f"{k}={v}" for k, v in r["credit"].items())
        lines.append(f"recommendation: {dk}={r[dk]} ({r['entries']} entries)"
                     + (f" with {cred}" if cred else "")
                     + f": all {len(r['runs'])} runs exit 0{tg}")
        for t in r["targets"]:
            rel = f" ({t['margin_relative'] * 100:.1f} %)" if t["margin_relative"] is not None else ""
            lines.append(f"  {t['target']}: worst run {_num(t['worst'], t['unit'])}, "
                         f"margin {_num(t['margin'], t['unit'])}{rel}")
    for v in rec["vtd"]:
        cred = ", ".join(f"{k}={x}" for k, x in v["credit"].items())
        head = "VT-d rule" + (f" ({cred})" if cred else "")
        if "entries" not in v:
            lines.append(f"{head}: {v.get('note', '')}")
            continue
        s = f"{head}: allocations sum to {v['allocation_sum']} -> {v['entries']} entries"
        if dk == PQ_KEY:
            s += f" ({dk}={v[dk]})"
            if v.get("in_grid"):
                s += (f": {v['runs_exit_0']}/{v['runs']} runs exit 0, "
                      + ("meets" if v["meets"] else "does not meet") + " the targets")
            else:
                s += ": not in the grid"
        if v.get("ratio_to_recommended"):
            s += f"; {v['ratio_to_recommended']:g} x the recommended depth"
        lines.append(s)
    return lines


def _num(v, unit=None):
    if v is None:
        return "-"
    if unit == "ps":
        return f"{v / 1e6:.6g} us"
    return f"{v:.6g}" + (f" {unit}" if unit else "")
