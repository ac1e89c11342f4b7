# SPDX-License-Identifier: Apache-2.0
"""The scenario keys as `prisim --list-params` lists them, and the device
class keys `class.<name>.<field>` (docs/scenario.md, "Device classes")."""
import re
import subprocess

from . import SweepError

# The fields a class may set besides count and preset: each has the type and
# range of device.<field> (model/platform/params.cpp, k_class_device_fields).
CLASS_DEVICE_FIELDS = ("pri_capacity", "atc_entries", "streams", "pages", "prg_pages",
                       "bytes_per_page", "think_ns", "iova_base", "max_prg_attempts",
                       "arrival", "arrival_gap_ns", "start_jitter_ns")
CLASS_PRESETS = ("none", "intel-dsa", "amd-renoir-igpu", "amd-raven-igpu", "intel-igpu")
CLASS_MAX_DEVICES = 4096
CLASS_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class Key:
    """One scenario key: name, type (integer, number, bool, choice, text),
    default text, range [lo, hi] or choices, and unit."""

    def __init__(self, name, typ, default, lo=None, hi=None, choices=(), unit=""):
        self.name, self.type, self.default = name, typ, default
        self.lo, self.hi, self.choices, self.unit = lo, hi, tuple(choices), unit

    def renamed(self, name):
        return Key(name, self.type, self.default, self.lo, self.hi, self.choices, self.unit)

    def allowed(self):
        if self.type in ("integer", "number"):
            return f"[{self.lo}, {self.hi}]"
        if self.type == "bool":
            return "true or false"
        if self.type == "choice":
            return ", ".join(self.choices)
        return "text"


def _bound(text):
    text = text.strip()
    return int(text) if re.fullmatch(r"[0-9]+", text) else float(text)


def parse(text):
    """The Markdown table `prisim --list-params` prints, as {name: Key}."""
    keys = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            raise SweepError(f"--list-params: cannot read the row {line!r}")
        name, typ, default, rng, unit = cells[0].strip("`"), cells[1], cells[2].strip("`"), cells[3], cells[4]
        if typ in ("integer", "number"):
            lo, hi = (_bound(x) for x in rng.split(".."))
            if typ == "integer":
                lo, hi = int(lo), int(hi)
            keys[name] = Key(name, typ, default, lo, hi, unit=unit)
        elif typ == "choice":
            keys[name] = Key(name, typ, default, choices=[c.strip() for c in rng.split(",")], unit=unit)
        elif typ in ("bool", "text"):
            keys[name] = Key(name, typ, default, unit=unit)
        else:
            raise SweepError(f"--list-params: key {name}: unknown type {typ!r}")
    if not keys:
        raise SweepError("--list-params printed no key")
    return keys


def load_text(prisim):
    """The text `prisim --list-params` prints."""
    try:
        p = subprocess.run([prisim, "--list-params"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
    except OSError as e:
        raise SweepError(f"cannot run {prisim}: {e}")
    if p.returncode != 0:
        raise SweepError(f"{prisim} --list-params exited {p.returncode}: "
                         f"{p.stderr.decode(errors='replace').strip()[:500]}")
    return p.stdout.decode(errors="replace")


def lookup(keys, name):
    """The Key of `name`: a registry key or a class key. SweepError if unknown."""
    if name in keys:
        return keys[name]
    if name.startswith("class."):
        parts = name.split(".", 2)
        if len(parts) != 3 or not CLASS_NAME_RE.fullmatch(parts[1]):
            raise SweepError(f"'{name}': a class key is class.<name>.<field>, the name "
                             "1 to 32 letters, digits, '_' or '-'")
        field = parts[2]
        if field == "count":
            return Key(name, "integer", "1", 0, CLASS_MAX_DEVICES)
        if field == "preset":
            return Key(name, "choice", "none", choices=CLASS_PRESETS)
        if field in CLASS_DEVICE_FIELDS and "device." + field in keys:
            return keys["device." + field].renamed(name)
        raise SweepError(f"unknown class key '{name}' (a class sets: count, preset, "
                         + ", ".join(CLASS_DEVICE_FIELDS) + ")")
    raise SweepError(f"unknown scenario key '{name}' (see `prisim --list-params`)")
