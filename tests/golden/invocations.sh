#!/usr/bin/env bash
# invocations.sh BIN OUTDIR — runs a fixed set of rramsim invocations (every command) and keeps
# each one's stdout, stderr, exit code and output files under OUTDIR/NN-name/, so two builds can
# be compared byte for byte (tests/golden/compare.sh). Used to prove that a refactor changed no
# behaviour; not part of ctest (it takes a few minutes and compares two binaries).
set -uo pipefail
BIN=$(readlink -f "$1"); OUT=$(readlink -f "${2:?usage: invocations.sh BIN OUTDIR}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$OUT"; mkdir -p "$OUT/work"
W="$OUT/work"; cd "$W" || exit 1
ln -s "$ROOT/configs" configs
n=0
inv() {  # inv NAME ARGS... : run in $W, capture into $OUT/NN-NAME
  n=$((n + 1)); local d; d=$(printf '%s/%02d-%s' "$OUT" "$n" "$1"); shift
  mkdir -p "$d"
  (cd "$W" && "$BIN" "$@" >"$d/stdout" 2>"$d/stderr" </dev/null); echo $? >"$d/rc"
  printf '%s\n' "$*" >"$d/cmd"
}
# Inputs every later invocation uses.
"$BIN" model random --arch 784-64-10 --seed 3 --out r.bnn >/dev/null 2>&1
"$BIN" train --arch 784-64-32-10 --data fashion-mnist --out t.bnn --epochs 1 --train-limit 2000 \
  --test-limit 500 --seed 2 --threads 1 --no-progress >/dev/null 2>&1
printf 'energy_pj,ber\n0.5,0.03\n1,0.01\n2,0.002\n4,0.0003\n' >points.csv

inv help --help
inv version version
inv model-info model info t.bnn
inv model-info-r model info r.bnn
inv model-random model random --arch 784-32-10 --seed 5 --out m2.bnn
inv model-random-vgg model random --arch vgg3 --seed 1 --out v.bnn
inv model-bad model info /nonexistent.bnn
inv eval eval --model t.bnn --data fashion-mnist --limit 500 --quiet
inv eval-ber eval --model t.bnn --data fashion-mnist --limit 300 --ber-write 0.05 --reps 3 --quiet
inv eval-read eval --model t.bnn --data fashion-mnist --limit 300 --ber-read 0.02 --seed 4 --quiet --threads 2
inv eval-sweep eval --model t.bnn --data fashion-mnist --limit 200 --ber-sweep 0:0.1:0.05 --reps 2 --csv sweep.csv --quiet
inv eval-json eval --model t.bnn --data fashion-mnist --limit 200 --ber-write 0.01 --json --quiet
inv eval-layers eval --model t.bnn --data fashion-mnist --limit 200 --ber-write 0.1 --error-layers 1 --quiet
inv eval-bad eval --model t.bnn --data fashion-mnist --ber-write 0.7
inv metric metric --model t.bnn --data fashion-mnist --limit 200
inv metric-json metric --model t.bnn --data fashion-mnist --limit 200 --json --ber 0.02
inv predict predict --model t.bnn --data fashion-mnist --limit 200 --ber 0,0.01,0.05
inv predict-layer predict --model t.bnn --data fashion-mnist --limit 200 --ber 0:0.1:0.05 --mean layer --json
inv train train --arch 784-32-10 --data fashion-mnist --out tr.bnn --epochs 1 --train-limit 1000 --test-limit 200 --seed 3 --no-progress --log tr.log.jsonl
inv train-reg-bad train --arch 784-32-10 --data fashion-mnist --out tf.bnn --epochs 1 --train-limit 1000 --test-limit 200 --seed 3 --flip-p 0.05 --flip-grad straight --reg-margin 0.1 --no-progress
inv train-flip train --arch 784-32-32-10 --data fashion-mnist --out tf.bnn --epochs 1 --train-limit 1000 --test-limit 200 --seed 3 --flip-p 0.05 --flip-grad straight --reg-margin 0.1 --no-progress
inv train-bad train --arch 784-32-10 --data fashion-mnist --out x.bnn --epochs 0
inv device-info device info configs/devices/hfo2_2t2r.json
inv device-info2 device info configs/devices/generic_1t1r.json
inv device-fit device fit points.csv
inv device-fit-1t1r device fit points.csv --cell 1T1R --voltage 1.5
inv sim sim --system configs/systems/small.json --requests 2000 --quiet
inv sim-nb sim --system configs/systems/small.json --requests 2000 --nb --outstanding 8 --read-ratio 0.5 --quiet --stats sim.json
inv sim-seq sim --system configs/systems/low_power.json --requests 1000 --traffic sequential --op-point ultra_low --quiet
inv sim-record sim --system configs/systems/small.json --requests 500 --read-ratio 0.7 --record-accesses acc.stl --record-faults f.csv --quiet
inv sim-rrt sim --system configs/systems/small.json --requests 500 --record-accesses acc.rrt --quiet
inv sim-bad sim --system configs/systems/small.json --requests 0
inv run run --system configs/systems/small.json --model t.bnn --images 50 --quiet
inv run-out run --system configs/systems/low_power.json --model t.bnn --images 30 --out runout --predictions pred.txt --record-faults rf.csv --quiet
inv run-layers run --system configs/systems/small.json --model t.bnn --images 20 --rram-layers 0 --weight-reuse 4 --seed 9 --quiet
inv run-bad run --system configs/systems/small.json --model /nope.bnn
inv replay replay --trace acc.stl --system configs/systems/small.json --quiet
inv replay-nb replay --trace acc.stl --system configs/systems/small.json --nb --stats rp.json --quiet
inv replay-rrt replay --trace acc.rrt --system configs/systems/small.json --quiet
inv trace-info trace info acc.stl
inv trace-info-f trace info f.csv
inv trace-convert trace convert acc.stl acc2.rstl
inv trace-info-r trace info acc2.rstl
inv trace-convert-gz trace convert acc.rrt acc3.stl.gz
inv faults-replay faults replay --model t.bnn --faults rf.csv --system configs/systems/low_power.json --images 30
inv faults-analyze faults analyze --model t.bnn --faults rf.csv --system configs/systems/low_power.json --images 30 --neurons 3 --out fa
cat >exp.json <<'EOJ'
{"mode": "functional", "systems": ["configs/systems/small.json"], "op_points": ["nominal", "low"],
 "models": ["t.bnn"], "seeds": [1, 2], "images": 100}
EOJ
inv sweep sweep exp.json --out sw --quiet
inv sweep-again sweep exp.json --out sw --quiet
inv sweep-shard0 sweep exp.json --out sh --shard 0/2 --quiet
inv sweep-shard1 sweep exp.json --out sh --shard 1/2 --quiet
inv sweep-merge sweep --merge sh
inv plot plot sw --out plots
inv sweep-bad sweep /nonexistent.json --out x
inv experiment-help experiment --help
inv bad-cmd frobnicate
inv eval-help eval --help
inv run-help run --help
inv sweep-help sweep --help
inv train-help train --help
# Every file the invocations wrote (outputs of the commands above).
for f in $(cd "$W" && find . -type f ! -name '*.png' ! -name '*.svg' | sort); do
  mkdir -p "$OUT/files/$(dirname "$f")"; cp "$W/$f" "$OUT/files/$f"
done
echo "invocations: $n"
