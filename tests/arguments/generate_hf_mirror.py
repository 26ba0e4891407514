"""Regenerate ``core/swift/arguments/hf_training.py`` from the installed transformers.

The core must not import transformers, so the fields of
``Seq2SeqTrainingArguments`` are written out statically. Run this in the venv
after a transformers upgrade, review the diff, then run
``tests/arguments/test_hf_mirror.py``::

    .venv/bin/python tests/arguments/generate_hf_mirror.py
    .venv/bin/ruff format core/swift/arguments/hf_training.py

Help lines are our own short wording (not transformers' text); a field without
one here gets a pointer to the transformers documentation.
"""

import dataclasses
import enum
import pathlib
import sys

# Types that are not plain in transformers, written as the plain types our parser reads.
TYPE_OVERRIDES = {
    "lr_scheduler_type": "str",
    "optim": "str",
    "lr_scheduler_kwargs": "dict | None",
    "optim_target_modules": "list[str] | None",
    "activation_checkpointing_kwargs": "dict | None",
    "gradient_checkpointing_kwargs": "dict | None",
    "liger_kernel_config": "dict | None",
    "include_num_input_tokens_seen": "str",
    "report_to": "list[str]",
    "trackio_static_space_id": "bool | str | None",
    "accelerator_config": "dict | str | None",
    "parallelism_config": "dict | None",
    "fsdp": "bool | str | None",
    "fsdp_config": "dict | str | None",
    "deepspeed": "dict | str | None",
    "debug": "str",
    "generation_config": "str | None",
}
LITERAL_ENUMS = {"IntervalStrategy", "SaveStrategy", "HubStrategy"}
CONSTS = {"fsdp": True}

