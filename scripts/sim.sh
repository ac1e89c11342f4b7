#!/usr/bin/env bash
# Run every regression scenario and print its summary.
# usage: sim.sh PRISIM SCENARIO_DIR OUT_DIR
# Exit status: 0 if every scenario passed, else the worst status seen (1 or 2).
set -u
prisim=$1 dir=$2 out=$3
worst=0
for f in "$dir"/*.yaml; do
  name=$(basename "$f" .yaml)
  mkdir -p "$out/$name"
  echo "== $name =="
  "$prisim" "$f" -o "$out/$name"
  rc=$?
  [ $rc -gt $worst ] && worst=$rc
  [ $rc -ne 0 ] && echo "!! $name: exit status $rc"
  echo
done
# The default scenario once more, its faults answered by a process outside
# the simulator: the sample poll() handler over --fault-socket
# (docs/external-handler.md), when it is built.
fh="$(dirname "$prisim")/examples/fh_poll"
if [ -x "$fh" ]; then
  name=external-poll
  mkdir -p "$out/$name"
  sock="$out/$name/fault.sock"
  echo "== $name =="
  "$prisim" "$dir/default.yaml" --fault-socket "$sock" --max-wall 120 -o "$out/$name" \
    --expect "summary.handlers.external.faults_success == 1024" &
  pid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  "$fh" "$sock" > "$out/$name/handler.log" 2>&1
  hrc=$?
  wait $pid
  rc=$?
  [ $rc -eq 0 ] && [ $hrc -ne 0 ] && rc=1
  [ $rc -gt $worst ] && worst=$rc
  [ $rc -ne 0 ] && echo "!! $name: exit status $rc (handler $hrc, log $out/$name/handler.log)"
  echo
fi
# The overflow policies side by side on the same workload.
pol=()
for n in overflow-pq2 overflow-pq2-smmuv3 overflow-pq2-vtd; do
  [ -f "$out/$n/results.json" ] && pol+=("$out/$n/results.json")
done
if [ ${#pol[@]} -gt 1 ]; then
  echo "== page-request-queue overflow policies, the same workload =="
  python3 "$(dirname "$0")/policy_table.py" "${pol[@]}"
  echo
fi
if [ $worst -eq 0 ]; then
  echo "all scenarios passed; results in $out/<scenario>/results.json"
else
  echo "some scenarios FAILED (worst exit status $worst)"
fi
exit $worst
