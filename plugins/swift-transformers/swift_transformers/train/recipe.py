"""The ``sft`` and ``pt`` recipes: compose model, template, data and tuner into one Trainer run.

Reading order of :func:`run_training`:

1. join torchrun's process group (if any) and agree on the run folder;
2. load the model (``--model``/``--model_type``) and bind its template;
3. load, encode (and with ``--packing`` pack) the datasets;
4. let the tuner (``--train_type``) prepare the model;
5. train with :class:`~swift_transformers.train.trainer.SwiftTrainer`, writing
   ``args.json``, ``logging.jsonl``, tensorboard ``runs/`` and ``checkpoint-N/``;
6. print and return the summary, and how to run inference on the result.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from typing import Any

from swift.arguments import save_args
from swift.kernel import UsageError, registry
from swift.template import get_template
from swift_transformers.train import run_dir as runs
from swift_transformers.train.build import build_trainer
from swift_transformers.train.callbacks import LOGGING_FILE, append_jsonl


def run_sft(args: Any) -> dict:
    """``swift sft``: supervised fine-tuning. Returns the run summary (see :func:`run_training`)."""
    return run_training(args, "sft")


def run_pt(args: Any) -> dict:
    """``swift pt``: pre-training on raw text (no chat template, loss on every token)."""
    return run_training(args, "pt")


def say(message: str) -> None:
    """One progress line on stderr, from the main process only."""
    if runs.is_main_process():
        print(f"swift: {message}", file=sys.stderr, flush=True)


def run_training(args: Any, command: str) -> dict:
    """Train as ``swift <command>`` does and return the summary.

    Args:
        args: ``TrainArguments`` (``sft``) or ``PretrainArguments`` (``pt``).
        command: ``sft`` or ``pt`` (for messages).

    Returns:
        ``{"output_dir", "last_model_checkpoint", "best_model_checkpoint",
        "best_metric", "global_step", "train_loss", "train_runtime", "memory(GiB)",
        "model_parameter_info", "log_history"}``.
    """
    from transformers import set_seed

    from swift_transformers.data.encoding import encode_dataset
    from swift_transformers.data.loading import load_datasets
    from swift_transformers.models.loading import load_model

    check_supported(args)
    runs.init_distributed(args)
    run_dir = runs.choose_run_dir(args)
    checkpoint = runs.resume_checkpoint(args)
    set_seed(args.seed)

    model, tokenizer, record = load_model(args)
    args.model_type = args.model_type or record.name
    template = get_template(args.template or record.template, tokenizer, args)
    args.template = args.template or template.name
    if runs.is_main_process():
        save_args(args, run_dir)
    say(f"{command} run folder: {run_dir}")

    train_set, val_set = load_datasets(args)
    train_set = encode_dataset(train_set, template, args)
    val_set = encode_dataset(val_set, template, args) if val_set is not None else None
    if args.packing:
        train_set, val_set = _pack(args, model, template, train_set, val_set)
    n_train = _size(train_set)
    say(
        f"training rows: {n_train if n_train is not None else 'streamed'}"
        + (f", validation rows: {_size(val_set)}" if val_set is not None else "")
    )

    tuner = registry("tuners").load(args.train_type)
    args.num_training_steps = estimate_steps(args, n_train)
    set_seed(args.seed)  # the tuner initialises weights from the global RNG
    model = tuner.prepare(model, args)
    parameter_info = describe_parameters(model)
    say(f"{args.train_type}: {parameter_info['summary']}")

    trainer = build_trainer(args, model, tokenizer, tuner, train_set, val_set, run_dir)
    if checkpoint and args.resume_only_model:
        # weights only: a fresh optimizer and schedule, counting steps from 0
        trainer._load_from_checkpoint(checkpoint)
        say(f"loaded the weights of {checkpoint}; optimizer and step count start fresh")
    output = trainer.train(resume_from_checkpoint=None if args.resume_only_model else checkpoint)
    return _finish(args, trainer, output, run_dir, parameter_info)


# TorchAcc (Alibaba's XLA fork) flags: accepted for compatibility, nothing reads them
_TORCHACC_DEFAULTS = {
    "model_layer_cls_name": None,
    "metric_warmup_step": 0,
    "fsdp_num": 1,
    "acc_steps": 1,
}


def check_supported(args: Any) -> None:
    """Refuse flags this trainer cannot honour, instead of training as if they were absent."""
    if getattr(args, "num_labels", None):
        raise UsageError(
            "--num_labels (sequence classification) is not supported by this trainer yet; "
            "train a causal LM on label text instead"
        )
    if getattr(args, "sequence_parallel_size", 1) > 1:
        raise UsageError("--sequence_parallel_size > 1 is not supported by this trainer yet")
    if getattr(args, "use_galore", False) and importlib.util.find_spec("galore_torch") is None:
        raise UsageError("--use_galore needs the GaLore optimizers: pip install galore-torch")
    if getattr(args, "galore_with_embedding", False):
        raise UsageError(
            "--galore_with_embedding is not supported: GaLore applies to linear layers"
        )
    changed = [k for k, v in _TORCHACC_DEFAULTS.items() if getattr(args, k, v) != v]
    if changed:
        say(f"warning: TorchAcc is not supported; ignoring --{', --'.join(changed)}")


def _size(dataset: Any) -> int | None:
    # a stream (IterableDataset) has no length
    return len(dataset) if dataset is not None and hasattr(dataset, "__len__") else None


def _pack(args: Any, model: Any, template: Any, train_set: Any, val_set: Any):
    from swift_transformers.train.collator import pack_dataset

    if _size(train_set) is None:
        raise UsageError("--packing needs the whole dataset up front; drop --streaming")
    if args.lazy_tokenize:
        raise UsageError("--packing needs every sample encoded up front; drop --lazy_tokenize")
    if args.predict_with_generate:
        raise UsageError(
            "--predict_with_generate cannot split packed rows into prompts; drop --packing"
        )
    max_length = (
        args.max_length
        or template.max_length
        or getattr(model.config, "max_position_embeddings", None)
    )
    if not max_length:
        raise UsageError("--packing needs --max_length (the length of a packed row)")
    packed_train = pack_dataset(train_set, max_length)
    say(f"packed {len(train_set)} samples into {len(packed_train)} rows of <= {max_length} tokens")
    return packed_train, pack_dataset(val_set, max_length) if val_set is not None else None


def estimate_steps(args: Any, n_rows: int | None) -> int:
    """Optimizer steps of the run: ``--max_steps``, else epochs × batches per epoch."""
    if args.max_steps and args.max_steps > 0:
        return int(args.max_steps)
    if n_rows is None:
        raise UsageError("a streamed dataset has no length: pass --max_steps")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    batches = math.ceil(n_rows / (args.per_device_train_batch_size * world))
    per_epoch = max(1, batches // max(1, args.gradient_accumulation_steps))
    return max(1, math.ceil(args.num_train_epochs * per_epoch))


def describe_parameters(model: Any) -> dict[str, Any]:
    """Trainable and total parameter counts (millions) and a one-line summary."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    share = 100 * trainable / total if total else 0.0
    return {
        "total(M)": round(total / 1e6, 4),
        "trainable(M)": round(trainable / 1e6, 4),
        "trainable(%)": round(share, 4),
        "summary": f"trainable params: {trainable:,} || all params: {total:,} || "
        f"trainable%: {share:.4f}",
    }