HELP = {
    "output_dir": "Folder for checkpoints, logs and args.json.",
    "per_device_train_batch_size": "Training batch size per device.",
    "num_train_epochs": "Number of training epochs.",
    "max_steps": "Total training steps; a positive value overrides --num_train_epochs.",
    "learning_rate": "Initial learning rate.",
    "lr_scheduler_type": "Learning-rate schedule (linear, cosine, constant, …).",
    "lr_scheduler_kwargs": "Extra scheduler options as JSON.",
    "warmup_steps": "Warmup steps; a value in [0, 1) is a fraction of all steps.",
    "optim": "Optimizer name as transformers knows it.",
    "optim_args": "Extra optimizer options as a string.",
    "weight_decay": "Weight decay (not applied to biases and norms).",
    "adam_beta1": "Adam beta1.",
    "adam_beta2": "Adam beta2.",
    "adam_epsilon": "Adam epsilon.",
    "optim_target_modules": "Modules a projected optimizer (GaLore, APOLLO) applies to.",
    "gradient_accumulation_steps": "Micro-batches accumulated per optimizer step.",
    "average_tokens_across_devices": "Average the token count over devices for an exact loss.",
    "max_grad_norm": "Gradient clipping norm; 0 disables clipping.",
    "label_smoothing_factor": "Label smoothing; 0 disables it.",
    "bf16": "bfloat16 mixed precision.",
    "fp16": "float16 mixed precision.",
    "bf16_full_eval": "Evaluate fully in bfloat16.",
    "fp16_full_eval": "Evaluate fully in float16.",
    "tf32": "Allow TF32 matmuls on Ampere or newer GPUs.",
    "activation_checkpointing": "Recompute activations in backward to save memory.",
    "activation_checkpointing_kwargs": "Options of activation checkpointing as JSON.",
    "gradient_checkpointing": "Recompute activations in backward to save memory (older name).",
    "gradient_checkpointing_kwargs": "Options of gradient checkpointing as JSON (older name).",
    "torch_compile": "Compile the model with torch.compile.",
    "torch_compile_backend": "torch.compile backend; setting it enables compilation.",
    "torch_compile_mode": "torch.compile mode; setting it enables compilation.",
    "use_liger_kernel": "Patch the model with Liger kernels.",
    "liger_kernel_config": "Liger kernel options as JSON.",
    "use_cache": "Keep the KV cache during training.",
    "neftune_noise_alpha": "NEFTune noise alpha; unset disables NEFTune.",
    "torch_empty_cache_steps": "Steps between emptying the device cache; unset never empties it.",
    "auto_find_batch_size": "Halve the batch size on out-of-memory until it fits.",
    "logging_strategy": "When to log: no, steps or epoch.",
    "logging_steps": "Steps between logs; a value in [0, 1) is a fraction of all steps.",
    "logging_first_step": "Log the first step too.",
    "log_on_each_node": "Log on every node in multi-node runs.",
    "logging_nan_inf_filter": "Leave NaN/inf losses out of the logs.",
    "include_num_input_tokens_seen": "Count input tokens seen: all, non_padding or no.",
    "log_level": "Log level of the main process.",
    "log_level_replica": "Log level of replica processes.",
    "disable_tqdm": "Hide progress bars.",
    "report_to": "Where to report metrics (tensorboard, wandb, swanlab …, all, none).",
    "run_name": "Name of the run for experiment trackers.",
    "project": "Project name used by Trackio.",
    "trackio_space_id": "Hugging Face Space for live Trackio logging.",
    "trackio_bucket_id": "Hugging Face Bucket used with a Trackio Space.",
    "trackio_static_space_id": "Static read-only Trackio Space; false disables it.",
    "eval_strategy": "When to evaluate: no, steps or epoch.",
    "eval_steps": "Steps between evaluations; defaults to --logging_steps.",
    "eval_delay": "Epochs or steps to wait before the first evaluation.",
    "per_device_eval_batch_size": "Evaluation batch size per device.",
    "prediction_loss_only": "Only compute the loss when evaluating.",
    "eval_on_start": "Evaluate once before training as a sanity check.",
    "eval_do_concat_batches": "Concatenate evaluation outputs across batches.",
    "eval_use_gather_object": "Gather nested evaluation objects from all devices.",
    "eval_accumulation_steps": "Prediction steps accumulated on device before moving to CPU.",
    "include_for_metrics": "Extra data passed to compute_metrics: inputs, loss.",
    "batch_eval_metrics": "Compute evaluation metrics batch by batch.",
    "save_only_model": "Save only the weights (no optimizer state; cannot resume).",
    "save_strategy": "When to save: no, steps, epoch or best.",
    "save_steps": "Steps between checkpoints; a value in [0, 1) is a fraction of all steps.",
    "save_on_each_node": "Save on every node in multi-node runs.",
    "save_total_limit": "Keep at most this many checkpoints.",
    "enable_jit_checkpoint": "Save a checkpoint when SIGTERM arrives.",
    "push_to_hub": "Push the model to the hub when saving.",
    "hub_token": "Hub access token.",
    "hub_private_repo": "Create the hub repository as private.",
    "hub_model_id": "Hub repository to push to.",
    "hub_strategy": "What to push: end, every_save, checkpoint or all_checkpoints.",
    "hub_always_push": "Push even when the previous push has not finished.",
    "hub_revision": "Hub revision (branch, tag, commit) to push to.",
    "load_best_model_at_end": "Load the best checkpoint after training.",
    "metric_for_best_model": "Metric that decides the best checkpoint.",
    "greater_is_better": "Whether a larger --metric_for_best_model is better.",
    "ignore_data_skip": "On resume, start from the beginning of the data instead of skipping.",
    "restore_callback_states_from_checkpoint": "Restore callback states on resume.",
    "full_determinism": "Make training fully deterministic (slow; for debugging).",
    "seed": "Global random seed.",
    "data_seed": "Seed of the data samplers.",
    "use_cpu": "Train on CPU even when an accelerator exists.",
    "accelerator_config": "Accelerate options as JSON or a .json path.",
    "parallelism_config": "Accelerate parallelism configuration.",
    "dataloader_drop_last": "Drop the last incomplete batch.",
    "dataloader_num_workers": "Data loading worker processes; 0 loads in the main process.",
    "dataloader_pin_memory": "Pin data loader memory.",
    "dataloader_persistent_workers": "Keep data loader workers alive between epochs.",
    "dataloader_prefetch_factor": "Batches prefetched by each worker.",
    "dataloader_multiprocessing_context": "Start method of data loader workers.",
    "dataloader_in_order": "Yield batches in dispatch order.",
    "remove_unused_columns": "Drop dataset columns the model's forward does not take.",
    "label_names": "Input keys that hold the labels.",
    "train_sampling_strategy": "Training sampler: random, sequential, group_by_length or batch_rebalance.",
    "length_column_name": "Column with precomputed lengths for length-aware sampling.",
    "ddp_find_unused_parameters": "DDP find_unused_parameters.",
    "ddp_bucket_cap_mb": "DDP bucket_cap_mb.",
    "ddp_broadcast_buffers": "DDP broadcast_buffers.",
    "ddp_static_graph": "DDP static_graph.",
    "ddp_backend": "Distributed backend.",
    "ddp_timeout": "Timeout of process-group initialisation, in seconds.",
    "fsdp": "Enable FSDP; a bare --fsdp means on, or give FSDP options as a string.",
    "fsdp_config": "FSDP options as JSON or a .json path.",
    "deepspeed": "DeepSpeed config: JSON, a .json path or a preset name.",
    "debug": "Debug features to enable.",
    "skip_memory_metrics": "Skip memory profiling in the metrics.",
    "do_train": "Run training (for scripts; the trainer ignores it).",
    "do_eval": "Run evaluation (for scripts; the trainer ignores it).",
    "do_predict": "Run prediction (for scripts; the trainer ignores it).",
    "resume_from_checkpoint": "Checkpoint folder to resume training from.",
    "local_rank": "Local rank passed by old distributed launchers.",
    "sortish_sampler": "Use a sortish sampler.",
    "predict_with_generate": "Evaluate by generating text (for generative metrics).",
    "generation_max_length": "max_length used when evaluating with generation.",
    "generation_num_beams": "num_beams used when evaluating with generation.",
    "generation_config": "GenerationConfig file, model id or URL used for prediction.",
}


