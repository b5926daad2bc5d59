#!/usr/bin/env bash
# The long-tail study of docs/long-tail.md (the SLA paper's Table 6 on tiny-imagenet-fs read as
# 100 classes at 32x32, n_max 500): preset cpu-imbalanced (Conv-4, 1,000 steps of 128 images) for
# each row and ratio, then eval-class on the shared balanced test set. Resumable like
# classify-study.sh: a finished run (summary.json) is skipped, an interrupted one continues with
# --resume. Render the table with: npx tsx benchmarks/long-tail-table.ts long-tail OUT_DIR
#   usage: benchmarks/long-tail-study.sh DATA_DIR OUT_DIR [SEEDS (default "0")] [RATIOS (default "100 10")] [ROWS (default all six)]
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
seeds=${3:-0}
ratios=${4:-100 10}
rows=${5:-base base-sd cb cb-sd ldam ldam-sd}
cd "$(dirname "$0")/.."
# shellcheck source=lib/study.sh
. benchmarks/lib/study.sh
# row name -> training flags
declare -A flags=(
  [base]="--loss ce"
  [base-sd]="--loss ce --objective sla+sd --transform rotation"
  [cb]="--loss cb"
  [cb-sd]="--loss cb --objective sla+sd --transform rotation"
  [ldam]="--loss ldam --drw"
  [ldam-sd]="--loss ldam --drw --objective sla+sd --transform rotation"
)
for seed in $seeds; do
  for ratio in $ratios; do
    for row in $rows; do
      dir="$out/tiny-imagenet-fs rho=$ratio/$row-s$seed"
      # shellcheck disable=SC2086
      train_once "$dir" "$row rho=$ratio seed $seed" --preset cpu-imbalanced --data-dir "$data" \
        --imbalance "$ratio" --seed "$seed" ${flags[$row]}
      case "$row" in *-sd) inf=single,aggregated,sd ;; *) inf=single ;; esac
      eval_class_once "$dir" "$data" "$inf" "$row rho=$ratio seed $seed"
    done
  done
done
