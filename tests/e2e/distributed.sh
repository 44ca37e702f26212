#!/usr/bin/env bash
# distributed.sh RRAMSIM SOURCE_DIR — a sweep as a real Slurm job array and as GNU parallel jobs over
# several "hosts", each merged and compared with the single-machine run of the same grid.
#
# Slurm: starts a private one-node cluster on this machine (munged + slurmctld + slurmd on loopback
# ports derived from the PID, state and logs in a temp dir; everything is stopped on exit), submits
# configs/experiments/slurm_sweep.sh as an array, merges, and checks that the merged rows equal the
# single-machine rows; then resubmits one index and a list array (the task id is the shard index,
# N explicit) and checks the result again. GNU parallel: `parallel -S 1/hostA,1/hostB` with an ssh
# stand-in that runs each job locally (no sshd needed), the same check.
# Needs root (slurmd runs jobs as the submitting user and needs its spool) and the Debian packages
# slurm-wlm, munge and parallel (.ci/setup installs them); exits 77 (CTest: skipped) otherwise.
set -euo pipefail
# CI runs with no standard input (fd 0 may be closed: a daemon started below would then get a socket
# as its fd 0) and with a reduced environment (without SHELL, GNU parallel's -S worker runs each job
# with an empty shell name, i.e. not at all, and still exits 0): give them defined values.
exec </dev/null
export SHELL="${SHELL:-/bin/bash}"
RRAMSIM=$(readlink -f "${1:?usage: distributed.sh RRAMSIM SOURCE_DIR}")
SRC=$(readlink -f "${2:?usage: distributed.sh RRAMSIM SOURCE_DIR}")

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (a private slurmd needs root)"
for t in munged slurmctld slurmd sbatch squeue parallel; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || skip "$t not installed (apt-get install slurm-wlm munge parallel)"
done

