"""The transformers model inside the wrappers a training run puts around it."""

from __future__ import annotations

from typing import Any

import torch


def inner_model(model: Any) -> Any:
    """``model`` without DDP/accelerate (``.module``) and peft (``get_base_model``) wrappers."""
    while hasattr(model, "module") and isinstance(model.module, torch.nn.Module):
        model = model.module
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def decoder_layers(model: Any) -> list:
    """The decoder layers of a causal LM (wrappers allowed), in forward order.

    The language model's own ``layers`` (``get_decoder()``: not a vision tower's blocks), else the
    longest ``ModuleList`` in the model.

    Raises:
        ValueError: The model has no list of layers.
    """
    causal = inner_model(model)
    decoder = causal.get_decoder() if hasattr(causal, "get_decoder") else None
    layers = getattr(decoder, "layers", None)
    if isinstance(layers, torch.nn.ModuleList) and len(layers):
        return list(layers)
    lists = [m for m in causal.modules() if isinstance(m, torch.nn.ModuleList) and len(m)]
    if not lists:
        raise ValueError(f"{type(causal).__name__} has no list of decoder layers")
    return list(max(lists, key=len))
