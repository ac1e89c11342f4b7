# SPDX-License-Identifier: Apache-2.0
"""The report of one prisim run: its outcome, the queue and latency
summary, a chart of the fault-latency percentiles per device or class, the
scoreboard and the scenario."""
import os

from . import figures, sections
from .html import esc, num, status, table, us


def _handlers(res):
    hs = (res["summary"].get("handlers") or {})
    if not hs:
        return ""
    rows = [[name, num(h.get("groups")), num(h.get("faults_success")), num(h.get("faults_invalid")),
             num(h.get("devices")), us((h.get("fault_latency_ps") or {}).get("p99"))]
            for name, h in sorted(hs.items())]
    return ("<p>Faults by the handler that answered them:</p>"
            + table(["handler", "groups", "faults SUCCESS", "faults INVALID", "devices", "p99 (us)"],
                    rows, text_cols=(0,)))


def build(data):
    """(title, meta HTML, body HTML)."""
    res, host = data["results"], data["host"]
    sc = res["scenario"]
    title = f"prisim run: {sc.get('name')}"
    meta = (f"{esc(res.get('generator'))} · seed {esc(sc.get('seed'))} · results.json schema "
            f"{esc(res.get('schema'))} · directory <code>{esc(os.path.basename(os.path.normpath(data['dir'])))}</code>")
    body = ["<h2>Outcome</h2>",
            f'<div class="box{"" if res.get("ok") else " none"}"><p>Run {status(res.get("ok"))}: '
            + ("every scoreboard check and expectation holds."
               if res.get("ok") else "a scoreboard check or an expectation failed (below).")
            + "</p></div>",
            "<h2>Summary</h2>", sections.queue_table(res)]
    if host:
        body.append(f'<p class="note">Host (not simulated, differs on every run): '
                    f'{num(host.get("wall_seconds"))} s wall time, '
                    f'{num(host.get("faults_per_wall_second"))} faults per wall second.</p>')
    body.append("<h2>Fault latency</h2>")
    groups, note = sections.latency_groups(res)
    if figures.available():
        svg = figures.latency_bars(groups, "fig1")
        wide = " wide" if len(groups) > 6 else ""
        body.append(f'<figure class="plot{wide}">{svg}<figcaption>Fault latency, device translation miss '
                    "to successful retry: minimum, p50, p90, p99 and maximum (nearest-rank percentiles "
                    "over every sample) of all devices and of each "
                    + ("device class" if res.get("classes") else "device")
                    + ". results.json keeps these percentiles, not the samples, so this is not a "
                    "histogram: the bars are the distribution's quantiles." + esc(note)
                    + "</figcaption></figure>")
    else:
        body.append('<p class="note">No chart: matplotlib is not installed (Debian python3-matplotlib).</p>')
    body.append(sections.latency_table(res))
    body.append(_handlers(res))
    body.append(sections.scoreboard(res))
    body.append(sections.scenario(res))
    return title, meta, "\n".join(b for b in body if b)
