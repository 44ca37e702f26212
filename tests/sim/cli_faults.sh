#!/usr/bin/env bash
# cli_faults.sh — end-to-end tests of `rramsim run --record-faults` and `rramsim faults replay|analyze`.
# usage: cli_faults.sh RRAMSIM_BIN REPO_DIR CASE     (CASE: one of the functions below)
set -euo pipefail
. "$(dirname "$0")/cli_lib.sh" faults "$@"

# A high-BER operating point (2 % write, 0.1 % read) on a 64 KiB organisation.
write_device
write_system sys noisy 128
random_model
# A fault CSV's provenance (model_id, config hash) is in its sidecar F.meta.json: a filtered copy
# takes the recorded file's sidecar along (traces/README.md "CSV sidecar").
with_sidecar() {  # with_sidecar RECORDED COPY
  cp "$1.meta.json" "$2.meta.json"
}
# The same trace in the format written before the sidecar: provenance as '#' header lines.
old_format() {  # old_format RECORDED OUT
  python3 - "$1" "$2" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
side = json.load(open(src + ".meta.json"))
with open(dst, "w") as out:
    out.write("# rramsim fault trace (CSV)\n# format: faults-csv 1\n")
    for k in ("tool", "config_hash", "seed", "model_id"):
        out.write(f"# {k}: {side[k]}\n")
    out.write(open(src).read())
PY
}
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
  with_sidecar "$tmp/f.csv" "$tmp/nr.csv"
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/nr.csv" --system "$tmp/sys.json" \
    --images 60 --weight-reuse 4 --rram-layers 0 --predictions "$tmp/nr.txt" >/dev/null
  cmp -s "$tmp/nr.txt" "$tmp/run.txt" && fail "replay without the read faults gives the same predictions"
  record
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
    --images 60 --predictions "$tmp/rep.txt" >/dev/null
  cmp -s "$tmp/run.txt" "$tmp/rep.txt" || fail "replay predictions differ (all layers)"
  # A trace in the format of older rramsim ('#' provenance lines, no sidecar) replays the same.
  old_format "$tmp/f.csv" "$tmp/old.csv"
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/old.csv" --system "$tmp/sys.json" \
    --images 60 --predictions "$tmp/rep_old.txt" >/dev/null
  cmp -s "$tmp/run.txt" "$tmp/rep_old.txt" || fail "replay of the old-format trace differs"
  # Every fault is located: layer and neuron filled, weight -1 only for padding bits.
  awk -F, 'NR>1 && ($7<0 || $8<0) {bad=1} END {exit bad}' "$tmp/f.csv" ||
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
  # A copy without the sidecar names no model: refused, naming the missing sidecar.
  cp "$tmp/f.csv" "$tmp/bare.csv"
  if "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/bare.csv" --system "$tmp/sys.json" \
       --images 5 2> "$tmp/err"; then fail "a trace without its sidecar accepted"; fi
  grep -q "bare.csv: fault trace names no model (no sidecar .*bare.csv.meta.json" "$tmp/err" ||
    fail "message: $(cat "$tmp/err")"
}

bad_line_names_file_and_line() {
  record
  sed '12s/.*/1,2,3/' "$tmp/f.csv" > "$tmp/bad.csv"
  with_sidecar "$tmp/f.csv" "$tmp/bad.csv"
  if "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/bad.csv" --system "$tmp/sys.json" \
       --images 5 2> "$tmp/err"; then fail "bad line accepted"; fi
  grep -q 'bad.csv:12:' "$tmp/err" || fail "message: $(cat "$tmp/err")"
}

# ---- measured error maps, --skip-bad, fault kinds ------------------------------------------

