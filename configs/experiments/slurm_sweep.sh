#!/usr/bin/env bash
# slurm_sweep.sh — an experiment grid as a Slurm job array: array task i runs the deterministic
# share i of N (`rramsim sweep --shard i/N`) into its own result file; a dependent job merges them
# (`rramsim sweep --merge`), each point once, in grid order.
#
#   sbatch --array=0-15 configs/experiments/slurm_sweep.sh 16 configs/experiments/op_points_timed.json results/timed
#   # when all tasks are done (or chained: sbatch --dependency=afterany:<jobid> --wrap "..."):
#   build/release/apps/rramsim sweep --merge results/timed
#   build/release/apps/rramsim plot results/timed
#
# N (the first argument) is the number of shards of the whole grid, given explicitly: the shard
# index is the array task id itself, so resubmitting one index (--array=5), a list (--array=0,2)
# or a stepped array (--array=1-15:2) re-runs exactly those shares of the same N-way split, and a
# killed task resumes from its file (a half-written last row is redone). The merge refuses a missing,
# incomplete or differently-split shard, so use afterany (not afterok) and read its message.
#SBATCH --job-name=rramsim-sweep
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
usage="usage: sbatch --array=0-(N-1) slurm_sweep.sh N EXPERIMENT.json OUTDIR [rramsim sweep options]"
shards=${1:?$usage}
experiment=${2:?$usage}
outdir=${3:?$usage}
shift 3
case $shards in
  '' | *[!0-9]* | 0*) echo "slurm_sweep.sh: N must be a positive integer, got '$shards' ($usage)" >&2; exit 2 ;;
esac
rramsim=${RRAMSIM:-build/release/apps/rramsim}
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=0-$((shards - 1))}"
if [ "$SLURM_ARRAY_TASK_ID" -ge "$shards" ]; then
  echo "slurm_sweep.sh: array task id $SLURM_ARRAY_TASK_ID is not a shard of N = $shards (ids 0..$((shards - 1)))" >&2
  exit 2
fi
exec "$rramsim" sweep "$experiment" --out "$outdir" --shard "$SLURM_ARRAY_TASK_ID/$shards" --quiet "$@"
