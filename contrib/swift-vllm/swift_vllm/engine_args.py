"""swift's arguments → vLLM's ``AsyncEngineArgs``.

The model is served as training loads it: the weights' dtype unless ``--torch_dtype``
says otherwise (vLLM alone would downcast a float32 checkpoint to half precision,
and its answers would no longer match the ``pt`` engine's).
"""

from __future__ import annotations

import json
import os
from typing import Any

from swift_vllm.arguments import vllm_settings
from swift_vllm.worker import EXTENSION


def checkpoint_dtype(model_dir: str) -> str:
    """The dtype ``config.json`` names (``dtype`` or the older ``torch_dtype``), else auto."""
    try:
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return "auto"
    dtype = config.get("dtype") or config.get("torch_dtype")
    return dtype if isinstance(dtype, str) else "auto"


def engine_args(args: Any, model_dir: str, *, enable_lora: bool, max_loras: int, **overrides: Any) -> Any:
    """The ``AsyncEngineArgs`` for ``args`` (``InferArguments`` plus the vLLM group).

    Args:
        args: Command arguments; the vLLM fields fall back to the group's defaults.
        model_dir: The resolved local checkpoint folder.
        enable_lora: Reserve LoRA slots (named adapters are served through vLLM's LoRA).
        max_loras: Adapters one batch may mix.
        **overrides: Any other ``AsyncEngineArgs`` field (benchmarks, tests).
    """
    from vllm import AsyncEngineArgs

    settings = vllm_settings(args)
    kwargs: dict[str, Any] = {
        "model": model_dir,
        "tokenizer": model_dir,
        "dtype": getattr(args, "torch_dtype", None) or checkpoint_dtype(model_dir),
        "trust_remote_code": True,
        "gpu_memory_utilization": settings["gpu_memory_utilization"],
        "tensor_parallel_size": settings["tensor_parallel_size"],
        "pipeline_parallel_size": settings["pipeline_parallel_size"],
        "max_num_seqs": settings["max_num_seqs"],
        "max_model_len": settings["max_model_len"],
        "disable_custom_all_reduce": settings["disable_custom_all_reduce"],
        "enforce_eager": settings["enforce_eager"],
        "worker_extension_cls": EXTENSION,
        # swift deploy logs its own statistics; vLLM's would repeat them every 10 s
        "disable_log_stats": True,
    }
    revision = getattr(args, "model_revision", None)
    if revision:
        kwargs["revision"] = revision
    seed = getattr(args, "seed", None)
    if isinstance(seed, int):
        kwargs["seed"] = seed
    if settings["limit_mm_per_prompt"]:
        kwargs["limit_mm_per_prompt"] = dict(settings["limit_mm_per_prompt"])
    max_pixels = getattr(args, "max_pixels", None)
    if max_pixels:
        # vLLM runs the model's processor on the images (Qwen-VL's takes max_pixels); families whose
        # images are not sized that way refused --max_pixels when the template was built
        kwargs["mm_processor_kwargs"] = {"max_pixels": int(max_pixels)}
    if enable_lora:
        kwargs.update(
            enable_lora=True,
            max_lora_rank=settings["vllm_max_lora_rank"],
            max_loras=max(1, max_loras),
        )
    kwargs.update(overrides)
    return AsyncEngineArgs(**kwargs)