# The same organisation at zero BER: every fault comes from the map (or the device's defects).
zero_ber_system() {  # zero_ber_system FILE
  cat > "$tmp/dev0.json" <<'EOF'
{ "name": "dev0", "cell": "2T2R", "operating_points": [
  { "name": "clean", "e_set_pj": 0.5, "e_reset_pj": 0.5, "e_read_pj": 0.05,
    "t_read_ns": 12, "t_write_ns": 20 } ] }
EOF
  cat > "$1" <<'EOF'
{ "name": "sys0", "device": "dev0.json", "seed": 5,
  "organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": 128,
                    "columns": 512 } }
EOF
}
# Cells: bits 0..7 of bytes 0..3 (neuron 0 of layer 0, weights 0..31) and one cell past the
# weights (0xfff0: no weight there, never read) — all stuck at the given value.
stuck_map() {  # stuck_map FILE 0|1
  { echo "address,bit,kind,rate"
    for a in 0 1 2 3; do for b in 0 1 2 3 4 5 6 7; do echo "$a,$b,stuck-at-$2,"; done; done
    echo "0xfff0,0,stuck-at-$2,"; } > "$1"
}
faults_of() { grep -v '^#' "$1" | tail -n +2; }  # the records of a fault CSV
header_of() { awk '{print} /^time_ps/ {exit}' "$1"; }  # its lines up to the column row

error_map_stuck_cells_change_exactly_those_weights() {
  zero_ber_system "$tmp/sys0.json"
  : > "$tmp/both.txt"
  for v in 0 1; do
    stuck_map "$tmp/sa$v.csv" $v
    "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 20 --quiet \
      --error-map "$tmp/sa$v.csv" --record-faults "$tmp/f$v.csv" > "$tmp/run$v.txt"
    grep -q "error map:.*sa$v.csv: $((33 * (1 - v))) stuck-at-0, $((33 * v)) stuck-at-1" \
      "$tmp/run$v.txt" || fail "summary line: $(grep 'error map' "$tmp/run$v.txt")"
    # Only stuck-at faults, each where the weight bit differs from the stuck value (new = v),
    # located at layer 0, neuron 0, weight = 8 * byte + bit.
    faults_of "$tmp/f$v.csv" | awk -F, -v v=$v '
      $4 != "stuck-at" || $6 != v || $5 == v || $7 != 0 || $8 != 0 || $9 != 8 * $2 + $3 {bad = 1}
      END {exit bad}' || fail "unexpected fault record in f$v.csv: $(faults_of "$tmp/f$v.csv" | head -3)"
    faults_of "$tmp/f$v.csv" | awk -F, '{print $2 "," $3}' >> "$tmp/both.txt"
  done
  # Every cell under a weight is changed by exactly one of the two maps (the one opposite to
  # its bit); the cell past the weights by neither.
  [ "$(sort -u "$tmp/both.txt" | wc -l)" = 32 ] ||
    fail "the stuck-at-0 and stuck-at-1 maps changed $(sort -u "$tmp/both.txt" | wc -l) cells, not 32"
  [ "$(wc -l < "$tmp/both.txt")" = 32 ] || fail "a cell was changed by both maps"
  grep -q '^0xfff0' "$tmp/both.txt" && fail "a cell past the weights changed a weight"
  # The recorded stuck-at faults replay to the run's predictions.
  "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 20 --quiet \
    --error-map "$tmp/sa1.csv" --predictions "$tmp/p_run.txt" > /dev/null
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f1.csv" --system "$tmp/sys0.json" \
    --images 20 --predictions "$tmp/p_rep.txt" > /dev/null
  cmp -s "$tmp/p_run.txt" "$tmp/p_rep.txt" || fail "replay of the map's stuck-at faults differs"
}

