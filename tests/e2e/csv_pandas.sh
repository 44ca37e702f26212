#!/usr/bin/env bash
# csv_pandas.sh — every CSV the rramsim commands write is read by pandas.read_csv(path) with its
# default arguments (issue 17): one header row with the documented column names, then one row per
# record — checked against the count the command (or the file's sidecar) reports, never just "no
# exception". Provenance lives in the sidecar <file>.meta.json (traces/README.md "CSV sidecar").
# usage: csv_pandas.sh RRAMSIM_BIN REPO_DIR CASE     (CASE: one of the functions below)
# Skips (77) without Debian's python3-pandas.
set -euo pipefail
/usr/bin/python3 -c 'import pandas' 2>/dev/null || { echo "SKIP: python3-pandas not installed"; exit 77; }
. "$(dirname "$0")/../sim/cli_lib.sh" csv "$@"

# A device with an error-prone point (2 % write, 0.1 % read errors) on a 64 KiB organisation.
write_device
write_system sys noisy 128
random_model

# check.py FILE COLUMNS ROWS [SIDE]: pandas.read_csv(FILE) with defaults has exactly COLUMNS
# (comma list) and ROWS rows; with SIDE, FILE's sidecar is a JSON object naming the same columns
# and record count, the file and the provenance (model_id when SIDE = model).
cat > "$tmp/check.py" <<'PY'
import json, sys
import pandas as pd
path, cols, rows = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
side = sys.argv[4] if len(sys.argv) > 4 else ""
df = pd.read_csv(path)
assert list(df.columns) == cols, (path, list(df.columns), cols)
assert len(df) == rows, (path, len(df), rows)
if side:
    meta = json.load(open(path + ".meta.json"))
    assert meta["format"] == "rramsim csv sidecar 1", meta
    assert meta["describes"] == path.rsplit("/", 1)[-1], meta
    assert meta["columns"] == cols, meta
    assert meta["records"] == rows, (meta["records"], rows)
    for k in ("tool", "config_hash", "seed"):
        assert meta[k], (k, meta)
    if side == "model":
        assert meta["model_id"].startswith("crc32:"), meta
if "kind" in cols and rows:  # a fault trace: typed columns, known kinds, hex addresses
    assert set(df["kind"]) <= {"write", "read", "stuck-at", "endurance"}, set(df["kind"])
    assert df["address"].str.startswith("0x").all(), path
    for c in ("time_ps", "bit", "old", "new", "layer", "neuron", "weight", "access"):
        assert pd.api.types.is_integer_dtype(df[c]), (path, c, df[c].dtype)
    assert df["bit"].between(0, 7).all() and df["old"].isin([0, 1]).all(), path
print(f"ok: pandas.read_csv({path.rsplit('/', 1)[-1]}): {len(df)} rows x {len(df.columns)} columns")
PY
check() { /usr/bin/python3 "$tmp/check.py" "$@"; }
fault_cols=time_ps,address,bit,kind,old,new,layer,neuron,weight,access
lines() {  # data lines of a (gzip or plain) CSV, counted without pandas
  if [[ $1 == *.gz ]]; then gzip -dc "$1" | tail -n +2 | wc -l; else tail -n +2 "$1" | wc -l; fi
}

