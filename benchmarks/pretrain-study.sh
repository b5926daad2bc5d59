#!/usr/bin/env bash
# Whole-class SLA pretraining for few-shot (docs/results.md ## Few-shot from whole-class
# pretraining): preset cpu-pretrain (Conv-4, 1,000 steps of 128 images on the 64 base classes of
# tiny-imagenet-fs at 32x32) with objective baseline and sla (rotation), then every model on the
# committed 1000-episode 1-shot and 5-shot test manifests with protonet, ridge and svm, plain
# (--transform none) and lifted (--transform rotation: single and SLA+AG), no episodic training.
# Resumable like classify-study.sh: finished steps are skipped.
#   usage: benchmarks/pretrain-study.sh DATA_DIR OUT_DIR [MODEL ...]   (MODEL: name:objective:transform)
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
shift 2
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(pre-base:baseline:none pre-sla:sla:rotation)
cd "$(dirname "$0")/.."
# shellcheck source=lib/study.sh
. benchmarks/lib/study.sh
for spec in "${models[@]}"; do
  IFS=: read -r name objective transform <<<"$spec"
  dir="$out/$name"
  train_once "$dir" "pretrain $name ($objective, $transform)" --preset cpu-pretrain --data-dir "$data" \
    --objective "$objective" --transform "$transform"
  for shots in 1 5; do
    for head in protonet ridge svm; do
      for lift in none rotation; do
        eval_manifest_once "$dir/best.jsm" "$dir/eval/${shots}shot-$head-$lift" "$data" "$shots" --head "$head" --transform "$lift"
      done
    done
  done
done