error_map_rates_take_effect() {
  zero_ber_system "$tmp/sys0.json"
  # Rate 1: every read of the cell flips; rate 0: none; 0.5: some. 10 images, weight reuse 1:
  # neuron 0's row is read once per image.
  for r in 1 0 0.5; do
    printf 'address,bit,kind,rate\n0x0,1,flip-rate,%s\n0x1,6,flip-rate,%s\n' $r $r > "$tmp/fr.csv"
    "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 10 --quiet \
      --error-map "$tmp/fr.csv" --record-faults "$tmp/ffr.csv" > /dev/null
    n=$(faults_of "$tmp/ffr.csv" | grep -c ',read,' || true)
    case $r in
      1) [ "$n" = 20 ] || fail "rate 1: $n read flips, expected 20 (2 cells x 10 reads)" ;;
      0) [ "$n" = 0 ] || fail "rate 0: $n read flips" ;;
      *) { [ "$n" -gt 0 ] && [ "$n" -lt 20 ]; } || fail "rate 0.5: $n read flips of 20 reads" ;;
    esac
  done
}

run_and_faults_agree_on_a_map() {
  zero_ber_system "$tmp/sys0.json"
  cat > "$tmp/map.csv" <<'EOF'
address,bit,kind,rate
0x0,0,sa1,
0x0,1,sa0,
0x5,3,stuck-at-1,
0x80,2,flip-rate,0.3
0x85,7,flip-rate,0.7
0x2000,4,flip-rate,0.5
EOF
  # An empty fault trace of the model (zero BER, no map) ...
  "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 30 --quiet \
    --record-faults "$tmp/empty.csv" > /dev/null
  [ -z "$(faults_of "$tmp/empty.csv")" ] || fail "zero-BER run recorded faults"
  for reuse in 1 3; do
    "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 30 --quiet \
      --weight-reuse $reuse --error-map "$tmp/map.csv" --predictions "$tmp/p_run.txt" \
      --record-faults "$tmp/fm.csv" > /dev/null
    # ... replayed with the map as the device's gives the run's predictions image by image,
    "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/empty.csv" --system "$tmp/sys0.json" \
      --images 30 --weight-reuse $reuse --error-map "$tmp/map.csv" \
      --predictions "$tmp/p_map.txt" > "$tmp/rep.txt"
    cmp -s "$tmp/p_run.txt" "$tmp/p_map.txt" || fail "faults --error-map differs from run (reuse $reuse)"
    # and the changes it derives from the map are as many as the run recorded.
    nrun=$(faults_of "$tmp/fm.csv" | wc -l)
    nrep=$(sed -n 's/.*: \([0-9]*\) stuck weight bits, \([0-9]*\) read flips.*/\1 \2/p' "$tmp/rep.txt" |
           awk '{print $1 + $2}')
    [ "$nrun" = "$nrep" ] || fail "run recorded $nrun faults, faults derived '$nrep' from the map"
    # A trace recorded under the map already holds its faults: not applied twice.
    "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/fm.csv" --system "$tmp/sys0.json" \
      --images 30 --weight-reuse $reuse --error-map "$tmp/map.csv" \
      --predictions "$tmp/p_twice.txt" > "$tmp/rep2.txt"
    grep -q "already in the trace" "$tmp/rep2.txt" || fail "map applied twice"
    cmp -s "$tmp/p_run.txt" "$tmp/p_twice.txt" || fail "replay of a trace recorded under the map differs"
  done
  # analyze attributes the map's faults to layers: the counts sum to the map's faults.
  "$bin" faults analyze --model "$tmp/m.bnn" --faults "$tmp/empty.csv" --system "$tmp/sys0.json" \
    --images 30 --error-map "$tmp/map.csv" --neurons 2 --out "$tmp/an" > "$tmp/an.txt"
  nmap=$(sed -n 's/.*: \([0-9]*\) stuck weight bits, \([0-9]*\) read flips.*/\1 \2/p' "$tmp/an.txt" |
         awk '{print $1 + $2}')
  sum=$(awk -F, 'NR>1 {s+=$2} END {print s}' "$tmp/an/layers.csv")
  [ "$sum" = "$nmap" ] && [ "$sum" -gt 0 ] || fail "analyze layer counts sum to $sum, map gave '$nmap'"
}