W=$(mktemp -d /tmp/rramsim-distributed.XXXXXX)
export HOME="$W/home"
mkdir -p "$HOME"
pids=()
cleanup() {
  local rc=$?
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$W"/slurmd.pid "$W"/slurmctld.pid "$W"/munge/munged.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  if [ $rc -ne 0 ]; then
    echo "--- logs (test failed) ---"
    tail -n 20 "$W"/log/*.log 2>/dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# Rows without the wall-clock field, in file order.
rows() { sed -E 's/, "wall_seconds": [0-9.e+-]+//' "$1"; }

# --- the grid: 2 operating points x 3 seeds x 2 models, functional, 200 images ---
cd "$W"
"$RRAMSIM" model random --arch 784-64-10 --seed 1 --out a.bnn >/dev/null
"$RRAMSIM" model random --arch 784-32-10 --seed 2 --out b.bnn >/dev/null
cat >exp.json <<EOF
{"name": "distributed", "mode": "functional",
 "systems": ["$SRC/configs/systems/small.json"], "op_points": ["nominal", "low"],
 "models": ["$W/a.bnn", "$W/b.bnn"], "seeds": [1, 2, 3], "images": 200}
EOF
"$RRAMSIM" sweep exp.json --out single --quiet >/dev/null
npoints=$(wc -l <single/results.jsonl)
[ "$npoints" -eq 12 ] || fail "single-machine sweep wrote $npoints rows, expected 12"
rows single/results.jsonl >single.rows

# --- GNU parallel over two "hosts" (an ssh stand-in runs the command here) ---
cat >fake-ssh <<'EOF'
#!/usr/bin/env bash
# ssh stand-in for GNU parallel -S: drop ssh options and the host name, run the command locally.
while [ $# -gt 0 ]; do
  case $1 in
    -o | -p | -l | -i | -S | -F) shift 2 ;;
    -*) shift ;;
    *) shift; break ;;
  esac
done
[ "${1:-}" = "--" ] && shift
exec bash -c "$*"
EOF
chmod +x fake-ssh
parallel --ssh "$W/fake-ssh" -S 1/hostA,1/hostB --workdir "$W" \
  "$RRAMSIM" sweep exp.json --out par --quiet --shard {}/4 ::: 0 1 2 3
"$RRAMSIM" sweep --merge par >/dev/null
rows par/results.jsonl >par.rows
cmp -s single.rows par.rows || { diff single.rows par.rows | head; fail "parallel -S merge differs from the single-machine run"; }
echo "ok: GNU parallel -S (2 hosts, 4 shards) merge equals the single-machine run ($npoints rows)"

# --- a private one-node Slurm ---
mkdir -p munge state spool log
chmod 700 munge
/usr/sbin/munged --force --socket="$W/munge/munge.sock" --key-file=/etc/munge/munge.key \
  --log-file="$W/log/munged.log" --pid-file="$W/munge/munged.pid" --seed-file="$W/munge/seed"
host=$(hostname -s)
base=$((20000 + ($$ % 10000) * 2))
mem=$(awk '/MemTotal/ {m = int($2 / 1024) - 2048; print (m > 1024 ? m : 1024)}' /proc/meminfo)
cat >slurm.conf <<EOF
ClusterName=rramsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$W/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^idle' && break
  sleep 0.5
done
sinfo -h -o %t | grep -qE '^idle' || fail "the one-node Slurm did not come up (sinfo: $(sinfo -h 2>&1))"

# Submits the wrapper as an array and waits until its tasks have left the queue.
submit() {  # submit ARRAY-SPEC OUTDIR
  local id
  id=$(sbatch --parsable --array="$1" --chdir="$W" --output="$W/log/slurm-%A_%a.out" \
    --export=ALL,RRAMSIM="$RRAMSIM" "$SRC/configs/experiments/slurm_sweep.sh" 3 exp.json "$2")
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$id" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  fail "Slurm array $id did not finish in 300 s"
}
submit 0-2 arr
for i in 0 1 2; do
  [ -s "arr/results.shard-$i-of-3.jsonl" ] || { cat log/slurm-*_"$i".out 2>/dev/null; fail "array task $i wrote no shard file"; }
done
"$RRAMSIM" sweep --merge arr >/dev/null
rows arr/results.jsonl >arr.rows
cmp -s single.rows arr.rows || { diff single.rows arr.rows | head; fail "Slurm array merge differs from the single-machine run"; }
echo "ok: Slurm array 0-2 (3 shards) merge equals the single-machine run"

# Resubmitting one index re-runs exactly that share of the same 3-way split.
rm arr/results.shard-1-of-3.*
submit 1 arr
ls arr | grep -q 'of-1' && fail "resubmitting index 1 ran a 1-way split"
[ -s arr/results.shard-1-of-3.jsonl ] || fail "resubmitting index 1 did not rewrite shard 1 of 3"
"$RRAMSIM" sweep --merge arr >/dev/null
rows arr/results.jsonl >arr2.rows
cmp -s single.rows arr2.rows || fail "merge after resubmitting index 1 differs"
echo "ok: resubmitted --array=1 re-ran shard 1 of 3 only; merge unchanged"

# A list array (0,2) is the same split, not a 2-way one.
submit 0,2 lst
[ -s lst/results.shard-0-of-3.jsonl ] && [ -s lst/results.shard-2-of-3.jsonl ] ||
  fail "--array=0,2 did not write shards 0 and 2 of 3"
ls lst | grep -q 'of-2' && fail "--array=0,2 ran a 2-way split"
echo "ok: --array=0,2 ran shards 0 and 2 of 3"

# The merge refuses, with one line naming the file, a missing shard, an incomplete shard and
# shards of different splits; it writes nothing then.
refuses() {  # refuses DIR PATTERN WHAT
  if "$RRAMSIM" sweep --merge "$1" >/dev/null 2>"$W/merge.err"; then fail "--merge accepted $3"; fi
  grep -q -- "$2" "$W/merge.err" || fail "--merge on $3 said: $(cat "$W/merge.err")"
  [ ! -e "$1/results.jsonl" ] || fail "--merge on $3 wrote $1/results.jsonl"
  echo "ok: --merge refuses $3: $(cat "$W/merge.err")"
}
refuses lst "lst/results.shard-1-of-3.jsonl is missing" "a missing shard (--array=0,2 of 3)"
submit 1 lst
sed -i '$d' lst/results.shard-2-of-3.jsonl
refuses lst "lst/results.shard-2-of-3.jsonl: incomplete, 3 of 4 points" "an incomplete shard"
"$RRAMSIM" sweep exp.json --out lst --quiet --shard 2/3 >/dev/null
"$RRAMSIM" sweep exp.json --out lst --quiet --shard 0/2 >/dev/null
refuses lst "is a shard of a 3-way split but lst/results.shard-0-of-2.jsonl of a 2-way one" \
  "shards of a 2-way and a 3-way split"
rm lst/results.shard-0-of-2.*
"$RRAMSIM" sweep --merge lst >/dev/null
rows lst/results.jsonl >lst.rows
cmp -s single.rows lst.rows || fail "merge of the repaired list array differs"
echo "ok: the repaired list array merges to the single-machine rows"
echo "distributed: all checks passed"
