"""The GRPO objective: per-token log-probabilities, the clipped ratio, the KL penalty.

For completion ``i`` and token ``t`` with ratio ``r = π_θ / π_old`` and advantage ``A_i``::

    loss_it = -min(r · A_i, clip(r, 1 - ε_low, 1 + ε_high) · A_i) + β · KL_it
    KL_it   = exp(ref - logp) - (ref - logp) - 1          (k3 estimator, always >= 0)

then averaged as ``--loss_type`` says: ``grpo`` (mean over each completion's tokens,
then over completions: the seed's ``1/G Σ 1/|o_i| Σ_t``), ``bnpo`` (mean over all
tokens of the micro-batch), ``dapo`` (sum over tokens / all completion tokens of the
generation round, every micro-batch and process included — DAPO's token-level mean,
as trl computes it) or ``dr_grpo`` (sum over tokens / (batch × max_completion_length)).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch

from swift.kernel import UsageError

LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo")
IMPORTANCE_LEVELS = ("token", "sequence", "sequence_token")


@dataclass(frozen=True)
class ObjectiveSettings:
    """The knobs of the objective (from ``RLHFArguments``).

    Attributes:
        epsilon_low: ``--epsilon``, lower clip range.
        epsilon_high: ``--epsilon_high`` (``--epsilon`` when unset), upper clip range.
        beta: KL coefficient; 0 drops the term (and the reference model).
        delta: Upper clamp of the unclipped ratio (two-sided GRPO); None disables.
        loss_type: ``grpo``, ``bnpo``, ``dapo`` or ``dr_grpo``.
        importance_sampling_level: ``token``, ``sequence`` (GSPO) or ``sequence_token``.
        max_completion_length: Normaliser of ``dr_grpo``.
    """

    epsilon_low: float = 0.2
    epsilon_high: float = 0.2
    beta: float = 0.04
    delta: float | None = None
    loss_type: str = "grpo"
    importance_sampling_level: str = "token"
    max_completion_length: int = 512

    def __post_init__(self) -> None:
        if self.loss_type not in LOSS_TYPES:
            raise UsageError(f"--loss_type {self.loss_type!r} is not a GRPO loss; choose {', '.join(LOSS_TYPES)}")
        if self.importance_sampling_level not in IMPORTANCE_LEVELS:
            raise UsageError(
                f"--importance_sampling_level {self.importance_sampling_level!r}: choose "
                + ", ".join(IMPORTANCE_LEVELS)
            )


def accepts_logits_to_keep(model: Any) -> bool:
    """Whether the model's forward can skip the logits of prompt positions."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def token_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    start: int,
    temperature: float = 1.0,
    logits_to_keep: bool = True,
    extra: dict[str, Any] | None = None,
) -> torch.Tensor:
    """Log-probabilities of ``input_ids[:, start:]`` under ``model``, ``[B, L - start]``.

    Logits are divided by the sampling temperature first, so the numbers describe the
    distribution the completions were drawn from. ``extra``: more model inputs (a vision
    model's ``pixel_values`` …).
    """
    width = input_ids.shape[1] - start
    kwargs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask, **(extra or {})}
    if logits_to_keep:
        kwargs["logits_to_keep"] = width + 1
    logits = model(**kwargs, use_cache=False).logits
    logits = logits[:, -width - 1 : -1]
    if temperature and temperature != 1.0:
        logits = logits / temperature
    targets = input_ids[:, start:]
    # row by row: a full [B, T, V] log_softmax in float32 is the memory peak otherwise
    rows = [
        torch.gather(row.float().log_softmax(-1), -1, ids.unsqueeze(-1)).squeeze(-1)
        for row, ids in zip(logits, targets)
    ]
    return torch.stack(rows)


