"""``swift infer --merge_lora true``: fold the adapters into the weights, then infer.

Like ms-swift, the merged model is saved next to the checkpoint as
``<checkpoint>-merged`` (reused when it already exists) and inference runs on it
without adapters. Loading goes through the models plugin and merging through
the tuner that trained the adapters; the core only sequences the steps.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from swift.arguments.checkpoint import ARGS_FILE, find_run_args
from swift.kernel import MissingProviderError, load_object, registry

MODEL_LOADER = "swift_transformers.models.loading:load_model"


def _adapter_paths(args: Any) -> list[str]:
    return [a.split("=", 1)[1] if "=" in a and not os.path.exists(a) else a for a in args.adapters]


def merged_dir(args: Any) -> str:
    """``<checkpoint>-merged`` for the first adapter (or ``--ckpt_dir``)."""
    source = getattr(args, "ckpt_dir", None) or _adapter_paths(args)[0]
    return source.rstrip("/\\") + "-merged"


def merge_adapters(args: Any, output_dir: str) -> str:
    """Load the base model, merge every adapter of ``args`` into it and save to ``output_dir``."""
    try:
        load_model = load_object(MODEL_LOADER, what="model loader")
    except Exception as exc:  # the models plugin is missing or broken: say which
        raise MissingProviderError(
            "--merge_lora loads the model with swift-transformers, which cannot be imported "
            f"({exc}). Install it: pip install swift-transformers",
            "models",
        ) from exc
    train_type = args.train_type if args.train_type != "full" else "lora"
    record = registry("tuners").get(train_type)
    if not getattr(record, "mergeable", True):
        from swift.kernel import UsageError

        raise UsageError(
            f"--merge_lora: adapters of --train_type {train_type} cannot be merged; "
            "infer without it"
        )
    tuner = registry("tuners").load(train_type)
    model, tokenizer, _ = load_model(args)
    for path in _adapter_paths(args):
        model = tuner.merge(tuner.load(model, path, is_trainable=False))
    model.save_pretrained(
        output_dir, safe_serialization=args.safe_serialization, max_shard_size=args.max_shard_size
    )
    tokenizer.save_pretrained(output_dir)
    run_args = find_run_args(_adapter_paths(args)[0])
    if run_args is not None:
        # `swift infer --model <merged>` then restores template and system like the checkpoint.
        shutil.copy(run_args, os.path.join(output_dir, ARGS_FILE))
    return output_dir


def merge_before_infer(args: Any) -> str:
    """Merge (or reuse ``<checkpoint>-merged``) and point ``args`` at the merged model."""
    output_dir = merged_dir(args)
    if os.path.isfile(os.path.join(output_dir, "config.json")):
        print(f"swift infer: using the merged model in {output_dir}", file=sys.stderr)
    else:
        from swift.pipelines.export_merge import merge_view

        # unquantized base weights: a QLoRA run's --quant_method must not apply to the merge
        merge_adapters(merge_view(args, output_dir), output_dir)
        print(f"swift infer: merged the adapters into {output_dir}", file=sys.stderr)
    args.model = output_dir
    args.adapters = []
    args.ckpt_dir = output_dir
    return output_dir
