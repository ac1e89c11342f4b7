#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of scripts/report.py (docs/sweep.md, "HTML report"),
one case per CTest test.

  report_test.py --prisim PRISIM --work DIR --case sweep|run|bad_input

sweep      a 12-run sweep (6 points x 2 seeds, an --expect that fails the
           small queues): its report is one self-contained page (no web
           address, no src=, no <link>, no <script>) with the
           recommendation, the three plots as inline SVG, the points table with
           the recommended rows highlighted and the failed runs listed; the
           same input gives the same bytes; headless Chromium renders it
           (--dump-dom: three SVG figures with their paths and labels; the
           screenshot is not blank and shows the plot lines' colours)
run        one prisim run with two device classes: the page has the
           latency chart, the per-class and per-device rows and the
           scoreboard; byte-identical from a copy of the directory; Chromium
           renders it as above
bad_input  a directory that is neither a run nor a sweep, a missing or
           corrupt results.json, a corrupt points.csv: exit 2 naming it

Without Debian's chromium (/usr/bin/chromium, or $CHROMIUM) the sweep and
run cases check everything but the rendering and exit 77, which CTest
reports as skipped. Python 3 standard library; the screenshot's
pixels are counted with Pillow when this interpreter or /usr/bin/python3
has it (Debian python3-pil, a dependency of python3-matplotlib), else
decoded here, slowly.
"""
import argparse
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(ROOT, "scripts", "report.py")
SWEEP = os.path.join(ROOT, "scripts", "sweep.py")
SKIP = 77
# matplotlib's first two default colours: the plot lines and bars.
PLOT_COLOURS = ((0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e))


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def report(*args):
    p = subprocess.run([sys.executable, REPORT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def self_contained(page):
    check(page.startswith("<!DOCTYPE html>"), "not an HTML document")
    for bad in (r"https?://", r"\bsrc\s*=", r"<link\b", r"<script\b", r"<iframe\b", r"@import",
                r"url\((?!#)"):
        m = re.search(bad, page, re.I)
        check(m is None, f"the page refers to something outside it: {page[max(0, m.start() - 60):m.end() + 60]!r}"
              if m else "")


def chromium():
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(exe):
        raise Skip("chromium is not installed (Debian package chromium): rendering not checked")
    return exe


def render(page_path, work):
    """(the DOM after loading, the screenshot's path)."""
    exe = chromium()
    prof = tempfile.mkdtemp(prefix="chromium-", dir=work)
    common = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              f"--user-data-dir={prof}", "--window-size=1200,3000"]
    url = "file://" + os.path.abspath(page_path)
    p = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True, timeout=45)
    check(p.returncode == 0 and "</html>" in p.stdout, f"chromium --dump-dom exited {p.returncode}: {p.stderr[-500:]}")
    shot = os.path.join(work, os.path.basename(page_path) + ".png")
    if os.path.exists(shot):
        os.remove(shot)
    q = subprocess.run(common + [f"--screenshot={shot}", url], capture_output=True, text=True, timeout=45)
    check(q.returncode == 0 and os.path.exists(shot), f"chromium --screenshot exited {q.returncode}: {q.stderr[-500:]}")
    shutil.rmtree(prof, ignore_errors=True)
    return p.stdout, shot


def decode_png(data):
    """8-bit RGB or RGBA, not interlaced (what Chromium writes): (w, h, rows)."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, f"PNG type {depth}/{ctype}/{interlace}")
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(x for j, x in enumerate(line) if j % 4 != 3))
        prev = line
    return w, h, rows


def colour_counts(png_path):
    """{(r, g, b): pixels} of the screenshot: with Pillow (Debian
    python3-pil, which matplotlib needs) in this interpreter or in
    /usr/bin/python3, else with the (slow) decoder here."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        with Image.open(png_path) as im:
            rgb = im.convert("RGB")
            return rgb.size, {c: n for n, c in rgb.getcolors(maxcolors=1 << 24)}
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        p = subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), "--colours", png_path],
                           capture_output=True, text=True)
        if p.returncode == 0:
            d = json.loads(p.stdout)
            return tuple(d["size"]), {tuple(c): n for c, n in d["colours"]}
    w, h, rows = decode_png(read(png_path, "rb"))
    counts = collections.Counter()
    for r in rows:
        counts.update(zip(r[0::3], r[1::3], r[2::3]))
    return (w, h), dict(counts)