def render_type(f: dataclasses.Field) -> str:
    if f.name in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[f.name]
    text = str(f.type) if not isinstance(f.type, type) else f.type.__name__
    for enum_name in LITERAL_ENUMS:
        if enum_name in text:
            enum_cls = next(a for a in f.type.__args__ if getattr(a, "__name__", "") == enum_name)
            return "Literal[" + ", ".join(repr(m.value) for m in enum_cls) + "]"
    if "choices" in f.metadata:
        literal = "Literal[" + ", ".join(repr(c) for c in f.metadata["choices"]) + "]"
        return literal + (" | None" if "None" in text else "")
    return text.replace("typing.", "")


def render_default(f: dataclasses.Field) -> str:
    if f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        value = f.default
    if isinstance(value, enum.Enum):
        value = value.value
    if f.name == "report_to" and isinstance(value, str):
        value = [value]
    return repr(value)


def main() -> None:
    import transformers
    from transformers import Seq2SeqTrainingArguments

    lines = [
        f'"""Static mirror of transformers {transformers.__version__} ``Seq2SeqTrainingArguments``.',
        "",
        "Generated by tests/arguments/generate_hf_mirror.py (the core cannot import",
        "transformers); tests/arguments/test_hf_mirror.py checks it against the",
        "installed version. Names and defaults are transformers'; swift's overrides",
        "live in train.py.",
        '"""',
        "",
        "from typing import Literal",
        "",
        "from swift.arguments._fields import arg, argclass",
        "",
        "",
        "@argclass",
        "class HfSeq2SeqTrainingArguments:",
        '    """Training (transformers Seq2SeqTrainingArguments)."""',
        "",
    ]
    for f in dataclasses.fields(Seq2SeqTrainingArguments):
        if not f.init:
            continue
        help_text = HELP.get(f.name, f"transformers' TrainingArguments.{f.name}.")
        const = f", const={CONSTS[f.name]!r}" if f.name in CONSTS else ""
        head = f"    {f.name}: {render_type(f)} = arg("
        body = f"{render_default(f)}, {help_text!r}{const})"
        if len(head) + len(body) <= 100:
            lines.append(head + body)
        else:
            lines += [head, f"        {body[:-1]}", "    )"]
    target = pathlib.Path(__file__).resolve().parents[2] / "core" / "swift" / "arguments" / "hf_training.py"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
