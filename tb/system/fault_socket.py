#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""System tests of prisim --fault-socket (docs/external-handler.md).

  fault_socket.py --prisim P --work DIR --handler BIN
      prisim with the sample handler BIN, twice: both exit 0, every fault is
      answered by the external handler, results.json is byte-identical.
  fault_socket.py --prisim P --work DIR --bad MODE
      prisim with a misbehaving handler (MODE: close, garbage, bad_size,
      unknown_cookie, silent, absent): prisim exits 1 (2 for absent: nobody
      connected) with a message naming the problem, never by a signal, and
      within the wall-time bound.
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

HDR = struct.Struct("=II")          # struct prisim_fs_hdr
HELLO, FAULTS, BYE, MAP, RESPONSE = 1, 2, 3, 16, 17
PGFAULT = struct.Struct("=IIIIIIQII")  # struct iommu_hwpt_pgfault (40 bytes)
SCENARIO = ["/dev/null", "--set", "device.pages=16"]
FAULTS_TOTAL = 4 * 16               # device.count (default 4) x device.pages
TIMEOUT = 50                        # host seconds for one run

# What prisim must say for each misbehaviour (a regex), and its exit status.
BAD = {
    "close": (1, r"--fault-socket: the external handler closed the connection"),
    "garbage": (1, r"external: protocol error: unknown frame type 3735928559"),
    "bad_size": (1, r"external: protocol error: RESPONSE frame of 5 bytes"),
    "unknown_cookie": (1, r"external: protocol error: response for cookie 999999, which waits for none"),
    "silent": (1, r"--fault-socket: the external handler did not answer within --max-wall 5 s"),
    "absent": (2, r"prisim: --fault-socket '[^']+': no external handler connected within 2 s"),
}


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def recv_frame(s):
    h = recv_exact(s, HDR.size)
    if h is None:
        return None, None
    t, n = HDR.unpack(h)
    p = recv_exact(s, n) if n else b""
    return t, p


def connect(path, deadline):
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            time.sleep(0.02)
    fail(f"prisim did not listen on {path}")


def bad_handler(path, mode):
    """Connect, take HELLO and the first FAULTS frame, then misbehave; read
    until prisim closes the connection."""
    s = connect(path, time.monotonic() + TIMEOUT)
    t, _ = recv_frame(s)
    if t != HELLO:
        fail(f"the first frame is of type {t}, not HELLO")
    t, p = recv_frame(s)
    if t != FAULTS or not p or len(p) % PGFAULT.size:
        fail(f"expected a FAULTS frame, got type {t} with {len(p or b'')} bytes")
    if mode == "close":
        s.close()
        return
    if mode == "garbage":
        s.sendall(HDR.pack(0xDEADBEEF, 3) + b"xyz")
    elif mode == "bad_size":
        s.sendall(HDR.pack(RESPONSE, 5) + b"\0" * 5)
    elif mode == "unknown_cookie":
        s.sendall(HDR.pack(RESPONSE, 8) + struct.pack("=II", 999999, 0))
    # silent: say nothing. Every mode waits for prisim to close.
    s.settimeout(TIMEOUT)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()


def run_prisim(args, tag, extra):
    """Start prisim; its socket in the short args.sockdir (a Unix socket path
    holds 107 bytes), its results in args.work/tag."""
    sock = os.path.join(args.sockdir, f"{tag}.sock")
    out = os.path.join(args.work, tag)
    cmd = [args.prisim] + SCENARIO + ["--fault-socket", sock, "-o", out] + extra
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), sock, out


def finish(proc, what):
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        fail(f"{what} did not end within {TIMEOUT} s\nstdout:\n{out}\nstderr:\n{err}")
    return proc.returncode, out, err


def good(args):
    results = []
    for run in ("a", "b"):
        expect = ["--expect", f"summary.handlers.external.faults_success == {FAULTS_TOTAL}",
                  "--expect", "summary.handlers.external.faults_invalid == 0"]
        p, sock, out = run_prisim(args, run, expect)
        h = subprocess.Popen([args.handler, sock], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        hrc, hout, herr = finish(h, "the handler")
        rc, pout, perr = finish(p, "prisim")
        log = f"prisim exit {rc}\nstdout:\n{pout}\nstderr:\n{perr}\nhandler exit {hrc}\nstdout:\n{hout}\nstderr:\n{herr}"
        if rc != 0 or hrc != 0:
            fail(f"run {run}: " + log)
        if not re.search(r"handler external +[0-9]+ groups, faults: %d success, 0 invalid" % FAULTS_TOTAL, pout):
            fail(f"run {run}: the summary does not show every fault answered by the external handler\n" + log)
        if not re.search(r"scoreboard: 6/6 checks hold", pout):
            fail(f"run {run}: scoreboard\n" + log)
        m = re.search(r"(\d+) faults, (\d+) groups answered \((\d+) success, 0 invalid\)", hout)
        if not m or int(m.group(1)) != FAULTS_TOTAL:
            fail(f"run {run}: the handler did not answer {FAULTS_TOTAL} faults\n" + log)
        with open(os.path.join(out, "results.json"), "rb") as f:
            results.append(f.read())
        print(f"run {run}: ok ({hout.strip()})")
    if results[0] != results[1]:
        fail("results.json differs between two runs with the same answers")
    print(f"results.json identical ({len(results[0])} bytes)")


def bad(args):
    want_rc, want_msg = BAD[args.bad]
    extra = ["--max-wall", "2" if args.bad == "absent" else "5"]
    t0 = time.monotonic()
    p, sock, _ = run_prisim(args, args.bad, extra)
    if args.bad != "absent":
        bad_handler(sock, args.bad)
    rc, pout, perr = finish(p, "prisim")
    wall = time.monotonic() - t0
    log = f"prisim exit {rc} after {wall:.1f} s\nstdout:\n{pout}\nstderr:\n{perr}"
    if rc < 0:
        fail(f"prisim was killed by signal {-rc}\n" + log)
    if rc != want_rc:
        fail(f"expected exit {want_rc}\n" + log)
    if not re.search(want_msg, pout + perr):
        fail(f"no message matching '{want_msg}'\n" + log)
    if re.search(r"Segmentation|Aborted|terminate called|AddressSanitizer", perr):
        fail("prisim crashed\n" + log)
    print(f"{args.bad}: exit {rc} after {wall:.1f} s, reported: {re.search(want_msg, pout + perr).group(0)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prisim", required=True)
    ap.add_argument("--work", required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--handler")
    g.add_argument("--bad", choices=sorted(BAD))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pxfs.") as d:
        args.sockdir = d
        good(args) if args.handler else bad(args)


if __name__ == "__main__":
    main()
