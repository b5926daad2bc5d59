#!/usr/bin/env bash
# The whole-class study of docs/results.md (## Whole-class SLA on tiny-imagenet-fs): preset
# cpu-classify (Conv-4, 1,000 steps of 128 images, tiny-imagenet-fs read as 100 classes at 32x32)
# for each row, then eval-class on the shared test set. Resumable: a finished run (summary.json)
# is skipped, an interrupted one continues with --resume, so the script can be re-run across
# sessions until every row exists.
#   usage: benchmarks/classify-study.sh DATA_DIR OUT_DIR [ROW ...]
# ROW is name:seed:objective:transform[:config.json] (default: the rows in the order the study runs
# them); the optional JSON file of training options is layered over the preset (e.g. a longer run).
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
shift 2
rows=("$@")
if [ ${#rows[@]} -eq 0 ]; then
  rows=(base-s0:0:baseline:none sla-s0:0:sla:rotation base-s1:1:baseline:none sla-s1:1:sla:rotation
        base-s2:2:baseline:none sla-s2:2:sla:rotation sd-s0:0:sla+sd:rotation da-s0:0:da:rotation
        mt-s0:0:mt:rotation cp-s0:0:sla:colorperm)
fi
cd "$(dirname "$0")/.."
js() { npx tsx src/cli/main.ts "$@"; }
for row in "${rows[@]}"; do
  IFS=: read -r name seed objective transform config <<<"$row"
  dir="$out/$name"
  if ! grep -q '"stopped": false' "$dir/summary.json" 2>/dev/null; then
    resume=()
    [ -f "$dir/last.jsm" ] && resume=(--resume)
    echo "== $(date -u +%FT%TZ) train $name (seed $seed, $objective, $transform) ${resume[*]}"
    extra=()
    [ -n "${config:-}" ] && extra=(--config "$config")
    js train --preset cpu-classify "${extra[@]}" --data-dir "$data" --seed "$seed" --objective "$objective" --transform "$transform" --out "$dir" "${resume[@]}"
  fi
  if [ ! -f "$dir/test/results.json" ]; then
    case "$objective" in
      baseline) inf=single,ten-crop ;;
      sla) inf=single,aggregated ;;
      sla+sd) inf=single,aggregated,sd ;;
      *) inf=single ;;
    esac
    echo "== $(date -u +%FT%TZ) eval $name ($inf)"
    js eval-class "$dir/best.jsm" --data-dir "$data" --inference "$inf" --out "$dir/test"
  fi
done
