#!/usr/bin/env bash
# slurm_sweep.sh — an experiment grid as a Slurm job array: each array task runs one deterministic
# share of the points (`rramsim sweep --shard i/N`) into its own result file; a dependent job
# merges them (`rramsim sweep --merge`), each point once.
#
#   sbatch --array=0-15 configs/experiments/slurm_sweep.sh configs/experiments/op_points_timed.json results/timed
#   # when all tasks are done (or chain it: sbatch --dependency=afterok:<jobid> --wrap "..."):
#   build/release/apps/rramsim sweep --merge results/timed
#   build/release/apps/rramsim plot results/timed
#
# A task that is killed (time limit, preemption) loses at most the point it was running: resubmit
# the same array index and it resumes from its file, redoing a half-written last row.
#SBATCH --job-name=rramsim-sweep
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
experiment=${1:?usage: sbatch --array=0-(N-1) slurm_sweep.sh EXPERIMENT.json OUTDIR [--models A,B]}
outdir=${2:?usage: sbatch --array=0-(N-1) slurm_sweep.sh EXPERIMENT.json OUTDIR [--models A,B]}
shift 2
rramsim=${RRAMSIM:-build/release/apps/rramsim}
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array}"
count=${SLURM_ARRAY_TASK_COUNT:-$(( ${SLURM_ARRAY_TASK_MAX:?} - ${SLURM_ARRAY_TASK_MIN:-0} + 1 ))}
index=$(( SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0} ))
exec "$rramsim" sweep "$experiment" --out "$outdir" --shard "$index/$count" --quiet "$@"
