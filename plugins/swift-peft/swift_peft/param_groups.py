"""Optimizer parameter groups for LoRA+ (Hayou et al., 2024: B learns faster than A)."""

from __future__ import annotations

import torch


def _decays(name: str, param: torch.nn.Parameter) -> bool:
    # the transformers Trainer convention: no weight decay on biases and norm/1-D weights
    return param.ndim >= 2 and not name.endswith("bias")


def _is_lora_b(name: str) -> bool:
    return "lora_B" in name or "lora_embedding_B" in name


def loraplus_param_groups(
    model: torch.nn.Module, learning_rate: float, lr_ratio: float, weight_decay: float
) -> list[dict]:
    """Split the trainable parameters of ``model`` into LoRA+ groups.

    Args:
        model: A model with LoRA adapters.
        learning_rate: The learning rate of ``lora_A`` and every other trainable parameter.
        lr_ratio: Multiplier for the learning rate of ``lora_B`` matrices.
        weight_decay: Applied to parameters with two or more dimensions, except biases.

    Returns:
        Non-empty groups ``{"params", "lr", "weight_decay"}`` covering each trainable
        parameter exactly once.
    """
    buckets: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            buckets.setdefault((_is_lora_b(name), _decays(name, param)), []).append(param)
    groups = []
    for (is_b, decays), params in sorted(buckets.items()):
        groups.append(
            {
                "params": params,
                "lr": learning_rate * lr_ratio if is_b else learning_rate,
                "weight_decay": weight_decay if decays else 0.0,
            }
        )
    return groups
