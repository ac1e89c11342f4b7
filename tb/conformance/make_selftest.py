#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the conformance runner's self-test: cases of the riscv-iommu vectors
with one expectation changed each.

  make_selftest.py [VECTORS] [OUT_DIR]     (defaults: vectors/riscv-iommu.jsonl.gz, .)

Output: vectors/selftest.jsonl.gz and selftest_failures.txt, from cases
that are not known failures (known_failures.txt). A case whose
changed expectation the model cannot meet is listed in selftest_failures.txt
(the runner must report it as failing); a case changed in a way the
comparison rules of the vectors README (section 5) ignore is not listed (the
runner must pass it). conformance.selftest runs the runner on these with
--known-failures selftest_failures.txt, so it passes only if the runner
fails exactly the listed cases.
"""
import copy
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_ops(c):
    return [o for o in c["ops"] if o["phase"] == "test"]


KNOWN = set()


def first(cases, pred, what):
    for c in cases:
        if c.get("allowed_difference") or c["id"] in KNOWN:
            continue
        r = pred(c)
        if r is not None and r is not False:
            return copy.deepcopy(c), r
    raise SystemExit("no case for " + what)


def op_with(c, pred):
    for i, o in enumerate(c["ops"]):
        if o["phase"] == "test" and pred(o):
            return i
    return None


def hx(v, width=16):
    return "0x%0*x" % (width, v)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "vectors", "riscv-iommu.jsonl.gz")
    out = sys.argv[2] if len(sys.argv) > 2 else HERE
    cases = load(src)
    with open(os.path.join(HERE, "known_failures.txt")) as f:
        KNOWN.update(line.split()[0] for line in f if line.strip() and not line.startswith("#"))
    made = []  # (case, must_fail, what)

    def add(c, name, must_fail, what):
        c["id"] = "selftest-" + name
        c["title"] = what
        made.append((c, must_fail, what))

    def msgs(o):
        return o["expect"]["messages"]

    # ---- changes the runner must report ----
    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1 and
                                          msgs(o)[0]["kind"] == "PRG_Response"), "message")
    msgs(c["ops"][i])[0]["payload"] = hx(int(msgs(c["ops"][i])[0]["payload"], 16) ^ (1 << 44))
    add(c, "message-payload", True, "a PRG Response code changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1), "message")
    msgs(c["ops"][i]).clear()
    add(c, "message-missing", True, "an expected message removed")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1 and msgs(o)[0]["pv"] == 1),
                 "message with a PASID")
    msgs(c["ops"][i])[0]["pid"] ^= 1
    add(c, "message-pid", True, "the PASID of a message with pv = 1 changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1 and msgs(o)[0]["dsv"] == 1),
                 "message with a segment")
    msgs(c["ops"][i])[0]["dseg"] ^= 1
    add(c, "message-dseg", True, "the segment of a message with dsv = 1 changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: any(m["kind"] == "Invalidation_Request"
                                                          for m in msgs(o))), "invalidation")
    msgs(c["ops"][i])[0]["itag"] ^= 1
    add(c, "message-itag", True, "the ITag of an Invalidation Request changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(o["expect"]["msis"]) == 1), "MSI")
    c["ops"][i]["expect"]["msis"].append(dict(c["ops"][i]["expect"]["msis"][0]))
    add(c, "msi-extra", True, "an MSI expected twice")

    c, i = first(cases, lambda c: op_with(c, lambda o: o["expect"].get("ats_completion", {})
                                          .get("status") == "SC"), "ATS SC")
    c["ops"][i]["expect"]["ats_completion"] = {"status": "UR"}
    add(c, "ats-status", True, "an ATS completion status changed")

    def ats_rw(o):
        a = o["expect"].get("ats_completion", {})
        return a.get("status") == "SC" and int(a["raw"], 16) & 3 and not int(a["raw"], 16) & 0x800

    c, i = first(cases, lambda c: op_with(c, ats_rw), "ATS with R or W")
    a = c["ops"][i]["expect"]["ats_completion"]
    a["raw"] = hx(int(a["raw"], 16) ^ 0x4)
    add(c, "ats-u", True, "the U bit of an ATS completion changed")

    c, i = first(cases, lambda c: op_with(c, ats_rw), "ATS with R or W")
    a = c["ops"][i]["expect"]["ats_completion"]
    a["raw"] = hx(int(a["raw"], 16) ^ 0x1000)
    add(c, "ats-address", True, "the translated address of an ATS completion changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: True), "test op")
    c["ops"][i]["expect"]["regs"]["pqt"] += 1
    add(c, "op-regs", True, "pqt after a test op changed")

    c, _ = first(cases, lambda c: True, "any case")
    c["state_after_setup"]["ipsr"] ^= 4
    add(c, "state-after-setup", True, "ipsr after the setup changed")

    c, _ = first(cases, lambda c: True, "any case")
    c["final"]["regs"]["icvec"] = "0x3022"
    add(c, "final-regs", True, "the final icvec changed")

    def rec_case(c):
        for m in c["final"]["memory"]:
            if m["nonzero_records"]:
                return m
        return None

    c, _ = first(cases, rec_case, "a final record")
    r = rec_case(c)["nonzero_records"][0]
    r["hex"] = ("%02x" % (int(r["hex"][:2], 16) ^ 1)) + r["hex"][2:]
    add(c, "final-record", True, "a byte of a final PQ/FQ/FENCE record changed")

    c, _ = first(cases, rec_case, "a final record")
    rec_case(c)["nonzero_records"].pop(0)
    add(c, "final-zero", True, "a written record expected to be zero")

    c, i = first(cases, lambda c: next((j for j, o in enumerate(c["ops"])
                                        if o["phase"] == "setup" and o.get("expect_events")), None),
                 "setup events")
    c["ops"][i]["expect_events"]["msis"] = []
    add(c, "setup-events", True, "the MSI of a setup op removed")

    # ---- changes the comparison rules ignore: the runner must pass them ----
    c, i = first(cases, lambda c: op_with(c, lambda o: len(o["expect"]["msis"]) >= 2 and
                                          o["expect"]["msis"][0] != o["expect"]["msis"][1]),
                 "two MSIs")
    c["ops"][i]["expect"]["msis"].reverse()
    add(c, "msi-order", False, "the MSIs of one op in the other order (a multiset)")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1 and msgs(o)[0]["dsv"] == 0),
                 "message without a segment")
    msgs(c["ops"][i])[0]["dseg"] = 0x5A
    add(c, "ignored-dseg", False, "dseg of a message with dsv = 0 changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: len(msgs(o)) == 1 and msgs(o)[0]["pv"] == 0),
                 "message without a PASID")
    msgs(c["ops"][i])[0]["pid"] = 0x12345
    add(c, "ignored-pid", False, "pid of a message with pv = 0 changed")

    c, i = first(cases, lambda c: op_with(c, lambda o: o["expect"].get("ats_completion", {})
                                          .get("status") == "SC" and
                                          not int(o["expect"]["ats_completion"]["raw"], 16) & 3),
                 "ATS R = W = 0")
    a = c["ops"][i]["expect"]["ats_completion"]
    a["raw"] = hx(int(a["raw"], 16) | 0xABCDE000 | 0x800)
    add(c, "ignored-ats-address", False, "address and S of an R = W = 0 completion changed")

    # E1: the page's 4 KiB answer, expected as the 8 KiB range around it
    def e1(c):
        def ok(o):
            if not ats_rw(o):
                return False
            raw = int(o["expect"]["ats_completion"]["raw"], 16)
            return (raw >> 12 & 1) == (int(o["iova"], 16) >> 12 & 1)
        return op_with(c, ok)

    c, i = first(cases, e1, "ATS 4 KiB completion")
    a = c["ops"][i]["expect"]["ats_completion"]
    a["raw"] = hx((int(a["raw"], 16) & ~0x1000) | 0x800)
    add(c, "e1-range", False, "an ATS 4 KiB completion expected as the 8 KiB range around it")

    # (K7: a class whose cases run once, unlike K1's)
    c, _ = next((copy.deepcopy(x), 0) for x in cases
                if (x.get("allowed_difference") or {}).get("class") == "K7")
    c["final"]["regs"]["icvec"] = "0x3022"
    add(c, "allowed", False, "a case with allowed_difference that differs: never a failure")

    # mtime 0: the same input gives the same bytes
    with gzip.GzipFile(os.path.join(out, "vectors", "selftest.jsonl.gz"), "wb", mtime=0) as f:
        for c, _, _ in made:
            f.write((json.dumps(c, separators=(",", ":")) + "\n").encode())
    with open(os.path.join(out, "selftest_failures.txt"), "w") as f:
        f.write("# Written by make_selftest.py: the self-test cases the conformance runner must\n"
                "# fail (one changed expectation each); every other self-test case must pass.\n")
        for c, must_fail, what in made:
            if must_fail:
                f.write("%s  %s\n" % (c["id"], what))


if __name__ == "__main__":
    main()
