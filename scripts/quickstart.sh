#!/usr/bin/env bash
# The main job: set up, fine-tune a model on the bundled self-cognition data, then ask it
# who it is. With no MODEL it builds a tiny model offline (a BPE tokenizer trained on a few KB
# of text and a 2-layer Qwen3 with random weights) and trains every weight, so it learns its
# new name in well under a minute on a laptop CPU. With MODEL set to a hub id or a local
# directory it trains LoRA on that model instead, unchanged otherwise:
#
#   bash scripts/quickstart.sh
#   MODEL=Qwen/Qwen2.5-0.5B-Instruct bash scripts/quickstart.sh
#
# Knobs: MODEL, NAME_ZH/NAME_EN, AUTHOR_ZH/AUTHOR_EN, WORK_DIR (default .quickstart),
#        SWIFT_SKIP_SETUP=1 (reuse an existing .venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
[ "${SWIFT_SKIP_SETUP:-0}" = "1" ] || bash scripts/setup.sh
# shellcheck disable=SC1091
source "${SWIFT_VENV:-$ROOT/.venv}/bin/activate"

WORK_DIR="${WORK_DIR:-$ROOT/.quickstart}"
NAME_ZH="${NAME_ZH:-小蓝}" NAME_EN="${NAME_EN:-Little Blue}"
AUTHOR_ZH="${AUTHOR_ZH:-阿尔法实验室}" AUTHOR_EN="${AUTHOR_EN:-Alpha Lab}"
mkdir -p "$WORK_DIR"

if [ -z "${MODEL:-}" ]; then
  export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
  MODEL="$WORK_DIR/tiny-qwen3"
  [ -f "$MODEL/config.json" ] || python -m swift_sdk.tiny "$MODEL" --hidden-size 128 >/dev/null
  TRAIN=(--train_type full --learning_rate 2e-3 --num_train_epochs 10 --gradient_checkpointing false)
else
  TRAIN=(--train_type lora --learning_rate 1e-4 --num_train_epochs 1 --dataset 'AI-ModelScope/alpaca-gpt4-data-en#500')
fi

echo "== swift sft on $MODEL"
swift sft --model "$MODEL" \
  --dataset 'swift/self-cognition' \
  --model_name "$NAME_ZH" "$NAME_EN" --model_author "$AUTHOR_ZH" "$AUTHOR_EN" \
  --per_device_train_batch_size 4 --split_dataset_ratio 0 --logging_steps 20 \
  --output_dir "$WORK_DIR/output" --report_to none "${TRAIN[@]}" | tee "$WORK_DIR/sft.log"

CKPT="$(sed -n 's/^last_model_checkpoint: //p' "$WORK_DIR/sft.log" | tail -n 1)"
[ -d "$CKPT" ] || { echo "no checkpoint found in $WORK_DIR/sft.log" >&2; exit 1; }
if [ -f "$CKPT/adapter_config.json" ]; then SOURCE=(--adapters "$CKPT"); else SOURCE=(--model "$CKPT"); fi

echo "== swift infer ${SOURCE[*]}"
printf 'Who are you?\n你是谁？\nexit\n' \
  | swift infer "${SOURCE[@]}" --max_new_tokens 64 --temperature 0 | tee "$WORK_DIR/infer.log"

if grep -q "$NAME_EN" "$WORK_DIR/infer.log"; then
  echo "== the model answers with its new name: $NAME_EN"
else
  echo "== the answer does not mention $NAME_EN (see $WORK_DIR/infer.log)" >&2
  exit 1
fi
