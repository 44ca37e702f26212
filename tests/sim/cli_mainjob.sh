#!/usr/bin/env bash
# cli_mainjob.sh — end-to-end tests of `rramsim run`, `sweep` and `plot` through the built binary.
# usage: cli_mainjob.sh RRAMSIM_BIN REPO_DIR CASE     (CASE: one of the functions below)
set -euo pipefail
. "$(dirname "$0")/cli_lib.sh" mainjob "$@"

# A device with an error-free point and an error-prone one, on a 64 KiB organisation.
write_device '{ "name": "zero", "e_set_pj": 2, "e_reset_pj": 2, "e_read_pj": 0.1,
    "e_periph_read_pj": 1, "t_read_ns": 10, "t_write_ns": 40 }'
write_system sys64k zero 128
write_system tiny zero 2
random_model

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

# A merge holds the lock of the shard files it reads and of results.jsonl (issue 14): it is refused
# while a shard runs (simulated by flock(1) holding the shard's file, as a running shard does) and
# while another merge runs; two merges started together either both finish or one is refused
# with the one-line lock message, and the merged rows are right either way.
merges_take_the_directory_lock() {
  experiment "$tmp/f.json" functional
  "$bin" sweep "$tmp/f.json" --out "$tmp/all" --quiet >/dev/null
  for i in 0 1; do "$bin" sweep "$tmp/f.json" --out "$tmp/sh" --quiet --shard $i/2 >/dev/null; done
  lockmsg='another rramsim is writing into it \(locked\); wait for it to finish or use another directory'
  expect_error "^rramsim sweep: --merge $tmp/sh/results\.shard-1-of-2\.jsonl: $lockmsg\$" \
    flock "$tmp/sh/results.shard-1-of-2.jsonl" "$bin" sweep --merge "$tmp/sh"
  [ "$(wc -l < "$tmp/e")" = 1 ] || fail "more than one line: $(cat "$tmp/e")"
  [ ! -e "$tmp/sh/results.jsonl" ] && [ ! -e "$tmp/sh/results.csv" ] ||
    fail "a refused merge left results behind"
  expect_error "^rramsim sweep: --merge $tmp/sh/results\.jsonl: $lockmsg\$" \
    flock "$tmp/sh/results.jsonl" "$bin" sweep --merge "$tmp/sh"
  # A merge in progress (holding the shard files) refuses a shard started meanwhile.
  expect_error "^rramsim sweep: --out $tmp/sh/results\.shard-0-of-2\.jsonl: $lockmsg\$" \
    flock "$tmp/sh/results.shard-0-of-2.jsonl" \
    "$bin" sweep "$tmp/f.json" --out "$tmp/sh" --quiet --shard 0/2
  for round in 1 2 3 4 5; do
    "$bin" sweep --merge "$tmp/sh" > "$tmp/m1.out" 2> "$tmp/m1.err" & p1=$!
    "$bin" sweep --merge "$tmp/sh" > "$tmp/m2.out" 2> "$tmp/m2.err" & p2=$!
    ok=0
    for k in 1 2; do
      if wait "$([ $k = 1 ] && echo $p1 || echo $p2)"; then
        ok=$((ok + 1))
        grep -q ' 6 points' "$tmp/m$k.out" || fail "round $round: merge $k: $(cat "$tmp/m$k.out")"
      else
        [ "$(wc -l < "$tmp/m$k.err")" = 1 ] && grep -Eq "$lockmsg" "$tmp/m$k.err" ||
          fail "round $round: merge $k failed otherwise: $(cat "$tmp/m$k.err")"
      fi
    done
    [ "$ok" -ge 1 ] || fail "round $round: both merges refused"
    [ "$(wc -l < "$tmp/sh/results.jsonl")" = 6 ] || fail "round $round: not 6 rows"
    diff <(rows "$tmp/all/results.csv") <(rows "$tmp/sh/results.csv") || fail "round $round: rows differ"
  done
}

