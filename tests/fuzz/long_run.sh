#!/usr/bin/env bash
# long_run.sh — the long fuzz run (docs/fuzzing.md): each harness in turn, one process at a time,
# until RUNS executions or its share of the time left before a deadline; one summary row each.
#
# usage: tests/fuzz/long_run.sh [-r RUNS] [-d DEADLINE] [-b BUILD] [-o LOGDIR] [HARNESS...]
#   RUNS      executions per harness (default 1000000)
#   DEADLINE  anything `date -d` reads (default: none, i.e. RUNS only); the time left is split
#             evenly over the harnesses not yet run, so a fast one hands its rest to the next
#   BUILD     the fuzz build directory (default build/fuzz)
#   LOGDIR    per-harness logs + summary.tsv (default BUILD/tests/fuzz/long-run)
#   HARNESS   names without the fuzz_ prefix (default: all nine). A harness whose binary is not
#             built yet is waited for (up to its time share), so a rebuild may run alongside.
# Runs under `nice -n 19` with TMPDIR=/dev/shm (when it exists); crashes are kept as
# BUILD/tests/fuzz/crash-<name>-*.
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=1000000 deadline="" build=build/fuzz logdir=""
while getopts "r:d:b:o:" opt; do
  case $opt in
    r) runs=$OPTARG ;;
    d) deadline=$(date -d "$OPTARG" +%s) || exit 2 ;;
    b) build=$OPTARG ;;
    o) logdir=$OPTARG ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(model config idx cifar trace_stl trace_rstl trace_rrt fault errmap)
dir=$build/tests/fuzz
logdir=${logdir:-$dir/long-run}
mkdir -p "$logdir"
[ -d /dev/shm ] && export TMPDIR=/dev/shm
summary=$logdir/summary.tsv
[ -f "$summary" ] || printf 'harness\texecutions\tcov\tft\texec_per_s\tseconds\tload_start\tload_end\texit\tstarted\n' >"$summary"

seeds_of() {
  case $1 in trace_stl | trace_rstl) echo trace_stl ;; *) echo "$1" ;; esac
}

left=${#harnesses[@]}
for h in "${harnesses[@]}"; do
  limit=0
  if [ -n "$deadline" ]; then
    limit=$(( (deadline - $(date +%s)) / left ))
    [ "$limit" -ge 10 ] || limit=10
  fi
  left=$((left - 1))
  bin=$dir/fuzz_$h
  waited=0
  # (a binary younger than 10 s may still be being linked)
  while { [ ! -x "$bin" ] || [ $(($(date +%s) - $(stat -c %Y "$bin"))) -lt 10 ]; } && { [ "$limit" -eq 0 ] || [ "$waited" -lt "$limit" ]; }; do
    sleep 10
    waited=$((waited + 10))
  done
  if [ ! -x "$bin" ]; then
    printf '%s\t-\t-\t-\t-\t0\t-\t-\tnot-built\t%s\n' "$h" "$(date -u +%H:%M:%S)" >>"$summary"
    continue
  fi
  [ "$limit" -eq 0 ] || limit=$((limit - waited < 10 ? 10 : limit - waited))
  corpus=$dir/corpus/$h
  mkdir -p "$corpus"
  log=$logdir/$h.log
  load0=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s) started=$(date -u +%H:%M:%S)
  nice -n 19 "$bin" -runs="$runs" -max_total_time="$limit" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$dir/crash-$h-" "$corpus" "$dir/seeds/$(seeds_of "$h")" >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  load1=$(cut -d' ' -f1 /proc/loadavg)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "${execs:--}" "${cov:--}" "${ft:--}" \
    "${rate:--}" "$secs" "$load0" "$load1" "$rc" "$started" >>"$summary"
done
column -t -s $'\t' "$summary"