def check_rendered(dom, shot, figures, labels):
    svgs = re.findall(r"<svg\b.*?</svg>", dom, re.S)
    check(len(svgs) == figures, f"{len(svgs)} SVG figures in the rendered page, want {figures}")
    for s in svgs:
        check(len(re.findall(r"<path\b", s)) >= 10, "an SVG figure has almost no paths")
    for label in labels:
        check(label in dom, f"the rendered page lacks {label!r}")
    (w, h), counts = colour_counts(shot)
    check(w >= 1000 and h >= 2000, f"screenshot {w}x{h}")
    # Not blank, and the plots' colours are on screen (lines, bars, bands).
    total = w * h
    non_white = total - counts.get((255, 255, 255), 0)
    coloured = sum(n for c, n in counts.items()
                   if any(all(abs(c[k] - pc[k]) <= 6 for k in range(3)) for pc in PLOT_COLOURS))
    check(non_white > total // 50, f"the screenshot is almost blank ({non_white} of {total} pixels)")
    check(coloured >= 200, f"the plots' colours are not on screen ({coloured} pixels)")


def case_sweep(args):
    out = fresh(os.path.join(args.work, "sweep"))
    p = subprocess.run([sys.executable, SWEEP, "--prisim", args.prisim, "-q", "-o", out, "-j", "2",
                        "--seeds", "2", "--set", "device.pages=16", "--set", "device.count=2",
                        "--grid", "sw.driver.pq_log2sz=2..4", "--grid", "device.pri_capacity=4,8",
                        "--expect", "summary.pq_overflows == 0", "--target", "lat_p99_us < 1000"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    check(p.returncode == 1 and "run failed" in p.stderr, f"the sweep exited {p.returncode}: {p.stderr}")
    page_path = os.path.join(args.work, "sweep.html")
    rc, so, se = report(out, "-o", page_path)
    check(rc == 0, f"report exited {rc}: {se}")
    page = read(page_path)
    self_contained(page)
    for needle in ("<title>prisim sweep: default</title>", "recommendation: sw.driver.pq_log2sz=4 (16 entries)",
                   "VT-d rule", "seeds 1, 2", "Failed runs", "expectation &#x27;summary.pq_overflows == 0&#x27; failed",
                   "<details>", "Effective scenario keys", "swept: 2..4", "lat_p99_us &lt; 1000"):
        check(needle in page, f"the page lacks {needle!r}")
    check(len(re.findall(r'<tr class="recommended[ "]', page)) == 1, "not one point highlighted as recommended")
    check(page.count("<svg") == 3, f"{page.count('<svg')} figures, want 3")
    failed = re.search(r"<h2>Failed runs</h2>\s*<p>(\d+) of 12 runs did not exit 0", page)
    check(failed and failed.group(1) == "8", "the failed runs are not listed as 8 of 12")
    rc, so, se = report(out)
    check(rc == 0 and read(os.path.join(out, "report.html")) == page, "the same sweep gave other bytes")
    rc, so, se = report(out, "-o", os.path.join(args.work, "other.html"), "--series", "nope")
    check(rc == 2 and "--series nope: not an axis" in se, f"--series nope: {rc} {se}")
    rc, so, se = report(out, "-o", os.path.join(args.work, "other.html"), "--series", "sw.driver.pq_log2sz")
    check(rc == 0 and read(os.path.join(args.work, "other.html")).count("sw.driver.pq_log2sz=4") > 0,
          f"--series: {rc} {se}")
    dom, shot = render(page_path, args.work)
    check_rendered(dom, shot, 3, ("page-request queue entries", "overflow probability per page request",
                                  "mean fault latency by stage"))


def case_run(args):
    out = fresh(os.path.join(args.work, "run"))
    rd = os.path.join(out, "classes")
    p = subprocess.run([args.prisim, "-q", "-o", rd, "--set", "class.gpu.count=2", "--set", "class.gpu.pages=16",
                        "--set", "class.dsa.preset=intel-dsa", "--set", "class.dsa.count=1",
                        "--set", "class.dsa.pages=16"], capture_output=True, text=True)
    check(p.returncode == 0, f"prisim exited {p.returncode}: {p.stderr}")
    page_path = os.path.join(out, "run.html")
    rc, so, se = report(rd, "-o", page_path)
    check(rc == 0, f"report exited {rc}: {se}")
    page = read(page_path)
    self_contained(page)
    for needle in ("<title>prisim run: default</title>", "seed 1", "class gpu (2 devices", "class dsa (1 device,",
                   "device 00:00.1", "Scoreboard", "one PRG Response per PRG", "PQ high-water",
                   "<details>", "device.pri_capacity", "not a histogram"):
        check(needle in page, f"the page lacks {needle!r}")
    check(page.count("<svg") == 1, f"{page.count('<svg')} figures, want 1")
    # A copy elsewhere with the same name gives the same bytes.
    copy = os.path.join(fresh(os.path.join(out, "elsewhere")), "classes")
    shutil.copytree(rd, copy)
    rc, so, se = report(copy)
    check(rc == 0 and read(os.path.join(copy, "report.html")) == page, "the copy gave other bytes")
    dom, shot = render(page_path, out)
    check_rendered(dom, shot, 1, ("fault latency (us)", "class gpu"))


def case_bad_input(args):
    out = fresh(os.path.join(args.work, "bad_input"))
    empty = fresh(os.path.join(out, "empty"))
    rc, so, se = report(empty)
    check(rc == 2 and empty in se and "neither" in se, f"empty directory: {rc} {se}")
    rc, so, se = report(os.path.join(out, "nonexistent"))
    check(rc == 2 and "nonexistent" in se, f"no directory: {rc} {se}")
    host_only = fresh(os.path.join(out, "host_only"))
    with open(os.path.join(host_only, "host.json"), "w") as f:
        f.write("{}")
    rc, so, se = report(host_only)
    check(rc == 2 and os.path.join(host_only, "results.json") + ": not found" in se, f"no results.json: {rc} {se}")
    corrupt = fresh(os.path.join(out, "corrupt"))
    with open(os.path.join(corrupt, "results.json"), "w") as f:
        f.write('{"summary": {')
    rc, so, se = report(corrupt)
    check(rc == 2 and os.path.join(corrupt, "results.json") + ": not valid JSON" in se, f"corrupt: {rc} {se}")
    with open(os.path.join(corrupt, "results.json"), "w") as f:
        f.write('{"faults": 3}')
    rc, so, se = report(corrupt)
    check(rc == 2 and "results.json: not a prisim results.json" in se, f"not results.json: {rc} {se}")
    sweep = fresh(os.path.join(out, "sweep"))
    with open(os.path.join(sweep, "points.csv"), "w") as f:
        f.write("point,a,seeds\n0,1\n")
    rc, so, se = report(sweep)
    check(rc == 2 and os.path.join(sweep, "points.csv") + ": line 2" in se, f"corrupt points.csv: {rc} {se}")
    check(not os.path.exists(os.path.join(sweep, "report.html")), "a page was written for bad input")


CASES = {"sweep": case_sweep, "run": case_run, "bad_input": case_bad_input}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prisim")
    ap.add_argument("--work")
    ap.add_argument("--case", choices=sorted(CASES))
    ap.add_argument("--colours", metavar="PNG", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.colours:
        size, counts = colour_counts(args.colours)
        print(json.dumps({"size": size, "colours": [[c, n] for c, n in counts.items()]}))
        return 0
    if not (args.prisim and args.work and args.case):
        ap.error("--prisim, --work and --case are required")
    args.prisim = os.path.abspath(args.prisim)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    try:
        CASES[args.case](args)
    except Skip as e:
        print(f"report_test {args.case}: SKIP: {e}")
        return SKIP
    except Fail as e:
        print(f"report_test {args.case}: FAIL: {e}", file=sys.stderr)
        return 1
    print(f"report_test {args.case}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
