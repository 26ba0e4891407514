"""DeepSpeed configurations selected by name: ``--deepspeed zero2`` (like ms-swift's presets).

Values set to ``"auto"`` are filled by transformers from the training
arguments (batch size, accumulation, clipping, precision, learning rate).
"""

from __future__ import annotations

import json
import os
from typing import Any

from swift.kernel import UsageError

PRESETS = ("zero0", "zero1", "zero2", "zero3", "zero2_offload", "zero3_offload")


def preset(name: str) -> dict[str, Any]:
    """The DeepSpeed config dict of a preset name.

    Raises:
        KeyError: ``name`` is not one of :data:`PRESETS`.
    """
    if name not in PRESETS:
        raise KeyError(name)
    stage = int(name[4])
    offload = name.endswith("_offload")
    zero: dict[str, Any] = {"stage": stage}
    if stage >= 2:
        zero.update(overlap_comm=False, contiguous_gradients=True, reduce_scatter=True)
        zero.update(reduce_bucket_size="auto" if stage == 3 else 2e8, allgather_bucket_size=2e8)
    if stage == 3:
        zero.update(
            stage3_prefetch_bucket_size="auto",
            stage3_param_persistence_threshold="auto",
            stage3_max_live_parameters=1e9,
            stage3_max_reuse_distance=1e9,
            stage3_gather_16bit_weights_on_model_save=True,
            sub_group_size=1e9,
        )
    if offload:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
        if stage == 3:
            zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    return {
        "fp16": {
            "enabled": "auto",
            "loss_scale": 0,
            "initial_scale_power": 16,
            "loss_scale_window": 1000,
            "hysteresis": 2,
            "min_loss_scale": 1,
        },
        "bf16": {"enabled": "auto"},
        "zero_optimization": zero,
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
        "steps_per_print": 2000,
        "wall_clock_breakdown": False,
    }


def resolve_deepspeed(value: Any) -> Any:
    """``--deepspeed`` as transformers takes it: a preset name becomes its dict, JSON text a dict.

    Paths to ``.json`` files and dicts pass through untouched.
    """
    if not isinstance(value, str):
        return value
    if value in PRESETS:
        return preset(value)
    if value.lstrip().startswith("{"):
        return json.loads(value)
    if not os.path.exists(value) and not value.endswith(".json"):
        raise UsageError(f"--deepspeed {value!r}: not a file; presets are {', '.join(PRESETS)}")
    return value
