# SPDX-License-Identifier: Apache-2.0
"""Figures as inline SVG (matplotlib, Agg). Same data, same bytes: a fixed
svg.hashsalt, no date, and text kept as text. Each figure's element ids get
a prefix of its own, so several figures live in one page without their ids
colliding; the XML prolog, the namespace declarations and the RDF metadata
(which name web addresses) are left out, as HTML does not need them.
"""
import io
import os
import re
import tempfile

SALT = "prisim-report"


def available():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.hashsalt"] = SALT
    matplotlib.rcParams["svg.fonttype"] = "none"
    return plt


def inline(svg_text, prefix):
    """A standalone SVG document as an element for an HTML page."""
    s = svg_text[svg_text.index("<svg"):]
    s = re.sub(r"<metadata>.*?</metadata>\s*", "", s, flags=re.S)
    s = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", s)
    s = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', s)
    s = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', s)
    s = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", s)
    return s.replace("<svg", f'<svg class="figure" id="{prefix}"', 1).strip()


def _svg(fig, prefix):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return inline(buf.getvalue(), prefix)


STATS = (("min", "min"), ("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("max", "max"))


def latency_bars(groups, prefix):
    """groups: [(label, fault_latency_ps dict)]: a grouped bar chart of
    min, p50, p90, p99 and max in us, one group per label."""
    plt = _pyplot()
    n = len(groups)
    fig, ax = plt.subplots(figsize=(max(7.0, min(14.0, 1.0 + 0.9 * n)), 4.5))
    width = 0.8 / len(STATS)
    for j, (name, field) in enumerate(STATS):
        xs = [i + (j - (len(STATS) - 1) / 2) * width for i in range(n)]
        ys = [(d.get(field) or 0) / 1e6 for _, d in groups]
        ax.bar(xs, ys, width, label=name)
    ax.set_xticks(range(n), [g for g, _ in groups], rotation=30 if n > 6 else 0,
                  ha="right" if n > 6 else "center", fontsize=8)
    ax.set_ylabel("fault latency (us)")
    ax.legend(fontsize=8, ncol=len(STATS), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    out = _svg(fig, prefix)
    plt.close(fig)
    return out


class _Axes:
    """What sweeplib.plot needs of a grid: its keys."""

    def __init__(self, keys):
        self._keys = list(keys)

    def keys(self):
        return list(self._keys)


def sweep_plots(points, axes, depth_key, series_key, prefix):
    """The sweep's plots (sweeplib.plot, the same figures `make sweep`
    draws), redrawn from points.csv: [(file stem, svg element)]."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from sweeplib import plot
    _pyplot()
    with tempfile.TemporaryDirectory(prefix="prisim-report-") as tmp:
        names = plot.plot(points, _Axes(axes), tmp, depth_key, series_key)
        out = []
        for i, fn in enumerate(n for n in names if n.endswith(".svg")):
            with open(os.path.join(tmp, fn)) as f:
                out.append((fn[:-4], inline(f.read(), f"{prefix}{i + 1}")))
    return out
