"""The language-model loss without the logits of the whole batch (``--loss_chunk_size``).

A causal LM's forward multiplies every hidden state by the vocabulary: ``batch × length ×
vocab`` floats (4 × 2048 × 152k × 4 bytes = 5 GiB for Qwen2.5), kept for the backward. Here the
model runs as usual (through DDP and peft) but with no position for its head (``logits_to_keep``
empty); the backbone's hidden states are taken by a forward hook, and only the positions that
are trained (labels ≠ -100) go through the head, ``chunk_size`` of them at a time. The loss is
the same sum of float32 cross-entropies divided by the same token count as transformers'
``ForCausalLMLoss``; token accuracy comes out of the same chunks.

Two ways through the chunks:

* a plain ``nn.Linear`` head (almost every model): :class:`_FusedHeadLoss` computes each chunk's
  gradients while its logits are there (softmax minus the one-hot target, times the head) and
  keeps only those — the head runs once, as in liger's fused linear cross-entropy. Checkpointing
  the chunks instead would run the head a second time in the backward: measured on an H200,
  that made full fine-tuning of Qwen2.5-0.5B (a 152k vocabulary is 28 % of its weights) 7 %
  slower than transformers' own loss;
* any other head (peft's wrappers around it, quantized or sharded weights): each chunk's logits
  are recomputed in the backward instead of kept (activation checkpointing).

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


class _FusedHeadLoss(torch.autograd.Function):
    """Σ cross-entropy of ``hidden @ weight.T (+ bias)`` against ``labels``, gradients made in the forward.

    Returns ``(loss sum, correct predictions)``; the backward only scales the kept gradients.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, labels, chunk_size, want_grads):  # noqa: D102
        # (grad mode is off inside forward: the caller says whether it was on)
        grads = want_grads and any(t is not None and t.requires_grad for t in (hidden, weight, bias))
        grad_hidden = torch.empty_like(hidden) if grads and hidden.requires_grad else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if grads and weight.requires_grad else None
        wants_bias = grads and bias is not None and bias.requires_grad
        grad_bias = torch.zeros_like(bias, dtype=torch.float32) if wants_bias else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        correct = torch.zeros((), dtype=torch.long, device=hidden.device)
        for start in range(0, labels.shape[0], chunk_size):
            part = slice(start, start + chunk_size)
            h, target = hidden[part], labels[part]
            logits = F.linear(h, weight, bias).float()
            lse = torch.logsumexp(logits, dim=-1)
            rows = torch.arange(target.shape[0], device=target.device)
            total += (lse - logits[rows, target]).sum()
            correct += logits.argmax(dim=-1).eq(target).sum()
            if not grads:
                continue
            # d(Σ CE)/d logits = softmax - one-hot, in place of the logits (no second vocab-wide tensor)
            d = logits.sub_(lse.unsqueeze(1)).exp_()
            d[rows, target] -= 1.0
            d = d.to(h.dtype)
            if grad_hidden is not None:
                grad_hidden[part] = d @ weight.to(h.dtype)
            if grad_weight is not None:
                grad_weight += (d.T @ h).float()
            if grad_bias is not None:
                grad_bias += d.sum(0, dtype=torch.float32)
        ctx.save_for_backward(grad_hidden, grad_weight, grad_bias)
        ctx.dtypes = (weight.dtype, None if bias is None else bias.dtype)
        ctx.mark_non_differentiable(correct)
        return total, correct

    @staticmethod
    def backward(ctx, grad_total, _grad_correct):  # noqa: D102
        grad_hidden, grad_weight, grad_bias = ctx.saved_tensors
        scale = lambda g, dtype=None: None if g is None else (g * grad_total).to(dtype or g.dtype)  # noqa: E731
        return scale(grad_hidden), scale(grad_weight, ctx.dtypes[0]), scale(grad_bias, ctx.dtypes[1]), None, None, None


def _fusable(head: Any, hidden: torch.Tensor, model: Any = None) -> bool:
    """A plain linear head whose whole weight is here and whose gradient autograd delivers as usual.

    Not: a peft wrapper or quantized layer (not a plain ``nn.Linear``), DeepSpeed's partitioned
    weights (``ds_id``), FSDP's sharded ones (a ``DTensor``, or a model under FSDP, whose hooks gather
    a weight only when its module runs) — those take the checkpointed chunks, which call the head.
    """
    weight = getattr(head, "weight", None)
    if type(head) is not torch.nn.Linear or not isinstance(weight, torch.nn.Parameter):
        return False
    if hasattr(weight, "ds_id") or type(weight.data).__name__ == "DTensor":
        return False
    wrapper = model
    while wrapper is not None:
        if "FullyShardedDataParallel" in type(wrapper).__name__:
            return False
        wrapper = getattr(wrapper, "module", None)
    return weight.dim() == 2 and weight.shape[1] == hidden.shape[-1]


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
    if _fusable(head, hidden, model):
        grads = torch.is_grad_enabled()
        total, correct = _FusedHeadLoss.apply(hidden, head.weight, head.bias, labels, chunk_size, grads)
    else:
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
