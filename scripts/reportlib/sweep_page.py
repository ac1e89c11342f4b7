# SPDX-License-Identifier: Apache-2.0
"""The report of a sweep (scripts/sweep.py -o DIR): the recommendation
and the VT-d rule's choice, the plots (redrawn from points.csv), the points
table with the recommended design highlighted, the failed runs, the
scoreboard over every run, and the scenario of one run."""
import os
import sys

from . import figures, sections
from .html import breakable, esc, num, status, table

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sweeplib import recommend as reclib  # noqa: E402
from sweeplib import runner  # noqa: E402

PQ_KEY = reclib.PQ_KEY


def _ci(a, stat):
    m, lo, hi = a.get(stat + "_mean"), a.get(stat + "_ci_lo"), a.get(stat + "_ci_hi")
    if m is None:
        return "–"
    return esc(num(m)) if lo == hi else f'{esc(num(m))} <span class="ci">[{esc(num(lo))}, {esc(num(hi))}]</span>'


def _prob(a):
    p, lo, hi = (a.get("overflow_probability"), a.get("overflow_probability_ci_lo"),
                 a.get("overflow_probability_ci_hi"))
    return "–" if p is None else f'{esc(num(p, 3))} <span class="ci">[{esc(num(lo, 3))}, {esc(num(hi, 3))}]</span>'


def _recommendation(rec):
    if not rec:
        return '<div class="box none"><p>No recommendation.json in the sweep directory.</p></div>'
    r = rec.get("recommendation")
    lines = reclib.describe(rec)
    out = [f'<div class="box{"" if r else " none"}">']
    out += [f"<p>{'<b>' if i == 0 else ''}{esc(ln)}{'</b>' if i == 0 else ''}</p>" for i, ln in enumerate(lines)]
    out.append("</div>")
    if r and r.get("targets"):
        out.append(table(["target", "holds", "worst", "margin", "margin (relative)"],
                         [[t["target"], status(t["holds"]), num(t["worst"]) + (f" {t['unit']}" if t.get("unit") else ""),
                           num(t["margin"]), "–" if t.get("margin_relative") is None
                           else f"{t['margin_relative'] * 100:.1f} %"] for t in r["targets"]],
                         text_cols=(0,), raw_cols=(1,)))
    if r and len(r.get("credit_settings_meeting") or []) > 1:
        out.append("<p>Credit settings that also qualify at this depth: "
                   + esc("; ".join(", ".join(f"{k}={v}" for k, v in c.items())
                                   for c in r["credit_settings_meeting"])) + ".</p>")
    dk = rec.get("depth_axis")
    vrows = []
    for v in rec.get("vtd") or []:
        cred = ", ".join(f"{k}={x}" for k, x in v["credit"].items()) or "(no credit axis)"
        if "entries" not in v:
            vrows.append([cred, "–", "–", "–", v.get("note", ""), "–", "–"])
            continue
        fared = "not in the grid"
        if v.get("in_grid"):
            fared = f"{v['runs_exit_0']}/{v['runs']} runs exit 0; " + ("meets" if v["meets"] else "does not meet") \
                    + " the targets"
        elif v.get("note"):
            fared = v["note"]
        vrows.append([cred, num(v["allocation_sum"]), num(v["entries"]), num(v.get(PQ_KEY)), fared,
                      num(v.get("recommended_entries")), num(v.get("ratio_to_recommended"))])
    if vrows:
        out.append("<p>The VT-d rule (Linux intel-iommu) sizes the queue for the devices' PRI allocations: "
                   "their sum, rounded up to a power of two, doubled. Its choice per credit setting, "
                   "next to the recommendation:</p>")
        out.append(table(["credit setting", "allocation sum", "VT-d entries", PQ_KEY, "in this sweep",
                          "recommended entries", "VT-d / recommended"], vrows, text_cols=(0, 4)))
    out.append(f'<p class="note">Depth axis <code>{esc(dk)}</code>; credit axes '
               f'{esc(", ".join(rec.get("credit_axes") or []) or "none")}; condition axes '
               f'{esc(", ".join(rec.get("condition_axes") or []) or "none")}. A design (depth, credit '
               "setting) qualifies when every run of it, over every seed and condition, exits 0 and "
               "meets every target.</p>")
    return "\n".join(out)


