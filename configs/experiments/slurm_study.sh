#!/usr/bin/env bash
# slurm_study.sh — the seed study (`rramsim experiment study`) as a Slurm job array: array task i
# runs the jobs k of the design with k mod N = i, one result file per (configuration, seed) job.
#
#   sbatch --array=0-31 configs/experiments/slurm_study.sh 32 configs/experiments/study.json docs/results/data
#   # when the tasks are done (any of them may have been cancelled: what exists is reported):
#   build/release/apps/rramsim experiment study --design configs/experiments/study.json \
#       --results docs/results/data --report-only --report docs/results/paper.md
#
# N is given explicitly and the shard index is the array task id itself, so resubmitting one index
# (--array=5), a list (--array=0,2) or a stepped array re-runs exactly those shares; a job whose
# result file exists is skipped, so a killed or resubmitted task redoes only unfinished jobs and no
# merge step is needed (the report reads the per-job files, whichever task wrote them).
#SBATCH --job-name=rramsim-study
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=12:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
usage="usage: sbatch --array=0-(N-1) slurm_study.sh N DESIGN.json RESULTS_DIR [rramsim experiment study options]"
shards=${1:?$usage}
design=${2:?$usage}
results=${3:?$usage}
shift 3
case $shards in
  '' | *[!0-9]* | 0*) echo "slurm_study.sh: N must be a positive integer, got '$shards' ($usage)" >&2; exit 2 ;;
esac
rramsim=${RRAMSIM:-build/release/apps/rramsim}
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=0-$((shards - 1))}"
if [ "$SLURM_ARRAY_TASK_ID" -ge "$shards" ]; then
  echo "slurm_study.sh: array task id $SLURM_ARRAY_TASK_ID is not a shard of N = $shards (ids 0..$((shards - 1)))" >&2
  exit 2
fi
exec "$rramsim" experiment study --design "$design" --results "$results" \
  --shard "$SLURM_ARRAY_TASK_ID/$shards" --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet "$@"
