#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One self-contained HTML page from a prisim run or a sweep (docs/sweep.md,
"HTML report").

  report.py DIR [-o FILE] [--series KEY]

DIR is a run's output directory (prisim -o DIR: results.json, host.json)
or a sweep directory (scripts/sweep.py -o DIR: points.csv, sweep.csv,
recommendation.json, sweep.json, runs/); which one is found from its files.
The page (default DIR/report.html) loads nothing from elsewhere: its style
sheet is inline and its figures are inline SVG, drawn here with matplotlib.
The same input gives the same bytes.

Exit status: 0 the page was written; 2 DIR is neither a run nor a sweep
directory, or a file in it is missing or corrupt (the message names it), or
the page could not be written.

Needs the Debian package python3-matplotlib for the figures. When the
interpreter running this script lacks it and /usr/bin/python3 is another
interpreter, the script runs itself again with /usr/bin/python3; without
matplotlib anywhere the page says so and has no figures.
"""
import importlib.util
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"


def _use_system_python():
    """Run again under Debian's interpreter if this one lacks matplotlib."""
    if importlib.util.find_spec("matplotlib"):
        return
    if os.environ.get("PRISIM_REPORT_REEXEC") or not os.path.exists(SYSTEM_PYTHON):
        return
    if os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON):
        return
    os.environ["PRISIM_REPORT_REEXEC"] = "1"
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


if __name__ == "__main__":
    _use_system_python()

import argparse  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reportlib import ReportError, figures, html, inputs, run_page, sweep_page  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", metavar="DIR", help="a prisim run directory or a sweep directory")
    ap.add_argument("-o", "--out", metavar="FILE", help="the HTML file (default DIR/report.html)")
    ap.add_argument("--series", metavar="KEY",
                    help="sweep plots: one line per value of KEY (default: as make sweep draws them)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        what = inputs.kind(args.dir)
        if what == "run":
            title, meta, body = run_page.build(inputs.load_run(args.dir))
        else:
            data = inputs.load_sweep(args.dir)
            if args.series and args.series not in data["axes"]:
                raise ReportError(f"--series {args.series}: not an axis of the sweep ({', '.join(data['axes'])})")
            data["series"] = args.series
            title, meta, body = sweep_page.build(data)
    except ReportError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    out = args.out or os.path.join(args.dir, "report.html")
    try:
        with open(out + ".tmp", "w", encoding="utf-8") as f:
            f.write(html.page(title, meta, body))
        os.replace(out + ".tmp", out)
    except OSError as e:
        print(f"report: {out}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    if not figures.available():
        print("report: matplotlib is not installed (Debian python3-matplotlib): no figures", file=sys.stderr)
    print(f"report: {what} {args.dir} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