# Fault traces of sim (plain and gzip), run and replay (--record-faults).
fault_traces() {
  "$bin" sim --system "$tmp/sys.json" --requests 3000 --read-ratio 0.5 --quiet \
    --record-accesses "$tmp/acc.rrt" --record-faults "$tmp/sim.csv" > "$tmp/sim.txt"
  "$bin" sim --system "$tmp/sys.json" --requests 3000 --read-ratio 0.5 --quiet \
    --record-faults "$tmp/sim.csv.gz" > "$tmp/simgz.txt"
  n=$(sed -n 's/^\([0-9]*\) faults recorded to .*sim.csv$/\1/p' "$tmp/sim.txt")
  [ -n "$n" ] && [ "$n" -gt 0 ] || fail "sim printed no fault count: $(cat "$tmp/sim.txt")"
  [ "$(lines "$tmp/sim.csv")" = "$n" ] || fail "sim.csv: $(lines "$tmp/sim.csv") lines, $n faults"
  check "$tmp/sim.csv" $fault_cols "$n" prov
  ngz=$(sed -n 's/^\([0-9]*\) faults recorded to .*sim.csv.gz$/\1/p' "$tmp/simgz.txt")
  [ "$ngz" = "$n" ] || fail "the same run recorded $ngz faults as .gz, $n as .csv"
  check "$tmp/sim.csv.gz" $fault_cols "$n" prov
  "$bin" run --system "$tmp/sys.json" --model "$tmp/m.bnn" --images 40 --quiet \
    --record-faults "$tmp/run.csv" > /dev/null
  nr=$(lines "$tmp/run.csv")
  [ "$nr" -gt 0 ] || fail "run recorded no faults"
  check "$tmp/run.csv" $fault_cols "$nr" model
  # rramsim's own reader agrees: trace info counts the same records from the same file.
  "$bin" trace info "$tmp/run.csv" > "$tmp/info.txt"
  grep -q "model_id: crc32:" "$tmp/info.txt" || fail "trace info: no model_id: $(cat "$tmp/info.txt")"
  "$bin" replay --system "$tmp/sys.json" --trace "$tmp/acc.rrt" --quiet \
    --record-faults "$tmp/replay.csv" > /dev/null
  check "$tmp/replay.csv" $fault_cols "$(lines "$tmp/replay.csv")" prov
  [ "$(lines "$tmp/replay.csv")" -gt 0 ] || fail "replay recorded no faults"
}

# faults analyze --out: layers.csv (one row per RRAM weight layer; fault counts sum to the trace's
# records) and neurons.csv (one row per replayed neuron).
faults_analyze() {
  "$bin" run --system "$tmp/sys.json" --model "$tmp/m.bnn" --images 40 --quiet \
    --record-faults "$tmp/f.csv" > /dev/null
  "$bin" faults analyze --model "$tmp/m.bnn" --faults "$tmp/f.csv" --system "$tmp/sys.json" \
    --images 40 --neurons 3 --out "$tmp/an" > /dev/null
  check "$tmp/an/layers.csv" layer,faults,acc_only_this,acc_all_but_this,loss_only_this,loss_removed 2
  check "$tmp/an/neurons.csv" \
    rank,layer,neuron,faults,acc_only_this,loss_only_this,vulnerability,changed_only_this 3
  /usr/bin/python3 - "$tmp" <<'PY'
import json, sys
import pandas as pd
t = sys.argv[1]
layers, faults = pd.read_csv(f"{t}/an/layers.csv"), pd.read_csv(f"{t}/f.csv")
assert layers["faults"].sum() == len(faults), (layers["faults"].sum(), len(faults))
assert json.load(open(f"{t}/f.csv.meta.json"))["records"] == len(faults)
neurons = pd.read_csv(f"{t}/an/neurons.csv")
assert list(neurons["rank"]) == [1, 2, 3], list(neurons["rank"])
assert neurons["vulnerability"].between(0, 1).all(), neurons["vulnerability"]
print("ok: layer fault counts sum to the trace's records")
PY
}

# eval --ber-sweep --csv: one row per BER of the sweep.
eval_sweep() {
  "$bin" eval --model "$tmp/m.bnn" --data fashion-mnist --limit 100 --ber-sweep 0:0.1:0.05 \
    --reps 2 --csv "$tmp/e.csv" --quiet > /dev/null
  check "$tmp/e.csv" ber,reps,seed,mean,std,min,max 3
  /usr/bin/python3 -c '
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
assert list(df["ber"]) == [0, 0.05, 0.1], list(df["ber"])
assert (df["reps"] == 2).all() and df["mean"].between(0, 1).all(), df' "$tmp/e.csv"
}

