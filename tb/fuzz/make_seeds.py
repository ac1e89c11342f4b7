#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the hand-made seed inputs of tb/fuzz/corpus/ (binary targets).

Each seed is a short operation sequence in the format its fuzz target
decodes (see the comment at the top of tb/fuzz/fuzz_<name>.c|cpp); the
scenario seeds are copies of scenarios/*.yaml plus a few small documents.
It also writes tb/fuzz/scenario.dict, whose keys come from
`prisim --list-params` when given the binary (else from params.cpp). Run it
after changing a target's input format or the scenario keys:

    python3 tb/fuzz/make_seeds.py [--prisim build/prisim]
"""
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fault_write ------------------------------------------------------------
# ops: 0-2 write, 3-4 report, 5-6 read, 7 detach (see fuzz_fault_write.c)

def fw_report(dev, nreq=1):
    return u8(3) + u8((dev & 1) | (((nreq - 1) % 3) << 1))


def fw_read(n):
    return u8(5) + u8(n)


def fw_detach(dev):
    return u8(7) + u8(dev)


def resp(cookie, code):
    return u32(cookie) + u32(code)


def fw_write(entries, sub=0, extra=b""):
    body = b"".join(entries)
    assert len(body) % 8 == 0 and len(body) // 8 < 16
    return u8(0) + u8((sub << 4) | (len(body) // 8)) + body + extra


def fw_write_raw(data, sub=0, extra=b""):
    return u8(0) + u8(0x80 | (sub << 4)) + u8(len(data)) + data + extra


def fault_write():
    write("fault_write", "one_response",
          fw_report(0) + fw_read(1) + fw_write([resp(1, 0)]))
    write("fault_write", "batch",
          fw_report(0) + fw_report(1, 2) + fw_report(0, 3) + fw_read(8) +
          fw_write([resp(1, 0), resp(2, 1), resp(3, 0)]))
    write("fault_write", "bad_cookie_mid_batch",
          fw_report(0) + fw_report(1) + fw_read(8) +
          fw_write([resp(1, 0), resp(99, 0), resp(2, 1)]) + fw_write([resp(2, 1)]))
    write("fault_write", "code_failure_refused",
          fw_report(0) + fw_read(1) + fw_write([resp(1, 2)]) + fw_write([resp(1, 7)]) +
          fw_write([resp(1, 1)]))
    write("fault_write", "cookie_twice",
          fw_report(0) + fw_report(0) + fw_read(4) + fw_write([resp(1, 0), resp(1, 0)]) +
          fw_write([resp(1, 0)]))
    write("fault_write", "count_not_multiple",
          fw_report(1) + fw_read(1) + fw_write_raw(resp(1, 0)[:7]) +
          fw_write_raw(resp(1, 0) + b"\0\0\0\0"))
    write("fault_write", "pwrite_offset",
          fw_report(0) + fw_read(1) + fw_write([resp(1, 0)], sub=5, extra=u8(7)) +
          fw_write([resp(1, 0)], sub=4))
    write("fault_write", "null_buffer",
          fw_report(0) + fw_read(1) + fw_write([resp(1, 0)], sub=6) + fw_write([], sub=6))
    write("fault_write", "efault_mid_batch",
          fw_report(0) + fw_report(1) + fw_report(0) + fw_read(8) +
          fw_write([resp(1, 0), resp(2, 0), resp(3, 0)], sub=7, extra=u8(1)))
    write("fault_write", "detach_then_stale_cookie",
          fw_report(0) + fw_report(1) + fw_read(8) + fw_detach(0) +
          fw_write([resp(2, 0), resp(1, 0)]) + fw_report(1) + fw_read(2) +
          fw_write([resp(1, 1)]))
    write("fault_write", "cookie_reuse",
          fw_report(0) + fw_report(0) + fw_read(1) + fw_write([resp(1, 0)]) + fw_read(1) +
          fw_write([resp(1, 0)]) + fw_write([]))


# ---- queue_records ----------------------------------------------------------
# header: cfg, devs, one rid byte per device; ops (see fuzz_queue_records.c):
# 0 pq push, 1 pq raw, 2 pqt, 3 pqcsr, 4 pq irq, 5 fq push, 6 fq raw, 7 fqt,
# 8 fqcsr, 9 fq irq, 10 cq error, 11 cq sync, 12 prgr, 13 both irqs

def qr_header(cfg=0x3F, rids=(1,), stuck_wait=False):
    # rid i is (byte + i) & 0x7F; bit 7 of the devices byte: one submission
    # may wait for a stuck command queue to time out
    devs = (len(rids) - 1) | (0x80 if stuck_wait else 0)
    return u8(cfg) + u8(devs) + b"".join(u8(r - i) for i, r in enumerate(rids))


def pq_hdr(did, pv=0, pid=0, priv=0, exe=0):
    return (did << 40) | (pv << 32) | (pid << 12) | (priv << 33) | (exe << 34)


def pq_payload(addr, prgi, l, w, r):
    return addr | (prgi << 3) | (l << 2) | (w << 1) | r


def pq_push(hdr, payload):
    return u8(0) + u64(hdr) + u64(payload)


def fq_hdr(cause, ttyp, did, pv=0, pid=0):
    return cause | (pid << 12) | (pv << 32) | (ttyp << 34) | (did << 40)


def fq_push(hdr, iotval=0, iotval2=0, custom=0):
    return u8(5) + u64(hdr) + u64(custom) + u64(iotval) + u64(iotval2)


def cq_error(bits, cqh, dw0, dw1=0):
    return u8(10) + u8(bits) + u8(cqh) + u64(dw0) + u64(dw1)


def prgr(dev, pasid, grpid, code, pv=False):
    return u8(12) + u8(dev | (0x80 if pv else 0)) + u32(pasid) + u16(grpid) + u8(code)


PQ_IRQ, FQ_IRQ, CQ_SYNC, BOTH = u8(4), u8(9), u8(11), u8(13)


def queue_records():
    write("queue_records", "pq_group_and_stop_marker",
          qr_header() +
          pq_push(pq_hdr(1), pq_payload(0x10000000, 2, 0, 1, 1)) +
          pq_push(pq_hdr(1), pq_payload(0x10001000, 2, 1, 0, 1)) +
          pq_push(pq_hdr(1, pv=1, pid=9), pq_payload(0, 3, 1, 0, 0)) + PQ_IRQ)
    write("queue_records", "pq_unknown_rid",
          qr_header(rids=(1, 2)) +
          pq_push(pq_hdr(0x33), pq_payload(0x2000, 7, 1, 0, 1)) +
          pq_push(pq_hdr(0x10001), pq_payload(0x3000, 8, 1, 1, 0)) + PQ_IRQ)
    write("queue_records", "pq_overflow",
          qr_header(cfg=0x3C, rids=(5,)) +
          pq_push(pq_hdr(5), pq_payload(0x1000, 1, 0, 0, 1)) +
          pq_push(pq_hdr(5), pq_payload(0x2000, 1, 1, 0, 1)) +
          u8(3) + u8(2) + PQ_IRQ + u8(3) + u8(1) + PQ_IRQ)
    write("queue_records", "pq_wrap_per_record",
          qr_header(cfg=0x40 | 0x30, rids=(3,)) +
          (pq_push(pq_hdr(3), pq_payload(0x4000, 1, 1, 1, 1)) + PQ_IRQ) * 5)
    write("queue_records", "pq_report_fails",
          qr_header(cfg=0x80 | 0x3F, rids=(1, 9, 17, 100)) +
          pq_push(pq_hdr(9, pv=1, pid=0x42, priv=1, exe=1), pq_payload(0x5000, 0x1FF, 1, 1, 1)) +
          pq_push(pq_hdr(100), pq_payload(0x6000, 4, 0, 1, 0)) + PQ_IRQ)
    write("queue_records", "pq_tail_anywhere",
          qr_header() + u8(2) + u32(11) + PQ_IRQ + u8(1) + u8(3) +
          u64(pq_hdr(1)) + u64(pq_payload(0x7000, 5, 1, 0, 1)) + u8(2) + u32(4) + PQ_IRQ)
    write("queue_records", "fq_causes",
          qr_header(rids=(1,)) +
          fq_push(fq_hdr(258, 9, 1), 0x4) + fq_push(fq_hdr(15, 3, 1), 0x10003000) +
          fq_push(fq_hdr(273, 0, 0), 0xFEE00000) + fq_push(fq_hdr(2048, 2, 7)) +
          fq_push(fq_hdr(999, 63, 0xFFFFFF, pv=1, pid=0xFFFFF)) + FQ_IRQ)
    write("queue_records", "fq_overflow",
          qr_header(cfg=0x34) + fq_push(fq_hdr(260, 9, 3), 0x4) + u8(8) + u8(3) + FQ_IRQ +
          u8(7) + u32(1) + FQ_IRQ)
    write("queue_records", "cq_cmd_ill_streak",
          qr_header(stuck_wait=True) + cq_error(1, 0, 0x5) * 6 + CQ_SYNC)
    write("queue_records", "cq_errors",
          qr_header() + cq_error(2, 3, 0x2 | (1 << 10), 0x1234) + cq_error(4, 3, 0x1) +
          cq_error(7, 5, 0x4 | (1 << 7)) + CQ_SYNC +
          cq_error(1, 1, 0x3 | (1 << 7)))
    write("queue_records", "prgr_codes",
          qr_header(rids=(1, 2)) + prgr(0, 0, 1, 0) + prgr(1, 0x42, 2, 1, pv=True) +
          prgr(0, 7, 0x1FF, 2) + prgr(1, 0, 3, 7) + BOTH)


# ---- mmio ----------------------------------------------------------------------
# ops: 0-3 register access, 4 debug read, 5 DRAM write, 6 wait, 7 page request

REG = dict(caps=0x000, fctl=0x008, ddtp=0x010, cqb=0x018, cqh=0x020, cqt=0x024, fqb=0x028,
           fqh=0x030, fqt=0x034, pqb=0x038, pqh=0x040, pqt=0x044, cqcsr=0x048, fqcsr=0x04C,
           pqcsr=0x050, ipsr=0x054, icvec=0x2F8, msi=0x300)
SIZES = [4, 8, 4, 8, 1, 2, 3, 16, 0, 4096, 4097, 5]


def acc(off, write=False, size=4, value=0, delay=0, special=0, outside=False):
    flags = (2 if write else 0) | (special << 2) | (0x40 if outside else 0)
    if size in (4, 8) and not special:
        flags |= 1 if size == 8 else 0
        b = u8(0) + u8(flags)
    else:
        b = u8(0) + u8(flags | 0x80) + u8(SIZES.index(size))
    b += u16(off) + u64(value) + u8(delay)
    if write and size > 8:
        b += bytes((i * 7) & 0xFF for i in range(size))
    return b


def rd(reg, size=4):
    return acc(REG[reg] if isinstance(reg, str) else reg, size=size)


def wr(reg, value, size=4):
    return acc(REG[reg] if isinstance(reg, str) else reg, write=True, size=size, value=value)


def mem(addr, value):
    return u8(5) + u32(addr) + u64(value)


def wait(ns):
    return u8(6) + u16(ns // 10)


def dbg(off, size):
    return u8(4) + u16(off) + u8(size)


def pr(rid, payload, pv=0, pasid=0):
    return u8(7) + u8(pv) + u16(rid) + u32(pasid) + u64(payload)


def qbase(addr, log2szm1):
    return ((addr >> 12) << 10) | log2szm1


DDT, CQ, FQ, PQ = 0x10000, 0x20000, 0x21000, 0x22000
MSI = 0x0F000000


def msi_setup():
    b = wr("icvec", 0x3210, 8)
    for v in range(4):
        b += wr(REG["msi"] + 16 * v, MSI + 4 * v, 8) + wr(REG["msi"] + 16 * v + 8, v)
    return b


def mmio():
    write("mmio", "read_all", b"".join(rd(r, 8 if r in ("caps", "ddtp", "cqb", "fqb", "pqb", "icvec")
                                          else 4) for r in REG) + dbg(0, 8) + dbg(0x44, 4))
    cmds = [(0x2 | (1 << 12) | (1 << 13), 0),                      # IOFENCE.C
            (0x1, 0), (0x1 | (1 << 7), 0),                           # IOTINVAL.VMA / GVMA
            (0x3 | (1 << 33) | (1 << 40), 0),                        # IODIR.INVAL_DDT DV
            (0x4 | (1 << 7) | (1 << 40), (5 << 32)),                 # ATS.PRGR
            (0x2 | (1 << 10) | (0x55 << 32), (CQ + 0x800) >> 2),     # IOFENCE.C AV
            (0x5, 0)]                                                # illegal
    b = msi_setup()
    for i, (d0, d1) in enumerate(cmds):
        b += mem(CQ + 16 * i, d0) + mem(CQ + 16 * i + 8, d1)
    b += wr("cqb", qbase(CQ, 3), 8) + wr("cqcsr", 3) + wr("cqt", len(cmds)) + wait(5000)
    b += rd("cqh") + rd("cqcsr") + rd("ipsr") + wr("cqcsr", 0x403) + wr("ipsr", 1) + wait(2000)
    write("mmio", "command_queue", b)

    b = msi_setup() + wr("fqb", qbase(FQ, 2), 8) + wr("fqcsr", 3)
    b += wr("ddtp", (DDT >> 12) << 10 | 2, 8) + mem(DDT + 32 * 1, 0)  # DC 1 not valid
    b += pr(1, 0x1000 | (3 << 3) | 4 | 1) + pr(0x300, 0x2000 | 4) + wait(3000)
    b += rd("fqt") + wr("fqh", 2) + rd("fqcsr") + rd("ipsr") + wr("ipsr", 2)
    write("mmio", "fault_queue", b)

    b = msi_setup() + wr("ddtp", (DDT >> 12) << 10 | 2, 8)
    b += mem(DDT + 32 * 2, 0x7) + wr("pqb", qbase(PQ, 1), 8) + wr("pqcsr", 3) + wait(100)
    for i in range(6):
        b += pr(2, (0x1000 * (i + 1)) | ((i % 3) << 3) | (4 if i % 2 else 0) | 1)
        b += wait(200)
    b += rd("pqt") + rd("pqcsr") + wr("pqh", 2) + wr("pqcsr", 0x303) + rd("pqcsr")
    b += pr(2, 0, pv=1, pasid=5) + wait(500) + wr("pqcsr", 0) + wait(100) + rd("pqcsr")
    write("mmio", "page_request_queue", b)

    b = b""
    for size in (1, 2, 3, 16, 0, 4096, 4097, 5):
        b += acc(0x20, size=size)
        if size <= 16:
            b += acc(0x21, size=size, write=True, value=0xFFFFFFFF)
    b += acc(0x20, size=8) + acc(0x24, size=8, write=True, value=~0)
    b += acc(0x1000) + acc(0xFFC, size=8) + acc(0x2FF8, outside=True)
    b += acc(0x18, special=0xF) + acc(0x18, special=0xE, write=True) + acc(0x18, special=0xD)
    b += acc(0x14, size=4) + acc(0x0, write=True, size=8, value=0)
    write("mmio", "illegal_accesses", b)

    b = msi_setup() + wr(REG["msi"] + 16 * 1 + 12, 1) + wr("fqb", qbase(FQ, 2), 8) + wr("fqcsr", 3)
    b += wr("ddtp", 1, 8) + pr(4, 0x4 | 0x1000) + wait(2000) + rd(REG["msi"] + 28)
    b += wr(REG["msi"] + 16 * 1 + 12, 0) + wait(1000) + wr(REG["msi"] + 4, 0x12345, 4)
    b += rd(REG["msi"], 8) + wr("ipsr", 0xF)
    write("mmio", "msi_mask_pending", b)

    b = wr("ddtp", 2 | (0x10 << 10), 8) + wr("ddtp", 1, 8) + wr("ddtp", 3, 8) + wr("ddtp", 0, 8)
    b += wr("ddtp", 1, 8) + wr("ddtp", 15, 8) + rd("ddtp", 8) + wr(REG["ddtp"] + 4, 0xFFFFFFFF)
    b += rd(REG["ddtp"] + 4)
    write("mmio", "ddtp_modes", b)

    b = wr("cqb", qbase(CQ, 31), 8) + wr("cqcsr", 1) + wr("cqb", qbase(FQ, 0), 8) + rd("cqb", 8)
    b += wr("cqt", 0xFFFFFFFF) + rd("cqt") + wr("pqb", qbase(PQ, 31), 8) + rd("pqb", 8)
    b += wr(REG["cqb"] + 4, 0xFFFFFFFF) + wr("cqcsr", 0) + wait(100) + wr("cqb", ~0, 8)
    b += rd("cqb", 8) + rd("cqt")
    write("mmio", "queue_bases", b)

    b = wr("ddtp", (DDT >> 12) << 10 | 2, 8) + mem(DDT + 32 * 3, 0x3)
    b += mem(CQ, 0x4 | (3 << 40)) + mem(CQ + 8, 0x7FFFFFFFFFFFF000 | (1 << 11))  # ATS.INVAL
    b += mem(CQ + 16, 0x2 | (1 << 12)) + wr("cqb", qbase(CQ, 2), 8) + wr("cqcsr", 3)
    b += wr("cqt", 2) + wait(20000) + rd("cqh") + rd("cqcsr")
    write("mmio", "ats_inval", b)


# ---- scenario ------------------------------------------------------------------

def scenario():
    d = os.path.join(HERE, "corpus", "scenario")
    os.makedirs(d, exist_ok=True)
    for src in ("default", "groups", "overflow-pq2", "workloads"):
        shutil.copy(os.path.join(ROOT, "scenarios", src + ".yaml"), os.path.join(d, src + ".yaml"))
    for src in ("faults-100k", "idle-devices"):
        shutil.copy(os.path.join(ROOT, "scenarios", "bench", src + ".yaml"),
                    os.path.join(d, "bench-" + src + ".yaml"))
    write("scenario", "sets_and_expects",
          b"name: t\nsw:\n  driver:\n    pq_log2sz: 2\n"
          b"\0sw.driver.pq_log2sz=16\ndevice.count=127\nsw.cost.handler.sigma=0.01\n"
          b"sw.cost.handler.dist=lognormal\nsw.driver.pq_head_per_record=yes\n"
          b"device.iova_base=0x10000000\nseed=9200000000000000000\n"
          b"\0summary.faults == 12\nsummary.fault_latency_ps.p99 < 5e3\n"
          b"fault_latency_ps.p99 >= -1.5\ndev.0001.fault_latency_ps.p99 != 0\n"
          b"iommu0.pq.occupancy_avg <= 0.5\nno.such.key > 1\nnot an expectation\n")
    write("scenario", "bad_values",
          b"device:\n  count: 0\n\0device.count=-1\n\0")
    write("scenario", "expect_list",
          b"expect:\n  - summary.pq_overflows == 0\n  - 'summary.faults > 1'\n"
          b"run:\n  max_time_us: 1000\n  quantum_ns: 0\n")
    write("scenario", "yaml_shapes",
          b"{device: {count: 2, pages: [1]}, iommu: !!str 5, ? [a] : b, sw: ~}\n")
    write("scenario", "anchors",
          b"base: &b {count: 3}\ndevice: *b\niommu:\n  clk_mhz: 0x10\n  iotlb_entries: 1e3\n")


SCENARIO_DICT_SYNTAX = r"""
# device classes and their workloads
"class:"
"class."
"workload:"
".workload."
"preset:"
"count:"
# YAML syntax
"\x00"
":"
": "
"\x0a  "
"\x0a    "
"- "
"\x0a  - "
"{"
"}"
"["
"]"
"&a "
"*a"
"? "
"!!str "
"!!map"
"~"
"null"
"'"
"\""
"#"
"---"
"..."
"|"
">"
"<<: "
# values
"true"
"false"
"yes"
"no"
"on"
"off"
"0x"
"0o"
"0b"
"-1"
"1e999"
"-0"
"nan"
"inf"
"18446744073709551615"
"9200000000000000000"
"4096"
" "
"\x09"
"fixed"
"exponential"
"lognormal"
# --set and --expect
"="
"expect"
"summary."
"summary.faults"
"summary.fault_latency_ps.p99"
"fault_latency_ps.p99"
"counters"
"distributions"
" == "
" != "
" <= "
" >= "
" < "
" > "
"e+"
"E-"
".5"
"""


def scenario_dict(prisim):
    if prisim:
        text = subprocess.run([prisim, "--list-params"], check=True, capture_output=True,
                              text=True).stdout
        keys = re.findall(r"^\| `([^`]+)` \|", text, re.M)
    else:
        with open(os.path.join(ROOT, "model", "platform", "params.cpp")) as f:
            keys = re.findall(r'add\(\{"([^"]+)"', f.read())
    parts = sorted({p for k in keys for p in k.split(".")})
    with open(os.path.join(HERE, "scenario.dict"), "w") as f:
        f.write("# libFuzzer dictionary of fuzz_scenario (generated by make_seeds.py).\n")
        f.write("# scenario keys (prisim --list-params), whole and by part\n")
        for k in keys:
            f.write('"%s"\n' % k)
            f.write('"%s="\n' % k)
        for p in parts:
            f.write('"%s:"\n' % p)
        f.write(SCENARIO_DICT_SYNTAX)


# ---- vectors ------------------------------------------------------------------
# Real conformance cases (tb/conformance/vectors), one JSON Lines record per
# file: the smallest of each category and kind, with and without an
# allowed_difference or a Stop-Marker-shaped request without a PASID; and
# one document of two lines.
VECTOR_SEEDS = ["reg-ddtp-warl-mode", "ats-gate-ddt-fault", "ats-bare-iova-above-pas",
                "rnd-1-00543", "cmd-ill-nocie", "cmd-iodir-did-wide-ddtp-off", "rnd-1-00338",
                "rnd-1-00482", "pq-sm-off-l0", "pq-sm-queued-sm_nopasid", "pq-pie-after-pqof",
                "rnd-1-00703"]


def vectors():
    import gzip
    import json
    lines = {}
    with gzip.open(os.path.join(ROOT, "tb", "conformance", "vectors", "riscv-iommu.jsonl.gz"),
                   "rt") as f:
        for line in f:
            case_id = json.loads(line)["id"]
            if case_id in VECTOR_SEEDS:
                lines[case_id] = line if line.endswith("\n") else line + "\n"
    for case_id in VECTOR_SEEDS:
        write("vectors", case_id, lines[case_id].encode())
    write("vectors", "two_cases", (lines["pq-sm-off-l0"] + lines["cmd-ill-nocie"]).encode())


if __name__ == "__main__":
    prisim = sys.argv[sys.argv.index("--prisim") + 1] if "--prisim" in sys.argv else None
    scenario_dict(prisim)
    fault_write()
    queue_records()
    mmio()
    scenario()
    vectors()
