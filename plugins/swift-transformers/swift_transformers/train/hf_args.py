"""Turn swift's training arguments into transformers' ``Seq2SeqTrainingArguments``.

swift mirrors every transformers field as a plain dataclass field (the core
cannot import transformers); here the fields the *installed* transformers
accepts are copied over, and the few that depend on the machine are settled:
CPU training, the distributed backend, mixed precision, DeepSpeed presets,
GaLore. DeepSpeed and FSDP options otherwise pass through untouched.
"""

from __future__ import annotations

import logging
import os
from dataclasses import fields
from typing import Any

import torch

from swift.kernel import UsageError
from swift_transformers.train.deepspeed_presets import resolve_deepspeed

logger = logging.getLogger(__name__)

# swift fields whose names clash with transformers' but mean something else here
_NOT_FORWARDED = frozenset({"output_dir"})


def accelerator_available() -> bool:
    """Whether torch sees a GPU-like device transformers would train on."""
    if torch.cuda.is_available():
        return True
    for name in ("xpu", "npu", "mps"):
        backend = getattr(torch, name, None) or getattr(torch.backends, name, None)
        if backend is not None and getattr(backend, "is_available", lambda: False)():
            return True
    return False


def world_size() -> int:
    """Number of processes of this run (``WORLD_SIZE`` set by torchrun), 1 otherwise."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def _mixed_precision(values: dict[str, Any], use_cpu: bool, model_dtype: torch.dtype | None) -> None:
    if not values.get("bf16") and not values.get("fp16") and not use_cpu:
        # as ms-swift: train in the precision the weights were loaded in
        if model_dtype == torch.bfloat16:
            values["bf16"] = True
        elif model_dtype == torch.float16:
            values["fp16"] = True
    if use_cpu and values.get("fp16"):
        logger.warning("fp16 mixed precision needs a GPU; training in float32 on CPU.")
        values["fp16"] = False
    if values.get("bf16") and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        logger.warning("This GPU has no bfloat16; using fp16 mixed precision instead.")
        values["bf16"], values["fp16"] = False, True


def _galore(args: Any, values: dict[str, Any]) -> None:
    if not getattr(args, "use_galore", False):
        return
    values["optim"] = "galore_adamw_layerwise" if args.galore_optim_per_parameter else "galore_adamw"
    values["optim_target_modules"] = args.galore_target_modules or ["attn", "mlp"]
    options = {
        "rank": args.galore_rank,
        "update_proj_gap": args.galore_update_proj_gap,
        "scale": args.galore_scale,
        "proj_type": args.galore_proj_type,
    }
    values["optim_args"] = ",".join(f"{k}={v}" for k, v in options.items())


def training_values(
    args: Any, output_dir: str, *, has_eval: bool, model_dtype: torch.dtype | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Seq2SeqTrainingArguments`` (see the module docstring).

    Args:
        args: swift ``TrainArguments`` (or any object with the mirrored fields).
        output_dir: The run folder.
        has_eval: Whether a validation set exists (evaluation is off without one).
        model_dtype: dtype of the loaded weights, to pick mixed precision on GPU.
    """
    from transformers import Seq2SeqTrainingArguments

    accepted = {f.name for f in fields(Seq2SeqTrainingArguments) if f.init}
    values = {name: getattr(args, name) for name in accepted - _NOT_FORWARDED if hasattr(args, name)}
    values["output_dir"] = output_dir
    # transformers 5 renamed gradient_checkpointing*; pass the new name to avoid its warning
    for old, new in (
        ("gradient_checkpointing", "activation_checkpointing"),
        ("gradient_checkpointing_kwargs", "activation_checkpointing_kwargs"),
    ):
        if new in accepted and old in values:
            old_value = values.pop(old)
            if values.get(new) is None:
                values[new] = old_value
    use_cpu = bool(values.get("use_cpu")) or not accelerator_available()
    values["use_cpu"] = use_cpu
    if use_cpu:
        values["dataloader_pin_memory"] = False
        if world_size() > 1 and not values.get("ddp_backend"):
            values["ddp_backend"] = "gloo"
    if world_size() > 1 and values.get("ddp_find_unused_parameters") is None:
        # every trained weight takes part in each forward pass, except while LISA freezes layers;
        # searching for unused ones costs a graph traversal per step
        lisa = bool(getattr(args, "lisa_activated_layers", 0))
        values["ddp_find_unused_parameters"] = lisa or not values.get("activation_checkpointing")
    _mixed_precision(values, use_cpu, model_dtype)
    if values.get("deepspeed"):
        values["deepspeed"] = resolve_deepspeed(values["deepspeed"])
    if getattr(args, "warmup_ratio", None) is not None:
        values["warmup_steps"] = args.warmup_ratio
    if not getattr(args, "train_dataloader_shuffle", True) and "train_sampling_strategy" in accepted:
        values["train_sampling_strategy"] = "sequential"
    optimizer = getattr(args, "optimizer", None)
    if optimizer not in (None, "lorap", "galore"):
        values["optim"] = optimizer  # a transformers optimizer name (checked before the run)
    _galore(args, values)
    _evaluation(values, has_eval)
    return values


def _evaluation(values: dict[str, Any], has_eval: bool) -> None:
    if not has_eval:
        if values.get("eval_strategy", "no") != "no":
            logger.warning("No validation set (see --val_dataset/--split_dataset_ratio): not evaluating.")
        values["eval_strategy"] = "no"
        values["load_best_model_at_end"] = False
        return
    if values.get("eval_strategy", "no") == "no":
        # as ms-swift: with a validation set, evaluate whenever a checkpoint is saved
        values["eval_strategy"] = values.get("save_strategy", "steps")
        if values["eval_strategy"] == "best":
            values["eval_strategy"] = "steps"
        values["eval_steps"] = values.get("eval_steps") or values.get("save_steps")
    if not values.get("metric_for_best_model"):
        generate = values.get("predict_with_generate")
        values["metric_for_best_model"] = "rouge-l" if generate else "loss"
        values["greater_is_better"] = bool(generate)


def build_training_arguments(args: Any, output_dir: str, **kwargs: Any):
    """``Seq2SeqTrainingArguments`` for a run (keywords as in :func:`training_values`)."""
    from transformers import Seq2SeqTrainingArguments

    try:
        return Seq2SeqTrainingArguments(**training_values(args, output_dir, **kwargs))
    except ValueError as exc:  # transformers' checks of flag combinations speak in flag names
        raise UsageError(f"invalid training arguments: {exc}") from exc
