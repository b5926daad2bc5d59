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
# shellcheck source=lib/study.sh
. benchmarks/lib/study.sh
for row in "${rows[@]}"; do
  IFS=: read -r name seed objective transform config <<<"$row"
  dir="$out/$name"
  extra=()
  [ -n "${config:-}" ] && extra=(--config "$config")
  train_once "$dir" "$name (seed $seed, $objective, $transform)" --preset cpu-classify "${extra[@]}" \
    --data-dir "$data" --seed "$seed" --objective "$objective" --transform "$transform"
  case "$objective" in
    baseline) inf=single,ten-crop ;;
    sla) inf=single,aggregated ;;
    sla+sd) inf=single,aggregated,sd ;;
    *) inf=single ;;
  esac
  eval_class_once "$dir" "$data" "$inf" "$name"
done
