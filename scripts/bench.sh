#!/usr/bin/env bash
# Run the default scenario N times and print, as JSON, the median simulated
# faults per wall-second and the median host time the RTL costs per fault.
# usage: bench.sh PRISIM [N]
set -eu
prisim=$1 n=${2:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
get() { sed -n "s/^ *\"$1\": *\([0-9.eE+-]*\),\{0,1\}$/\1/p" "$2"; }
rates=() rtl=() walls=()
for i in $(seq 1 "$n"); do
  "$prisim" -q -o "$tmp"
  rates+=("$(get faults_per_wall_second "$tmp/host.json")")
  rtl+=("$(get rtl_host_us_per_fault "$tmp/host.json")")
  walls+=("$(get wall_seconds "$tmp/host.json")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
faults=$(get faults "$tmp/host.json")
cat <<JSON
{
  "benchmark": "default scenario",
  "runs": $n,
  "faults_per_run": $faults,
  "median_faults_per_wall_second": $(median "${rates[@]}"),
  "median_wall_seconds": $(median "${walls[@]}"),
  "median_rtl_host_us_per_fault": $(median "${rtl[@]}"),
  "all_faults_per_wall_second": [$(IFS=,; echo "${rates[*]}")]
}
JSON
