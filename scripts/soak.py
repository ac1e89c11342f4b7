#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Randomized soak of prisim's exit-status promise (docs/testing.md, "Soak").

  soak.py --minutes 10 [--seed S] [--jobs J]   run for a wall-time budget (make soak)
  soak.py --cases 500 --seed S [--skip I,J]     a fixed set of cases (CTest system.soak_short)
  soak.py --seed S --case I                     case I of seed S: its command line, its
                                                outcome and, if it fails, a reproducer

The promise: for every scenario with every key inside its documented range,
prisim exits 0 when everything holds, 1 naming the check or expectation that
failed, 2 naming the key of a configuration it rejects at load; never a
crash, a hang or a run beyond its simulated-time limit; and the same scenario
and seed give byte-identical results.json.

Each case sets a random subset of the keys `prisim --list-params` lists, on
/dev/null (the registry defaults) or on a scenario in scenarios/*.yaml, with
values in range and biased to the edges. A case is a function of (seed,
index) alone. Scenario files with device classes or a trace (device.trace)
are not bases: the soak's model of a run is device.count identical devices
of the generated workload. device.trace, a text key, draws text like every
text key: empty (the generated workload) or a path that names no readable
trace, which prisim rejects at load naming the key. Every outcome is
classified:

  ok                exit 0
  config            exit 2 with a `prisim: ` message naming a key (or the
                    expectation that names no result)
  verdict           exit 1, every failed check and expectation predicted
                    from the configuration by a rule of predict() ("explained")
  unexplained       exit 1 with a failure no rule predicts, or without a
                    FAIL line                                             (failure)
  unnamed           exit 2 without a key or expectation named             (failure)
  crash             a signal, another exit status, a sanitizer report, an
                    uncaught exception, no results.json after exit 0 or 1 (failure)
  hang              still running at the wall-time bound (--timeout)      (failure)
  overrun           summary.sim_time_ps beyond run.max_time_us            (failure)
  nondeterministic  a second run with the same seed gives other
                    results.json bytes (a share of the cases, --det-share) (failure)

Each distinct failure is minimised to a `prisim /dev/null --set ...` command
line. Progress and the summary go to stderr, the JSON report to stdout (or
--report FILE). Exit status: 0 no failure; 1 at least one failure; 2 usage
error, or prisim cannot be run at all. Python 3 standard library only.
"""
import argparse
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = 4096
def va_bits(p):
    """IOVA bits of the first-stage mode the driver uses: sw.driver.pgtbl_mode
    as far as the IOMMU advertises it (docs/scenario.md)."""
    va = {"sv39": 39, "sv48": 48}.get(p.get("sw.driver.pgtbl_mode", "sv39"), 57)
    if va == 57 and not p.get("iommu.sv57", False):
        va = 48
    if va == 48 and not p.get("iommu.sv48", False):
        va = 39
    return va


def va_top(p):
    """The workload must end at or below it: the lower half of va_bits."""
    return 1 << (va_bits(p) - 1)

FAILURE_CLASSES = ("unexplained", "unnamed", "crash", "hang", "overrun", "nondeterministic")
CLASSES = ("ok", "config", "verdict") + FAILURE_CLASSES

# Workload caps (device.count x device.pages) so that thousands of cases fit
# in minutes: most cases stay small, some are larger, a few ("full") draw
# both keys from their whole ranges and are bounded by a short
# run.max_time_us instead.
WORKLOAD_CAP = {"small": 2048, "large": 16384}
WORKLOAD_MODES = (("small", 0.90), ("large", 0.08), ("full", 0.02))
# run.max_time_us (after the boot) for cases that cannot finish in a bounded
# host time: the whole workload range, a predicted livelock. The run ends at
# the limit, which the "limit" or "livelock" rule then explains.
SHORT_LIMIT_US = 2000
BOOT_ROOM_MAX_US = 10000  # ... after an estimated boot up to this long
# A run is given twice its estimated need when run.max_time_us is not drawn.
ROOM = 2.0
# Host time a case may cost by estimate (host_seconds); beyond, its
# workload is made smaller, then its run.max_time_us shorter.
HOST_BUDGET_S = 3.0
# Host time per page of a workload, touched or not (host_seconds); a "full"
# case lowers device.count so that its pages cost at most FULL_BUDGET_S.
PAGE_SLOT_S = 8e-9
FULL_BUDGET_S = 8.0
# A share of the cases is not shaped for the cost of the RTL block's clock,
# so that a configuration that makes it expensive still shows as a hang.
UNSHAPED_SHARE = 0.05
# Keys whose change leaves a scenario file's expectations true.
NEUTRAL_KEYS = {"name", "seed"}

CRASH_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                 "ThreadSanitizer", "MemorySanitizer", "runtime error:", "uncaught exception",
                 "terminate called", "Assertion `", "stack smashing detected", "double free",
                 "free(): ", "malloc(): ", "corrupted size")
AT_RE = re.compile(r"\(at ([0-9]+(?:\.[0-9]+)?) (fs|ps|ns|us|ms|s)\)\s*$")
AT_SCALE_PS = {"fs": 1e-3, "ps": 1, "ns": 1e3, "us": 1e6, "ms": 1e9, "s": 1e12}


class HarnessError(Exception):
    """The soak itself cannot go on (not a finding about prisim)."""


class UsageError(Exception):
    pass


def log(msg):
    print("soak: " + msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ registry

class Key:
    """One scenario key as `prisim --list-params` describes it."""

    def __init__(self, name, typ, default, lo=None, hi=None, choices=()):
        self.name, self.type, self.default = name, typ, default
        self.lo, self.hi, self.choices = lo, hi, tuple(choices)


def parse_bound(s):
    """A range bound as printed: an integer, or a number such as 9.2e+18."""
    s = s.strip()
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    return float(s)


def parse_registry(text):
    """The Markdown table of --list-params as {key: Key}."""
    keys = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4:
            raise UsageError(f"--list-params: cannot read the row {line!r}")
        name, typ, default, rng = cells[0].strip("`"), cells[1], cells[2].strip("`"), cells[3]
        if typ in ("integer", "number"):
            lo_s, hi_s = (x.strip() for x in rng.split(".."))
            if typ == "integer":
                lo, hi = int(parse_bound(lo_s)), int(parse_bound(hi_s))
                keys[name] = Key(name, typ, int(default, 0), lo, hi)
            else:
                keys[name] = Key(name, typ, float(default), float(lo_s), float(hi_s))
        elif typ == "bool":
            keys[name] = Key(name, typ, default == "true")
        elif typ == "choice":
            keys[name] = Key(name, typ, default, choices=[c.strip() for c in rng.split(",")])
        elif typ == "text":
            keys[name] = Key(name, typ, default)
        else:
            raise UsageError(f"--list-params: key {name}: unknown type {typ!r}")
    if not keys:
        raise UsageError("--list-params printed no key")
    return keys


BOOL_TEXT = {"true": True, "false": False, "yes": True, "no": False,
             "on": True, "off": False, "1": True, "0": False}


def parse_value(key, text):
    """The typed value of `text` for `key` (as prisim reads it)."""
    if key.type == "integer":
        return int(text, 16) if text[:2].lower() == "0x" else int(text)
    if key.type == "number":
        return float(text)
    if key.type == "bool":
        return BOOL_TEXT[text]
    return text


# ------------------------------------------------------------- the machine

def run_cmd(cmd, timeout=None):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def base_params(prisim, reg, path, work):
    """Effective parameters and expectations of a scenario file: every key
    from a run with idle devices (device.pages = 0), and device.pages from a
    run stopped at once (run.max_time_us = 1)."""
    if path is None:
        return {k: key.default for k, key in reg.items()}, []
    out = {}
    for sets, what in ((["device.pages=0"], "idle"), (["run.max_time_us=1", "device.count=1"], "stopped")):
        if what == "stopped" and out["idle"]["params"].get("device.trace"):
            return None  # replays a trace: not a base (Soak.__init__)
        d = tempfile.mkdtemp(prefix="base.", dir=work)
        cmd = [prisim, path, "-q", "-o", d] + [a for s in sets for a in ("--set", s)]
        rc, _, err = run_cmd(cmd, timeout=300)
        try:
            with open(os.path.join(d, "results.json")) as f:
                out[what] = json.load(f)["scenario"]
        except (OSError, ValueError, KeyError):
            raise UsageError(f"cannot read the parameters of {path}: {shlex.join(cmd)} "
                             f"exited {rc}: {err.strip()[:500]}")
        shutil.rmtree(d, ignore_errors=True)
    params = dict(out["idle"]["params"])
    params["device.pages"] = out["stopped"]["params"]["device.pages"]
    for k in reg:
        if k not in params:
            raise UsageError(f"{path}: results.json has no parameter {k}")
    return params, list(out["idle"].get("expect", []))


# ------------------------------------------------------------- estimates
#
# Simulated time a configuration needs, as an upper estimate. One CPU runs
# the whole software stack (docs/user-guide.md), so the software costs of
# every fault add up; the coefficients are the number of times each cost is
# charged per fault, once at boot and per device at boot, measured with one
# device, one stream and one-page groups (the least overlap) by setting one
# cost at a time and taking the slope of summary.sim_time_ps, then rounded
# up (about x1.3 to x2). Everything is then doubled. The report gives the
# largest measured/estimated ratio seen, which must stay below 1.

PER_FAULT = {  # charged per fault (measured: 5.9, 11.9, 1, 8, 1, 2.9, 1, 0, 3, 1, 5, 1, 0.9, 1, 1)
    "platform.mmio_latency_ns": 8, "iommu.mem_latency_ns": 16, "iommu.msi_latency_ns": 2,
    "pcie.link_latency_ns": 10, "sw.cost.irq_entry_ns": 2, "sw.cost.wakeup_ns": 4,
    "sw.cost.pq_record_ns": 2, "sw.cost.fq_record_ns": 2, "sw.cost.cq_submit_ns": 4,
    "sw.cost.iopf_group_ns": 2, "sw.cost.syscall_ns": 7, "sw.cost.fd_read_msg_ns": 2,
    "sw.cost.fd_write_msg_ns": 2, "sw.cost.map_page_ns": 2,
}
BOOT = {  # charged once at boot (measured: 37, 7, 0, 0, 5, 10)
    "platform.mmio_latency_ns": 64, "iommu.mem_latency_ns": 24, "iommu.msi_latency_ns": 4,
    "pcie.link_latency_ns": 4, "sw.cost.cq_submit_ns": 12, "sw.cost.syscall_ns": 24,
    "sw.cost.wakeup_ns": 4, "sw.cost.irq_entry_ns": 4,
}
BOOT_PER_DEVICE = {  # charged per device at boot (measured: 11, 1, 3, 2, 2, 6)
    "sw.cost.cfg_access_ns": 16, "platform.mmio_latency_ns": 4, "iommu.mem_latency_ns": 8,
    "pcie.link_latency_ns": 4, "sw.cost.cq_submit_ns": 4, "sw.cost.syscall_ns": 10,
    "sw.cost.wakeup_ns": 2,
}
# Shutdown: per device (disable PRI/ATS, detach: configuration accesses,
# invalidations over the link) and per mapped page (unmap, invalidate).
SHUTDOWN_PER_DEVICE = {
    "sw.cost.cfg_access_ns": 16, "platform.mmio_latency_ns": 8, "iommu.mem_latency_ns": 16,
    "pcie.link_latency_ns": 8, "sw.cost.cq_submit_ns": 8, "sw.cost.syscall_ns": 10,
    "sw.cost.wakeup_ns": 4, "sw.cost.irq_entry_ns": 4, "iommu.msi_latency_ns": 4,
}
SHUTDOWN_PER_PAGE = {
    "sw.cost.map_page_ns": 2, "sw.cost.cq_submit_ns": 4, "iommu.mem_latency_ns": 16,
    "platform.mmio_latency_ns": 4, "pcie.link_latency_ns": 4,
}


def pri_alloc(p):
    """The PRI allocation the driver grants each device
    (sw.driver.pri_alloc_policy, docs/scenario.md), never above the
    capacity."""
    usable = 2 ** p["sw.driver.pq_log2sz"] - 1
    policy = p.get("sw.driver.pri_alloc_policy", "cap")
    want = {"fixed": p.get("sw.driver.pri_alloc_fixed", 32), "queue": usable,
            "share": max(1, usable // max(p["device.count"], 1))}.get(policy, p["sw.driver.pri_alloc_max"])
    return min(p["device.pri_capacity"], want)


def group_size(p):
    """The largest Page Request Group a device sends: a burst of
    device.prg_pages pages (fewer if the workload is smaller); one larger
    than the PRI allocation is refused at load (config_errors)."""
    return min(p["device.prg_pages"], p["device.pages"], pri_alloc(p))


def overflow_possible(p):
    """More page requests can be outstanding than the PQ holds (N - 1).
    The driver writes pqh back once per batch (the records it found), and
    the groups of a batch are answered while it is processed, so a slow
    batch leaves its records in the queue while their devices send as many
    new ones: up to twice the outstanding requests (unless
    sw.driver.pq_head_per_record)."""
    per_dev = min(pri_alloc(p), p["device.streams"] * group_size(p))
    batch = 1 if p.get("sw.driver.pq_head_per_record") else 2
    cap = 2 ** p["sw.driver.pq_log2sz"] - 1
    if p.get("iommu.pq_overflow_policy") == "smmuv3":
        # The SMMUv3 recovery reads pqt again until it stops moving and
        # writes pqh once at the end (sw/drivers/riscv/pq.c): while the
        # devices are answered as fast as the driver reads, one batch spans
        # the run, and every request of the run can be in the queue at once.
        return p["device.pages"] > 0 and p["device.count"] * p["device.pages"] > cap
    return p["device.pages"] > 0 and batch * p["device.count"] * per_dev > cap


def prg_timeout_ns(p):
    """The devices' PRG Response timeout (device.prg_timeout_us; 0 under the
    vtd overflow policy means 10000 us; else 0: none)."""
    us = p.get("device.prg_timeout_us", 0)
    if us == 0 and p.get("iommu.pq_overflow_policy") == "vtd":
        us = 10000
    return us * 1000


def overflow_drops_unanswered(p):
    """Under the vtd overflow policy the IOMMU answers nothing it drops on
    overflow: a dropped group is sent again only after the devices' PRG
    Response timeout (docs/user-guide.md, Overflow policies)."""
    return p.get("iommu.pq_overflow_policy") == "vtd" and overflow_possible(p)


def timeout_rounds(p):
    """PRG Response timeouts a run waits through, one after the other, under
    the vtd policy: the groups dropped by one overflow time out together
    and are sent again together, and each round the queue takes at least
    one of them, the others being dropped again. So at most the groups that
    can be outstanding beyond the queue's capacity (twice the outstanding
    ones with a slow batch, as in overflow_possible), twice over
    (measured: 2 x 64 streams of one-page groups and a 1-entry PQ wait
    through 127 rounds, 4 x 4 through 11)."""
    if not overflow_drops_unanswered(p):
        return 0
    g = max(group_size(p), 1)
    batch = 1 if p.get("sw.driver.pq_head_per_record") else 2
    outstanding = batch * p["device.count"] * min(p["device.streams"], max(pri_alloc(p) // g, 1))
    fits = (2 ** p["sw.driver.pq_log2sz"] - 1) // g
    return 2 * max(outstanding - fits, 1)


def slow_factor(p):
    """The slow handler sums sw.user.slow.factor draws per fault
    (docs/scenario.md, Fault handlers); every other handler one."""
    return p.get("sw.user.slow.factor", 1) if p.get("sw.user.handler") == "slow" else 1


def handler_budget_ns(p, n):
    """Upper estimate of n handler service times (the slow handler draws
    sw.user.slow.factor of them per fault)."""
    mean, sigma, dist = p["sw.cost.handler.mean_ns"], p["sw.cost.handler.sigma"], p["sw.cost.handler.dist"]
    n *= slow_factor(p)
    if n == 0:
        return 0.0
    if dist == "fixed":
        return float(mean) * n
    if dist == "exponential":  # the largest sample is below 38 x the mean (u >= 2^-54)
        return mean * (1.5 * n + 40)
    if dist == "iaa":  # bounded by 556/9 x the mean; 1.5 % of samples are 11-62 x it
        return mean * (2.0 * n + 556 / 9)
    # lognormal: the sum, and one sample 5 sigma out (p ~ 3e-7 per sample)
    return mean * (2.0 * n + math.exp(5 * sigma - sigma * sigma / 2))


def weighted(p, coef):
    return sum(c * p[k] for k, c in coef.items())


# Bytes per ns per lane after line encoding, by pcie.gen (pcie_link.cpp).
LANE_RATE = {"gen1": 2.5 * 8 / 10 / 8, "gen2": 5 * 8 / 10 / 8, "gen3": 8 * 128 / 130 / 8,
             "gen4": 16 * 128 / 130 / 8, "gen5": 32 * 128 / 130 / 8, "gen6": 64 * 242 / 256 / 8}


def wire_ns_per_fault(p):
    """Wire time a fault's TLPs take on a link with a bandwidth (0 without):
    the page's DMA write and about five 32-byte TLPs, all serialised on one
    shared link in the worst case."""
    rate = LANE_RATE.get(p.get("pcie.gen", "none"), 0) * int(p.get("pcie.lanes", "16"))
    return (p["device.bytes_per_page"] + 24 + 5 * 32) / rate if rate else 0.0


def effective(p):
    """p with pcie.link_latency_ns as long as a TLP can take: the switch's
    latency and the largest TLP's wire time added."""
    q = dict(p)
    extra = p.get("pcie.switch_latency_ns", 0) if p.get("pcie.topology", "switch") == "switch" else 0
    q["pcie.link_latency_ns"] = p["pcie.link_latency_ns"] + extra + 2 * wire_ns_per_fault(p)
    return q


def touch_factor(p):
    """Bursts per first-touch burst, upper estimate. With
    device.fault_probability f < 1, each first touch comes with a geometric
    number of re-touches (mean (1 - f) / f): their sum over a device's r
    first-touch bursts is at most r (1 - f) / f plus six standard
    deviations, sqrt(r (1 - f)) / f. A re-touch is costed as a fault: with
    eviction it may be one."""
    f = p.get("device.fault_probability", 1.0)
    r = -(-p["device.pages"] // p["device.prg_pages"])
    if f >= 1 or not r:
        return 1.0
    return (r / f + 6 * math.sqrt(r * (1 - f)) / f) / r


def estimate(p):
    """(boot, workload phase, shutdown phase) upper estimates in ns."""
    p = effective(p)
    count, pages = p["device.count"], p["device.pages"]
    touches = touch_factor(p)
    faults = count * pages * touches
    clk_ns = 1000.0 / p["iommu.clk_mhz"]
    cycles = 4 * (p["iommu.iotlb_hit_cycles"] + p["iommu.ddtc_hit_cycles"]) + 64
    boot = weighted(p, BOOT) + count * weighted(p, BOOT_PER_DEVICE) + (200 + 50 * count) * clk_ns
    per_fault = weighted(p, PER_FAULT) + cycles * clk_ns + p["run.quantum_ns"]
    retry = 4 if overflow_possible(p) else 1  # overflowed groups are sent again
    bursts = math.ceil(math.ceil(pages / p["device.prg_pages"]) * touches)
    per_stream = math.ceil(bursts / p["device.streams"]) + 1
    work = retry * (faults * (per_fault + wire_ns_per_fault(p)) + handler_budget_ns(p, faults)) + \
        p["device.think_ns"] * per_stream
    # vtd overflow policy: rounds of groups dropped without a response,
    # each waiting for the devices' PRG Response timeout.
    work += timeout_rounds(p) * prg_timeout_ns(p)
    # Eviction: per page unmapped, the unmap call and its IOTINVAL, ATS.INVAL
    # (a round trip to the device) and IOFENCE.C, like a fault's map.
    work += evictions(p) * per_fault
    # Nested devices fault twice per page: in the guest's first stage, then
    # in the G-stage (the host's handler backs the page).
    twice = nested_device_count(p) * pages * touches
    work += twice * (per_fault + wire_ns_per_fault(p)) + handler_budget_ns(p, twice)
    # PASIDs: each device's attaches and detaches write a process context,
    # with IODIR.INVAL_PDT, IOTINVAL, ATS.INVAL and IOFENCE.C, each walking
    # the directory (up to 3 levels) in memory, like a fault's commands.
    pasid_ops = count * p.get("device.pasids", 0) * (per_fault + 4 * p["iommu.mem_latency_ns"])
    boot += pasid_ops
    # Nested devices: the VMM maps the guest's tables into its IOAS, the
    # root at setup and one per table as the guest needs it (a few per
    # device): each an ioctl and a map.
    boot += 4 * nested_device_count(p) * (p["sw.cost.map_page_ns"] + p["sw.cost.syscall_ns"] +
                                          p["sw.cost.cq_submit_ns"])
    # Devices without PRI: the handler pins every page before starting them,
    # an ioctl and a map each, like a fault's.
    if not p.get("device.pri", True):
        boot += count * pages * per_fault
    # Streams start up to device.start_jitter_ns late; open-loop bursts
    # arrive over n exponential gaps: at most n g + 8 sqrt(n) g + 40 g.
    work += p.get("device.start_jitter_ns", 0)
    if p.get("device.arrival") == "poisson" and bursts:
        g = p["device.arrival_gap_ns"]
        work += bursts * g + 8 * math.sqrt(bursts) * g + 40 * g
    shutdown = count * weighted(p, SHUTDOWN_PER_DEVICE) + faults * weighted(p, SHUTDOWN_PER_PAGE) + pasid_ops
    # Every handler thread is woken to see the signal and again to exit, one
    # after another on the CPUs (sw.user.threads).
    shutdown += 2 * p.get("sw.user.threads", 1) * p["sw.cost.wakeup_ns"] / max(p.get("platform.cpus", 1), 1)
    # Fault-queue records: the vEVENTQ device (sw.user.vevent_depth) has each
    # page request reported in one, and a device detached with faults
    # pending (sw.user.detach_after) may have each later ATS request; the
    # driver decodes each (its interrupt thread shares the CPUs) and the
    # handler reads it from the vEVENTQ. The ones left at the end are
    # drained when the driver unbinds.
    fq_devices = (p.get("sw.user.vevent_depth", 0) and p.get("sw.user.vevent_device", 0) < count) + \
        (p.get("sw.user.detach_after", 0) and p.get("sw.user.detach_device", 0) < count)
    fq = fq_devices * pages * touches * (p["sw.cost.fq_record_ns"] + p["sw.cost.irq_entry_ns"] + p["sw.cost.wakeup_ns"] +
                               p["sw.cost.syscall_ns"] + p["sw.cost.fd_read_msg_ns"])
    work += fq
    shutdown += fq
    return 2 * boot + 50e3, 2 * (boot + work) + 100e3, 2 * shutdown + 100e3


def handler_max_ns(p):
    """The longest handler service time to expect: the mean when fixed;
    38 x the mean for exponential (u >= 2^-54); 556/9 x the mean for iaa
    (its largest value); a sample 5 sigma out for lognormal (p ~ 3e-7 per
    sample)."""
    mean, sigma, dist = p["sw.cost.handler.mean_ns"], p["sw.cost.handler.sigma"], p["sw.cost.handler.dist"]
    one = {"fixed": mean, "exponential": 38 * mean, "iaa": 556 / 9 * mean}.get(
        dist, mean * math.exp(5 * sigma - sigma * sigma / 2))
    return slow_factor(p) * one


def largest_charge_ns(p):
    """The longest single software operation."""
    return max([handler_max_ns(p)] + [v for k, v in p.items()
                                      if k.startswith("sw.cost.") and k.endswith("_ns") and "handler" not in k])


def per_message_ns(p):
    """The pager's work on one fault message: read, handle, map, respond."""
    return (handler_max_ns(p) + p["sw.cost.fd_read_msg_ns"] + p["sw.cost.fd_write_msg_ns"] +
            2 * p["sw.cost.map_page_ns"] + 4 * p["sw.cost.syscall_ns"] + 4 * p["sw.cost.cq_submit_ns"])


def timeout_resend_rate_per_ns(p):
    """Groups sent again per ns because the devices' PRG Response timeout
    is shorter than software takes to answer: when every outstanding group
    may wait behind the others (per_message_ns each) longer than the
    timeout, each is given up and sent again once per timeout, a new fault
    for the software each time. 0 without a timeout or when software keeps
    up."""
    timeout = prg_timeout_ns(p)
    if not timeout or not p["device.pages"]:
        return 0.0
    groups = p["device.count"] * min(p["device.streams"], max(pri_alloc(p) // max(group_size(p), 1), 1))
    # Each answer also costs register accesses: the response's CQ doorbell
    # and the PQ head written back.
    if groups * (per_message_ns(p) + 2 * p["platform.mmio_latency_ns"]) < timeout:
        return 0.0
    return groups / timeout


def storm_seconds_per_ns(p, rtl=True):
    """Host seconds per simulated ns while every stream retries (and, with
    slow memory, while the RTL block is clocked through it); see
    host_seconds."""
    c = retry_rate_per_ns(p) * 6e-6 + timeout_resend_rate_per_ns(p) * 100e-6
    if rtl and p["iommu.mem_latency_ns"] * p["iommu.clk_mhz"] / 1000 > 1000:
        c += p["iommu.clk_mhz"] / 1000 * 0.4e-6
    return c


def host_seconds(p, rtl=True):
    """Host time of a run, rough upper estimate from measurements on a
    2-core machine: 100 us per fault, up to 500 us with 1,000 streams
    holding credits; 6 us per group sent again in a retry storm; 0.4 us per
    cycle of the pq_writer RTL, which is clocked through the cycles of a
    slow memory access (iommu.mem_latency_ns x iommu.clk_mhz beyond 1,000
    cycles) while software polls, i.e. up to once per cycle of the run;
    and PAGE_SLOT_S per page of every workload, touched or not (127 x
    16,777,216 pages take 13 s, even when the run ends after 2 ms)."""
    need = estimate(p)[1]
    pri_limit = pri_alloc(p)
    conc = p["device.count"] * min(p["device.streams"], pri_limit)
    faults = p["device.count"] * p["device.pages"] * touch_factor(p)
    return faults * (100e-6 + 0.4e-6 * min(conc, 1000)) + need * storm_seconds_per_ns(p, rtl) + \
        p["device.count"] * p["device.pages"] * PAGE_SLOT_S


def dram_reserve_bytes(p):
    """DRAM the software needs besides the workload's pages, upper estimate:
    the three queues, per device 4 pages and 3 page-table pages per 512
    workload pages, and 1 MiB for the rest. (Measured: 16 MiB holds 4,000
    pages on one device and 127 x 28 pages; this leaves 3,750 and 127 x 22.)"""
    queues = (16 << p["sw.driver.cq_log2sz"]) + (32 << p["sw.driver.fq_log2sz"]) + \
        (16 << p["sw.driver.pq_log2sz"])
    tables = PAGE * p["device.count"] * (4 + 2 * (va_bits(p) - 39) // 9 +
                                         3 * math.ceil(p["device.pages"] / 512))
    return queues + tables + (1 << 20)


def retry_rtt_ns(p):
    """One round of a group answered by the IOMMU itself: Translation
    Request and completion, Page Request and automatic response over the
    link, the IOMMU's walk and cache look-ups."""
    p = effective(p)
    clk_ns = 1000.0 / p["iommu.clk_mhz"]
    return 4 * p["pcie.link_latency_ns"] + 6 * p["iommu.mem_latency_ns"] + \
        (2 * (p["iommu.iotlb_hit_cycles"] + p["iommu.ddtc_hit_cycles"]) + 16) * clk_ns + 100


def retry_rate_per_ns(p):
    """Groups sent again per ns while the PQ overflows: every stream that
    holds a credit retries once per round (retry_rtt_ns). 0 when no
    overflow is possible."""
    if not overflow_possible(p):
        return 0.0
    pri_limit = pri_alloc(p)
    return p["device.count"] * min(p["device.streams"], pri_limit) / overflow_round_ns(p)


def overflow_round_ns(p):
    """How often a group dropped on overflow is sent again: one
    retry_rtt_ns after the IOMMU's automatic Success, or, under the vtd
    policy (no response), after the devices' PRG Response timeout."""
    return retry_rtt_ns(p) + (prg_timeout_ns(p) if overflow_drops_unanswered(p) else 0)


# ------------------------------------------------------------- predictions
#
# Which outcomes the configuration itself calls for. Each rule says why.

def config_errors(p):
    """Rejections at load that docs/scenario.md and the key table document."""
    errs = []
    # values are trimmed of spaces and tabs only (params.cpp, trim)
    if p.get("device.trace", "").strip(" \t"):
        # The soak draws text that names no readable trace (module doc)
        errs.append("device.trace")
    if p["device.iova_base"] % PAGE:
        errs.append("device.iova_base")  # "first IOVA ... (4 KiB aligned)"
    if not re.fullmatch(r"[a-z0-9_.*?]*", p.get("sw.inject.site", "").strip(" \t")):
        errs.append("sw.inject.site")  # a site name or a glob of one
    if 0 < p.get("device.prg_timeout_us", 0) < 100:
        errs.append("device.prg_timeout_us")  # 0 (none) or at least 100
    # a Page Request Group no larger than the PRI allocation the driver grants
    # (a device without PRI sends none)
    pri = p.get("device.pri", True)
    if pri and p["device.pages"] and min(p["device.prg_pages"], p["device.pages"]) > pri_alloc(p):
        errs.append("device.prg_pages")
    if p.get("iommu.sv57", False) and not p.get("iommu.sv48", False):
        errs.append("iommu.sv57")  # Sv57 requires Sv48
    elif p["device.pages"] and p["device.iova_base"] + p["device.pages"] * PAGE > va_top(p):
        errs.append("device.iova_base")  # the workload must end within the mode's range
    switch = p.get("pcie.switch_latency_ns", 0) if p.get("pcie.topology", "switch") == "switch" else 0
    if p["iommu.ats_inval_timeout_us"] * 1000 < 4 * (p["pcie.link_latency_ns"] + switch):
        errs.append("iommu.ats_inval_timeout_us")  # at least 4 x the latency each way
    if pri and p.get("sw.driver.pri_alloc_policy") == "fixed" and \
            p.get("sw.driver.pri_alloc_fixed", 0) > p["device.pri_capacity"]:
        errs.append("sw.driver.pri_alloc_fixed")  # a fixed allocation above the capacity
    # device.rid_stride: the largest RID is 16 bits and fits the directory
    # the driver builds (1lvl 7/6 bits, 2lvl 16/15 with 32/64-byte DCs)
    last_rid = 1 + (p["device.count"] - 1) * p["device.rid_stride"]
    mode, top = p["sw.driver.ddt_mode"], p["iommu.max_ddt_mode"]
    eff = top if mode == "auto" or mode > top else mode
    ext = p["iommu.msi_flat"]
    bits = {"1lvl": 6 if ext else 7, "2lvl": 15 if ext else 16}.get(eff, 24)
    if last_rid > 0xFFFF or last_rid >> bits:
        errs.append("device.rid_stride")
    # sw.user.resident_pages: at least streams x prg_pages, and one handler thread
    resident = p.get("sw.user.resident_pages", 0)
    if resident and (p.get("sw.user.threads", 1) > 1 or
                     (pri and resident < p["device.streams"] * p["device.prg_pages"])):
        errs.append("sw.user.resident_pages")
    # sw.user.detach_after: for a device of the run, no more groups held
    # than its streams, its bursts and the groups its PRI allocation covers
    # at once (else they would be held forever)
    after = p.get("sw.user.detach_after", 0)
    detach_dev = p.get("sw.user.detach_device", 0)
    if after and detach_dev < p["device.count"]:
        bursts = -(-p["device.pages"] // p["device.prg_pages"])
        by_credits = max(1, pri_alloc(p) // max(1, group_size(p)))
        if bursts and (after > p["device.streams"] or after > bursts or after > by_credits):
            errs.append("sw.user.detach_after")
    # sw.user.vevent_device: for a device of the run, one served from
    # userspace, other than the one detached
    idx = p.get("sw.user.vevent_device", 0)
    if p.get("sw.user.vevent_depth", 0) and idx < p["device.count"]:
        if idx < p.get("sw.user.kernel_devices", 0) or p.get("sw.user.handler") == "kernel" or \
                (after and detach_dev == idx):
            errs.append("sw.user.vevent_device")
    # iommu.inject.*: a structure the model reads (pdt only with PASIDs,
    # which give devices a process directory), a kind it has
    # (no corrupt msi), and a RID of the run for a structure with devices
    # (docs/scenario.md, Injected memory faults)
    # iommu.iotlb_entries / iotlb_ways: a geometry rtl/iotlb holds (sets a
    # power of two, at most 1024; at most 64 ways; 0 ways: at most 64 entries)
    entries, ways = p.get("iommu.iotlb_entries", 64), p.get("iommu.iotlb_ways", 4)
    if (entries > 64) if ways == 0 else \
            (entries % ways or (entries // ways) & (entries // ways - 1) or entries // ways > 1024):
        errs.append("iommu.iotlb_entries")
    # iommu.pas: DRAM (from 2 GiB, platform.dram_mib long) below 2^PAS
    if 0x8000_0000 + (p.get("platform.dram_mib", 512) << 20) > 1 << p.get("iommu.pas", 56):
        errs.append("iommu.pas")
    # sw.driver.t2gpa: the capability it needs
    if p.get("sw.driver.t2gpa") and not p.get("iommu.t2gpa"):
        errs.append("sw.driver.t2gpa")
    # sw.driver.irq_mode: a kind of interrupt iommu.igs offers; no MSI to
    # fail when the interrupts are wired (docs/registers.md, Interrupts)
    igs, irq_mode = p.get("iommu.igs", "msi"), p.get("sw.driver.irq_mode", "auto")
    if (irq_mode, igs) in (("msi", "wsi"), ("wsi", "msi")):
        errs.append("sw.driver.irq_mode")
    wired = irq_mode == "wsi" or (irq_mode == "auto" and igs == "wsi")
    target = p.get("iommu.inject.target", "none")
    kind = p.get("iommu.inject.kind")
    if (target == "pdt" and not p.get("device.pasids", 0)) or \
            (target == "msi" and (kind == "corrupt" or wired)) or \
            (kind == "poison" and target in ("fq", "pq", "msi")):
        errs.append("iommu.inject.target")
    rid = p.get("iommu.inject.rid", 0)
    if rid and (target in ("cq", "msi") or (rid - 1) % p["device.rid_stride"] or
                (rid - 1) // p["device.rid_stride"] >= p["device.count"]):
        errs.append("iommu.inject.rid")
    # device.pasids: a process directory wide enough, served from userspace,
    # without the features it is not combined with (docs/scenario.md, PASIDs)
    pasids = p.get("device.pasids", 0)
    if pasids:
        pd = 20 if p.get("iommu.pd20") else 17 if p.get("iommu.pd17") else 8 if p.get("iommu.pd8") else 0
        if not pd or pasids >> pd or p.get("sw.user.handler") == "kernel" or \
                p.get("sw.user.kernel_devices", 0) or after or p.get("sw.user.vevent_depth", 0) or \
                resident or p.get("sw.user.threads", 1) > 1:
            errs.append("device.pasids")
    # Nesting parents (the vEVENTQ device, nested devices) are G-stages of
    # the driver's depth: its x4 mode must be offered (docs/user-guide.md,
    # Nested translation); nested devices are served from userspace alone
    nested = p.get("sw.user.nested_devices", 0)
    vevent = p.get("sw.user.vevent_depth", 0) and idx < p["device.count"]
    if (vevent or nested) and not p.get("iommu.sv%dx4" % va_bits(p), va_bits(p) == 39):
        errs.append("sw.user.vevent_depth" if vevent else "sw.user.nested_devices")
    # a nested device's PASIDs are its guest's, in a PD8 directory of its own
    guest_pasids = pasids and nested_device_count(p)
    if nested and (kernel_device_count(p) >= p["device.count"] or
                   (guest_pasids and (pasids > 255 or not p.get("iommu.pd8"))) or
                   p.get("sw.user.threads", 1) > 1 or after or
                   (vevent and idx < kernel_device_count(p) + nested)):
        errs.append("sw.user.nested_devices")
    # the guest's first stage is Sv39 whatever sw.driver.pgtbl_mode: a
    # nested device's workload must end within 2^38
    elif nested_device_count(p) and p["device.pages"] and \
            p["device.iova_base"] + p["device.pages"] * PAGE > 1 << 38:
        errs.append("sw.user.nested_devices")
    # device.ats / device.pri (docs/scenario.md, Devices without PRI or
    # ATS): PRI needs ATS; a device without PRI is pinned by the userspace
    # handler, which cannot do so for a device of the kernel-resident
    # handler, a nested, vEVENTQ or detached device, or with PASIDs
    if pri and not p.get("device.ats", True):
        errs.append("device.pri")
    elif not pri and (kernel_device_count(p) or nested_device_count(p) or
                      (p.get("sw.user.vevent_depth", 0) and idx < p["device.count"]) or
                      (after and detach_dev < p["device.count"]) or pasids):
        errs.append("device.pri")
    # platform.dram_mib: the workload's pages, their first-stage tables, the queues
    # and the directory must fit simulated DRAM (params.cpp; the same sum)
    if dram_needed_bytes(p) > p["platform.dram_mib"] << 20:
        errs.append("platform.dram_mib")
    return errs


def nested_device_count(p):
    """Devices the userspace handler sets up nested (sw.user.nested_devices,
    after the kernel-resident handler's)."""
    return max(0, min(p.get("sw.user.nested_devices", 0), p["device.count"] - kernel_device_count(p)))


def kernel_device_count(p):
    """Devices bound to the kernel-resident handler (sw.user.kernel_devices,
    or all with sw.user.handler = kernel): they never evict."""
    if p.get("sw.user.handler") == "kernel":
        return p["device.count"]
    return min(p.get("sw.user.kernel_devices", 0), p["device.count"])


def held_pages(p):
    """The data pages of a device of the userspace handler mapped at once:
    every page, or at most sw.user.resident_pages with eviction."""
    resident = p.get("sw.user.resident_pages", 0) if p.get("device.pri", True) else 0  # pinned: all
    return min(resident, p["device.pages"]) if resident else p["device.pages"]


def held_pages_all(p):
    """The data pages of all devices mapped at once: the kernel-resident
    handler's devices keep every page."""
    k = kernel_device_count(p)
    return k * p["device.pages"] + (p["device.count"] - k) * held_pages(p)


def evictions(p):
    """Pages the handler unmaps again (sw.user.resident_pages); with
    re-touches, each may have faulted in again."""
    return max(p["device.count"] * p["device.pages"] * touch_factor(p) - held_pages_all(p), 0)


def dram_needed_bytes(p):
    """What the load-time check of platform.dram_mib adds up: per device its
    pages, a leaf table per 2 MiB and a middle table per 1 GiB of the IOVA
    span (each plus one), two per level above Sv39's three, the root and
    two directory pages; the queues and three pages; 1 MiB."""
    pages, base = p["device.pages"], p["device.iova_base"]
    first = base & ~(PAGE - 1)
    span = base + pages * PAGE - first if pages else 0
    leaf = -(-span // (2 << 20)) + 1
    mid = -(-span // (1 << 30)) + 1
    upper = 2 * ((va_bits(p) - 39) // 9)  # two more tables per level above Sv39's three
    tables = (leaf + mid + upper + 1 + 2) * PAGE
    queues = (16 << p["sw.driver.cq_log2sz"]) + (32 << p["sw.driver.fq_log2sz"]) + \
        (16 << p["sw.driver.pq_log2sz"]) + 3 * PAGE
    return held_pages_all(p) * PAGE + p["device.count"] * tables + queues + (1 << 20)


def predict(p):
    """The failure causes the configuration predicts, {rule: reason}."""
    rules = {}
    boot, need, shut = estimate(p)
    limit_ns = p["run.max_time_us"] * 1000
    cap = 2 ** p["sw.driver.pq_log2sz"] - 1
    g = group_size(p)
    # livelock (docs/user-guide.md): a group larger than the PQ's usable
    # capacity can never be queued whole; the device retries forever and
    # the run ends at run.max_time_us without quiescing.
    if p["device.pages"] > 0 and g > cap:
        rules["livelock"] = f"a {g}-request group does not fit the PQ's {cap} usable entries"
    # limit (docs/scenario.md, Simulation control): a run that has not
    # quiesced by run.max_time_us fails "run completes" and the invariants
    # on what is still in flight; a shutdown that does not finish within
    # the same limit (a boot still running is let finish first) fails
    # "software shuts down".
    if need > limit_ns:
        rules["limit"] = f"estimated need {need / 1e3:.0f} us > run.max_time_us {p['run.max_time_us']}"
        # The run may end in the middle of an operation; the pager handles
        # the batch of messages it has read before it sees the signal ("a
        # process is given as long as it takes to exit"); unbinding the
        # driver waits for its interrupt thread, which drains the records
        # still in the PQ (free_irq).
        queued = min(2 ** p["sw.driver.pq_log2sz"] - 1,
                     p["device.count"] * pri_alloc(p))
        per_record = per_message_ns(p) + p["sw.cost.pq_record_ns"] + p["sw.cost.iopf_group_ns"] + \
            p["sw.cost.irq_entry_ns"] + p["sw.cost.wakeup_ns"]
        shut += largest_charge_ns(p) + 2 * (p["sw.user.batch"] + queued) * per_record
    if max(boot - limit_ns, 0) + shut > limit_ns:
        rules["shutdown_limit"] = (f"estimated boot {boot / 1e3:.0f} us and shutdown {shut / 1e3:.0f} us "
                                   f"> run.max_time_us {p['run.max_time_us']}")
    # dram: every page a device writes is mapped to a fresh page of
    # simulated DRAM (docs/user-guide.md, step 6); when platform.dram_mib
    # cannot hold them the pager's map fails (-ENOMEM), it answers
    # INVALID and those pages fail.
    need_bytes = held_pages_all(p) * PAGE + dram_reserve_bytes(p)
    if need_bytes > p["platform.dram_mib"] << 20:
        rules["dram"] = f"{need_bytes >> 20} MiB needed > platform.dram_mib {p['platform.dram_mib']}"
    # attempts: after a PQ overflow the IOMMU answers groups with an
    # automatic Success and the device sends them again (docs/user-guide.md);
    # device.max_prg_attempts bounds the PRGs a burst may send before it
    # counts as failed. When more requests can be outstanding than the PQ
    # holds, the bound can be reached if a burst can go round that many
    # times in the estimated length of the run.
    rounds = int(need / overflow_round_ns(p)) + 1  # one burst, retrying the whole run long
    if overflow_possible(p) and p["device.max_prg_attempts"] < rounds:
        rules["attempts"] = (f"PQ overflow possible and device.max_prg_attempts "
                             f"{p['device.max_prg_attempts']} < {rounds} rounds in the run")
    # Nested devices send each page's group at least twice: the first-stage
    # fault, answered by the guest, and the G-stage fault on the retry,
    # answered by the host (docs/user-guide.md, Nested translation).
    if nested_device_count(p) and p["device.pages"] and p["device.max_prg_attempts"] < 2:
        rules["attempts"] = ("nested devices fault twice per page and device.max_prg_attempts "
                             f"{p['device.max_prg_attempts']} < 2")
    # A group given up after the PRG Response timeout is sent again as well:
    # a round per timeout when software answers more slowly than that, for
    # as long as the run lasts (the estimate of its need is rough here: the
    # software's answer is what is slow; the limit bounds it).
    timeout_rounds = int(max(need, limit_ns) / prg_timeout_ns(p)) + 1 if prg_timeout_ns(p) else 0
    if p["device.pages"] and p["device.max_prg_attempts"] < timeout_rounds:
        rules["attempts"] = (f"PRG Response timeout {prg_timeout_ns(p) // 1000} us and "
                             f"device.max_prg_attempts {p['device.max_prg_attempts']} < "
                             f"{timeout_rounds} timeouts in the run")
    # timeout (docs/user-guide.md, Overflow policies): with a PRG Response
    # timeout (device.prg_timeout_us, or 10000 us under the vtd overflow
    # policy) a device gives up a group unanswered that long; a response
    # slower than that arrives for no group (Unexpected PRG Index), or for a
    # later group that took the index again (with PASIDs: one of another
    # PASID, which the device reports as a PASID mismatch), and the groups
    # given up no longer match the requests the IOMMU left unanswered.
    # Possible whenever the timeout is shorter than the run.
    timeout_ns = prg_timeout_ns(p)
    if timeout_ns and p["device.pages"] and timeout_ns < need:
        rules["timeout"] = (f"PRG Response timeout {timeout_ns // 1000} us < estimated need "
                            f"{need / 1e3:.0f} us")
        # Each group given up is sent again while its records still wait in
        # the PQ: the queue can fill with them, and software drains every
        # one (the run's need and its shutdown grow by a full queue).
        per_record = per_message_ns(p) + p["sw.cost.pq_record_ns"] + p["sw.cost.iopf_group_ns"] + \
            p["sw.cost.irq_entry_ns"] + p["sw.cost.wakeup_ns"]
        backlog = cap * per_record
        if need + backlog > limit_ns and "limit" not in rules:
            rules["limit"] = (f"estimated need {need / 1e3:.0f} us + a PQ of re-sent groups "
                              f"{backlog / 1e3:.0f} us > run.max_time_us {p['run.max_time_us']}")
        # Groups re-sent faster than software answers pile up in the fault
        # queue; at shutdown the kernel answers every one still pending (a
        # command and its doorbell each).
        resent = timeout_resend_rate_per_ns(p) * min(need, limit_ns)
        answers = resent * (p["platform.mmio_latency_ns"] + p["sw.cost.cq_submit_ns"])
        if max(boot - limit_ns, 0) + shut + backlog + answers > limit_ns and "shutdown_limit" not in rules:
            rules["shutdown_limit"] = (f"estimated boot {boot / 1e3:.0f} us and shutdown "
                                       f"{(shut + backlog + answers) / 1e3:.0f} us (a PQ of re-sent "
                                       f"groups, {resent:.0f} groups given up and sent again to answer) "
                                       f"> run.max_time_us {p['run.max_time_us']}")
    # deny_outside answers INVALID for faults outside its range: the device
    # counts those pages failed (docs/scenario.md, Fault handlers).
    if p.get("sw.user.handler") == "deny_outside" and p["device.pages"]:
        lo, hi = p["sw.user.allow_base"], p["sw.user.allow_base"] + p["sw.user.allow_pages"] * 4096
        if p["device.iova_base"] < lo or p["device.iova_base"] + p["device.pages"] * 4096 > hi:
            rules["denied"] = (f"deny_outside: the workload's IOVAs leave "
                               f"[{lo:#x}, {hi:#x})")
    # inject (docs/scenario.md, Injected memory faults): memory accesses
    # made to fail on purpose; a run they break fails and its scoreboard
    # names them as the cause ("cause: N injected ...").
    if p.get("iommu.inject.target", "none") != "none":
        rules["inject"] = f"iommu.inject.target = {p['iommu.inject.target']}"
    # sw_inject (docs/scenario.md, Fault injection): calls of the software
    # stack made to fail on purpose (a site glob may match any call, the
    # boot's allocations too); a run they break fails with the call's error,
    # and prints and counts what failed (platform.inject.failures).
    if p.get("sw.inject.site", "").strip(" \t") and p.get("sw.inject.probability", 100):
        rules["sw_inject"] = f"sw.inject.site = {p['sw.inject.site']!r}"
    return rules


# Expectations the soak adds to some cases, with the value each result must
# have for the drawn configuration (None: the result does not exist).
EXPECT_RESULTS = {
    "summary.devices": lambda p: p["device.count"],
    "summary.pq_entries": lambda p: 2 ** p["sw.driver.pq_log2sz"],
    "summary.no_such_result": lambda p: None,
}
EXPECT_RE = re.compile(r"^(\S+) (==|!=|<=|>=|<|>) (-?[0-9]+)$")
OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def predict_expect(p, expr):
    """True/False (holds or not), "error" (names no result: exit 2 after
    the run), or None (not one of the soak's: from a scenario file)."""
    m = EXPECT_RE.match(expr)
    if not m or m.group(1) not in EXPECT_RESULTS:
        return None
    v = EXPECT_RESULTS[m.group(1)](p)
    if v is None:
        return "error"
    return OPS[m.group(2)](v, int(m.group(3)))


# ------------------------------------------------------------------ cases

class Case:
    """A scenario file (None: /dev/null) with --set items and --expect items.

    sets: [(key, text)], in order; expects: [(text, origin)] with origin
    "soak" or the scenario file the expectation comes from."""

    def __init__(self, soak, base, sets, expects, index=None, det=False, mode=""):
        self.soak, self.base, self.sets, self.expects = soak, base, list(sets), list(expects)
        self.index, self.det, self.mode = index, det, mode
        self.file_expects = []  # the base file's own, with their origin
        self.params = dict(soak.bases[base][0])
        for k, t in self.sets:
            self.params[k] = parse_value(soak.reg[k], t)
        self.config = config_errors(self.params)
        self.rules = {} if self.config else predict(self.params)

    def argv(self):
        a = [self.base or "/dev/null"]
        for k, t in self.sets:
            a += ["--set", f"{k}={t}"]
        for e, _ in self.expects:
            a += ["--expect", e]
        return a

    def command(self):
        return shlex.join(["prisim"] + self.argv())

    def neutral_for_file(self, path):
        """The effective configuration differs from the file's only in keys
        that leave its expectations true."""
        fp = self.soak.bases[path][0]
        return all(self.params[k] == fp[k] for k in fp if k not in NEUTRAL_KEYS)


class Drawer:
    """Values of one key, in range, biased to the edges."""

    def __init__(self, rng):
        self.rng = rng

    def integer(self, key):
        r, lo, hi = self.rng, key.lo, key.hi
        x = r.random()
        if x < 0.35:
            v = r.choice((lo, hi, min(lo + 1, hi), max(hi - 1, lo)))
        elif x < 0.45:
            v = key.default
        elif x < 0.60:
            ks = [k for k in range(0, 64) if lo <= 1 << k <= hi]
            v = (1 << r.choice(ks)) + r.choice((0, 0, -1, 1)) if ks else lo
        elif x < 0.75 and hi - lo < 100000:
            v = r.randint(lo, hi)
        else:  # log-uniform: every order of magnitude of a large range
            v = int(math.exp(r.uniform(math.log(lo + 1), math.log(hi + 1)))) - 1
        return min(max(v, lo), hi)

    def number(self, key):
        r, lo, hi = self.rng, key.lo, key.hi
        x = r.random()
        if x < 0.35:
            v = r.choice((lo, hi))
        elif x < 0.45:
            v = key.default
        elif x < 0.70:
            v = r.uniform(lo, hi)
        else:
            v = math.exp(r.uniform(math.log(lo), math.log(hi))) if lo > 0 else r.uniform(lo, hi)
        return min(max(v, lo), hi)

    def text(self):
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            return ""
        if kind == 1:
            return "".join(r.choice("abcxyz-_.") for _ in range(r.randint(1, 12)))
        if kind == 2:  # characters that need escaping in JSON or YAML
            return "".join(r.choice(" \"'\\:#{}[],&*!|>%@`\t\n") for _ in range(r.randint(1, 12)))
        if kind == 3:  # multi-byte UTF-8
            return "".join(r.choice("éü漢字€🙂") for _ in range(r.randint(1, 8)))
        if kind == 4:
            return "x" * r.choice((255, 256, 1024, 4096))
        return "".join(chr(r.randint(1, 0xD7FF)) for _ in range(r.randint(1, 16)))

    def fmt_int(self, v):
        x = self.rng.random()
        if x < 0.08:
            return f"0x{v:x}"
        if x < 0.10:
            return f"0X{v:X}"
        return str(v)

    def fmt_num(self, key, v):
        x = self.rng.random()
        if v in (key.lo, key.hi, key.default) or x < 0.6:
            s = repr(v)
        elif x < 0.8:
            s = f"{v:.6e}".replace("e+", "e")
        else:
            s = f"{v:.4f}".lstrip("0") if v < 1 else f"{v:.4f}"
        try:
            if key.lo <= float(s) <= key.hi:
                return s
        except ValueError:
            pass
        return repr(v)

    def value(self, key):
        """(text for --set, typed value)"""
        if key.type == "integer":
            v = self.integer(key)
            return self.fmt_int(v), v
        if key.type == "number":
            v = self.number(key)
            s = self.fmt_num(key, v)
            return s, float(s)
        if key.type == "bool":
            s = self.rng.choice(tuple(BOOL_TEXT))
            return s, BOOL_TEXT[s]
        if key.type == "choice":
            s = self.rng.choice(key.choices)
            return s, s
        s = self.text()
        return s, s


class Soak:
    def __init__(self, args):
        self.args = args
        self.prisim = args.prisim
        self.work = tempfile.mkdtemp(prefix="prisim-soak.")
        rc, out, err = run_cmd([self.prisim, "--list-params"], timeout=60)
        if rc != 0:
            raise UsageError(f"{self.prisim} --list-params exited {rc}: {err.strip()[:500]}")
        self.reg = parse_registry(out)
        # The soak's model of a run (its predicted outcomes) is a machine of
        # device.count identical devices booted well within run.max_time_us:
        # it draws device.count within the 127 devices of a 1-level
        # directory, and leaves out scenario files with device classes
        # (class.<name>.*) or a trace (device.trace), which tb/system tests
        # on their own.
        if "device.count" in self.reg:
            self.reg["device.count"].hi = min(self.reg["device.count"].hi, 127)
        files = sorted(os.path.join(args.scenarios, f) for f in os.listdir(args.scenarios)
                       if f.endswith(".yaml"))
        self.bases = {None: base_params(self.prisim, self.reg, None, self.work)}
        kept = []
        for f in files:
            fp = base_params(self.prisim, self.reg, f, self.work)
            if fp is None or any(k.startswith("class.") for k in fp[0]):
                continue
            self.bases[f] = fp
            kept.append(f)
        self.files = kept
        self.env = dict(os.environ)
        # Sanitizer builds (--prisim build-asan/prisim): report leaks, print
        # UBSan stack traces; any report is classified as a crash.
        self.env["ASAN_OPTIONS"] = "detect_leaks=1:" + os.environ.get("ASAN_OPTIONS", "")
        self.env["UBSAN_OPTIONS"] = "print_stacktrace=1:" + os.environ.get("UBSAN_OPTIONS", "")
        self.env["LSAN_OPTIONS"] = os.environ.get("LSAN_OPTIONS", "")

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- drawing

    def draw(self, seed, index):
        rng = random.Random(f"prisim-soak:{seed}:{index}")
        dr = Drawer(rng)
        base = None if rng.random() < 0.6 or not self.files else rng.choice(self.files)
        names = sorted(self.reg)
        n = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12, len(names)))
        chosen = rng.sample(names, min(n, len(names)))
        sets = {}
        for k in chosen:
            sets[k] = dr.value(self.reg[k])
        params = dict(self.bases[base][0])
        params.update({k: v for k, (_, v) in sets.items()})

        def put(k, v):
            key = self.reg[k]
            v = min(max(v, key.lo), key.hi)
            sets[k] = (dr.fmt_int(v), v)
            params[k] = v

        # Rules across keys: most cases are repaired to run; the rest must
        # be rejected at load naming the key.
        if rng.random() < 0.9:
            if params["device.iova_base"] % PAGE:
                put("device.iova_base", params["device.iova_base"] // PAGE * PAGE)
            if params.get("iommu.sv57") and not params.get("iommu.sv48"):
                sets["iommu.sv48"] = ("true", True)  # Sv57 requires Sv48
                params["iommu.sv48"] = True
            top = va_top(params)
            if params["device.iova_base"] + params["device.pages"] * PAGE > top:
                if "device.pages" in chosen and rng.random() < 0.5:
                    put("device.iova_base", max(top - params["device.pages"] * PAGE, 0))
                else:
                    put("device.pages", max(top - params["device.iova_base"], 0) // PAGE)
            if params["iommu.ats_inval_timeout_us"] * 1000 < 4 * params["pcie.link_latency_ns"]:
                put("iommu.ats_inval_timeout_us", -(-4 * params["pcie.link_latency_ns"] // 1000))

        # Workload size: capped unless this case draws the whole range.
        x, mode = rng.random(), "full"
        for m, share in WORKLOAD_MODES:
            if x < share:
                mode = m
                break
            x -= share
        if mode == "full":
            for k in ("device.count", "device.pages"):
                if k not in chosen:
                    chosen.append(k)
                    sets[k] = dr.value(self.reg[k])
                    params[k] = sets[k][1]
            if params["device.iova_base"] + params["device.pages"] * PAGE > va_top(params):
                put("device.iova_base", (va_top(params) - params["device.pages"] * PAGE) // PAGE * PAGE)
            slots = int(FULL_BUDGET_S / PAGE_SLOT_S)
            if params["device.count"] * params["device.pages"] > slots:
                put("device.count", max(1, slots // max(params["device.pages"], 1)))
        else:
            cap = WORKLOAD_CAP[mode]
            if params["device.count"] * params["device.pages"] > cap:
                put("device.pages", max(1, cap // params["device.count"]))
                if params["device.count"] > cap:
                    put("device.count", cap)

        # Host cost: a smaller workload, then a shorter limit (see
        # host_seconds); the same when the limit is drawn.
        rtl = rng.random() >= UNSHAPED_SHARE
        cost = host_seconds(params, rtl)
        if mode != "full" and params["device.pages"] > 1 and cost > HOST_BUDGET_S:
            put("device.pages", max(1, int(params["device.pages"] * HOST_BUDGET_S / cost)))
            cost = host_seconds(params, rtl)
        boot, need, _ = estimate(params)
        # Simulated-time limit: twice the estimated need unless drawn; short
        # when the run cannot end in a bounded host time (a predicted
        # livelock, the whole workload range, a cost beyond the budget),
        # but mostly long enough for the boot, so that what follows it runs.
        if "run.max_time_us" not in chosen:
            put("run.max_time_us", int(ROOM * need / 1000) + 1)
        short, storm = math.inf, storm_seconds_per_ns(params, rtl)
        if cost > HOST_BUDGET_S:
            short = need / 1000 * HOST_BUDGET_S / cost
        if "livelock" in predict(params) or mode == "full":
            short = min(short, SHORT_LIMIT_US)
        if short < math.inf:
            # Room for the boot too, if it is short and a storm as long
            # would fit the budget.
            if boot <= BOOT_ROOM_MAX_US * 1000 and boot * storm <= HOST_BUDGET_S / 2 and \
                    rng.random() < 0.9:
                short += boot / 1000
            short = max(1, int(short))
        if params["run.max_time_us"] > short:
            put("run.max_time_us", short if rng.random() < 0.8 else rng.randint(1, short))

        expects = []
        if rng.random() < 0.1:
            for _ in range(rng.randint(1, 2)):
                res = rng.choice(sorted(EXPECT_RESULTS))
                v = EXPECT_RESULTS[res](params)
                op = rng.choice(tuple(OPS))
                num = (v if v is not None else 0) + rng.choice((-1, 0, 0, 1))
                expects.append((f"{res} {op} {num}", "soak"))
        case = Case(self, base, [(k, sets[k][0]) for k in sorted(sets)], expects,
                    index=index, det=rng.random() < self.args.det_share, mode=mode)
        # The file's own expectations come with the file, not with --expect.
        case.file_expects = [(e, base) for e in self.bases[base][1]] if base else []
        return case

    # ---- running

    def run(self, case, timeout=None):
        """Run prisim on the case once: rc, wall, output, results.json bytes."""
        timeout = timeout or self.args.timeout
        d = tempfile.mkdtemp(prefix="case.", dir=self.work)
        outd = os.path.join(d, "out")
        cmd = [self.prisim] + case.argv() + ["-q", "-v", "-o", outd]
        res = {"timed_out": False}
        t0 = time.monotonic()
        with open(os.path.join(d, "stdout"), "wb") as fo, open(os.path.join(d, "stderr"), "wb") as fe:
            try:
                p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                     env=self.env, start_new_session=True)
            except OSError as e:
                # Not prisim's failure: the binary went away or changed
                # under the soak (a rebuild while it ran, say).
                raise HarnessError(f"cannot run {self.prisim}: {e.strerror or e}"
                                   " (rebuilt or removed while the soak ran?)") from e
            try:
                res["rc"] = p.wait(timeout)
            except subprocess.TimeoutExpired:
                res["timed_out"] = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                res["rc"] = p.wait()
        res["wall"] = time.monotonic() - t0
        res["stdout"] = read_capped(os.path.join(d, "stdout"))
        res["stderr"] = read_capped(os.path.join(d, "stderr"))
        try:
            with open(os.path.join(outd, "results.json"), "rb") as f:
                res["results"] = f.read()
        except OSError:
            res["results"] = None
        shutil.rmtree(d, ignore_errors=True)
        return res

    def execute(self, case, timeout=None):
        """Run and classify a case; with case.det, run it twice."""
        r = self.run(case, timeout)
        out = classify(case, r)
        out["wall"] = r["wall"]
        if out["class"] in FAILURE_CLASSES:
            out["output"] = (r["stdout"] + "\n" + r["stderr"])[:65536]
        if case.det and out["class"] not in ("crash", "hang") and r["results"] is not None:
            r2 = self.run(case, timeout)
            out["wall"] += r2["wall"]
            out["det_checked"] = True
            if r2["results"] != r["results"]:
                out["class"] = "nondeterministic"
                out["detail"] = "results.json differs between two runs with the same seed: " + \
                    first_difference(r["results"], r2["results"] or b"")
        return out


def read_capped(path, cap=8 << 20):
    """The output file; beyond `cap` bytes, its first and last cap/2."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size <= cap:
            data = f.read()
        else:
            data = f.read(cap // 2) + b"\n[...]\n"
            f.seek(size - cap // 2)
            data += f.read()
    return data.decode(errors="replace")


def first_difference(a, b):
    la, lb = a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}: {x.strip()!r} vs {y.strip()!r}"
    return f"{len(la)} vs {len(lb)} lines"


# ------------------------------------------------------------ classifying

def times_ps(text):
    """Every '(at T unit)' stamp of the log, in ps."""
    out = []
    for line in text.splitlines():
        m = AT_RE.search(line)
        if m:
            out.append(float(m.group(1)) * AT_SCALE_PS[m.group(2)])
    return out


# Violations of "run completes" and of invariants 1-3 that a run ending at
# run.max_time_us leaves: work still in flight at the limit.
NOT_QUIESCED = re.compile(r"the run did not quiesce before run\.max_time_us|workload did not finish|"
                          r"software boot did not finish before run\.max_time_us")
IN_FLIGHT_CHECKS = ("one PRG Response per PRG", "credits within allocation, all returned",
                    "every page request and PQ record accounted for")
PAGES_FAILED = re.compile(r"pages / [0-9]+ bursts failed")
# What a response slower than the devices' PRG Response timeout leaves.
TIMEOUT_LATE = re.compile(r"PRG Response \(code [0-9]+\) for PRG index [0-9]+, which has no outstanding PRG|"
                          r"PRG Response for PRG index [0-9]+ with PASID 0x[0-9a-f]+, but its requests carried PASID|"
                          r"after the response timeout|PRG Response\(s\) for no outstanding PRG|"
                          r"driver sent [0-9]+ ATS\.PRGR, device got [0-9]+")
SW_ERRORS = re.compile(r"software logged [0-9]+ error\(s\)")
SHUTDOWN_LIMIT = re.compile(r"the software did not shut down within run\.max_time_us")
# The scoreboard names the documented livelock as the cause of not quiescing.
LIVELOCK_CAUSE = re.compile(r"cause: a Page Request Group of [0-9]+ requests .* never fits")
# The scoreboard names injected memory faults as the cause of a failed run.
INJECT_CAUSE = re.compile(r"cause: [1-9][0-9]* injected .* \(iommu\.inject\.\*\)")
# Software errors each rule accounts for (stderr "prisim: error:" lines).
ERROR_CAUSES = {
    "dram": re.compile(r"demand_pager: map 0x[0-9a-f]+ failed \(-12\)"),
}


def explain_verdict(case, results, stderr):
    """[] if every failure of an exit 1 is predicted, else what is not."""
    rules = case.rules
    unexplained = []
    summary = results.get("summary", {})
    quiesced = summary.get("quiesced", True)
    stopped = "limit" in rules or "livelock" in rules or "timeout" in rules
    checks = results.get("scoreboard", {}).get("checks", [])
    # Faults were injected and the scoreboard names them: they explain the
    # run's failures (what they break depends on which access they hit).
    injected = "inject" in rules and any(INJECT_CAUSE.search(v) for c in checks
                                         for v in c.get("violations", []))
    # Software calls failed on purpose: whatever they break is explained.
    injected = injected or ("sw_inject" in rules and
                            results.get("counters", {}).get("platform.inject.failures", 0) > 0)
    for chk in checks:
        if chk.get("ok"):
            continue
        name = chk.get("name", "")
        for v in chk.get("violations", []) or [chk.get("detail", "")]:
            ok = False
            if injected:
                ok = True
            elif "timeout" in rules and TIMEOUT_LATE.search(v):
                ok = True
            elif name == "run completes":
                if NOT_QUIESCED.search(v):
                    ok = stopped and not quiesced
                elif LIVELOCK_CAUSE.search(v):
                    ok = "livelock" in rules and not quiesced
                elif PAGES_FAILED.search(v):
                    ok = "dram" in rules or "attempts" in rules or "denied" in rules
                elif SW_ERRORS.search(v):
                    ok = errors_explained(rules, stderr)
            elif name in IN_FLIGHT_CHECKS:
                ok = stopped and not quiesced
            elif name == "software shuts down":
                ok = bool(SHUTDOWN_LIMIT.search(v)) and "shutdown_limit" in rules
            if not ok:
                unexplained.append(f"[{name}] {v}")
    for f in results.get("expectations", {}).get("failed", []):
        m = re.match(r"expectation '(.*)' failed", str(f))
        expr = m.group(1) if m else None
        origin = next((o for e, o in case.expects + case.file_expects if e == expr), None)
        if origin == "soak":
            ok = predict_expect(case.params, expr) is False
        elif origin:
            ok = not case.neutral_for_file(origin)  # the file's claim, about its own configuration
        else:
            ok = False
        if not ok:
            unexplained.append(f"expectation {f}")
    return unexplained


def errors_explained(rules, stderr):
    """Every software error logged is one a predicted rule causes; with the
    livelock, the driver's PQ recovery errors (tb/system: edge_livelock)."""
    errs = [l for l in stderr.splitlines() if l.startswith("prisim: error:")]
    for e in errs:
        if any(r in rules and pat.search(e) for r, pat in ERROR_CAUSES.items()):
            continue
        if "livelock" in rules and re.search(r"riscv-iommu0: pq:", e):
            continue
        return False
    return True


def names_key(case, text):
    """The message names a scenario key (a dotted key as a word; `name`
    as `name:` or `name =`) or an expectation."""
    for k in case.soak.reg:
        pat = re.escape(k) + (r"(?![\w.])" if "." in k else r"(?::| =)")
        if re.search(r"(?<![\w.])" + pat, text):
            return True
    return "expectation '" in text


def classify(case, r):
    """{"class", "detail", ...} of one run."""
    out, err, rc = r["stdout"], r["stderr"], r["rc"]
    both = out + "\n" + err
    res = {"rc": rc}
    if r["timed_out"]:
        return dict(res, **{"class": "hang", "detail": f"still running after {case.soak.args.timeout:g} s"})
    marker = next((m for m in CRASH_MARKERS if m in both), None)
    if rc < 0:
        return dict(res, **{"class": "crash", "detail": f"killed by signal {-rc} "
                            f"({signal.Signals(-rc).name if -rc in signal.valid_signals() else '?'})"})
    if rc not in (0, 1, 2):
        return dict(res, **{"class": "crash", "detail": f"exit status {rc}" + (f"; {marker}" if marker else "")})
    if marker:
        return dict(res, **{"class": "crash", "detail": f"exit status {rc} with '{marker}' in the output"})
    results = None
    if r["results"] is not None:
        try:
            results = json.loads(r["results"])
        except ValueError as e:
            return dict(res, **{"class": "crash", "detail": f"results.json is not JSON: {e}"})
    if rc == 2:
        msgs = [l for l in err.splitlines() if l.startswith("prisim: ") and
                not l.startswith(("prisim: info:", "prisim: warning:"))]
        if msgs and names_key(case, "\n".join(msgs)):
            res["predicted"] = bool(case.config) or any(
                predict_expect(case.params, e) == "error" for e, _ in case.expects)
            return dict(res, **{"class": "config", "detail": msgs[0]})
        return dict(res, **{"class": "unnamed", "detail": "exit 2 without a message naming a key: " +
                            (msgs[0] if msgs else "no 'prisim: ' message")})
    if results is None:
        return dict(res, **{"class": "crash", "detail": f"exit status {rc} without results.json"})
    # Overrun: each phase is bounded by run.max_time_us. The workload phase
    # ends at summary.sim_time_ps, which must not pass the limit. The
    # shutdown phase follows, with the same limit of its own; results.json
    # does not give its end, and the time stamps of the software's log
    # lines (-v) are the software's own time, which may run ahead of the
    # kernel's as long as nothing else is due (docs/user-guide.md, Time):
    # they cannot show an overrun. A shutdown that does not finish within
    # the limit is the "software shuts down" check's to report.
    limit_ps = case.params["run.max_time_us"] * 10**6
    sim_ps = results.get("summary", {}).get("sim_time_ps", 0)
    if sim_ps > limit_ps:
        return dict(res, **{"class": "overrun", "detail": f"workload phase ended at {sim_ps} ps, "
                            f"beyond run.max_time_us = {case.params['run.max_time_us']}"})
    stamps = times_ps(err)
    res["sim_ps"] = sim_ps
    res["quiesced"] = results.get("summary", {}).get("quiesced")
    res["shutdown_ps"] = max(max(stamps) - sim_ps, 0) if stamps else None
    if rc == 0:
        return dict(res, **{"class": "ok", "detail": ""})
    if "[FAIL]" not in out and "expectation '" not in both:
        line = next((l for l in both.splitlines() if l.startswith("prisim: ") and "info:" not in l), "")
        return dict(res, **{"class": "unexplained", "detail": "exit 1 without a FAIL line or a failed "
                            "expectation" + (f": {line}" if line else ""), "unexplained": []})
    missing = explain_verdict(case, results, err)
    if missing:
        return dict(res, **{"class": "unexplained", "detail": missing[0], "unexplained": missing})
    return dict(res, **{"class": "verdict", "detail": ", ".join(sorted(case.rules)) or "expectations"})


def normalise(text):
    """A violation without its device, numbers and addresses."""
    text = re.sub(r"device [0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]", "device D", text)
    return re.sub(r"0x[0-9a-f]+|[0-9]+", "N", text)


def signature(out):
    """What makes two failures the same for minimising and counting."""
    cls, d = out["class"], out.get("detail", "")
    if cls == "unexplained":
        items = out.get("unexplained") or [d]
        names = sorted({normalise(i)[:100] for i in items})
        return cls + ":" + "|".join(names)
    if cls == "crash":
        return cls + ":" + re.sub(r"[0-9]+", "N", d)[:60]
    if cls == "overrun":
        return cls + ":" + ("shutdown" if "log line" in d else "workload")
    return cls


# ------------------------------------------------------------- minimising

class Minimiser:
    """Drop --set and --expect items, in chunks then one at a time, while the
    failure stays the same (signature); then move each remaining value
    toward its default."""

    def __init__(self, soak, budget_s, runs):
        self.soak, self.deadline, self.runs_left = soak, time.monotonic() + budget_s, runs
        self.trials = 0

    def same(self, case, sig):
        if time.monotonic() > self.deadline or self.runs_left <= 0:
            return False
        self.runs_left -= 1
        self.trials += 1
        case.det = sig.startswith("nondeterministic")
        out = self.soak.execute(case)
        return signature(out) == sig

    def devnull_form(self, case):
        """The case on /dev/null: the file's keys that differ from the
        registry defaults become --set items, its expectations --expect."""
        if case.base is None:
            return case
        fp = self.soak.bases[case.base][0]
        own = {k for k, _ in case.sets}
        sets = [(k, fmt_plain(fp[k])) for k in sorted(fp)
                if k not in own and fp[k] != self.soak.reg[k].default]
        return Case(self.soak, None, sets + case.sets, case.file_expects + case.expects)

    def make(self, base, items, file_expects):
        c = Case(self.soak, base, [x[1] for x in items if x[0] == "set"],
                 [x[1] for x in items if x[0] == "expect"])
        c.file_expects = file_expects if base else []
        return c

    def minimise(self, case, sig):
        c = self.devnull_form(case)
        if c is not case and not self.same(c, sig):
            c = case
        base, fe = c.base, c.file_expects
        items = [("set", x) for x in c.sets] + [("expect", x) for x in c.expects]
        # Drop chunks of items, halving the chunk down to single items.
        chunk = max(len(items) // 2, 1)
        while True:
            i = 0
            while i < len(items):
                cand = items[:i] + items[i + chunk:]
                if self.same(self.make(base, cand, fe), sig):
                    items = cand
                else:
                    i += chunk
            if chunk == 1:
                break
            chunk //= 2
        # Each value as near its default as still fails the same way.
        for i, item in enumerate(list(items)):
            if item[0] != "set":
                continue
            k, text = item[1]
            for cand in toward_default(self.soak.reg[k], parse_value(self.soak.reg[k], text)):
                trial = items[:i] + [("set", (k, cand))] + items[i + 1:]
                if self.same(self.make(base, trial, fe), sig):
                    items = trial
                    break
        # Integers in decimal, booleans as true/false: the same values.
        plain = []
        for kind, item in items:
            if kind == "set" and self.soak.reg[item[0]].type in ("integer", "bool"):
                item = (item[0], fmt_plain(parse_value(self.soak.reg[item[0]], item[1])))
            plain.append((kind, item))
        return self.make(base, plain, fe)


def fmt_plain(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def toward_default(key, v):
    """Candidate values from the default toward v, nearest the default first."""
    if key.type in ("bool", "choice", "text"):
        return [fmt_plain(key.default)] if v != key.default else []
    d = key.default
    out, seen = [], set()
    for frac in (0.0, 0.5, 0.75, 0.875, 0.9375):
        if key.type == "integer" and v > 0 and d > 0 and max(v, d) / min(v, d) > 16:
            x = int(round(math.exp(math.log(d) + frac * (math.log(v) - math.log(d)))))
        else:
            x = d + frac * (v - d)
            x = int(round(x)) if key.type == "integer" else x
        if x != v and x not in seen:
            seen.add(x)
            out.append(fmt_plain(x))
    return out


# ------------------------------------------------------------------- main

def percentiles(xs):
    if not xs:
        return {}
    s = sorted(xs)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return {"p50": round(pick(0.5), 3), "p90": round(pick(0.9), 3), "p99": round(pick(0.99), 3),
            "max": round(s[-1], 3), "mean": round(statistics.fmean(s), 3)}


def first_lines(text, n=12):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[:n]


def main():
    ap = argparse.ArgumentParser(
        description="Randomized soak of prisim's exit-status promise (docs/testing.md).")
    ap.add_argument("--prisim", default=os.path.join(ROOT, "build", "prisim"),
                    help="the binary (default: build/prisim; a sanitizer build works too)")
    ap.add_argument("--seed", type=int, help="seed of the case generator (default: from the clock)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--minutes", type=float,
                   help="run cases for this much wall time (the default: 10 minutes)")
    g.add_argument("--cases", type=int, help="run cases 0 .. N-1")
    g.add_argument("--case", type=int, metavar="I",
                   help="run case I only: its command line, its outcome, a reproducer if it fails")
    ap.add_argument("--skip", default="", metavar="I,J,...",
                    help="with --cases: leave these cases out (each one a known failure)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel runs (default: nproc)")
    ap.add_argument("--timeout", type=float, default=30.0, help="wall-time bound per run, s (default 30)")
    ap.add_argument("--det-share", type=float, default=0.10,
                    help="share of cases run twice to compare results.json (default 0.10)")
    ap.add_argument("--scenarios", default=os.path.join(ROOT, "scenarios"),
                    help="directory of base scenarios (default: scenarios)")
    ap.add_argument("--report", metavar="FILE", help="write the JSON report to FILE instead of stdout")
    ap.add_argument("--no-minimise", action="store_true", help="report failures without minimising them")
    ap.add_argument("--minimise-budget", type=float, default=180.0,
                    help="wall time for minimising each distinct failure, s (default 180)")
    try:
        args = ap.parse_args()
        if args.minutes is None and args.cases is None and args.case is None:
            args.minutes = 10.0
        for name in ("minutes", "cases", "case"):
            v = getattr(args, name)
            if v is not None and v < 0:
                raise UsageError(f"--{name} must not be negative")
        if args.jobs < 1 or args.timeout <= 0 or not 0 <= args.det_share <= 1:
            raise UsageError("--jobs must be >= 1, --timeout > 0, --det-share in [0, 1]")
        if not (os.path.isfile(args.prisim) and os.access(args.prisim, os.X_OK)):
            raise UsageError(f"{args.prisim}: not an executable")
        if not os.path.isdir(args.scenarios):
            raise UsageError(f"{args.scenarios}: not a directory")
        try:
            args.skip = {int(x) for x in args.skip.split(",") if x.strip()}
        except ValueError:
            raise UsageError(f"--skip {args.skip!r}: expected case numbers separated by commas")
        if args.skip and args.cases is None:
            raise UsageError("--skip goes with --cases")
        if args.seed is None:
            args.seed = int(time.time())
        soak = Soak(args)
    except UsageError as e:
        log(f"error: {e}")
        sys.exit(2)
    except (OSError, subprocess.SubprocessError) as e:
        log(f"error: {e}")
        sys.exit(2)
    try:
        sys.exit(run_soak(soak, args))
    except HarnessError as e:
        log(f"error: {e}; the cases run so far are not a result")
        sys.exit(2)
    finally:
        soak.close()


def run_soak(soak, args):
    log(f"seed {args.seed} (replay: --seed {args.seed}), prisim {args.prisim}, "
        f"{len(soak.reg)} keys, bases: /dev/null " + " ".join(os.path.relpath(f, ROOT) for f in soak.files))
    if args.case is not None:
        case = soak.draw(args.seed, args.case)
        log(f"case {args.case}: {case.command()}")
        log(f"  predicted: {case.config or case.rules or 'nothing'}")
        out = soak.execute(case)
        log(f"  class {out['class']}: {out.get('detail', '')} ({out['wall']:.2f} s)")
        if out["class"] not in FAILURE_CLASSES:
            return 0
        if not args.no_minimise:
            m = Minimiser(soak, args.minimise_budget, 400)
            small = m.minimise(case, signature(out))
            log(f"  reproducer ({m.trials} runs): {small.command()}")
        return 1

    t0 = time.monotonic()
    deadline = t0 + args.minutes * 60 if args.minutes is not None else None
    counts = {c: 0 for c in CLASSES}
    rules_seen, walls, failures, slowest, seen_sigs = {}, [], [], [], set()
    ratios, shut_ratios = [], []
    det_checked, config_unpredicted, config_not_rejected, lock = 0, [], [], threading.Lock()
    total = args.cases
    next_index = 0
    last_progress = t0

    def more():
        nonlocal next_index
        if total is not None:
            while next_index in args.skip:
                next_index += 1
            return next_index < total
        return time.monotonic() < deadline

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        running = {}
        while running or more():
            while more() and len(running) < args.jobs * 2:
                case = soak.draw(args.seed, next_index)
                running[pool.submit(soak.execute, case)] = case
                next_index += 1
            done, _ = wait(running, timeout=5, return_when=FIRST_COMPLETED)
            for fut in done:
                case = running.pop(fut)
                out = fut.result()
                with lock:
                    counts[out["class"]] += 1
                    walls.append(out["wall"])
                    slowest.append((out["wall"], case.index, out["class"]))
                    slowest.sort(reverse=True)
                    del slowest[5:]
                    det_checked += bool(out.get("det_checked"))
                    if out["class"] == "verdict":
                        for r in case.rules:
                            rules_seen[r] = rules_seen.get(r, 0) + 1
                    if out["class"] == "config" and not out.get("predicted"):
                        config_unpredicted.append({"index": case.index, "command": case.command(),
                                                   "message": out["detail"]})
                    if case.config and out["class"] != "config":
                        config_not_rejected.append({"index": case.index, "command": case.command(),
                                                    "rules": case.config, "class": out["class"]})
                    if out["class"] == "ok" and out.get("sim_ps"):
                        b, need, shut = estimate(case.params)
                        ratios.append((out["sim_ps"] / 1000 / need, case.index))
                        if out.get("shutdown_ps") is not None:
                            shut_ratios.append((out["shutdown_ps"] / 1000 / (max(b - case.params["run.max_time_us"] * 1000, 0) + shut), case.index))
                    if out["class"] in FAILURE_CLASSES:
                        failures.append((case, out))
                        sig = signature(out)
                        if sig not in seen_sigs:
                            seen_sigs.add(sig)
                            log(f"case {case.index}: {out['class'].upper()}: {out.get('detail', '')}")
            now = time.monotonic()
            if now - last_progress >= 15:
                last_progress = now
                done_n = sum(counts.values())
                log(f"{done_n} cases in {now - t0:.0f} s: " +
                    ", ".join(f"{c} {n}" for c, n in counts.items() if n))
    elapsed = time.monotonic() - t0
    n = sum(counts.values())

    # Minimise one case of each distinct failure.
    distinct = {}
    for case, out in failures:
        distinct.setdefault(signature(out), []).append((case, out))
    reports = []
    for sig, items in distinct.items():
        case, out = items[0]
        entry = {"signature": sig, "class": out["class"], "detail": out.get("detail", ""),
                 "cases": [c.index for c, _ in items], "command": case.command(),
                 "predicted": case.rules, "output": first_lines(out.get("output", ""))}
        if out.get("unexplained"):
            entry["unexplained"] = out["unexplained"][:10]
        if not args.no_minimise:
            log(f"minimising {sig} (case {case.index}) ...")
            m = Minimiser(soak, args.minimise_budget, 400)
            small = m.minimise(case, sig)
            rerun = soak.run(small)
            entry["reproducer"] = small.command()
            entry["reproducer_runs"] = m.trials
            entry["reproducer_output"] = first_lines(rerun["stdout"] + "\n" + rerun["stderr"], 20)
            log(f"  reproducer ({m.trials} runs): {small.command()}")
        reports.append(entry)

    fail_n = sum(counts[c] for c in FAILURE_CLASSES)
    report = {
        "seed": args.seed, "prisim": args.prisim, "cases": n, "wall_seconds": round(elapsed, 1),
        "cases_per_second": round(n / elapsed, 2) if elapsed > 0 else 0,
        "jobs": args.jobs, "timeout_s": args.timeout, "classes": counts,
        "verdict_rules": rules_seen, "determinism_checked": det_checked,
        "case_wall_s": percentiles(walls),
        "slowest_cases": [{"index": i, "wall_s": round(w, 2), "class": c} for w, i, c in slowest],
        "skipped": sorted(args.skip),
        "estimate": {
            "workload_max_ratio": round(max(ratios)[0], 3) if ratios else None,
            "workload_max_ratio_case": max(ratios)[1] if ratios else None,
            "shutdown_max_ratio": round(max(shut_ratios)[0], 3) if shut_ratios else None,
            "shutdown_max_ratio_case": max(shut_ratios)[1] if shut_ratios else None,
        },
        # Exit 2 where no documented rule rejects the configuration, and
        # configurations a documented rule rejects that ran: not failures
        # of the promise, but the documentation and the model disagree.
        "config_unpredicted": config_unpredicted[:20],
        "config_unpredicted_count": len(config_unpredicted),
        "config_not_rejected": config_not_rejected[:20],
        "failures": reports,
        "ok": fail_n == 0,
    }
    log(f"{n} cases in {elapsed:.0f} s ({report['cases_per_second']} cases/s, {args.jobs} jobs), "
        f"seed {args.seed}")
    log("  " + ", ".join(f"{c} {k}" for c, k in counts.items()))
    log(f"  case wall time s: {report['case_wall_s']}")
    log(f"  explained verdicts by rule: {rules_seen}; determinism checked {det_checked}")
    if ratios:
        log(f"  estimate: largest measured/estimated simulated time {report['estimate']['workload_max_ratio']} "
            f"(case {report['estimate']['workload_max_ratio_case']})")
    if config_unpredicted:
        log(f"  {len(config_unpredicted)} exit 2 not predicted by a documented rule (see the report)")
    if config_not_rejected:
        log(f"  {len(config_not_rejected)} configurations a documented rule rejects ran (see the report)")
    log("PASS: no failure" if fail_n == 0 else
        f"FAIL: {fail_n} failing case(s), {len(reports)} distinct (replay: --seed {args.seed} --case I)")
    text = json.dumps(report, indent=2) + "\n"
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
        log(f"report written to {args.report}")
    else:
        sys.stdout.write(text)
    return 0 if fail_n == 0 else 1


if __name__ == "__main__":
    main()
