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
if [ $worst -eq 0 ]; then
  echo "all scenarios passed; results in $out/<scenario>/results.json"
else
  echo "some scenarios FAILED (worst exit status $worst)"
fi
exit $worst