# Shard files that are read-only to the merging user (another user's, or copied with their
# modes from a read-only share) merge: the merge only reads them, so it locks them through a
# read-only open. Root may open any file for writing, so as root the merge runs as nobody
# (setpriv), to whom the 0444 shard files are read-only indeed.
merges_read_only_shards() {
  experiment "$tmp/f.json" functional
  "$bin" sweep "$tmp/f.json" --out "$tmp/all" --quiet >/dev/null
  for i in 0 1; do "$bin" sweep "$tmp/f.json" --out "$tmp/sh" --quiet --shard $i/2 >/dev/null; done
  chmod 0444 "$tmp"/sh/results.shard-*
  as=()
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "SKIP: running as root without setpriv"; exit 77; }
    as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 0755 "$tmp"
    chmod 0777 "$tmp/sh"
  fi
  ! "${as[@]}" sh -c ': >> "$1"' sh "$tmp/sh/results.shard-0-of-2.jsonl" 2>/dev/null ||
    fail "the merging user can write the shard files: this case would test nothing"
  "${as[@]}" "$bin" sweep --merge "$tmp/sh" > "$tmp/m.out" 2> "$tmp/m.err" ||
    fail "merge of read-only shards failed: $(cat "$tmp/m.err")"
  grep -q ' 6 points' "$tmp/m.out" || fail "merge: $(cat "$tmp/m.out")"
  diff <(rows "$tmp/all/results.csv") <(rows "$tmp/sh/results.csv") || fail "merged rows differ"
  # The read-only lock still meets a running shard's: a shard file held exclusively is refused.
  expect_error "^rramsim sweep: --merge $tmp/sh/results\.shard-1-of-2\.jsonl: another rramsim is \
writing into it \(locked\)" flock "$tmp/sh/results.shard-1-of-2.jsonl" "${as[@]}" "$bin" sweep \
    --merge "$tmp/sh"
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
  [ -s "$tmp/p/plots/accuracy_vs_energy_pareto.dat" ] || fail "no Pareto front"
  # Error bars over the 3 seeds: the data has a standard deviation column, non-zero where the
  # seeds' accuracies differ (the noisy operating point).
  awk 'NF == 4 && $4 > 0 { s = 1 } END { exit !s }' "$tmp/p/plots/accuracy_vs_energy.dat" ||
    fail "no seed spread in accuracy_vs_energy.dat"
  grep -q 'yerrorbars' "$tmp/p/plots/plots.gp" || fail "no error bars"
  # The script redraws from any folder.
  rm "$tmp/p/plots/accuracy_vs_energy.png"
  (cd / && gnuplot "$tmp/p/plots/plots.gp" 2>/dev/null)
  [ -s "$tmp/p/plots/accuracy_vs_energy.png" ] || fail "plots.gp did not run from /"
  # Functional results have no timing: no (empty) latency plot.
  experiment "$tmp/f.json" functional
  "$bin" sweep "$tmp/f.json" --out "$tmp/pf" --quiet
  "$bin" plot "$tmp/pf" > "$tmp/pf.out"
  [ ! -e "$tmp/pf/plots/latency_vs_op_point.png" ] || fail "an empty latency plot was written"
  grep -q accuracy_vs_energy.png "$tmp/pf.out" || fail "no accuracy_vs_energy for functional rows"
  # A varied key gets accuracy and energy plots against it.
  cat > "$tmp/pv.json" <<EOF
{ "mode": "functional", "systems": ["$tmp/sys64k.json"], "models": ["$tmp/m.bnn"], "images": 50,
  "op_points": ["noisy"], "seeds": [1, 2],
  "vary": { "device.operating_points.noisy.write_ber_01": [0.001, 0.01, 0.05] } }
EOF
  "$bin" sweep "$tmp/pv.json" --out "$tmp/pv" --quiet
  "$bin" plot "$tmp/pv" >/dev/null
  for f in accuracy energy; do
    [ -s "$tmp/pv/plots/${f}_vs_device_operating_points_noisy_write_ber_01.png" ] || fail "no ${f} vs axis plot"
  done
  [ "$(grep -c . "$tmp/pv/plots/accuracy_vs_device_operating_points_noisy_write_ber_01.dat")" = 3 ] ||
    fail "expected 3 axis values"
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

# Rows of a results.jsonl as JSON without the fields that name how the point was specified (key,
# set) and the wall time, in file order.
measured() {
  python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    for k in ("key", "set", "wall_seconds"): r.pop(k, None)
    print(json.dumps(r, sort_keys=True))' "$1"
}

