# SPDX-License-Identifier: Apache-2.0
"""The --target language: `STAT OP NUMBER[UNIT]`.

  STAT    a statistic column of sweep.csv (`lat_p99_us`, `overflow_probability`,
          `pq_overflows`, ...), evaluated on each run; or one of points.csv
          (`lat_p99_us_ci_hi`, `overflow_probability_ci_hi`, ...), evaluated
          on each point (its seeds together); or what prisim's --expect names in
          results.json: a dotted path (`summary.fault_latency_ps.p99`), a
          counter or value name (`iommu0.pq.overflows`), a distribution
          field (`dev.0001.fault_latency.p99`)
  OP      <  <=  >  >=  ==  !=
  NUMBER  a decimal number (`100`, `0.5`, `1e-3`), with an optional time
          unit ps, ns, us, ms or s when STAT has a time unit: a column
          ending in _us, or a path with a segment ending in _ps
          (`summary.fault_latency_ps.p99 < 100us` is < 100000000 ps)

A run-level target holds for a point when it holds in every seed's run (a
run without results.json fails it); a point-level one when the point's
value does. `overflow_probability_ci_hi < 1e-3` asks for the 95 % Wilson
upper bound, where `overflow_probability < 1e-3` asks that no run exceed it.
"""
import operator
import re

from . import SweepError

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}
UNIT_PS = {"ps": 1, "ns": 1e3, "us": 1e6, "ms": 1e9, "s": 1e12}
TARGET_RE = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*(<=|>=|==|!=|<|>)\s*"
                       r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ps|ns|us|ms|s)?\s*")


def stat_unit(stat, columns):
    """'us', 'ps' or None: the time unit of a statistic."""
    if stat in columns:
        return "us" if re.search(r"_us(_mean|_ci_lo|_ci_hi)?$", stat) else None
    if any(seg.endswith("_ps") for seg in stat.split(".")):
        return "ps"
    return None


class Target:
    def __init__(self, text, columns, point_columns=()):
        m = TARGET_RE.fullmatch(text)
        if not m:
            raise SweepError(f"--target '{text}': expected STAT OP NUMBER[UNIT], "
                             "OP one of < <= > >= == !=")
        self.text = text.strip()
        self.stat, self.op_text = m.group(1), m.group(2)
        self.op = OPS[self.op_text]
        self.limit = float(m.group(3))
        unit = m.group(4)
        if unit:
            su = stat_unit(self.stat, tuple(columns) + tuple(point_columns))
            if su is None:
                raise SweepError(f"--target '{text}': {self.stat} has no time unit; "
                                 "give a plain number")
            self.limit = self.limit * UNIT_PS[unit] / UNIT_PS[su]
        self.column = self.stat in columns
        self.point_level = not self.column and self.stat in point_columns
        self.unit = stat_unit(self.stat, tuple(columns) + tuple(point_columns))

    def value(self, row, results):
        """The statistic for one run: from its sweep.csv row or results.json."""
        if self.column:
            return row.get(self.stat)
        return resolve(results, self.stat)

    def holds(self, value):
        return value is not None and self.op(value, self.limit)

    def margin(self, worst):
        """How far the worst run is from the limit: (absolute, relative to
        the limit) with the sign positive when the target holds."""
        if worst is None:
            return None, None
        if self.op_text in ("<", "<="):
            d = self.limit - worst
        elif self.op_text in (">", ">="):
            d = worst - self.limit
        else:
            return None, None
        return d, (d / abs(self.limit) if self.limit else None)

    def worst(self, values):
        """The value of the runs furthest on the failing side."""
        vals = [v for v in values if v is not None]
        if not vals:
            return None
        if self.op_text in ("<", "<="):
            return max(vals)
        if self.op_text in (">", ">="):
            return min(vals)
        return vals[0]


def resolve(results, name):
    """A number from results.json as prisim's expectations name it, or None."""
    if not results:
        return None
    node = results
    ok = True
    for seg in name.split("."):
        if isinstance(node, dict) and seg in node:
            node = node[seg]
        elif isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
            node = node[int(seg)]
        else:
            ok = False
            break
    if ok and isinstance(node, (int, float)) and not isinstance(node, bool):
        return node
    for table in ("counters", "values"):
        v = results.get(table, {}).get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    head, _, field = name.rpartition(".")
    v = results.get("distributions", {}).get(head, {}).get(field)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    return None
