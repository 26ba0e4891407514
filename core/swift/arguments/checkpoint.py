"""Fill arguments from the ``args.json`` of the training run a checkpoint came from.

`swift infer --adapters output/run/v0-x/checkpoint-10` must know the base model,
template, system prompt and plugins of that run without the user repeating
them (ms-swift's ``load_args``). Values the user gave explicitly always win.
"""

import json
import logging
import os
from contextvars import ContextVar
from dataclasses import fields
from typing import Any

from swift.arguments._fields import alias_map, default_of

logger = logging.getLogger(__name__)

# Names the user spelled out (set by the parser while it builds the instance);
# None when arguments are built from Python, where only values can be seen.
EXPLICIT: ContextVar[frozenset[str] | None] = ContextVar("swift_explicit_arguments", default=None)

ARGS_FILE = "args.json"

# Restored when the current value is unset (None or empty).
RESTORED_KEYS = (
    "external_plugins",
    "model",
    "model_type",
    "model_revision",
    "torch_dtype",
    "attn_impl",
    "rope_scaling",
    "model_kwargs",
    "quant_method",
    "quant_bits",
    "hqq_axis",
    "bnb_4bit_compute_dtype",
    "template",
    "system",
    "max_length",
    "max_pixels",
    "task_type",
    "num_labels",
    "problem_type",
)
# Restored while still at their (non-None) default: a LoRA run must not be
# reloaded as `full` just because train_type has a default.
FORCED_KEYS = (
    "train_type",
    "tuner_backend",
    "bnb_4bit_quant_type",
    "bnb_4bit_use_double_quant",
    "truncation_strategy",
    "tools_prompt",
    "use_chat_template",
    "template_backend",
)
DATA_KEYS = (
    "dataset",
    "val_dataset",
    "split_dataset_ratio",
    "data_seed",
    "dataset_num_proc",
    "streaming",
    "load_from_cache_file",
    "download_mode",
    "strict",
    "model_name",
    "model_author",
    "custom_dataset_info",
    "columns",
)


def is_adapter_dir(path: str) -> bool:
    """Whether ``path`` holds tuner weights (a PEFT adapter or ReFT folder)."""
    return (
        os.path.isfile(os.path.join(path, "adapter_config.json"))
        or os.path.isfile(os.path.join(path, "default", "adapter_config.json"))
        or os.path.isdir(os.path.join(path, "reft"))
    )


def find_run_args(path: str | None) -> str | None:
    """The ``args.json`` of the run ``path`` belongs to: in ``path`` or its parent."""
    if not path or not os.path.isdir(path):
        return None
    for folder in (path, os.path.dirname(os.path.abspath(path))):
        candidate = os.path.join(folder, ARGS_FILE)
        if os.path.isfile(candidate):
            return candidate
    return None


def apply_ckpt_dir(args: Any) -> None:
    """Route ``--ckpt_dir`` to ``adapters`` (tuner weights) or ``model`` (full weights)."""
    ckpt_dir = getattr(args, "ckpt_dir", None)
    if not ckpt_dir:
        return
    if is_adapter_dir(ckpt_dir):
        if ckpt_dir not in args.adapters:
            args.adapters.insert(0, ckpt_dir)
    elif args.model is None:
        args.model = ckpt_dir


def checkpoint_source(args: Any) -> str | None:
    """The args.json to restore from: ckpt_dir, first adapter, model dir or resume checkpoint."""
    from swift.services.adapters import adapter_paths

    candidates = [getattr(args, "ckpt_dir", None)]
    # `name=path` is how adapters are named for serving
    candidates += adapter_paths(list(getattr(args, "adapters", None) or [])[:1])
    candidates += [getattr(args, "model", None), getattr(args, "resume_from_checkpoint", None)]
    for candidate in candidates:
        found = find_run_args(candidate)
        if found:
            return found
    return None


def restore_from_checkpoint(args: Any) -> str | None:
    """Fill unset fields of ``args`` from its checkpoint's run arguments.

    Args:
        args: An arguments dataclass with ``load_args`` enabled.

    Returns:
        The path of the args.json used, or None when there was none.
    """
    source = checkpoint_source(args)
    if source is None:
        return None
    with open(source, encoding="utf-8") as fh:
        saved: dict[str, Any] = json.load(fh)
    aliases = alias_map(type(args))
    saved = {aliases.get(k, k): v for k, v in saved.items()}
    field_map = {f.name: f for f in fields(args)}
    keys = list(RESTORED_KEYS) + list(FORCED_KEYS)
    load_data = getattr(args, "load_data_args", False)
    if load_data:
        keys += DATA_KEYS
    # e.g. export: its quant flags describe the output, not how the run loaded the base
    excluded = set(getattr(type(args), "RESTORE_EXCLUDES", ()))
    explicit = EXPLICIT.get()
    restored = []
    for key in keys:
        if key not in field_map or key in excluded or saved.get(key) is None:
            continue
        current = getattr(args, key)
        if explicit is not None and key in explicit:
            continue
        if key in FORCED_KEYS or key in DATA_KEYS:
            # data keys: --load_data_args asks for the run's data, defaults included
            settable = current == default_of(field_map[key])
        else:
            # also guards values set on the way here, e.g. model from --ckpt_dir
            settable = current is None or current == [] or current == {}
        if settable and current != saved[key]:
            setattr(args, key, saved[key])
            restored.append(key)
    if restored:
        logger.info("Restored %s from %s", ", ".join(restored), source)
    return source
