#!/usr/bin/env bash
# bench_sweep_grid.sh RRAMSIM — `rramsim sweep` costs beyond the points' own simulation (issue 17):
#  1. expanding and validating a 10^4-point grid ("vary" over two organisation keys, 100 x 100,
#     timed): `--shard 0/100000` runs only point 0, so the time is grid work + one point; the same
#     experiment without "vary" (one point) is the baseline measured in the same run. Target <= 1 s.
#  2. per-point overhead: a functional sweep of 20 points (FCNN 784-2048-2048-10, 1000 images); wall time of the whole command against
#     the sum of the points' own wall_seconds (model and data loading, clean accuracy, result
#     files included in the overhead). Target <= 5 %.
# CPU seconds (user + sys) are printed next to wall seconds: on a shared machine wall time
# includes waiting for a core.
set -euo pipefail
bin=$(readlink -f "${1:?usage: bench_sweep_grid.sh RRAMSIM}")
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rramsim-bench-sweep.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$bin" model random --arch 784-256-10 --seed 1 --out m.bnn >/dev/null

timeit() {  # timeit OUTFILE CMD... : "wall cpu" seconds into OUTFILE
  /usr/bin/time -f "%e %U %S" -o "$1.t" "${@:2}" >/dev/null
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$1.t" > "$1"
}

seq_json() { awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; ++i) printf "%s%d", (i > a ? ", " : ""), i }'; }
cat > grid.json <<EOF
{ "mode": "timed", "systems": ["$src/configs/systems/small.json"], "models": ["m.bnn"], "images": 20,
  "vary": { "organisation.queue_depth": [$(seq_json 1 100)],
            "organisation.controller_latency_cycles": [$(seq_json 0 99)] } }
EOF
cat > one.json <<EOF
{ "mode": "timed", "systems": ["$src/configs/systems/small.json"], "models": ["m.bnn"], "images": 20 }
EOF
timeit grid.t1 "$bin" sweep grid.json --out g --quiet --shard 0/100000
timeit one.t1 "$bin" sweep one.json --out o --quiet --shard 0/100000
read -r gw gc < grid.t1
read -r ow oc < one.t1
echo "10^4-point grid: $gw s wall ($gc s CPU) vs one-point experiment $ow s wall ($oc s CPU):" \
  "expansion + validation $(awk -v a="$gw" -v b="$ow" 'BEGIN { printf "%.3f", a - b }') s wall," \
  "$(awk -v a="$gc" -v b="$oc" 'BEGIN { printf "%.3f", a - b }') s CPU (target <= 1 s)"

# The main job's model shape (random weights: the cost, not the accuracy, matters here).
"$bin" model random --arch 784-2048-2048-10 --seed 1 --out fcnn.bnn >/dev/null
cat > fun.json <<EOF
{ "mode": "functional", "systems": ["$src/configs/systems/small.json"], "op_points": "all",
  "models": ["fcnn.bnn"], "seeds": [1, 2, 3, 4], "images": 1000 }
EOF
timeit fun.t1 "$bin" sweep fun.json --out f --quiet
read -r fw fc < fun.t1
pts=$(wc -l < f/results.jsonl)
own=$(python3 -c 'import json,sys; print(sum(json.loads(l)["wall_seconds"] for l in open(sys.argv[1])))' f/results.jsonl)
echo "functional sweep: $pts points, $fw s wall ($fc s CPU), points' own time $(printf %.3f "$own") s:" \
  "overhead $(awk -v w="$fw" -v o="$own" 'BEGIN { printf "%.1f", 100 * (w - o) / o }') % (target <= 5 %)"
