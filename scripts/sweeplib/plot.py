# SPDX-License-Identifier: Apache-2.0
"""Plots of the points (matplotlib, PNG and SVG, byte-stable):

  p99_vs_depth    mean p99 fault latency (us) vs queue depth, the 95 % t
                  interval across seeds as a band
  overflow_vs_depth  overflow probability per page request vs queue depth,
                  the 95 % Wilson interval as a band

  stages_by_point  the mean fault latency of each point split into its
                  stages (merge.STAGES, the stage_<name>_us_mean columns),
                  a stacked bar per point, in depth order within each
                  value of the series axis

x is the queue depth in entries (2^sw.driver.pq_log2sz, log2 axis) or the
depth axis' value; one line per value of the series axis (--series, else
the first other axis); one pair of files per combination of the remaining
axes (their values in the file name).
"""
import os
import re

from .merge import STAGES
from .recommend import PQ_KEY, entries


def available():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text)


def plot(points, grid, out_dir, depth_key, series_key=None):
    """Write the plots; return the file names written (relative to out_dir)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.hashsalt"] = "prisim-sweep"
    matplotlib.rcParams["svg.fonttype"] = "none"

    keys = grid.keys()
    others = [k for k in keys if k != depth_key]
    if series_key is None and others:
        series_key = others[0]
    rest = [k for k in others if k != series_key]
    groups = {}
    for a in points:
        groups.setdefault(tuple(a[k] for k in rest), []).append(a)

    written = []
    os.makedirs(out_dir, exist_ok=True)
    xlabel = "page-request queue entries" if depth_key == PQ_KEY else depth_key
    for combo, pts in sorted(groups.items(), key=lambda kv: [str(x) for x in kv[0]]):
        suffix = "".join("_" + _slug(f"{k}={v}") for k, v in zip(rest, combo))
        title_rest = ", ".join(f"{k}={v}" for k, v in zip(rest, combo))
        for name, mid, lo, hi, ylabel in (
                ("p99_vs_depth", "lat_p99_us_mean", "lat_p99_us_ci_lo", "lat_p99_us_ci_hi",
                 "p99 fault latency (us), mean of seeds, 95 % CI"),
                ("overflow_vs_depth", "overflow_probability", "overflow_probability_ci_lo",
                 "overflow_probability_ci_hi", "overflow probability per page request, 95 % Wilson")):
            fig, ax = plt.subplots(figsize=(7, 4.5))
            series = {}
            for a in pts:
                series.setdefault(a[series_key] if series_key else None, []).append(a)
            for sv in sorted(series, key=lambda v: (str(type(v)), v)):
                line = sorted(series[sv], key=lambda a: entries(depth_key, a[depth_key]))
                line = [a for a in line if a.get(mid) is not None]
                if not line:
                    continue
                xs = [entries(depth_key, a[depth_key]) for a in line]
                label = f"{series_key}={sv}" if series_key else None
                ax.plot(xs, [a[mid] for a in line], marker="o", label=label)
                ax.fill_between(xs, [a[lo] for a in line], [a[hi] for a in line], alpha=0.2)
            if depth_key == PQ_KEY:
                ax.set_xscale("log", base=2)
                ticks = sorted({entries(depth_key, a[depth_key]) for a in pts})
                ax.set_xticks(ticks, [str(t) for t in ticks])
                ax.minorticks_off()
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            if title_rest:
                ax.set_title(title_rest, fontsize=9)
            if series_key:
                ax.legend(fontsize=8)
            ax.grid(True, alpha=0.3)
            fig.tight_layout()
            for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
                fn = f"{name}{suffix}.{ext}"
                fig.savefig(os.path.join(out_dir, fn), metadata=meta)
                written.append(fn)
            plt.close(fig)
        written += _stage_bars(plt, pts, depth_key, series_key, suffix, title_rest, out_dir)
    return written


def _stage_bars(plt, pts, depth_key, series_key, suffix, title_rest, out_dir):
    """A stacked bar of stage means per point; [] when no point has any."""
    cols = [f"stage_{n}_us_mean" for n in STAGES]
    stages = [(n, c) for n, c in zip(STAGES, cols) if any(a.get(c) is not None for a in pts)]
    if not stages:
        return []
    def key(a):
        sv = a[series_key] if series_key else ""
        return (str(type(sv)), sv, entries(depth_key, a[depth_key]))
    order = sorted(pts, key=key)
    fig, ax = plt.subplots(figsize=(max(7.0, min(14.0, 1.5 + 0.6 * len(order))), 4.5))
    xs = list(range(len(order)))
    bottom = [0.0] * len(order)
    colors = plt.get_cmap("tab10")
    for i, (name, col) in enumerate(stages):
        ys = [a.get(col) or 0.0 for a in order]
        ax.bar(xs, ys, bottom=bottom, label=name, color=colors(i % 10), width=0.7)
        bottom = [b + y for b, y in zip(bottom, ys)]
    labels = []
    for a in order:
        label = str(entries(depth_key, a[depth_key]))
        if series_key:
            label += f"\n{a[series_key]}"
        labels.append(label)
    ax.set_xticks(xs, labels, fontsize=7)
    xlabel = "page-request queue entries" if depth_key == PQ_KEY else depth_key
    ax.set_xlabel(xlabel + (f" / {series_key}" if series_key else ""))
    ax.set_ylabel("mean fault latency by stage (us), mean of seeds")
    if title_rest:
        ax.set_title(title_rest, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    written = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
        fn = f"stages_by_point{suffix}.{ext}"
        fig.savefig(os.path.join(out_dir, fn), metadata=meta)
        written.append(fn)
    plt.close(fig)
    return written
