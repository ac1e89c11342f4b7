# SPDX-License-Identifier: Apache-2.0
"""HTML pieces: escaping, numbers, tables, and the page with its inline
style sheet. The page loads nothing: no external style sheet, script, font
or image.
"""
import html
import math

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1150px; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; vertical-align: top; }
th { background: #f2f2f2; }
td.text, th.text { text-align: left; }
tr.recommended td { background: #e3f4e0; font-weight: bold; }
tr.vtd td:first-child { border-left: 4px solid #e0a030; }
tr.swept td { color: #555; font-style: italic; }
tr.failed td { background: #fbe3e3; }
.ok { color: #1a7a1a; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
.box { border: 2px solid #1a7a1a; background: #f3faf2; padding: 0.6em 1em; margin: 1em 0; }
.box.none { border-color: #b00020; background: #fdf2f2; }
.box p { margin: 0.3em 0; }
figure.plot { margin: 1em 0; display: inline-block; vertical-align: top; }
figure.plot svg { width: 560px; height: auto; }
figure.plot.wide, figure.plot.wide svg { width: 100%; }
figure.plot figcaption { font-size: 0.85em; color: #444; max-width: 560px; }
details { margin: 0.6em 0; }
summary { cursor: pointer; font-weight: bold; }
div.wide { overflow-x: auto; }
div.wide table { font-size: 0.8em; }
span.ci { color: #555; font-size: 0.9em; white-space: nowrap; }
code { font-size: 0.95em; }
.note { color: #555; font-size: 0.9em; }
"""


def esc(x):
    return html.escape("" if x is None else str(x), quote=True)


def num(v, digits=4):
    """A number for a table: integers as such, others with `digits`
    significant digits; None as an en dash."""
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e12 or 10 ** digits <= abs(v) < 1e12:
            return str(round(v))
        return f"{v:.{digits}g}"
    return str(v)


def us(ps):
    """Picoseconds as microseconds for a table."""
    return "–" if ps is None else num(ps / 1e6)


def status(ok):
    return '<span class="ok">ok</span>' if ok else '<span class="fail">FAIL</span>'


def breakable(key):
    """A dotted key as a header that may wrap after its dots."""
    return "<wbr>".join(esc(p) + "." for p in key.split(".")[:-1]) + "<wbr>" + esc(key.split(".")[-1]) \
        if "." in key else esc(key)


def table(header, rows, text_cols=(), row_classes=None, raw_cols=(), raw_header=False):
    """header: column titles; rows: lists of cells (escaped unless their
    column is in raw_cols); text_cols: left-aligned columns."""
    out = ["<table>", "<tr>" + "".join(
        f'<th class="text">{h if raw_header else esc(h)}</th>' if i in text_cols
        else f"<th>{h if raw_header else esc(h)}</th>"
        for i, h in enumerate(header)) + "</tr>"]
    for n, r in enumerate(rows):
        cls = row_classes[n] if row_classes else ""
        cells = []
        for i, c in enumerate(r):
            body = c if i in raw_cols else esc(c)
            cells.append(f'<td class="text">{body}</td>' if i in text_cols else f"<td>{body}</td>")
        out.append((f'<tr class="{cls}">' if cls else "<tr>") + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def page(title, meta, body):
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>" + STYLE + "</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{meta}</p>',
        body,
        "</body>",
        "</html>",
        ""])
