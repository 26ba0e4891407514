#!/usr/bin/env bash
# The GPU measurements of bench/train_gpu.py as one command on a bare GPU machine: torch,
# transformers, peft and accelerate preinstalled (other versions than ours), no network.
# swift's packages and what else is missing install from carried wheels in .whl/ (bench/README.md
# says how to make them). Each case prints one JSON
# line as it finishes; OUT (default .) gets the full log.
set -uo pipefail
OUT=${OUT:-.}
# into the machine interpreter's own prefix (it is a venv of its own there), not pip --target or
# PYTHONPATH: datasets hashes functions with dill, which copies modules that live outside the
# interpreter's prefix by value and then fails on pyarrow's types ("Can't pickle MonthDayNano");
# a --system-site-packages venv made from that python would not see its torch
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade .whl/*.whl || exit 1
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
python3 - <<'PY' 2>&1 | tee "$OUT/versions.txt"
import torch, transformers, peft, accelerate, datasets, swift
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
print("transformers", transformers.__version__, "peft", peft.__version__, "accelerate", accelerate.__version__,
      "datasets", datasets.__version__, "swift", swift.__version__)
PY
run() {  # run <seconds> <train_gpu.py flags…>: a case that fails or overruns is reported, the rest go on
  local limit=$1; shift
  echo "=== $*"
  timeout "$limit" python3 bench/train_gpu.py --work /tmp/bench-models "$@" 2>&1 | grep -v "it/s]"
  echo "exit ${PIPESTATUS[0]}: $*"
}
{
  # the packed-attention kernel on this GPU against the per-sample loop (loss and gradients)
  echo "=== pytest gpu"
  # (and activation offloading's side-stream copies: equal gradients, less memory after the forward;
  # and CUDA's row-scaled FP8 kernel against the bf16 layer)
  timeout 120 python3 -m pytest -q -p no:cacheprovider -m gpu plugins/swift-transformers/tests/train/test_padding_free.py \
    plugins/swift-transformers/tests/train/test_activation_offload.py plugins/swift-transformers/tests/train/test_fp8.py \
    2>&1 | tail -n 15
  # CASES picks the set: "main" (the table's cases), "next" (the 7B goal's open points, most telling
  # first: a call cut short keeps the lines it printed), "full" (full fine-tuning MFU), "profile"
  # or "padding_free"; each set fits one device call (≤ 10 minutes)
  case "${CASES:-next}" in
  main)
    run 150 --cases lora-1.5b --packing --steps 24 --warmup 6
    run 200 --cases lora-7b --use_liger --steps 12 --warmup 4
    run "${FULL_SECONDS:-130}" --cases full-0.5b --steps 12 --warmup 4
    ;;
  profile)
    # where a 7B LoRA step's GPU time goes, swift (liger) and the baseline: torch.profiler's top ops
    run 200 --cases lora-7b --use_liger --steps 8 --warmup 3 --profile 2
    ;;
  padding_free)
    # padding-free with a micro-batch that fills a row (16 short samples ~ 6k tokens)
    run 150 --cases lora-1.5b --padding_free --batch 16 --steps 16 --warmup 4
    ;;
  full)
    # the fused chunked loss (head once) against the model's loss, full fine-tuning (the goal's MFU)
    run 130 --cases full-0.5b --steps 16 --warmup 4
    run 150 --cases full-1.5b --steps 12 --warmup 4
    ;;
  *)
    # 7B LoRA + liger, activations of all layers but the last in host memory (nothing recomputed),
    # against the checkpointed transformers+peft baseline: the goal's speed and memory in one line
    run 200 --cases lora-7b --use_liger --activation_offloading --steps 12 --warmup 4
    # LoRA over FP8 base weights (half the weight memory, FP8 GEMMs): the route to the goal's both bounds
    run 150 --cases lora-7b --use_liger --fp8 --sides swift --steps 12 --warmup 4
    # the same model without checkpointing (speed ceiling, memory it costs), then half the layers
    # offloaded and the rest checkpointed; their baseline is the first line's
    run 110 --cases lora-7b --use_liger --no_checkpointing --sides swift --steps 12 --warmup 4
    run 110 --cases lora-7b --use_liger --activation_offloading --offload_layers 14 --sides swift --steps 12 --warmup 4
    ;;
  esac
} > "$OUT/gpu_run.log" 2>&1
grep -E '^\{|^===|^---|^exit|ratio|tokens/s|offloading|Error|error:|passed|failed|skipped' "$OUT/gpu_run.log" | tail -n 80
