#!/usr/bin/env bash
# bench_sweep_grid.sh RRAMSIM — `rramsim sweep` costs beyond the points' own simulation (issue 17):
#  1. expanding and validating a 10^4-point grid ("vary" over two organisation keys, 100 x 100,
#     timed): `--shard 0/100000` runs only point 0, so the time is grid work + one point; the same
#     experiment without "vary" (one point) is the baseline measured in the same run. Target <= 1 s.
#  2. per-point overhead: functional sweeps of 20 and 60 points (FCNN 784-2048-2048-10, 1000
#     images); the extra wall time of the 40 extra points against their own wall_seconds (the
#     fixed start-up, model and data loading and the clean-accuracy pass, is printed apart).
#     Target <= 5 %.
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
sweep_of() {  # sweep_of NAME SEEDS: wall, CPU, points, their own seconds
  cat > "$1.json" <<EOF
{ "mode": "functional", "systems": ["$src/configs/systems/small.json"], "op_points": "all",
  "models": ["fcnn.bnn"], "seeds": [$2], "images": 1000 }
EOF
  timeit "$1.t1" "$bin" sweep "$1.json" --out "$1" --quiet
  read -r w c < "$1.t1"
  echo "$w $c $(wc -l < "$1/results.jsonl") $(python3 -c 'import json,sys; print(sum(json.loads(l)["wall_seconds"] for l in open(sys.argv[1])))' "$1/results.jsonl")"
}
read -r w1 c1 n1 o1 <<< "$(sweep_of s4 "1, 2, 3, 4")"
read -r w2 c2 n2 o2 <<< "$(sweep_of s12 "$(seq_json 1 12)")"
echo "functional sweep: $n1 points $w1 s wall (own $(printf %.3f "$o1") s), $n2 points $w2 s wall (own $(printf %.3f "$o2") s)"
echo "  fixed start-up (model, data, clean pass): $(awk -v w="$w1" -v o="$o1" -v W="$w2" -v O="$o2" -v n="$n1" -v N="$n2" 'BEGIN { m = ((W - O) - (w - o)) / (N - n); printf "%.3f", (w - o) - n * m }') s;" \
  "per-point overhead beyond the points' own time: $(awk -v w="$w1" -v o="$o1" -v W="$w2" -v O="$o2" 'BEGIN { printf "%.1f", 100 * ((W - w) - (O - o)) / (O - o) }') % (target <= 5 %)"
