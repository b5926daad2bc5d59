#!/usr/bin/env bash
# The limited-data curve of docs/long-tail.md (the SLA paper's data-scarcity experiment):
# preset cpu-classify on tiny-imagenet-fs at 32x32 with --per-class K, Baseline and SDA (rotation,
# scored by SDA+AG), for each K. Resumable like classify-study.sh. Render the gains-vs-K table and
# plot with: npx tsx benchmarks/long-tail-table.ts limited OUT_DIR OUT_DIR/gain.svg
#   usage: benchmarks/limited-data-study.sh DATA_DIR OUT_DIR [KS (default "25 50 100")] [SEEDS (default "0")]
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
ks=${3:-25 50 100}
seeds=${4:-0}
cd "$(dirname "$0")/.."
js() { npx tsx src/cli/main.ts "$@"; }
for seed in $seeds; do
  for k in $ks; do
    for row in base sla; do
      dir="$out/k$k/$row-s$seed"
      if [ "$row" = base ]; then train=(--objective baseline --transform none); inf=single; else train=(--objective sla --transform rotation); inf=single,aggregated; fi
      if [ ! -f "$dir/summary.json" ]; then
        resume=()
        [ -f "$dir/last.jsm" ] && resume=(--resume)
        echo "== $(date -u +%FT%TZ) train $row K=$k seed $seed ${resume[*]}"
        js train --preset cpu-classify --data-dir "$data" --per-class "$k" --seed "$seed" "${train[@]}" --out "$dir" "${resume[@]}"
      fi
      if [ ! -f "$dir/test/results.json" ]; then
        echo "== $(date -u +%FT%TZ) eval $row K=$k seed $seed ($inf)"
        js eval-class "$dir/best.jsm" --data-dir "$data" --inference "$inf" --out "$dir/test"
      fi
    done
  done
done
