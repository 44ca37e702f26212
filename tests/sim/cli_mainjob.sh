#!/usr/bin/env bash
# cli_mainjob.sh — end-to-end tests of `rramsim run`, `sweep` and `plot` through the built binary.
# usage: cli_mainjob.sh RRAMSIM_BIN REPO_DIR CASE     (CASE: one of the functions below)
set -euo pipefail
bin=$1
repo=$2
case_name=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rramsim-mainjob.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A device with an error-free point and an error-prone one, on a 64 KiB organisation.
cat > "$tmp/dev.json" <<'EOF'
{ "name": "testdev", "cell": "2T2R", "operating_points": [
  { "name": "zero", "e_set_pj": 2, "e_reset_pj": 2, "e_read_pj": 0.1, "e_periph_read_pj": 1,
    "t_read_ns": 10, "t_write_ns": 40 },
  { "name": "noisy", "write_ber_01": 0.02, "write_ber_10": 0.02, "read_ber_01": 0.001,
    "read_ber_10": 0.001, "e_set_pj": 0.5, "e_reset_pj": 0.5, "e_read_pj": 0.05,
    "e_periph_read_pj": 1, "t_read_ns": 12, "t_write_ns": 20 } ] }
EOF
sys() {  # sys NAME ROWS
  cat > "$tmp/$1.json" <<EOF
{ "name": "$1", "device": "dev.json", "op_point": "zero", "seed": 3,
  "organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": $2,
                    "columns": 512 } }
EOF
}
sys sys64k 128
sys tiny 2
"$bin" model random --arch 784-128-10 --seed 1 --out "$tmp/m.bnn" >/dev/null

experiment() {  # experiment FILE MODE
  cat > "$1" <<EOF
{ "name": "t", "mode": "$2", "systems": ["$tmp/sys64k.json"], "op_points": "all",
  "models": ["$tmp/m.bnn"], "seeds": [1, 2, 3], "data": "fashion-mnist", "images": 300 }
EOF
}
# Row fields (CSV columns, header on line 1): 3 system 4 op_point 7 seed 20 ber_observed 21 accuracy
# 22 clean_accuracy 23 energy_per_image_pj
rows() { tail -n +2 "$1" | cut -d, -f2-28 | sed 's/,[^,]*$//' | sort; }  # without the header and wall time

run_zero_ber_matches_eval() {
  "$bin" run --system "$tmp/sys64k.json" --model "$tmp/m.bnn" --images 300 --out "$tmp/out" --quiet \
    > "$tmp/run.txt"
  cat "$tmp/run.txt"
  line=$(grep '^accuracy:' "$tmp/run.txt")
  acc=$(echo "$line" | awk '{print $2}')
  clean=$(echo "$line" | awk '{print $6}')
  [ "$acc" = "$clean" ] || fail "RRAM accuracy $acc differs from clean $clean at zero BER"
  echo "$line" | grep -q '100.00 % of predictions agree' || fail "predictions differ at zero BER"
  ev=$("$bin" eval --model "$tmp/m.bnn" --data fashion-mnist --limit 300 --weight-reuse 1 \
       | awk '/^accuracy:/{print $2}')
  [ "$acc" = "$ev" ] || fail "run accuracy $acc != rramsim eval accuracy $ev"
  for f in summary.json stats.json; do
    [ -s "$tmp/out/$f" ] || fail "$f missing"
    grep -q '"version"' "$tmp/out/$f" || fail "$f has no version"
    grep -q '"seed"' "$tmp/out/$f" || fail "$f has no seed"
    grep -q '"config"' "$tmp/out/$f" || fail "$f has no resolved config"
  done
  grep -q '"provenance"' "$tmp/out/summary.json" || fail "summary has no model provenance"
  grep -q '"utilisation_inference"' "$tmp/out/summary.json" || fail "summary has no bank utilisation"
  ls "$tmp/out" | grep -q tmp && fail "temporary file left behind"
  true
}

functional_and_timed_agree() {
  experiment "$tmp/f.json" functional
  experiment "$tmp/t.json" timed
  "$bin" sweep "$tmp/f.json" --out "$tmp/f" --quiet
  "$bin" sweep "$tmp/t.json" --out "$tmp/t" --quiet
  paste -d' ' <(rows "$tmp/f/results.csv" | cut -d, -f2,3,6,19,20,21) \
              <(rows "$tmp/t/results.csv" | cut -d, -f2,3,6,19,20,21) > "$tmp/pairs"
  cat "$tmp/pairs"
  [ "$(wc -l < "$tmp/pairs")" = 6 ] || fail "expected 6 points per mode"
  # Same error kinds (write + read flips at the operating point's rates), different keyed
  # samples: exact agreement where no errors are drawn (zero), statistical agreement otherwise.
  awk -F'[ ,]' '
    { op=$2; bf=$4; af=$5; cf=$6; bt=$10; at=$11; ct=$12
      if (cf != ct) { print "clean accuracy differs: " $0; bad=1 }
      if (op == "zero" && (af != at || af != cf)) { print "zero-BER accuracy differs: " $0; bad=1 }
      if (op == "noisy") {
        if (bf < 0.015 || bf > 0.03 || bt < 0.015 || bt > 0.03) { print "observed BER off: " $0; bad=1 }
        d = af - at; if (d < 0) d = -d; if (d > 0.06) { print "accuracy differs by " d ": " $0; bad=1 } } }
    END { exit bad }' "$tmp/pairs" || fail "functional and timed disagree"
}