# sweep: results.csv (cli.mainjob.pandas_reads_every_csv checks every sweep CSV in depth; here
# the row count of a single run).
sweep() {
  cat > "$tmp/exp.json" <<EOF
{ "mode": "functional", "systems": ["$tmp/sys.json"], "models": ["$tmp/m.bnn"], "seeds": [1, 2],
  "images": 50 }
EOF
  "$bin" sweep "$tmp/exp.json" --out "$tmp/sw" --quiet > /dev/null
  cols=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csv_columns"])' \
    "$tmp/sw/results.json")
  check "$tmp/sw/results.csv" "$cols" "$(wc -l < "$tmp/sw/results.jsonl")"
  [ "$(wc -l < "$tmp/sw/results.jsonl")" = 2 ] || fail "expected 2 sweep points"
}

# experiment paper: the evaluation caches OUT/models/*.{mc,pred,metric}.csv (one row per BER; the
# metric file one row per BER and metric); their key in the sidecar. A cache file in the format
# written before the sidecar ('# key' lines) is still a cache hit.
experiment_cache() {
  tiny="experiment paper --quick --train-limit 300 --vgg-train-limit 256 --test-limit 200
        --metric-limit 100 --reps 1 --epochs 1 --vgg-epochs 1 --lambdas 0.5 --threads 2 --quiet"
  # shellcheck disable=SC2086
  "$bin" $tiny --out-dir "$tmp/xp" > /dev/null 2>&1 || fail "experiment paper failed"
  /usr/bin/python3 - "$tmp/xp/models" <<'PY'
import glob, json, sys
import pandas as pd
d = sys.argv[1]
bers = [0, 0.005, 0.01, 0.02, 0.033, 0.05, 0.075, 0.1, 0.0001, 0.04]
want = {"mc": ["ber", "mean", "std", "min", "max"], "pred": ["ber", "predicted"],
        "metric": ["ber", "metric", "value"]}
seen = {k: 0 for k in want}
for path in sorted(glob.glob(f"{d}/*.csv")):
    kind = path.rsplit(".", 2)[-2]
    df = pd.read_csv(path)
    assert list(df.columns) == want[kind], (path, list(df.columns))
    meta = json.load(open(path + ".meta.json"))
    assert meta["key"].startswith({"mc": "mc ", "pred": "predict", "metric": "metric "}[kind]), meta
    if kind == "metric":  # every metric at each of the 8 main BERs
        per = df.groupby(df["ber"].round(9)).size()
        assert list(per.index) == sorted(bers[:8]) and per.nunique() == 1, per
        assert len(df) == 8 * df["metric"].nunique(), len(df)
    else:  # pandas' default float parser is not round-trip exact: compare rounded
        assert sorted(df["ber"].round(9)) == sorted(bers), (path, list(df["ber"]))
    seen[kind] += 1
assert seen["mc"] >= 10 and seen["pred"] >= 1 and seen["metric"] >= 1, seen
print(f"ok: pandas.read_csv of {sum(seen.values())} cache files {seen}")
PY
  # One Monte-Carlo cache file rewritten in the old format: the next run still takes it (a hit
  # leaves the file as it is; a miss would rewrite it in the new format).
  mc=$(ls "$tmp"/xp/models/fcnn-p0-*.mc.csv)
  key=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$mc.meta.json")
  { echo "# key $key"; echo "# seconds 1.5"; cat "$mc"; } > "$mc.old"
  mv "$mc.old" "$mc"
  rm "$mc.meta.json"
  cp "$mc" "$tmp/old_mc.csv"
  # shellcheck disable=SC2086
  "$bin" $tiny --out-dir "$tmp/xp" > /dev/null 2>&1 || fail "experiment paper rerun failed"
  cmp -s "$mc" "$tmp/old_mc.csv" || fail "an old-format cache file was not taken as a hit"
  [ ! -e "$mc.meta.json" ] || fail "an old-format cache file was recomputed"
}

"$case_name"