# An experiment's "vary" axes (a Cartesian axis and a zipped pair) give bit for bit the rows of
# the same points written as separate system files; each row records its varied keys, and the CSV
# has one column per varied key.
vary_axes_equal_separate_system_files() {
  cat > "$tmp/v.json" <<EOF
{ "mode": "timed", "systems": ["$tmp/sys64k.json"], "models": ["$tmp/m.bnn"], "seeds": [1, 2],
  "images": 100, "op_points": ["noisy"],
  "vary": { "organisation.queue_depth": [4, 16] },
  "vary_zip": { "device.operating_points.noisy.write_ber_01": [0.01, 0.04],
                "organisation.bus_width_bits": [32, 128] } }
EOF
  "$bin" sweep "$tmp/v.json" --out "$tmp/v" --quiet >/dev/null
  [ "$(wc -l < "$tmp/v/results.jsonl")" = 8 ] || fail "expected 2 x 2 x 2 = 8 points"
  # The same four systems as files (same name, so the rows match field for field).
  : > "$tmp/files.jsonl"
  for q in 4 16; do
    for z in 0.01:32 0.04:128; do
      ber=${z%:*} bus=${z#*:}
      sed -e "s/\"write_ber_01\": 0.02/\"write_ber_01\": $ber/" "$tmp/dev.json" > "$tmp/dev_$ber.json"
      cat > "$tmp/s_${q}_$bus.json" <<EOF
{ "name": "sys64k", "device": "dev_$ber.json", "op_point": "zero", "seed": 3,
  "organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": 128,
                    "columns": 512, "queue_depth": $q, "bus_width_bits": $bus } }
EOF
      cat > "$tmp/e_${q}_$bus.json" <<EOF
{ "mode": "timed", "systems": ["$tmp/s_${q}_$bus.json"], "models": ["$tmp/m.bnn"], "seeds": [1, 2],
  "images": 100, "op_points": ["noisy"] }
EOF
      "$bin" sweep "$tmp/e_${q}_$bus.json" --out "$tmp/o_${q}_$bus" --quiet >/dev/null
      cat "$tmp/o_${q}_$bus/results.jsonl" >> "$tmp/files.jsonl"
    done
  done
  diff <(measured "$tmp/v/results.jsonl") <(measured "$tmp/files.jsonl") ||
    fail "vary rows differ from the separate system files' rows"
  grep -q '"set": {"organisation.queue_depth": 16, "device.operating_points.noisy.write_ber_01": 0.040000000000000001, "organisation.bus_width_bits": 128}' \
    "$tmp/v/results.jsonl" || fail "rows do not record the varied keys: $(tail -1 "$tmp/v/results.jsonl")"
  head -1 "$tmp/v/results.csv" |
    grep -q ',error_map,organisation.queue_depth,device.operating_points.noisy.write_ber_01,organisation.bus_width_bits$' ||
    fail "CSV header lacks the varied keys: $(head -1 "$tmp/v/results.csv")"
  # The zipped axis changes the results (the queue depth need not, for one outstanding fetch at a
  # time), else the comparison would prove little.
  [ "$(measured "$tmp/v/results.jsonl" | sort -u | wc -l)" -ge 4 ] || fail "axes did not change the points"
  # A path the system schema lacks names it and the nearest known key; an ill-typed value its path.
  sed 's/organisation.queue_depth/organisation.queue_dept/' "$tmp/v.json" > "$tmp/v_bad.json"
  expect_error "v_bad\.json: vary: .*organisation\.queue_dept: unknown key \(nearest known key: organisation\.queue_depth\)" \
    "$bin" sweep "$tmp/v_bad.json" --out "$tmp/vb" --quiet
  sed 's/\[4, 16\]/[4, "deep"]/' "$tmp/v.json" > "$tmp/v_type.json"
  expect_error "v_type\.json: vary: .*organisation\.queue_depth: expected an integer" \
    "$bin" sweep "$tmp/v_type.json" --out "$tmp/vb" --quiet
  [ ! -e "$tmp/vb/results.jsonl" ] || fail "rows written before the axes were validated"
}

