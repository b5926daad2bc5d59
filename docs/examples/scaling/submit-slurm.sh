#!/bin/bash
# Submits the N shard evaluations as one array job and the merge as a job that waits for all of them.
# Usage: MODEL=m.jsm DATASET=d MANIFEST=f.json OUT=runs/x bash submit-slurm.sh N
set -euo pipefail
n="${1:?usage: submit-slurm.sh N (number of shards)}"
here="$(cd "$(dirname "$0")" && pwd)"
jid=$(sbatch --parsable --array="1-$n" --export=ALL "$here/eval-shards.sbatch")
sbatch --dependency="afterok:${jid%%;*}" --export=ALL "$here/merge-shards.sbatch"