def _design_of(rec, a):
    """Is point a the recommended design / the VT-d rule's choice?"""
    if not rec:
        return False, False
    dk, cks = rec.get("depth_axis"), rec.get("credit_axes") or []
    r = rec.get("recommendation")
    is_rec = bool(r) and a.get(dk) == r.get(dk) and all(a.get(k) == r["credit"].get(k) for k in cks)
    is_vtd = any(dk == PQ_KEY and a.get(dk) == v.get(PQ_KEY) and all(a.get(k) == v["credit"].get(k) for k in cks)
                 for v in rec.get("vtd") or [])
    return is_rec, is_vtd


def _points(data):
    axes, rec = data["axes"], data["recommendation"]
    head = [breakable(k) for k in axes] + ["seeds ok", "faults", "p50 (us)", "p99 (us), 95 % CI", "max (us)", "PQ high-water",
                   "PQ overflows", "overflow probability, 95 % Wilson", "auto-responses", "credit stalls",
                   "PRI allocation sum", ""]
    rows, classes = [], []
    for a in data["points"]:
        is_rec, is_vtd = _design_of(rec, a)
        mark = "; ".join(m for m, on in (("recommended", is_rec), ("VT-d rule", is_vtd)) if on)
        rows.append([num(a.get(k)) for k in axes]
                    + [f"{num(a.get('seeds_ok'))}/{num(a.get('seeds'))}", num(a.get("faults_mean")),
                       num(a.get("lat_p50_us_mean")), _ci(a, "lat_p99_us"), num(a.get("lat_max_us_mean")),
                       _ci(a, "pq_hwm"), _ci(a, "pq_overflows"), _prob(a), num(a.get("auto_success_mean")),
                       num(a.get("credit_stalls_mean")), num(a.get("pri_allocation_sum_mean")), mark])
        classes.append(" ".join(c for c, on in (("recommended", is_rec), ("vtd", is_vtd),
                                                 ("failed", (a.get("seeds_ok") or 0) < (a.get("seeds") or 0)))
                                if on))
    return ("<p>One row per point: means over the seeds, with the 95 % Student-t interval where the "
            "seeds differ; the overflow probability is pooled over the seeds (page requests dropped / "
            "received). Highlighted: the recommended design; an orange edge: the VT-d rule's depth; "
            "red: a point with a failed or missing run.</p>"
            + '<div class="wide">'
            + table([h if i < len(axes) else esc(h) for i, h in enumerate(head)], rows,
                    text_cols=(len(head) - 1,), row_classes=classes, raw_header=True,
                    raw_cols=tuple(range(len(axes) + 1, len(head) - 1)))
            + "</div>")


def _failed(data):
    bad = [r for r in data["runs"] if r["exit"] != "0"]
    if not bad:
        return f"<p>All {len(data['runs'])} runs exited 0.</p>"
    rows = []
    for r in bad:
        why = runner.failure_line(os.path.join(data["dir"], r["run_dir"], "log.txt")) if r["exit"] else ""
        rows.append([", ".join(f"{k}={r.get(k)}" for k in data["axes"]), r["seed"],
                     r["exit"] or "missing", why, r["run_dir"]])
    return (f"<p>{len(bad)} of {len(data['runs'])} runs did not exit 0 (1: a check or expectation failed; "
            "2: configuration refused; negative: killed; missing: no status.json):</p>"
            + table(["point", "seed", "exit", "what failed", "run directory"], rows, text_cols=(0, 3, 4)))


def _scoreboard(data):
    checks = {}
    for rd in (r["run_dir"] for r in data["runs"]):
        res = data["results"].get(rd)
        if not res:
            continue
        for c in (res.get("scoreboard") or {}).get("checks", []):
            e = checks.setdefault((c.get("invariant", 0), c.get("name", "")), [0, 0, ""])
            if c.get("ok"):
                e[0] += 1
            else:
                e[1] += 1
                e[2] = e[2] or f"{rd}: {c.get('detail', '')}"
    rows = [[num(inv), name, status(bad == 0), num(ok), num(bad), first]
            for (inv, name), (ok, bad, first) in sorted(checks.items())]
    return ("<h2>Scoreboard over the runs</h2>"
            f"<p>The scoreboard checks of the {len(data['results'])} runs with a results.json.</p>"
            + table(["invariant", "check", "result", "runs ok", "runs FAIL", "first failure"], rows,
                    text_cols=(1, 5), raw_cols=(2,)))


