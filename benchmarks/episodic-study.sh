#!/usr/bin/env bash
# Episodic runs of docs/results.md (preset cpu-real: Conv-4, tiny-imagenet-fs at 32x32, 2,560 training
# episodes) and their evaluation on the committed 1000-episode 1-shot and 5-shot test manifests;
# an SLA model's evaluation reports single and SLA+AG. A row with an init model is episodic
# fine-tuning of a (whole-class pretrained) model. Resumable like classify-study.sh.
#   usage: benchmarks/episodic-study.sh DATA_DIR OUT_DIR ROW...   (ROW: name:head:transform[:init.jsm])
set -euo pipefail
data=${1:?DATA_DIR (tiny-imagenet-fs prepared at 32x32)}
out=${2:?OUT_DIR}
shift 2
[ $# -gt 0 ] || { echo "episodic-study.sh: name at least one ROW (name:head:transform[:init.jsm])" >&2; exit 2; }
cd "$(dirname "$0")/.."
# shellcheck source=lib/study.sh
. benchmarks/lib/study.sh
for row in "$@"; do
  IFS=: read -r name head transform init <<<"$row"
  dir="$out/$name"
  extra=()
  [ -n "${init:-}" ] && extra=(--init "$init")
  train_once "$dir" "$name ($head, $transform${init:+, init $init})" --preset cpu-real --data-dir "$data" \
    --head "$head" --transform "$transform" "${extra[@]}"
  for shots in 1 5; do eval_manifest_once "$dir/best.jsm" "$dir/eval-${shots}shot" "$data" "$shots"; done
done
