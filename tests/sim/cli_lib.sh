# cli_lib.sh — the harness the CLI end-to-end scripts share (cli_mainjob.sh, cli_faults.sh,
# tests/e2e/csv_pandas.sh).
# Sourced after `set -euo pipefail` as: . cli_lib.sh NAME RRAMSIM_BIN REPO_DIR CASE
# Sets bin, repo, case_name, tmp (a fresh folder, removed on exit) and fail().
bin=$2
repo=$3
case_name=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rramsim-$1.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# write_device [POINT_JSON...]: $tmp/dev.json, device "testdev" (2T2R) with the operating points
# given, then "noisy" (2 % write, 0.1 % read BER).
write_device() {
  {
    echo '{ "name": "testdev", "cell": "2T2R", "operating_points": ['
    for p in "$@"; do echo "  $p,"; done
    cat <<'EOF'
  { "name": "noisy", "write_ber_01": 0.02, "write_ber_10": 0.02, "read_ber_01": 0.001,
    "read_ber_10": 0.001, "e_set_pj": 0.5, "e_reset_pj": 0.5, "e_read_pj": 0.05,
    "e_periph_read_pj": 1, "t_read_ns": 12, "t_write_ns": 20 } ] }
EOF
  } > "$tmp/dev.json"
}

# write_system NAME POINT ROWS: $tmp/NAME.json, a system "NAME" on $tmp/dev.json at operating point
# POINT, seed 3, 2 channels x 4 banks x 1 crossbar of ROWS x 512 cells (ROWS 128: 64 KiB).
write_system() {
  cat > "$tmp/$1.json" <<EOF
{ "name": "$1", "device": "dev.json", "op_point": "$2", "seed": 3,
  "organisation": { "channels": 2, "banks_per_channel": 4, "crossbars_per_bank": 1, "rows": $3,
                    "columns": 512 } }
EOF
}

# random_model: $tmp/m.bnn, a random 784-128-10 model (seed 1).
random_model() {
  "$bin" model random --arch 784-128-10 --seed 1 --out "$tmp/m.bnn" >/dev/null
}
