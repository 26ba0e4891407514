"""Loss functions selected with ``--loss_type`` (records in :mod:`.catalog`).

Each has the signature transformers' ``Trainer(compute_loss_func=...)`` calls:
``fn(outputs, labels, num_items_in_batch=None) -> scalar tensor``. Labels are
the unshifted causal-LM labels (``-100`` where no loss is taken); the function
shifts them itself, as the model's own loss does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def token_losses(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token cross-entropy of next-token predictions and the mask of trained tokens.

    Args:
        logits: ``[batch, seq, vocab]`` model outputs.
        labels: ``[batch, seq]`` token ids, ``-100`` where nothing is trained.

    Returns:
        ``(loss, mask)``, both ``[batch, seq - 1]``; ``loss`` is 0 where ``mask`` is False.
    """
    shift_logits = logits[..., :-1, :].float()
    shift_labels = labels[..., 1:].to(shift_logits.device)
    loss = F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.shape[-1]),
        shift_labels.reshape(-1),
        ignore_index=-100,
        reduction="none",
    ).view(shift_labels.shape)
    return loss, shift_labels.ne(-100)


def _reduce(loss: torch.Tensor, mask: torch.Tensor, num_items_in_batch) -> torch.Tensor:
    total = (loss * mask).sum()
    if num_items_in_batch is not None:
        # the Trainer counted trained tokens over the whole accumulated batch (and devices)
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
    return total / mask.sum().clamp(min=1)


def cross_entropy(outputs, labels: torch.Tensor, num_items_in_batch=None, **_: object) -> torch.Tensor:
    """Mean cross-entropy over trained tokens (what the model computes itself)."""
    loss, mask = token_losses(outputs["logits"], labels)
    return _reduce(loss, mask, num_items_in_batch)


def dft(outputs, labels: torch.Tensor, num_items_in_batch=None, **_: object) -> torch.Tensor:
    """Dynamic fine-tuning loss: each token's cross-entropy scaled by its (detached) probability.

    Tokens the model already finds likely weigh more, which damps the push of
    rare tokens; see "On the Generalization of SFT" (Wu et al., 2025).
    """
    loss, mask = token_losses(outputs["logits"], labels)
    weight = torch.exp(-loss).detach()
    return _reduce(loss * weight, mask, num_items_in_batch)
