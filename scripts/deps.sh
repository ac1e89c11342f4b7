#!/usr/bin/env bash
# Check for the Debian packages prisim needs; install the missing ones with
# apt-get when running as root, otherwise print the exact command and fail.
# With everything present this only runs dpkg-query once (well under a second).
#   scripts/deps.sh        what `make sim`, `make test` and the rest need
#   scripts/deps.sh fuzz   also clang and its libFuzzer runtime (`make fuzz`;
#                          `make test` fuzzes a few seconds when they are present)
#   scripts/deps.sh chromium  also Debian's chromium: the scripts.report_* tests
#                          render the HTML report with it (skipped without it)
#   scripts/deps.sh slurm  also Debian's Slurm and MUNGE: the scripts.sweep_slurm_real
#                          test starts a one-node cluster of its own
set -eu

# package            what needs it
PKGS=(
  cmake              # build system
  make               # top-level driver
  g++                # C11 / C++17 compiler
  pkg-config         # locates SystemC
  verilator          # RTL lint and Verilated models
  libsystemc-dev     # SystemC 2.3 + TLM-2.0
  libcmocka-dev      # unit tests
  libyaml-cpp-dev    # scenario files
  nlohmann-json3-dev # results.json / host.json
  libcli11-dev       # command line
  zlib1g-dev         # conformance vectors (gzip JSON Lines)
  python3            # scripts/bench.py (make bench)
  python3-matplotlib # scripts/sweep.py plots (make sweep)
  python3-tqdm       # scripts/sweep.py progress bar (make sweep)
  liburing-dev       # the io_uring sample external handler (examples/fault-handlers)
)
if [ "${1:-}" = chromium ]; then
  PKGS+=(
    chromium           # headless rendering of scripts/report.py's pages (tb/scripts)
  )
fi
if [ "${1:-}" = slurm ]; then
  PKGS+=(
    slurm-wlm          # slurmctld, slurmd, sbatch, squeue, sacct (tb/scripts/slurm_cluster.py)
    munge              # munged and mungekey: Slurm's authentication
  )
fi
if [ "${1:-}" = fuzz ]; then
  PKGS+=(
    clang              # fuzz targets (tb/fuzz)
    libclang-rt-14-dev # libFuzzer and the sanitizer runtimes of clang 14
  )
fi

missing=()
# One dpkg-query call for all packages keeps the fast path fast.
status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  if ! grep -q "^${p} ii" <<<"$status"; then
    missing+=("$p")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq >/dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
  echo "deps: done" >&2
else
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:  sudo $cmd" >&2
  exit 1
fi