def _representative(data):
    rec = (data["recommendation"] or {}).get("recommendation") or {}
    for rd in list(rec.get("runs") or []) + [r["run_dir"] for r in data["runs"]]:
        if rd in data["results"]:
            return rd, data["results"][rd]
    return None, None


def build(data):
    """(title, meta HTML, body HTML)."""
    d = data["definition"] or {}
    rep_dir, rep = _representative(data)
    if rep:
        name = rep["scenario"].get("name")
    else:
        name = (os.path.basename(d["scenario"]) if d.get("scenario") else "built-in scenario") + " (no run finished)"
    seeds = sorted({int(r["seed"]) for r in data["runs"] if r["seed"].isdigit()})
    failed = sum(1 for r in data["runs"] if r["exit"] not in ("0", ""))
    missing = sum(1 for r in data["runs"] if r["exit"] == "")
    title = f"prisim sweep: {name}"
    meta = (f"{esc(rep.get('generator') if rep else 'prisim (no run finished)')} · seeds "
            f"{esc(', '.join(str(s) for s in seeds))} · {len(data['points'])} points, {len(data['runs'])} runs, "
            f"{failed} failed, {missing} missing · directory "
            f"<code>{esc(os.path.basename(os.path.normpath(data['dir'])))}</code>")
    grid_text = " ".join(f"--grid {g}" for g in d.get("grid", []))
    body = ["<h2>Recommendation</h2>", _recommendation(data["recommendation"]),
            f'<p class="note">Sweep: <code>{esc(grid_text)}</code>'
            + "".join(f" <code>--set {esc(s)}</code>" for s in d.get("set", []))
            + "".join(f" <code>--target {esc(t)}</code>" for t in (data["recommendation"] or {}).get("targets", []))
            + "".join(f" <code>--expect {esc(e)}</code>" for e in d.get("expect", []))
            + (" <code>--keep-expect</code>" if d.get("keep_expect") else "") + "</p>",
            "<h2>Plots</h2>"]
    dk = (data["recommendation"] or {}).get("depth_axis") \
        or (PQ_KEY if PQ_KEY in data["axes"] else data["axes"][0])
    if not figures.available():
        body.append('<p class="note">No plots: matplotlib is not installed (Debian python3-matplotlib).</p>')
    else:
        for stem, svg in figures.sweep_plots(data["points"], data["axes"], dk, data.get("series"), "fig"):
            if stem.startswith("p99"):
                what = ("Mean p99 fault latency over the seeds against the queue depth; the band is its "
                        "95 % Student-t interval.")
            elif stem.startswith("stages"):
                what = ("Each point's mean fault latency split into its stages (docs/results.md, "
                        "\"Stage latencies\"), mean over the seeds.")
            else:
                what = ("Overflow probability per page request (dropped / received, pooled over the seeds) "
                        "against the queue depth; the band is its 95 % Wilson interval.")
            body.append(f'<figure class="plot">{svg}<figcaption>{esc(what)} '
                        f"(<code>{esc(stem)}</code>)</figcaption></figure>")
    body += ["<h2>Points</h2>", _points(data), "<h2>Failed runs</h2>", _failed(data), _scoreboard(data)]
    if rep:
        swept = {g.split("=", 1)[0]: g.split("=", 1)[1] for g in d.get("grid", []) if "=" in g}
        fixed = [s.split("=", 1)[0] for s in d.get("set", [])]
        scen = os.path.basename(d["scenario"]) if d.get("scenario") else None
        body.append(sections.scenario(rep, swept, fixed, scen))
        body.append(f'<p class="note">The keys are those of the run <code>{esc(rep_dir)}</code>'
                    " (the recommended design's first run when there is one); swept keys differ per "
                    "point.</p>")
        body.append("<h2>Summary of that run</h2>")
        body.append(sections.queue_table(rep))
        body.append(sections.latency_table(rep))
    return title, meta, "\n".join(body)
