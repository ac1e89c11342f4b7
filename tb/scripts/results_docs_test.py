#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every statistic of results.json is documented, with its unit.

  results_docs_test.py --prisim PRISIM --work DIR [--jobs N]   the check
  results_docs_test.py --self-test                             the checker

The check runs prisim on every scenarios/*.yaml and on the built-in default
scenario, collects every key path of each results.json and looks each up in
the documentation:

- Keys outside `counters`, `values` and `distributions` (objects flattened
  to dotted paths, array elements to `[]`, data-dependent names to the
  placeholders docs/results.md writes: `summary.stage_latency_ps.<stage>`,
  `summary.handlers.<name>`, `classes.<name>`, `occupancy.<queue>`) need a
  row in a table of docs/results.md's `results.json` section whose first
  column names the key (several keys, `{a,b}` alternatives and `[]` are
  allowed; a first header cell "field of `PREFIX`" makes the rows relative
  to PREFIX) and, when the value is a number, a unit in its `unit` column.
  A unit that names a type, `<distribution>` or `<histogram>`, stands for
  the fields of the table headed "field of `<type>`". Stage and queue names
  must be rows of the stage and queue tables.
- Counters, values and distributions (`counters.<name>`, ...) are named by
  layer. A name must be in a counter-name list: docs/results.md ("Counter
  name families") or the README of the layer that reports it, where names
  are written relative to the layer's report prefix (README_BASES below;
  `sw.dev.<rid>.X` is documented with `sw.X`, as docs/results.md says).
  Its unit comes from the `unit` column of its family's row in "Counter
  name families" (the longest prefix that matches): an entry "`NAME`: UNIT"
  for the name (or its last words), else, for a counter only, the row's
  leading unit ("count"); a name that states a unit (`_ps`, `_ns`, `_us`,
  `bytes`, as docs/results.md "Units" says) must be documented in it.

Every key not documented and every number documented without a unit is
listed, with an example path and the run it came from, and the check fails.
--self-test runs the checker on synthetic results and documentation and
fails unless it catches an undocumented key, a number without a unit, an
unknown stage and an undocumented counter, value and counter family (it
also checks that the real documentation passes on a synthetic document
made of documented keys). Python 3 standard library.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS_MD = "docs/results.md"

# Layer READMEs with counter-name lists, and the prefixes their names are
# written relative to: a layer's report(sink, prefix) is called with
# "iommu0", "pcie0", "dev.<rid>" (model/platform/report.cpp); the software
# layers' counters are "sw." + the name they register (hal_stat_register,
# model/platform/sw_stats.cpp) and, per device, "sw.dev.<rid>." + it.
# `subst` replaces a README's own placeholders.
README_BASES = {
    "model/iommu/README.md": {"bases": ["iommu0."], "subst": {"<prefix>": "iommu0"}},
    "model/device/README.md": {"bases": ["dev.<rid>."], "subst": {"<p>": "dev.<rid>"}},
    "model/pcie/README.md": {"bases": ["pcie0."], "subst": {"<p>": "pcie0"}, "expand": {"<d>": ["up", "down"]}},
    "model/platform/README.md": {"bases": ["platform."], "subst": {}},
    "sw/drivers/riscv/README.md": {"bases": ["sw."], "subst": {}},
    "sw/iommu/README.md": {"bases": ["sw."], "subst": {}},
    "sw/iommufd/README.md": {"bases": ["sw."], "subst": {}},
    "sw/user/README.md": {"bases": ["sw."], "subst": {}},
    "sw/kernel/README.md": {"bases": ["sw."], "subst": {}},
}

# Data-dependent object keys outside the flat name maps: (the parent's
# normalised path, placeholder).
PLACEHOLDER_OF = {
    "summary.stage_latency_ps": "<stage>",
    "classes.<name>.stage_latency_ps": "<stage>",
    "summary.handlers": "<name>",
    "classes": "<name>",
    "classes.<name>.workloads": "<workload>",
    "occupancy": "<queue>",
}
# Objects documented as a whole: their contents are not statistics
# (scenario keys, docs/scenario-keys.md).
OPAQUE = {"scenario.params"}
# The flat name maps: "counters.<name>" with dots in the name.
NAME_MAPS = ("counters", "values", "distributions")
# Handlers by name (summary.handlers.<name>, sw.handler.<name>.*).
HANDLERS = ("demand_pager", "deny_outside", "slow", "external", "kernel", "host")

# Words that state a unit in a `unit` cell.
UNIT_WORDS = re.compile(r"\b(ps|ns|us|count|counts|bytes|per second|per us|ratio|entries|cycles|flag|"
                        r"index|version|seed)\b")
# Units a name states (docs/results.md, "Units"; result_unit in
# model/platform/report.cpp); a rate (`_per_`) states none.
def name_unit(leaf):
    if "_per_" in leaf:
        return None
    for u in ("ps", "ns", "us"):
        if leaf.endswith("_" + u):
            return u
    if leaf == "bytes" or leaf.endswith("_bytes") or leaf.startswith("bytes_"):
        return "bytes"
    return None


# ---------------------------------------------------------------------------
# Names and placeholders

def norm_placeholder(p):
    """<device_id as 4 hex digits>, <rid, 4 hex digits> -> <rid>; others by
    their first word."""
    inner = p[1:-1].strip()
    if "rid" in inner or "device_id" in inner:
        return "<rid>"
    return "<" + re.split(r"[ ,]", inner)[0] + ">"


def norm_name(name):
    """A counter, value or distribution name (or a documented one) with its
    data-dependent words as placeholders."""
    name = re.sub(r"<[^>]*>", lambda m: norm_placeholder(m.group(0)), name)
    name = re.sub(r"(^|\.)dev\.[0-9a-f]{4}(?=\.|$)", r"\1dev.<rid>", name)
    name = re.sub(r"(^|\.)(stream|cpu)\.\d+(?=\.|$)", r"\1\2.<i>", name)
    name = re.sub(r"(^|\.)pasid\.\d+(?=\.|$)", r"\1pasid.<pasid>", name)
    name = re.sub(r"(^|\.)(dev\.<rid>\.workload)\.(?!<)[^.]+(?=\.)", r"\1\2.<workload>", name)
    name = re.sub(r"(^|\.)cause\.\d+$", r"\1cause.<n>", name)
    name = re.sub(r"(^|\.)handler\.(%s)(?=\.|$)" % "|".join(HANDLERS), r"\1handler.<name>", name)
    # Fault-injection sites (dotted names themselves): inject.failures.<site>.
    name = re.sub(r"(^|\.)inject\.failures\.(?!<).+$", r"\1inject.failures.<site>", name)
    return name


def expand(token):
    """`a.{b,c}.d` and `a.b|c|d` alternatives -> the names."""
    m = re.search(r"\{([^{}]*)\}", token)
    if m:
        out = []
        for alt in m.group(1).split(","):
            out += expand(token[:m.start()] + alt.strip() + token[m.end():])
        return out
    if "|" in token:
        first, *rest = token.split("|")
        head = first[:first.rfind(".") + 1]
        return [first] + [head + r for r in rest]
    return [token]


def backticked(text):
    return re.findall(r"`([^`]+)`", text)


def split_row(line):
    """The cells of a Markdown table row ('|' inside backticks kept)."""
    cells, cur, code = [], "", False
    for ch in line.strip().strip("|"):
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def tables(text):
    """(header cells, [row cells]) for each Markdown table."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1].strip()):
            head = split_row(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            out.append((head, rows))
        else:
            i += 1
    return out


def strip_arrays(key):
    return key.replace("[]", "")


# ---------------------------------------------------------------------------
# The documentation

class Docs:
    """What docs/results.md and the layer READMEs document."""

    def __init__(self, results_md, readmes):
        """results_md: the text of docs/results.md; readmes: {path: text}."""
        start = results_md.find("## `results.json`")
        end = results_md.find("## `host.json`")
        section = results_md[start if start >= 0 else 0:end if end >= 0 else len(results_md)]
        self.keys = {}       # key pattern (no []) -> unit cell
        self.types = {}      # "<distribution>" -> {field: unit cell}
        self.stages, self.queues = set(), set()
        self.families = []   # (prefix, unit cell, names cell)
        self.names = set()   # documented counter/value/distribution names
        key_rows = []
        for head, rows in tables(section):
            h0 = head[0].lower()
            unit_col = next((i for i, h in enumerate(head) if h.lower() == "unit"), None)
            if h0 == "stage":
                self.stages |= {t for r in rows for t in backticked(r[0])}
            elif h0 == "queue":
                self.queues |= {t for r in rows for t in backticked(r[0])}
            elif h0 == "prefix":
                for r in rows:
                    unit = r[unit_col] if unit_col is not None and unit_col < len(r) else ""
                    names = r[2] if len(r) > 2 else ""
                    for p in backticked(r[0]):
                        self.families.append((norm_name(p), unit, names))
            elif h0 == "key" or h0.startswith("field of"):
                prefix = ""
                if h0.startswith("field of"):
                    prefix = (backticked(head[0]) or [""])[0]
                for r in rows:
                    unit = r[unit_col] if unit_col is not None and unit_col < len(r) else ""
                    for t in backticked(r[0]):
                        for k in expand(t):
                            full = strip_arrays(prefix + "." + k if prefix else k)
                            if full.startswith("<") and full.split(".")[0] == prefix:
                                self.types.setdefault(prefix, {})[strip_arrays(k)] = unit
                            else:
                                key_rows.append((full, unit))
        for full, unit in key_rows:
            self.keys[full] = unit
            # A unit naming a type: the type's fields.
            for ty in backticked(unit):
                for field, fu in self.types.get(ty, {}).items():
                    self.keys[full + "." + field] = fu
        # Counter names: the families table (names relative to the row's
        # prefixes, or to their first word), then the READMEs.
        for prefix, _, names in self.families:
            bases = [prefix, prefix.split(".")[0] + "."]
            for t in backticked(names):
                for n in expand(t):
                    n = norm_name(n)
                    self.names.add(n)
                    self.names |= {b + n for b in bases}
        for path, text in readmes.items():
            self.names |= readme_names(text, README_BASES.get(path, {"bases": [], "subst": {}}))

    def family(self, name):
        """The families table row whose prefix is the longest that starts name."""
        best = None
        for prefix, unit, _ in self.families:
            if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, unit)
        return best


def readme_names(text, cfg):
    """Every name a README's text documents: each backticked token (its
    alternatives expanded), alone, after one of the file's bases, and after
    any prefix of an earlier token of the same paragraph, list item or
    table row (`sw.iopf.reported`, `groups`; `<p>.<d>.tlps`, `.messages`)."""
    names = set()
    blocks, cur = [], []
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith(("- ", "|", "#")):
            if cur:
                blocks.append(" ".join(cur))
            cur = [line] if line.strip() else []
        else:
            cur.append(line)
    if cur:
        blocks.append(" ".join(cur))
    for block in blocks:
        for p, v in cfg.get("subst", {}).items():
            block = block.replace(p, v)
        variants = [block]
        for p, vals in cfg.get("expand", {}).items():
            variants = [b.replace(p, v) for b in variants for v in vals] if p in block else variants
        for b in variants:
            bases = list(cfg.get("bases", []))
            heads = set(bases)
            for t in backticked(b):
                for n in expand(t):
                    n = norm_name(n.strip())
                    if " " in n or not n:
                        continue
                    names |= {h + n.lstrip(".") for h in heads}
                    if n.startswith("."):
                        continue
                    names.add(n)
                    for full in [n] + [b + n for b in bases]:
                        heads |= {full[:i + 1] for i, ch in enumerate(full) if ch == "."}
    return names


def load_docs(root):
    with open(os.path.join(root, RESULTS_MD), encoding="utf-8") as f:
        results_md = f.read()
    readmes = {}
    for path in README_BASES:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            readmes[path] = f.read()
    return Docs(results_md, readmes)


# ---------------------------------------------------------------------------
# The results

def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def collect(res, origin, out):
    """Every key of one results.json into out: {pattern: {example (a path),
    origin (the run), numeric (a number somewhere), section (None or one of
    NAME_MAPS), extra (the name in a NAME_MAP; a placeholder and the names
    it stood for)}}."""
    def add(pattern, example, numeric, section=None, extra=None):
        if pattern not in out:
            out[pattern] = {"example": example, "origin": origin, "numeric": numeric,
                            "section": section, "extra": extra or {}}
        else:
            out[pattern]["numeric"] |= numeric

    def walk(v, norm, path):
        n = strip_arrays(norm)
        if n in OPAQUE:
            add(norm, path, False)
            return
        if isinstance(v, dict):
            if norm in NAME_MAPS:
                for name, x in v.items():
                    add(norm + "." + norm_name(name), path + "." + name, is_number(x) or isinstance(x, dict),
                        norm, {"name": norm_name(name)})
                return
            ph = PLACEHOLDER_OF.get(n)
            for k, x in v.items():
                seg = ph or k
                extra = {"placeholder": (ph, k)} if ph else None
                if extra:
                    add(norm + "." + seg, path + "." + k, False, None, extra)
                    out[norm + "." + seg].setdefault("values", set()).add(k)
                walk(x, norm + "." + seg, path + "." + k)
            if not v:
                add(norm, path, False)
        elif isinstance(v, list):
            if not v:
                add(norm + "[]", path + "[]", False)
            for i, x in enumerate(v):
                walk(x, norm + "[]", f"{path}[{i}]")
        else:
            add(norm, path, is_number(v))

    for k, v in res.items():
        walk(v, k, k)


def check(found, docs):
    """(undocumented, without unit): lists of messages."""
    undocumented, no_unit = [], []

    def where(info):
        return f"(e.g. {info['example']}, {info['origin']})"

    for pattern, info in sorted(found.items()):
        section = info["section"]
        if section is None:
            key = strip_arrays(pattern)
            ph = info["extra"].get("placeholder")
            if ph:
                allowed = {"<stage>": docs.stages, "<queue>": docs.queues}.get(ph[0])
                if allowed is not None:
                    for name in sorted(info.get("values", ())):
                        if name not in allowed:
                            undocumented.append(f"{pattern}: {ph[0]} '{name}' is not in the table of docs/results.md "
                                                f"{where(info)}")
                continue
            if key not in docs.keys:
                undocumented.append(f"{pattern} {where(info)}")
            elif info["numeric"] and not UNIT_WORDS.search(docs.keys[key]):
                no_unit.append(f"{pattern}: unit '{docs.keys[key]}' {where(info)}")
            continue
        name = info["extra"]["name"]
        doc_name = re.sub(r"^sw\.dev\.<rid>\.", "sw.", name)  # "the same names, per device"
        if doc_name not in docs.names:
            undocumented.append(f"{pattern}: not in a counter-name list {where(info)}")
        fam = docs.family(doc_name)
        if fam is None:
            undocumented.append(f"{pattern}: no family in docs/results.md \"Counter name families\" {where(info)}")
            continue
        prefix, cell = fam
        unit = family_unit(cell, doc_name, section)
        if not unit or not UNIT_WORDS.search(unit):
            no_unit.append(f"{pattern}: its family '{prefix}' gives no unit "
                           f"(an entry '`{doc_name[len(prefix):]}`: UNIT' in its unit cell) {where(info)}")
            continue
        want = name_unit(name.split(".")[-1])
        if want and not re.search(r"\b%s\b" % want, unit):
            no_unit.append(f"{pattern}: the name says {want}, the documentation '{unit}' {where(info)}")
    return undocumented, no_unit


def family_unit(cell, name, section):
    """The unit a family's unit cell gives the name: an entry "`WORDS`:
    UNIT" whose WORDS are the name's last words, else, for a counter, the
    cell's leading unit (before the first ';')."""
    for part in cell.split(";"):
        m = re.match(r"\s*((?:`[^`]+`(?:,\s*)?)+):\s*(.+)$", part)
        if not m:
            continue
        for t in backticked(m.group(1)):
            for n in expand(t):
                n = norm_name(n)
                if ("." + name).endswith("." + n):
                    return m.group(2).strip()
    lead = cell.split(";")[0].strip()
    if section == "counters" and lead and not lead.startswith("`"):
        return lead
    return ""


# ---------------------------------------------------------------------------
# Runs

def run_one(prisim, work, name, args):
    out = os.path.join(work, name)
    os.makedirs(out, exist_ok=True)
    p = subprocess.run([prisim, "-q", *args, "-o", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"prisim {' '.join(args)} exited {p.returncode}:\n{p.stdout[-2000:]}")
    with open(os.path.join(out, "results.json")) as f:
        return name, json.load(f)


# Run-size caps (documented scenario keys) for the scenarios that take long:
# the same keys come out of a smaller run.
CAPS = {"devices-1024": ["--set", "device.count=256"]}


def main_check(a):
    docs = load_docs(ROOT)
    runs = [("builtin-default", [])]
    for f in sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml"))):
        name = os.path.splitext(os.path.basename(f))[0]
        runs.append((name, [f] + CAPS.get(name, [])))
    found = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [ex.submit(run_one, a.prisim, a.work, n, args) for n, args in runs]
        for fut in futs:
            name, res = fut.result()
            collect(res, name, found)
    undocumented, no_unit = check(found, docs)
    print(f"{len(found)} key patterns from {len(runs)} runs")
    for m in undocumented:
        print("undocumented: " + m)
    for m in no_unit:
        print("no unit: " + m)
    if undocumented or no_unit:
        print(f"FAIL: {len(undocumented)} keys undocumented, {len(no_unit)} documented without a unit "
              f"({RESULTS_MD}, the layer READMEs)")
        return 1
    print("every key is documented, every number with its unit")
    return 0


# ---------------------------------------------------------------------------
# The checker's own test

SELF_DOC = """# x
## `results.json` (schema 1)

| key | unit | meaning |
|---|---|---|
| `schema` | version | |
| `summary.faults` | count | |
| `summary.sim_time_ps` | | no unit stated |
| `summary.stage_latency_ps.<stage>` | `<histogram>` | |
| `ok` | — | |

| field of `<histogram>` | unit | meaning |
|---|---|---|
| `unit` | — | |
| `count` | count | |
| `{min,max}` | ps | |

| stage | from |
|---|---|
| `request` | |

| prefix | layer | names | unit |
|---|---|---|---|
| `iommu0.` | IOMMU | `pq.records_written`, `cq.cycles_ps`, `pq.avg` | count; `cq.cycles_ps`: count; `pq.avg`: entries |

## `host.json`

| key | meaning |
|---|---|
| `summary.fake_host` | must not count as results.json's |
"""


def self_test():
    bad = []

    def expect(cond, what):
        if not cond:
            bad.append(what)

    # Synthetic documentation and results.
    docs = Docs(SELF_DOC, {"model/iommu/README.md": "Counters: `pq.overflows`, `.drops`, `dev.<rid>.x|y`.\n"})
    docs_r = Docs(SELF_DOC, {})
    readme = readme_names("Counters: `pq.overflows`, `.drops`, `dev.<rid>.x|y`.\n",
                          README_BASES["model/iommu/README.md"])
    expect("iommu0.pq.overflows" in readme and "iommu0.pq.drops" in readme and "iommu0.dev.<rid>.y" in readme,
           f"README names not read: {sorted(readme)}")
    res = {
        "schema": 1, "ok": True,
        "summary": {"faults": 3, "sim_time_ps": 5, "fake_statistic": 7,
                    "stage_latency_ps": {"request": {"unit": "ps", "count": 1, "min": 1, "max": 2},
                                         "teleport": {"unit": "ps", "count": 1, "min": 1, "max": 2}},
                    "fake_host": 1},
        "counters": {"iommu0.pq.records_written": 1, "iommu0.pq.overflows": 2, "iommu0.dev.0001.y": 3,
                     "iommu0.fake.counter": 4, "iommu0.cq.cycles_ps": 5, "pcie0.up.tlps": 6},
        "values": {"iommu0.pq.avg": 1.5, "iommu0.fake_value": 2.5},
    }
    found = {}
    collect(res, "synthetic", found)
    und, nou = check(found, docs)
    text = "\n".join(und + nou)
    for k in ("summary.fake_statistic", "summary.fake_host", "'teleport'", "counters.iommu0.fake.counter",
              "values.iommu0.fake_value", "counters.pcie0.up.tlps: no family"):
        expect(k in "\n".join(und), f"undocumented {k} not reported")
    for k in ("summary.sim_time_ps: unit", "counters.iommu0.cq.cycles_ps: the name says ps",
              "values.iommu0.fake_value: its family"):
        expect(k in "\n".join(nou), f"'{k}' not reported without a unit")
    for k in ("summary.faults ", "counters.iommu0.pq.records_written", "counters.iommu0.pq.overflows",
              "counters.iommu0.dev.<rid>.y", "summary.stage_latency_ps.<stage>.count",
              "summary.stage_latency_ps.<stage>.min", "values.iommu0.pq.avg", "schema", "ok "):
        expect(k not in text, f"documented key reported: {k}")
    und_r, _ = check(found, docs_r)
    expect(any("counters.iommu0.pq.overflows" in m for m in und_r), "a name only a README has, without it, passed")
    # The real documentation on a synthetic document of documented keys:
    # the checker finds them, so the runs' check is not vacuous.
    real = load_docs(ROOT)
    doc_res = {"summary": {"faults": 1, "fault_latency_ps": {"unit": "ps", "count": 1, "p99": 2},
                           "stage_latency_ps": {"drain": {"p99_9": 3}}},
               "counters": {"sw.dev.0001.prgr.sent.success": 1, "dev.0002.stream.3.dma_bytes": 4},
               "occupancy": {"iommu0.pq": {"hwm": 1}}}
    found = {}
    collect(doc_res, "synthetic", found)
    und, nou = check(found, real)
    expect(not und and not nou, "documented keys reported: " + "; ".join(und + nou))
    found = {}
    collect({"summary": {"not_a_statistic": 1}, "counters": {"sw.nowhere.count": 1},
             "occupancy": {"iommu0.nq": {"hwm": 1}}}, "synthetic", found)
    und, _ = check(found, real)
    expect(len(und) >= 3, "undocumented keys not caught against docs/results.md: " + "; ".join(und))
    for m in bad:
        print("FAIL: " + m)
    if not bad:
        print("the checker catches undocumented keys and numbers without a unit")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prisim")
    ap.add_argument("--work")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not a.prisim or not a.work:
        ap.error("--prisim and --work are needed (or --self-test)")
    os.makedirs(a.work, exist_ok=True)
    return main_check(a)


if __name__ == "__main__":
    sys.exit(main())
