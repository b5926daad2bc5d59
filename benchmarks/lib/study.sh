# Shared steps of the resumable study scripts (sourced, not run). A run counts as finished only
# when its summary.json says "stopped": false: a run stopped by a signal or a crash, or one with
# only checkpoints, is continued with --resume, so a study can be re-run across sessions.

# js ARGS...: the CLI from this checkout.
js() { npx tsx src/cli/main.ts "$@"; }

# train_once DIR LABEL TRAIN_ARGS...: train into DIR unless finished there; resume if it has last.jsm.
train_once() {
  local dir=$1 label=$2
  shift 2
  grep -q '"stopped": false' "$dir/summary.json" 2>/dev/null && return 0
  local resume=()
  [ -f "$dir/last.jsm" ] && resume=(--resume)
  echo "== $(date -u +%FT%TZ) train $label ${resume[*]}"
  js train "$@" --out "$dir" "${resume[@]}"
}

# eval_class_once DIR DATA INFERENCE LABEL: eval-class DIR/best.jsm into DIR/test unless done.
eval_class_once() {
  local dir=$1 data=$2 inf=$3 label=$4
  [ -f "$dir/test/results.json" ] && return 0
  echo "== $(date -u +%FT%TZ) eval $label ($inf)"
  js eval-class "$dir/best.jsm" --data-dir "$data" --inference "$inf" --out "$dir/test"
}

# eval_manifest_once MODEL TARGET DATA SHOTS [EVAL_ARGS...]: eval MODEL on the committed 5-way SHOTS-shot
# test manifest of tiny-imagenet-fs into TARGET unless done there.
eval_manifest_once() {
  local model=$1 target=$2 data=$3 shots=$4
  shift 4
  [ -f "$target/results.json" ] && return 0
  echo "== $(date -u +%FT%TZ) eval $model ${shots}-shot $*"
  js eval --model "$model" --dataset tiny-imagenet-fs --data-dir "$data" \
    --manifest "episodes/tiny-imagenet-fs/test-5way-${shots}shot.json" "$@" --out "$target"
}