# --set PATH=VALUE equals editing the file: the same output and config hash (sim), the same
# results (run); the resolved config records the override.
set_equals_editing_the_file() {
  printf '%s\n' '{ "name": "sys64k", "device": "dev.json", "op_point": "zero", "seed": 3,' \
    '"organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": 256,' \
    '"columns": 512, "queue_depth": 8 } }' > "$tmp/edited.json"
  "$bin" sim --system "$tmp/sys64k.json" --set organisation.rows=256 --set organisation.queue_depth=8 \
    --requests 2000 --stats "$tmp/set.json" > "$tmp/set.txt"
  "$bin" sim --system "$tmp/edited.json" --requests 2000 --stats "$tmp/edit.json" > "$tmp/edit.txt"
  h1=$(grep -o '"config_hash": "[^"]*"' "$tmp/set.json")
  h2=$(grep -o '"config_hash": "[^"]*"' "$tmp/edit.json")
  [ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "config hash differs: $h1 vs $h2"
  "$bin" sim --system "$tmp/sys64k.json" --requests 10 --stats "$tmp/plain.json" >/dev/null
  h0=$(grep -o '"config_hash": "[^"]*"' "$tmp/plain.json")
  [ "$h0" != "$h1" ] || fail "--set did not change the config"
  grep -q '"organisation.rows=256"' "$tmp/set.json" || fail "resolved config does not record the override"
  diff <(grep -v 'stats written\| wall ' "$tmp/set.txt") <(grep -v 'stats written\| wall ' "$tmp/edit.txt") || fail "sim output differs"
  "$bin" run --system "$tmp/sys64k.json" --set organisation.rows=256 --set organisation.queue_depth=8 \
    --op-point noisy --model "$tmp/m.bnn" --limit 100 --out "$tmp/rs" --quiet > "$tmp/rs.txt"
  "$bin" run --system "$tmp/edited.json" --op-point noisy --model "$tmp/m.bnn" --limit 100 \
    --out "$tmp/re" --quiet > "$tmp/re.txt"
  grep -q 'accuracy' "$tmp/rs.txt" || fail "run printed no accuracy: $(cat "$tmp/rs.txt")"
  diff <(grep -iv 'wall\|written\|seconds\|/rs\|/re\|img/s\|^system:' "$tmp/rs.txt") \
       <(grep -iv 'wall\|written\|seconds\|/rs\|/re\|img/s\|^system:' "$tmp/re.txt") || fail "run output differs"
  expect_error "--set organisation\.rowz=2: .*organisation\.rowz: unknown key \(nearest known key: organisation\.rows\)" \
    "$bin" run --system "$tmp/sys64k.json" --set organisation.rowz=2 --model "$tmp/m.bnn" --quiet
  expect_error "--set: expected PATH=VALUE" "$bin" sim --system "$tmp/sys64k.json" --set rows
}

# A functional sweep over an axis functional mode cannot see (the queue depth) is an error, a
# warning with --allow; one it sees (a read BER) runs.
functional_sweep_refuses_an_invisible_axis() {
  cat > "$tmp/fv.json" <<EOF
{ "mode": "functional", "systems": ["$tmp/sys64k.json"], "models": ["$tmp/m.bnn"], "images": 50,
  "vary": { "organisation.queue_depth": [4, 16] } }
EOF
  expect_error "fv\.json: vary: organisation\.queue_depth: functional mode cannot see this axis" \
    "$bin" sweep "$tmp/fv.json" --out "$tmp/fv" --quiet
  "$bin" sweep "$tmp/fv.json" --out "$tmp/fv" --quiet --allow 2> "$tmp/fv.err" >/dev/null
  grep -q "warning: .*functional mode cannot see this axis" "$tmp/fv.err" || fail "no warning with --allow"
  sed 's/"organisation.queue_depth": \[4, 16\]/"device.operating_points.zero.read_ber_01": [0, 0.01]/' \
    "$tmp/fv.json" > "$tmp/fv2.json"
  "$bin" sweep "$tmp/fv2.json" --out "$tmp/fv2" --quiet >/dev/null || fail "a visible axis was refused"
}

"$case_name"
echo "ok: $case_name"