shards_with_gnu_parallel_merge_to_the_same_rows() {
  experiment "$tmp/f.json" functional
  "$bin" sweep "$tmp/f.json" --out "$tmp/all" --quiet
  parallel --halt now,fail=1 "$bin" sweep "$tmp/f.json" --out "$tmp/sh" --quiet --shard {}/4 ::: 0 1 2 3
  ls "$tmp/sh"
  "$bin" sweep --merge "$tmp/sh"
  diff <(rows "$tmp/all/results.csv") <(rows "$tmp/sh/results.csv") || fail "merged shards differ"
  # Merging again (e.g. after a shard was rerun) adds nothing twice.
  "$bin" sweep --merge "$tmp/sh" > "$tmp/merge2"
  grep -q ' 6 points' "$tmp/merge2" || fail "re-merge changed the point count"
  [ "$(wc -l < "$tmp/sh/results.jsonl")" = 6 ] || fail "duplicate rows after re-merge"
}

killed_sweep_resumes_cleanly() {
  experiment "$tmp/f.json" functional
  "$bin" sweep "$tmp/f.json" --out "$tmp/r" --quiet
  cp "$tmp/r/results.csv" "$tmp/full.csv"
  # A sweep killed in the middle of writing its 4th row: 3 complete rows and half of one.
  head -n 3 "$tmp/r/results.jsonl" > "$tmp/part"
  sed -n 4p "$tmp/r/results.jsonl" | head -c 200 >> "$tmp/part"
  mv "$tmp/part" "$tmp/r/results.jsonl"
  "$bin" sweep "$tmp/f.json" --out "$tmp/r" --quiet 2> "$tmp/err" > "$tmp/out"
  cat "$tmp/err" "$tmp/out"
  grep -q 'results.jsonl:4: dropped a half-written last row' "$tmp/err" || fail "no recovery message"
  grep -q '3 already done, 3 to run' "$tmp/out" || fail "did not resume from 3 done points"
  [ "$(wc -l < "$tmp/r/results.jsonl")" = 6 ] || fail "expected 6 rows after resume"
  diff <(rows "$tmp/full.csv") <(rows "$tmp/r/results.csv") || fail "resumed rows differ"
  # Nothing left to do the next time.
  "$bin" sweep "$tmp/f.json" --out "$tmp/r" --quiet > "$tmp/out2"
  grep -q '6 already done, 0 to run' "$tmp/out2" || fail "reran points"
  # A merge refuses a shard file with a half-written row rather than guessing.
  mkdir "$tmp/m"
  head -c 300 "$tmp/r/results.jsonl" > "$tmp/m/results.shard-0-of-2.jsonl"
  if "$bin" sweep --merge "$tmp/m" 2> "$tmp/err2"; then fail "merge accepted a half-written shard"; fi
  grep -q 'results.shard-0-of-2.jsonl:1: half-written last row' "$tmp/err2" || fail "$(cat "$tmp/err2")"
}

plots_are_written() {
  experiment "$tmp/t.json" timed
  "$bin" sweep "$tmp/t.json" --out "$tmp/p" --quiet
  "$bin" plot "$tmp/p"
  for f in accuracy_vs_energy accuracy_vs_programming_energy accuracy_vs_ber latency_vs_op_point; do
    for ext in png svg; do [ -s "$tmp/p/plots/$f.$ext" ] || fail "$f.$ext missing or empty"; done
  done
  head -c 8 "$tmp/p/plots/accuracy_vs_energy.png" | od -c | grep -q 'P   N   G' || fail "not a PNG"
  grep -q '<svg' "$tmp/p/plots/accuracy_vs_ber.svg" || fail "not an SVG"
  [ -s "$tmp/p/plots/pareto.dat" ] || fail "no Pareto front"
}

expect_error() {  # expect_error REGEX CMD...
  local re=$1; shift
  if "$@" > "$tmp/o" 2> "$tmp/e"; then fail "succeeded: $*"; fi
  cat "$tmp/e"
  [ "$(wc -l < "$tmp/e")" -ge 1 ] || fail "no message"
  grep -Eq -e "$re" "$tmp/e" || fail "message does not match '$re': $(cat "$tmp/e")"
}

