#!/usr/bin/env bash
# The limited-data curve of docs/long-tail.md (the SLA paper's data-scarcity experiment):
# preset cpu-classify on tiny-imagenet-fs at 32x32 with --per-class K, Baseline and SDA (rotation,
# scored by SDA+AG), for each K. Resumable like classify-study.sh. Render the gains-vs-K table and
# plot with: npx tsx benchmarks/long-tail-table.ts limited OUT_DIR OUT_DIR/gain.svg
#   usage: benchmarks/limited-data-study.sh DATA_DIR OUT_DIR [KS (default "25 50 100")] [SEEDS (default "0")] [ROWS (default "base sla")]
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
ks=${3:-25 50 100}
seeds=${4:-0}
rows=${5:-base sla}
cd "$(dirname "$0")/.."
# shellcheck source=lib/study.sh
. benchmarks/lib/study.sh
for seed in $seeds; do
  for k in $ks; do
    for row in $rows; do
      dir="$out/k$k/$row-s$seed"
      if [ "$row" = base ]; then train=(--objective baseline --transform none); inf=single; else train=(--objective sla --transform rotation); inf=single,aggregated; fi
      train_once "$dir" "$row K=$k seed $seed" --preset cpu-classify --data-dir "$data" --per-class "$k" \
        --seed "$seed" "${train[@]}"
      eval_class_once "$dir" "$data" "$inf" "$row K=$k seed $seed"
    done
  done
done
