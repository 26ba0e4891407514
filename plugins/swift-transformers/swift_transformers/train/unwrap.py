"""The transformers model inside the wrappers a training run puts around it."""

from __future__ import annotations

from typing import Any

import torch


def inner_model(model: Any) -> Any:
    """``model`` without DDP/accelerate (``.module``) and peft (``get_base_model``) wrappers."""
    while hasattr(model, "module") and isinstance(model.module, torch.nn.Module):
        model = model.module
    return model.get_base_model() if hasattr(model, "get_base_model") else model
