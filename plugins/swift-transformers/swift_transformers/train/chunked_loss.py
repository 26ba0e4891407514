"""The language-model loss without the logits of the whole batch (``--loss_chunk_size``).

A causal LM's forward multiplies every hidden state by the vocabulary: ``batch × length ×
vocab`` floats (4 × 2048 × 152k × 4 bytes = 5 GiB for Qwen2.5), kept for the backward. Here the
model runs as usual (through DDP and peft) but with no position for its head (``logits_to_keep``
empty); the backbone's hidden states are taken by a forward hook, and only the positions that
are trained (labels ≠ -100) go through the head, ``chunk_size`` of them at a time, each chunk's
logits recomputed in the backward instead of kept (activation checkpointing). The loss is the
same sum of float32 cross-entropies divided by the same token count as transformers'
``ForCausalLMLoss``; token accuracy comes out of the same chunks.

Only for heads that are a plain linear layer: models that scale or soft-cap their logits
(Gemma 2/3, Granite, Cohere …), and MoE models adding their router loss
(``--router_aux_loss_coef``), keep the model's own loss.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from swift_transformers.train.unwrap import inner_model

IGNORE_INDEX = -100
# config attributes of models whose logits are not just the head's output
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logits_scaling", "logit_scale", "output_logits_scaling")


def head_parts(model: Any) -> tuple[Any, Any] | None:
    """``(backbone, head)`` of a causal LM (or a peft/DDP wrapper around one) whose logits are ``head(hidden)``."""
    causal = inner_model(model)
    if not type(causal).__name__.endswith("ForCausalLM"):
        return None
    config = causal.config
    if any(getattr(config, attr, None) not in (None, 1, 1.0) for attr in _LOGIT_TRANSFORMS):
        return None
    if getattr(config, "output_router_logits", False):  # the model adds its router loss to its own
        return None
    head = causal.get_output_embeddings()
    backbone = causal.get_decoder() if hasattr(causal, "get_decoder") else None
    if head is None or backbone is None or backbone is causal:
        return None
    return backbone, head


def _chunk(head: Any, hidden: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits = head(hidden).float()
    loss = F.cross_entropy(logits, labels, reduction="sum")
    return loss, logits.detach().argmax(dim=-1).eq(labels).sum()


def chunked_lm_loss(
    model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None, chunk_size: int = 2048
) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token cross-entropy of ``inputs`` (with ``labels``) and ``[correct, trained]`` token counts.

    Args:
        model: A model :func:`head_parts` accepts.
        inputs: The batch: ``input_ids``, ``labels`` and optionally ``attention_mask``/``position_ids``.
        num_items_in_batch: Trained tokens of the whole accumulated batch (the Trainer's count);
            None divides by this batch's own count.
        chunk_size: Trained positions per head pass.
    """
    backbone, head = head_parts(model)
    features = {k: v for k, v in inputs.items() if k != "labels"}
    captured: list[torch.Tensor] = []

    def keep(module: Any, args: Any, output: Any) -> None:
        captured.append(output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0])

    # through the model as given (DDP synchronises gradients, peft applies its adapters); no position
    # reaches the head there: the hidden states are taken from the backbone on their way
    handle = backbone.register_forward_hook(keep)
    try:
        nothing = torch.zeros(0, dtype=torch.long, device=inputs["input_ids"].device)
        model(**features, use_cache=False, logits_to_keep=nothing)
    finally:
        handle.remove()
    hidden = captured[-1]
    labels = inputs["labels"][:, 1:].reshape(-1).to(hidden.device)
    trained = labels.ne(IGNORE_INDEX).nonzero().squeeze(1)
    hidden = hidden[:, :-1].reshape(-1, hidden.shape[-1]).index_select(0, trained)
    labels = labels.index_select(0, trained)
    total = hidden.new_zeros((), dtype=torch.float32)
    correct = torch.zeros((), dtype=torch.long, device=hidden.device)
    for start in range(0, labels.shape[0], chunk_size):
        part = slice(start, start + chunk_size)
        if torch.is_grad_enabled():
            loss, right = checkpoint(_chunk, head, hidden[part], labels[part], use_reentrant=False)
        else:
            loss, right = _chunk(head, hidden[part], labels[part])
        total, correct = total + loss, correct + right
    count = torch.tensor(labels.shape[0], device=hidden.device)
    denominator = num_items_in_batch
    if denominator is None:
        denominator = count.clamp(min=1)
    elif torch.is_tensor(denominator):
        denominator = denominator.to(hidden.device)
    if labels.shape[0] == 0:  # nothing trained: a zero that still reaches every trainable weight
        total = hidden.sum() * 0.0
    return total / denominator, torch.stack([correct, count])
