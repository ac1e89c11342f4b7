# SPDX-License-Identifier: Apache-2.0
"""The parts a run page and a sweep page share: the scenario (its
effective keys, collapsed, and its expectations), the scoreboard, and the
summary tables of one results.json (docs/results.md).
"""
from .html import esc, num, status, table, us

LAT = ("p50", "p90", "p99", "max", "mean")


def _lat_cells(d):
    d = d or {}
    return [num(d.get("count"))] + [us(d.get(f)) for f in LAT]


def scenario(res, swept=None, fixed=None, scenario_file=None):
    """swept: {key: 'values'} (a sweep's axes); fixed: keys its --set fixed."""
    sc = res["scenario"]
    params = sc.get("params") or {}
    swept = swept or {}
    fixed = set(fixed or ())
    rows, classes = [], []
    for k in sorted(params):
        note = "swept: " + swept[k] if k in swept else ("--set" if k in fixed else "")
        rows.append([k, "–" if k in swept else num(params[k]), note])
        classes.append("swept" if k in swept else "")
    for k in sorted(set(swept) - set(params)):
        rows.append([k, "–", "swept: " + swept[k]])
        classes.append("swept")
    out = ["<h2>Scenario</h2>",
           f"<p>Name <code>{esc(sc.get('name'))}</code>"
           + (f", from <code>{esc(scenario_file)}</code>" if scenario_file else "")
           + f"; {len(params)} keys.</p>",
           f"<details><summary>Effective scenario keys ({len(params)})</summary>",
           table(["key", "value", ""], rows, text_cols=(0, 1, 2), row_classes=classes),
           "</details>"]
    exp = sc.get("expect") or []
    if exp:
        failed = [str(f) for f in (res.get("expectations") or {}).get("failed", [])]
        out.append("<p>Expectations checked:</p><ul>"
                   + "".join(f"<li><code>{esc(e)}</code> "
                             + status(not any(f"'{e}'" in f for f in failed))
                             + "</li>" for e in exp) + "</ul>")
    else:
        out.append("<p>Expectations checked: none.</p>")
    return "\n".join(out)


def scoreboard(res):
    sb = res.get("scoreboard") or {}
    rows = []
    for c in sb.get("checks", []):
        viol = c.get("violations") or []
        v = "; ".join(str(x) for x in viol[:3]) + (f" (and {len(viol) - 3} more)" if len(viol) > 3 else "")
        rows.append([num(c.get("invariant")), c.get("name", ""), status(c.get("ok")), c.get("detail", ""), v])
    out = ["<h2>Scoreboard</h2>",
           f"<p>Overall: {status(res.get('ok'))} (scoreboard {status(sb.get('ok'))}"
           f", {len((res.get('expectations') or {}).get('failed', []))} expectations failed).</p>",
           table(["invariant", "check", "result", "detail", "violations"], rows,
                 text_cols=(1, 3, 4), raw_cols=(2,))]
    failed = (res.get("expectations") or {}).get("failed", [])
    if failed:
        out.append("<p>Failed expectations:</p><ul>"
                   + "".join(f"<li><code>{esc(f)}</code></li>" for f in failed) + "</ul>")
    return "\n".join(out)


def queue_table(res):
    s = res["summary"]
    ar = s.get("auto_responses") or {}
    return table(
        ["faults", "pages", "PRGs", "PRG retries", "credit stalls", "PQ entries", "PQ high-water",
         "PQ overflows", "auto-responses success / invalid / failure", "simulated time (us)",
         "quiesced", "faults per simulated s"],
        [[num(s.get("faults")), num(s.get("pages")), num(s.get("prgs")), num(s.get("prg_retries")),
          num(s.get("credit_stalls")), num(s.get("pq_entries")), num(s.get("pq_hwm")),
          num(s.get("pq_overflows")),
          " / ".join(num(ar.get(k)) for k in ("success", "invalid", "failure")),
          us(s.get("sim_time_ps")), num(s.get("quiesced")), num(s.get("faults_per_sim_second"))]])


def latency_table(res):
    """Fault latency and PRI figures: all devices, then each class (when the
    scenario has classes), then each device."""
    head = ["", "faults", "latency samples", "p50 (us)", "p90 (us)", "p99 (us)", "max (us)", "mean (us)",
            "PRGs", "retries", "auto-rsp", "stalls"]
    s = res["summary"]
    rows = [["all devices", num(s.get("faults"))] + _lat_cells(s.get("fault_latency_ps"))
            + [num(s.get("prgs")), num(s.get("prg_retries")),
               num(sum((s.get("auto_responses") or {}).values())), num(s.get("credit_stalls"))]]
    for name, c in sorted((res.get("classes") or {}).items(), key=lambda kv: kv[1].get("index", 0)):
        n = c.get("devices")
        rows.append([f"class {name} ({num(n)} device{'' if n == 1 else 's'}, {c.get('preset', 'none')})",
                     num(c.get("faults"))] + _lat_cells(c.get("fault_latency_ps"))
                    + [num(c.get("prgs")), num(c.get("prg_retries")), num(c.get("auto_responses")),
                       num(c.get("credit_stalls"))])
    for d in res.get("devices") or []:
        label = f"device {d.get('rid')}" + (f" ({d['class']})" if d.get("class") else "")
        rows.append([label, num(d.get("faults"))] + _lat_cells(d.get("fault_latency_ps"))
                    + [num(d.get("prgs")), num(d.get("prg_retries")), num(d.get("auto_responses")),
                       num(d.get("credit_stalls"))])
    return table(head, rows, text_cols=(0,))


def latency_groups(res, limit=32):
    """(label, fault_latency_ps) for the bar chart: all devices, then the
    classes if any, else the devices (the first `limit`); and a note."""
    groups = [("all", res["summary"].get("fault_latency_ps") or {})]
    note = ""
    classes = res.get("classes") or {}
    if classes:
        for name, c in sorted(classes.items(), key=lambda kv: kv[1].get("index", 0)):
            groups.append((f"class {name}", c.get("fault_latency_ps") or {}))
    else:
        devs = res.get("devices") or []
        if len(devs) > 1:
            for d in devs[:limit]:
                groups.append((str(d.get("rid")), d.get("fault_latency_ps") or {}))
            if len(devs) > limit:
                note = f" The first {limit} of {len(devs)} devices are drawn; the table has them all."
    return groups, note