def packed_token_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    start: int,
    temperature: float = 1.0,
) -> torch.Tensor:
    """:func:`token_logps` with the micro-batch packed into one row (``--padding_free``).

    The right-padded rows are concatenated without their padding, each with its own
    ``position_ids``; ``model`` must attend within each sequence only (swift-transformers'
    ``use_packed_attention``, which still serves its generation). Only the positions whose next
    token is a target reach the head. The result has the padded layout of :func:`token_logps`
    (0 where a row has no token).
    """
    lengths = attention_mask.sum(dim=1).tolist()
    width = input_ids.shape[1] - start
    device = input_ids.device
    rows = [input_ids[i, :n] for i, n in enumerate(lengths)]
    packed = torch.cat(rows)[None]
    positions = torch.cat([torch.arange(n, device=device) for n in lengths])[None]
    offsets = [0, *torch.tensor(lengths).cumsum(0).tolist()[:-1]]
    # the logit at position t predicts token t+1: targets start..n-1 need logits start-1..n-2
    keep = torch.cat([torch.arange(o + start - 1, o + n - 1, device=device) for o, n in zip(offsets, lengths)])
    logits = model(input_ids=packed, position_ids=positions, logits_to_keep=keep, use_cache=False).logits[0]
    if temperature and temperature != 1.0:
        logits = logits / temperature
    targets = packed[0, keep + 1]
    values = torch.gather(logits.float().log_softmax(-1), -1, targets.unsqueeze(-1)).squeeze(-1)
    out = torch.zeros((len(lengths), width), dtype=values.dtype, device=device)
    cursor = 0
    for i, n in enumerate(lengths):
        count = max(0, n - start)
        out[i, :count] = values[cursor : cursor + count]
        cursor += count
    return out


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def policy_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    ref_logps: torch.Tensor | None,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    settings: ObjectiveSettings,
    round_tokens: float | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The GRPO loss of a micro-batch (see the module docstring).

    Args:
        logps: ``[B, T]`` log-probabilities under the current policy (with grad).
        old_logps: ``[B, T]`` under the policy that sampled (equal to ``logps.detach()``
            when every update is on-policy).
        ref_logps: ``[B, T]`` under the reference policy, or None when ``beta`` is 0.
        advantages: ``[B]`` one advantage per completion.
        mask: ``[B, T]`` 1 on tokens the model wrote (prompt, padding, injected turns 0).
        settings: Clipping, KL and aggregation settings.
        round_tokens: ``dapo`` only: the completion tokens one micro-batch's share of the
            round is normalised by — all trained tokens of the round (every process) divided
            by the processes and by the micro-batches of the round. A Trainer that divides
            each micro-batch's loss by the accumulation steps then applies DAPO's mean.

    Returns:
        ``(loss, stats)`` with ``kl``, ``clip_ratio/low_mean``, ``clip_ratio/high_mean``
        and ``clip_ratio/region_mean`` as floats.
    """
    mask = mask.to(logps.dtype)
    log_ratio = logps - old_logps
    level = settings.importance_sampling_level
    if level == "token":
        log_importance = log_ratio
    else:
        per_sequence = (log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
        per_sequence = per_sequence.unsqueeze(-1)
        if level == "sequence":
            log_importance = per_sequence
        else:  # sequence weight, token gradients
            log_importance = logps - logps.detach() + per_sequence.detach()
    ratio = torch.exp(log_importance)
    clipped = torch.clamp(ratio, 1 - settings.epsilon_low, 1 + settings.epsilon_high)
    unclipped = ratio if settings.delta is None else torch.clamp(ratio, max=settings.delta)
    adv = advantages.unsqueeze(-1).to(logps.dtype)
    per_token = -torch.min(unclipped * adv, clipped * adv)
    stats: dict[str, float] = {}
    if settings.beta and ref_logps is not None:
        diff = ref_logps - logps
        kl = torch.exp(diff) - diff - 1
        per_token = per_token + settings.beta * kl
        stats["kl"] = _masked_mean(kl.detach(), mask).item()
    if settings.loss_type == "grpo":
        per_completion = (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
        loss = per_completion.mean()
    elif settings.loss_type == "bnpo":
        loss = _masked_mean(per_token, mask)
    elif settings.loss_type == "dapo":
        if round_tokens is None:
            raise ValueError("loss_type dapo needs round_tokens: the trained tokens of the whole round")
        loss = (per_token * mask).sum() / max(float(round_tokens), 1e-8)
    else:
        loss = (per_token * mask).sum() / (per_token.shape[0] * settings.max_completion_length)
    with torch.no_grad():
        ratio_b = ratio.expand_as(per_token)
        low = (ratio_b < 1 - settings.epsilon_low) & (adv < 0)
        high = (ratio_b > 1 + settings.epsilon_high) & (adv > 0)
        stats["clip_ratio/low_mean"] = _masked_mean(low.to(mask.dtype), mask).item()
        stats["clip_ratio/high_mean"] = _masked_mean(high.to(mask.dtype), mask).item()
        stats["clip_ratio/region_mean"] = _masked_mean((low | high).to(mask.dtype), mask).item()
    return loss, stats
