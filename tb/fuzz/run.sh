#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run one libFuzzer target for a while:
#   tb/fuzz/run.sh <fuzzer binary> <name> <seconds> <work dir>
# New inputs go to <work dir>/corpus (the seed corpus in tb/fuzz/corpus/<name>
# and the saved regressions in tb/fuzz/regress/<name> are read, never
# written); a crash, leak, timeout or broken invariant is saved under
# <work dir>/artifacts/ and makes the exit status non-zero.
set -eu

bin=$1 name=$2 seconds=$3 work=$4
src=$(cd "$(dirname "$0")" && pwd)

# Per target: the longest input, and whether leaks are checked. The mmio
# and vectors targets run the model in SystemC threads, whose coroutine stacks
# LeakSanitizer does not scan: what a suspended thread holds looks leaked.
# Growth across inputs is caught by -rss_limit_mb instead.
max_len=2048 leaks=1
case $name in
  scenario) max_len=8192 ;;
  mmio)     leaks=0 ;;
  vectors)  max_len=16384 leaks=0 ;;
esac

mkdir -p "$work/corpus" "$work/artifacts"
export SC_COPYRIGHT_MESSAGE=DISABLE SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks}

set +e
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
  -detect_leaks="$leaks" \
  -dict="$src/$name.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  "$work/corpus" "$src/corpus/$name" "$src/regress/$name" 2>"$work/log"
rc=$?
set -e
# libFuzzer's own summary: executions, rate, coverage.
grep -E '^(stat::|Done |#[0-9]+[[:space:]]+DONE|INFO: Seed|==[0-9]+==ERROR|SUMMARY|ERROR:)' "$work/log" || true
if [ $rc -ne 0 ]; then
  echo "fuzz.$name: FAILED (exit $rc); log: $work/log" >&2
  tail -n 60 "$work/log" >&2
  ls "$work/artifacts" >&2
  echo "reproduce: $bin <artifact>; keep it as a regression: tb/fuzz/README.md" >&2
  exit 1
fi
echo "fuzz.$name: ok ($seconds s)"