error_map_that_does_not_fit_is_refused() {
  zero_ber_system "$tmp/sys0.json"   # capacity 2·4·1·128·64 B = 64 KiB
  printf 'address,bit,kind,rate\n0x10,0,sa0,\n0x10000,0,sa1,\n' > "$tmp/big.csv"
  printf 'bank,crossbar,row,column,bit,kind,rate\n8,0,0,0,0,sa0,\n' > "$tmp/arr.csv"
  "$bin" run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 2 --quiet \
    --record-faults "$tmp/e.csv" > /dev/null
  for cmd in run faults; do
    for m in big arr; do
      if [ $cmd = run ]; then
        set -- run --system "$tmp/sys0.json" --model "$tmp/m.bnn" --images 2 --quiet
      else
        set -- faults replay --model "$tmp/m.bnn" --faults "$tmp/e.csv" --system "$tmp/sys0.json" --images 2
      fi
      if "$bin" "$@" --error-map "$tmp/$m.csv" > /dev/null 2> "$tmp/err"; then
        fail "$cmd accepted $m.csv"
      fi
      case $m in
        big) grep -q "big.csv:3: address 0x10000 is outside the memory (capacity 65536 bytes)" "$tmp/err" ;;
        arr) grep -q "arr.csv:2: bank 8 is outside \[0, 7\]" "$tmp/err" ;;
      esac || fail "$cmd $m: $(cat "$tmp/err")"
    done
  done
}

skip_bad_counts_and_skips() {
  record
  sed -e '12s/.*/1,2,3/' -e '14s/.*/garbage/' "$tmp/f.csv" > "$tmp/bad.csv"
  with_sidecar "$tmp/f.csv" "$tmp/bad.csv"
  if "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/bad.csv" --system "$tmp/sys.json" \
       --images 60 2> "$tmp/err" > /dev/null; then fail "bad lines accepted without --skip-bad"; fi
  grep -q 'bad.csv:12: malformed fault record' "$tmp/err" || fail "message: $(cat "$tmp/err")"
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/bad.csv" --system "$tmp/sys.json" \
    --images 60 --skip-bad > "$tmp/out" 2> "$tmp/err" || fail "--skip-bad failed: $(cat "$tmp/err")"
  grep -q 'bad.csv: skipped 2 malformed lines (first at line 12)' "$tmp/err" ||
    fail "count: $(cat "$tmp/err")"
  n=$(( $(faults_of "$tmp/f.csv" | wc -l) - 2 ))
  grep -q "^faults: *$n from" "$tmp/out" || fail "expected $n faults: $(head -1 "$tmp/out")"
  # The error map too.
  printf 'address,bit,kind,rate\n0x0,0,sa1,\n0x1,9,sa1,\n' > "$tmp/badmap.csv"
  if "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
       --images 5 --error-map "$tmp/badmap.csv" 2> "$tmp/err" > /dev/null; then
    fail "bad map line accepted"
  fi
  grep -q 'badmap.csv:3:' "$tmp/err" || fail "map message: $(cat "$tmp/err")"
  "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
    --images 5 --error-map "$tmp/badmap.csv" --skip-bad > /dev/null 2> "$tmp/err" ||
    fail "--skip-bad map: $(cat "$tmp/err")"
  grep -q 'badmap.csv: skipped 1 malformed line (first at line 3)' "$tmp/err" ||
    fail "map count: $(cat "$tmp/err")"
}