bad_input() {
  expect_error "m\.bnn: the model's RRAM-resident weights need [0-9]+ bytes .*capacity of 1024 bytes" \
    "$bin" run --system "$tmp/tiny.json" --model "$tmp/m.bnn" --images 10 --quiet
  expect_error "'turbo' is not an operating point of device 'testdev'" \
    "$bin" run --system "$tmp/sys64k.json" --op-point turbo --model "$tmp/m.bnn" --images 10 --quiet
  "$bin" model random --arch 100-32-10 --seed 1 --out "$tmp/small_in.bnn" >/dev/null
  expect_error "small_in\.bnn: model expects 10x10x1 images, data set fashion-mnist/test has 28x28x1" \
    "$bin" run --system "$tmp/sys64k.json" --model "$tmp/small_in.bnn" --images 10 --quiet
  experiment "$tmp/f.json" functional
  expect_error "--shard: expected i/N with 0 <= i < N" "$bin" sweep "$tmp/f.json" --out "$tmp/x" --shard 4/4
  expect_error "--shard: expected i/N" "$bin" sweep "$tmp/f.json" --out "$tmp/x" --shard 1/0
  expect_error "--shard: expected i/N" "$bin" sweep "$tmp/f.json" --out "$tmp/x" --shard -1/2
  # Sweeps check every point before running any.
  sed "s#sys64k.json\"#sys64k.json\", \"$tmp/tiny.json\"#" "$tmp/f.json" > "$tmp/big.json"
  expect_error "capacity of 1024 bytes" "$bin" sweep "$tmp/big.json" --out "$tmp/y"
  [ ! -e "$tmp/y/results.jsonl" ] || fail "rows written before the grid was validated"
  echo '{ "mode": "fast", "systems": [], "models": [] }' > "$tmp/bad.json"
  expect_error "bad\.json: mode: expected \"functional\" or \"timed\"" "$bin" sweep "$tmp/bad.json" --out "$tmp/z"
  echo '{ "systems": ["a"], "models": ["b"], "colour": 1 }' > "$tmp/bad2.json"
  expect_error "bad2\.json: colour: unknown key" "$bin" sweep "$tmp/bad2.json" --out "$tmp/z"
  expect_error "results\.jsonl: .*run rramsim sweep" "$bin" plot "$tmp/nowhere"
}

# Every CSV a sweep writes (single, shards, merge; functional and timed) is read by pandas with
# its default arguments: one header line, the documented columns, numbers as numbers, "not
# modelled" as missing (NaN), never -1. Skips (77) without Debian's python3-pandas.
pandas_reads_every_csv() {
  /usr/bin/python3 -c 'import pandas' 2>/dev/null || { echo "SKIP: python3-pandas not installed"; exit 77; }
  experiment "$tmp/f.json" functional
  experiment "$tmp/t.json" timed
  "$bin" sweep "$tmp/f.json" --out "$tmp/f" --quiet >/dev/null
  "$bin" sweep "$tmp/t.json" --out "$tmp/t" --quiet >/dev/null
  for i in 0 1; do "$bin" sweep "$tmp/f.json" --out "$tmp/s" --quiet --shard $i/2 >/dev/null; done
  "$bin" sweep --merge "$tmp/s" >/dev/null
  /usr/bin/python3 - "$tmp" <<'PY'
import json, sys
import pandas as pd
tmp = sys.argv[1]
numeric = ["seed", "images", "accuracy", "clean_accuracy", "ber_observed", "energy_per_image_pj",
           "wall_seconds"]
not_modelled_functional = ["latency_per_image_ns", "programming_time_ns", "throughput_images_per_s"]
files = {"f/results.csv": ("functional", 6), "t/results.csv": ("timed", 6),
         "s/results.shard-0-of-2.csv": ("functional", 3), "s/results.shard-1-of-2.csv": ("functional", 3),
         "s/results.csv": ("functional", 6)}
for name, (mode, n) in files.items():
    path = f"{tmp}/{name}"
    df = pd.read_csv(path)
    side = json.load(open(path[:-4] + ".json"))
    assert list(df.columns) == side["csv_columns"].split(","), (name, list(df.columns))
    assert len(df) == n, (name, len(df))
    assert (df["mode"] == mode).all(), name
    for c in numeric:
        assert pd.api.types.is_numeric_dtype(df[c]), (name, c, df[c].dtype)
    for c in df.select_dtypes("number").columns:
        assert not (df[c] == -1).any(), (name, c, "holds -1")
    if mode == "functional":
        for c in not_modelled_functional:
            assert df[c].isna().all(), (name, c, "not modelled in functional mode but not NaN")
    else:
        assert df["latency_per_image_ns"].notna().all() and (df["latency_per_image_ns"] > 0).all(), name
    print(f"ok: pandas.read_csv({name}): {len(df)} rows x {len(df.columns)} columns")
PY
}

"$case_name"
echo "ok: $case_name"