def last_checkpoint(run_dir: str) -> str | None:
    """The ``checkpoint-N`` folder of ``run_dir`` with the highest N."""
    found = []
    for name in os.listdir(run_dir):
        prefix, _, step = name.partition("-")
        if prefix == "checkpoint" and step.isdigit() and os.path.isdir(os.path.join(run_dir, name)):
            found.append((int(step), os.path.join(run_dir, name)))
    return max(found)[1] if found else None


def _finish(args: Any, trainer: Any, output: Any, run_dir: str, parameter_info: dict) -> dict:
    from swift_transformers.train.trainer import peak_memory_gib

    state = trainer.state
    summary = {
        "output_dir": run_dir,
        "last_model_checkpoint": last_checkpoint(run_dir),
        "best_model_checkpoint": state.best_model_checkpoint,
        "best_metric": state.best_metric,
        "global_step": state.global_step,
        "train_loss": output.training_loss,
        "train_runtime": output.metrics.get("train_runtime"),
        "memory(GiB)": peak_memory_gib(),
        "model_parameter_info": {k: v for k, v in parameter_info.items() if k != "summary"},
    }
    runs.barrier()
    if runs.is_main_process():
        append_jsonl(os.path.join(run_dir, LOGGING_FILE), summary)
        for key in ("last_model_checkpoint", "best_model_checkpoint", "global_step", "train_loss"):
            print(f"{key}: {summary[key]}")
        if summary["last_model_checkpoint"]:
            flag = "--adapters" if args.train_type != "full" else "--model"
            print(
                "To chat with the trained model: "
                f"swift infer {flag} {summary['last_model_checkpoint']}"
            )
    summary["log_history"] = state.log_history
    return summary
