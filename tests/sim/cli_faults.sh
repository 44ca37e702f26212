#!/usr/bin/env bash
# cli_faults.sh — end-to-end tests of `rramsim run --record-faults` and `rramsim faults replay|analyze`.
# usage: cli_faults.sh RRAMSIM_BIN REPO_DIR CASE     (CASE: one of the functions below)
set -euo pipefail
bin=$1
case_name=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rramsim-faults.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A high-BER operating point (2 % write, 0.1 % read) on a 64 KiB organisation.
cat > "$tmp/dev.json" <<'EOF'
{ "name": "testdev", "cell": "2T2R", "operating_points": [
  { "name": "noisy", "write_ber_01": 0.02, "write_ber_10": 0.02, "read_ber_01": 0.001,
    "read_ber_10": 0.001, "e_set_pj": 0.5, "e_reset_pj": 0.5, "e_read_pj": 0.05,
    "e_periph_read_pj": 1, "t_read_ns": 12, "t_write_ns": 20 } ] }
EOF
cat > "$tmp/sys.json" <<'EOF'
{ "name": "sys", "device": "dev.json", "op_point": "noisy", "seed": 3,
  "organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": 128,
                    "columns": 512 } }
EOF
"$bin" model random --arch 784-128-10 --seed 1 --out "$tmp/m.bnn" >/dev/null
record() {  # record EXTRA_RUN_ARGS...
  "$bin" run --system "$tmp/sys.json" --model "$tmp/m.bnn" --images 60 --quiet \
    --record-faults "$tmp/f.csv" --predictions "$tmp/run.txt" "$@" >/dev/null
}

replay_reproduces_predictions() {
  for reuse in 1 4; do
    record --weight-reuse $reuse --rram-layers 0
    grep -q ',read,' "$tmp/f.csv" || fail "no read faults recorded"
    grep -q ',write,' "$tmp/f.csv" || fail "no write faults recorded"
    "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
      --images 60 --weight-reuse $reuse --rram-layers 0 --predictions "$tmp/rep.txt" >/dev/null
    cmp -s "$tmp/run.txt" "$tmp/rep.txt" || fail "replay predictions differ (reuse $reuse)"
  done
  # Dropping the read faults changes the weights the engine saw: the control must differ.
  grep -v ',read,' "$tmp/f.csv" > "$tmp/nr.csv"
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/nr.csv" --system "$tmp/sys.json" \
    --images 60 --weight-reuse 4 --rram-layers 0 --predictions "$tmp/nr.txt" >/dev/null
  cmp -s "$tmp/nr.txt" "$tmp/run.txt" && fail "replay without the read faults gives the same predictions"
  record
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
    --images 60 --predictions "$tmp/rep.txt" >/dev/null
  cmp -s "$tmp/run.txt" "$tmp/rep.txt" || fail "replay predictions differ (all layers)"
  # Every fault is located: layer and neuron filled, weight -1 only for padding bits.
  awk -F, '!/^#/ && NR>8 && ($7<0 || $8<0) {bad=1} END {exit bad}' "$tmp/f.csv" ||
    fail "unlocated fault"
}

analyze_sums_are_consistent() {
  record
  "$bin" faults analyze --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
    --images 60 --neurons 4 --out "$tmp/an" > "$tmp/an.txt"
  grep -q 'Spearman rank correlation.*(4 neurons)' "$tmp/an.txt" || fail "no rank correlation"
  awk -F, 'NR>1 && !($7>=0 && $7<=1) {bad=1} END {exit bad}' "$tmp/an/neurons.csv" ||
    fail "vulnerability outside [0,1]"
  n=$(grep -vc '^#' "$tmp/f.csv"); n=$((n - 1))
  sum=$(awk -F, 'NR>1 {s+=$2} END {print s}' "$tmp/an/layers.csv")
  [ "$sum" = "$n" ] || fail "per-layer fault counts sum to $sum, file has $n"
  [ "$(wc -l < "$tmp/an/neurons.csv")" = 5 ] || fail "expected 4 neuron rows"
  # With one layer's faults only, and all but that layer's, a 2-layer model's rows mirror.
  awk -F, 'NR==2 {a1=$3; b1=$4} NR==3 {a2=$3; b2=$4} END {exit !(a1==b2 && a2==b1)}' \
    "$tmp/an/layers.csv" || fail "only-layer-0 must equal all-but-layer-1 and vice versa"
  [ -s "$tmp/an/neurons.svg" ] || fail "no plot"
}

model_mismatch_refused() {
  record
  "$bin" model random --arch 784-64-10 --seed 2 --out "$tmp/m2.bnn" >/dev/null
  if "$bin" faults replay --model "$tmp/m2.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
       --images 5 2> "$tmp/err"; then fail "mismatch accepted"; fi
  grep -q 'recorded for model' "$tmp/err" || fail "message: $(cat "$tmp/err")"
}

bad_line_names_file_and_line() {
  record
  sed '12s/.*/1,2,3/' "$tmp/f.csv" > "$tmp/bad.csv"
  if "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/bad.csv" --system "$tmp/sys.json" \
       --images 5 2> "$tmp/err"; then fail "bad line accepted"; fi
  grep -q 'bad.csv:12:' "$tmp/err" || fail "message: $(cat "$tmp/err")"
}

"$case_name"
echo "ok: $case_name"
