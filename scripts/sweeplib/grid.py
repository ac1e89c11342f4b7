# SPDX-License-Identifier: Apache-2.0
"""The sweep's grid: --grid KEY=VALUES axes, --set KEY=VALUE fixed keys and
--seeds, every value checked against the registry before anything runs.

VALUES is a comma list (`8,16,32`, `fixed,exponential`) or an integer range
`a..b` (inclusive), optionally with a step `a..b:s`. Keys whose unit is a
time (ns, us) also take a suffix ns, us, ms or s (`2us` for a *_ns key is
2000); the result must be a whole number for an integer key.
"""
import itertools
import re

from . import SweepError
from .registry import lookup

TIME_SCALE = {"ns": 1, "us": 1000, "ms": 1000_000, "s": 1000_000_000}
BOOL_TEXT = {"true": True, "false": False, "yes": True, "no": False,
             "on": True, "off": False, "1": True, "0": False}
NUM_RE = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?")
MAX_POINTS = 100_000


class Value:
    """One value of a key: the text given to `prisim --set` and the typed
    value (int, float, bool or str) used in tables and comparisons."""

    def __init__(self, text, typed):
        self.text, self.typed = text, typed

    def __eq__(self, other):
        return isinstance(other, Value) and self.typed == other.typed

    def __hash__(self):
        return hash(self.typed)

    def __repr__(self):
        return self.text


def _split_unit(text, key):
    """(number text, scale to the key's unit) for a time with a suffix."""
    m = re.fullmatch(r"([0-9.eE+-]+)(ns|us|ms|s)", text)
    if not m or key.unit not in TIME_SCALE:
        return text, None
    return m.group(1), TIME_SCALE[m.group(2)] / TIME_SCALE[key.unit]


def parse_value(key, text, where):
    """Value of `text` for `key`, checked against its type and range."""
    text = text.strip()
    bad = f"{where}: {key.name} = '{text}'"
    if key.type in ("integer", "number"):
        num, scale = _split_unit(text, key)
        if scale is not None:
            if not NUM_RE.fullmatch(num):
                raise SweepError(f"{bad}: not a number")
            v = float(num) * scale
            if key.type == "integer":
                if v != int(v):
                    raise SweepError(f"{bad}: not a whole number of {key.unit}")
                v = int(v)
            text = str(v) if key.type == "integer" else repr(v)
        elif key.type == "integer":
            if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
                v = int(text, 16)
            elif re.fullmatch(r"0|[1-9][0-9]*", text):
                v = int(text)
            elif re.fullmatch(r"0[0-9]+", text):
                raise SweepError(f"{bad}: leading zeros are not allowed")
            else:
                raise SweepError(f"{bad}: not an integer"
                                 + (f" (a time suffix ns, us, ms or s is taken for keys in {key.unit})"
                                    if key.unit in TIME_SCALE else ""))
        else:
            if not NUM_RE.fullmatch(text):
                raise SweepError(f"{bad}: not a number")
            v = float(text)
        if not key.lo <= v <= key.hi:
            raise SweepError(f"{bad}: out of range [{key.lo}, {key.hi}]")
        return Value(text, v)
    if key.type == "bool":
        if text.lower() not in BOOL_TEXT:
            raise SweepError(f"{bad}: not a boolean (true or false)")
        return Value(text.lower(), BOOL_TEXT[text.lower()])
    if key.type == "choice":
        if text not in key.choices:
            raise SweepError(f"{bad}: not one of {', '.join(key.choices)}")
        return Value(text, text)
    return Value(text, text)


def parse_values(key, spec, where):
    """The list of Values of an axis: a comma list or an integer range."""
    m = re.fullmatch(r"(-?[0-9]+)\.\.(-?[0-9]+)(?::([0-9]+))?", spec.strip())
    if m:
        a, b, step = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        if key.type != "integer":
            raise SweepError(f"{where}: {key.name}: a range a..b is for integer keys; "
                             f"list the values with commas")
        if b < a or step < 1:
            raise SweepError(f"{where}: {key.name} = '{spec}': an empty range")
        texts = [str(i) for i in range(a, b + 1, step)]
    else:
        texts = spec.split(",")
    if any(not t.strip() for t in texts):
        raise SweepError(f"{where}: {key.name} = '{spec}': an empty value")
    values = [parse_value(key, t, where) for t in texts]
    if len(set(values)) != len(values):
        raise SweepError(f"{where}: {key.name} = '{spec}': a value appears twice")
    return values


def split_assignment(text, option):
    if "=" not in text:
        raise SweepError(f"{option} '{text}': expected KEY=VALUE")
    k, v = text.split("=", 1)
    return k.strip(), v


class Grid:
    """Axes [(key, [Value])], fixed keys [(key, Value)], seeds [int]."""

    def __init__(self, keys, grid_args, set_args, seeds_arg):
        self.axes, self.fixed = [], []
        seen = set()
        for g in grid_args:
            name, spec = split_assignment(g, "--grid")
            if name in ("seed",):
                raise SweepError("--grid seed=...: give the seeds with --seeds")
            key = lookup(keys, name)
            if name in seen:
                raise SweepError(f"--grid {name}: the key is given twice")
            seen.add(name)
            self.axes.append((name, parse_values(key, spec, "--grid")))
        for s in set_args:
            name, text = split_assignment(s, "--set")
            if name == "seed":
                raise SweepError("--set seed=...: give the seeds with --seeds")
            key = lookup(keys, name)
            if name in seen:
                raise SweepError(f"--set {name}: the key is given twice (or also in --grid)")
            seen.add(name)
            self.fixed.append((name, parse_value(key, text, "--set")))
        if not self.axes:
            raise SweepError("no --grid axis given")
        self.seeds = parse_seeds(seeds_arg)
        n = 1
        for _, vals in self.axes:
            n *= len(vals)
        if n * len(self.seeds) > MAX_POINTS:
            raise SweepError(f"{n} points x {len(self.seeds)} seeds is more than {MAX_POINTS} runs")

    def keys(self):
        return [k for k, _ in self.axes]

    def points(self):
        """Every point, as a tuple of Values in axis order, in grid order
        (the first axis varies slowest)."""
        return list(itertools.product(*(vals for _, vals in self.axes)))


def parse_seeds(text):
    """`N` = seeds 1..N; `a..b`; or a comma list."""
    text = str(text).strip()
    try:
        if re.fullmatch(r"[0-9]+", text):
            n = int(text)
            if n < 1:
                raise SweepError("--seeds 0: at least one seed")
            return list(range(1, n + 1))
        m = re.fullmatch(r"([0-9]+)\.\.([0-9]+)", text)
        if m:
            seeds = list(range(int(m.group(1)), int(m.group(2)) + 1))
        else:
            seeds = [int(t) for t in text.split(",")]
    except ValueError:
        raise SweepError(f"--seeds '{text}': expected N, a..b or a comma list of seeds")
    if not seeds or len(set(seeds)) != len(seeds):
        raise SweepError(f"--seeds '{text}': empty, or a seed appears twice")
    return seeds