stuck_and_endurance_faults_replay() {
  # Manufacture stuck cells (1 %) and wear-out (median 100 writes, sigma 2: ~1 % of the written
  # cells die at their first write) on top of the write and read errors.
  sed -e 's/"cell": "2T2R",/"cell": "2T2R", "stuck_at": {"density": 0.01}, "endurance": {"median_writes": 100, "sigma": 2},/' \
    "$tmp/dev.json" > "$tmp/dev_wear.json"
  sed 's/dev.json/dev_wear.json/' "$tmp/sys.json" > "$tmp/sys_wear.json"
  for reuse in 1 5; do
    "$bin" run --system "$tmp/sys_wear.json" --model "$tmp/m.bnn" --images 40 --quiet \
      --weight-reuse $reuse --record-faults "$tmp/fw.csv" --predictions "$tmp/pw.txt" > /dev/null
    for k in stuck-at endurance write read; do
      grep -q "^[0-9]*,0x[0-9a-f]*,[0-7],$k," "$tmp/fw.csv" || fail "no $k faults recorded"
    done
    "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/fw.csv" --system "$tmp/sys_wear.json" \
      --images 40 --weight-reuse $reuse --predictions "$tmp/pw_rep.txt" > /dev/null
    cmp -s "$tmp/pw.txt" "$tmp/pw_rep.txt" ||
      fail "replay with stuck-at/endurance faults differs (reuse $reuse)"
  done
  # The stuck-at and endurance faults alone change predictions (so the replay really applies
  # them): compare with a replay of no faults (the clean predictions).
  { header_of "$tmp/fw.csv"; faults_of "$tmp/fw.csv" | grep -E ',(stuck-at|endurance),'; } > "$tmp/se.csv"
  header_of "$tmp/fw.csv" > "$tmp/none.csv"
  with_sidecar "$tmp/fw.csv" "$tmp/se.csv"
  with_sidecar "$tmp/fw.csv" "$tmp/none.csv"
  for f in se none; do
    "$bin" faults replay --model "$tmp/m.bnn" --faults "$tmp/$f.csv" --system "$tmp/sys_wear.json" \
      --images 40 --predictions "$tmp/$f.txt" > /dev/null
  done
  cmp -s "$tmp/se.txt" "$tmp/none.txt" && fail "stuck-at/endurance faults change no prediction"
  return 0
}

sweep_applies_an_error_map() {
  zero_ber_system "$tmp/sys0.json"
  stuck_map "$tmp/sa1.csv" 1
  for mode in functional timed; do
    cat > "$tmp/exp_$mode.json" <<EOF
{ "mode": "$mode", "systems": ["sys0.json"], "models": ["m.bnn"], "images": 30,
  "error_map": "sa1.csv" }
EOF
    "$bin" sweep "$tmp/exp_$mode.json" --out "$tmp/sw_$mode" --quiet > /dev/null
  done
  # Stuck cells only, zero BER: both modes see the same weights, hence the same accuracy and
  # the same number of stuck weight bits; the row names the map.
  f=$(grep -v '^#' "$tmp/sw_functional/results.csv" | tail -1)
  t=$(grep -v '^#' "$tmp/sw_timed/results.csv" | tail -1)
  col() { echo "$1" | awk -F, -v c="$2" '{print $c}'; }  # 16 stuck_errors, 21 accuracy, 29 error_map
  [ "$(col "$f" 21)" = "$(col "$t" 21)" ] || fail "functional accuracy $(col "$f" 21) != timed $(col "$t" 21)"
  [ "$(col "$f" 16)" = "$(col "$t" 16)" ] || fail "stuck errors: functional $(col "$f" 16), timed $(col "$t" 16)"
  [ "$(col "$f" 16)" -gt 0 ] || fail "no stuck errors in the sweep row: $f"
  case "$(col "$f" 29)" in *sa1.csv) ;; *) fail "row does not name the map: $f" ;; esac
  # A map that does not fit a system is refused before any point runs, naming both files.
  printf 'address,bit,kind,rate\n0x20000,0,sa0,\n' > "$tmp/far.csv"
  sed 's/sa1.csv/far.csv/' "$tmp/exp_functional.json" > "$tmp/exp_far.json"
  if "$bin" sweep "$tmp/exp_far.json" --out "$tmp/sw_far" --quiet > /dev/null 2> "$tmp/err"; then
    fail "sweep accepted a map outside the memory"
  fi
  grep -q 'exp_far.json: error_map (system .*sys0.json): .*far.csv:2: address 0x20000 is outside' "$tmp/err" ||
    fail "sweep message: $(cat "$tmp/err")"
}

"$case_name"
echo "ok: $case_name"
