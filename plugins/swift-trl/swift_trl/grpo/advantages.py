"""Scoring a generation round: rewards per completion, then group-relative advantages.

GRPO needs no value model: the baseline of a completion is the mean reward of the
other completions of the same prompt (its *group*), so the advantage says how much
better than its siblings it did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from swift.kernel import UsageError

# added to the standard deviation so a group whose rewards barely differ does not blow up
STD_EPSILON = 1e-4
SCALE_REWARDS = ("group", "batch", "none")


def group_advantages(
    rewards: torch.Tensor, num_generations: int, scale_rewards: str = "group"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Group-relative advantages of a flat reward vector.

    Completions ``[g * G, (g + 1) * G)`` answer the same prompt. Each advantage is
    its reward minus its group's mean, divided by a standard deviation (unbiased,
    as trl computes it) plus :data:`STD_EPSILON`. A ``nan`` reward (every reward
    function skipped the completion) is left out of the mean and the deviation, and
    its advantage is 0: it teaches nothing, as in trl.

    * ``group``: the group's own standard deviation (GRPO);
    * ``batch``: the standard deviation of all rewards of the round;
    * ``none``: not divided (Dr. GRPO).

    Args:
        rewards: ``[P * G]`` weighted reward totals.
        num_generations: ``G``, completions per prompt.
        scale_rewards: ``group``, ``batch`` or ``none``.

    Returns:
        ``(advantages, group_std)``: both ``[P * G]``; ``group_std`` repeats each
        group's standard deviation (zero marks a group that teaches nothing).

    Example::

        >>> group_advantages(torch.tensor([1.0, 0.0, 2.0, 2.0]), 2)[0]
        tensor([ 0.7070, -0.7070,  0.0000,  0.0000])
    """
    if scale_rewards not in SCALE_REWARDS:
        raise UsageError(f"--scale_rewards {scale_rewards!r} is not supported; choose {', '.join(SCALE_REWARDS)}")
    if rewards.numel() % num_generations:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {num_generations}")
    grouped = rewards.view(-1, num_generations)
    mean = torch.nanmean(grouped, dim=1, keepdim=True)
    # one completion per prompt has no spread: its std is 0, not nan
    std = nanstd(grouped, dim=1) if num_generations > 1 else torch.zeros_like(mean)
    advantages = grouped - mean
    if scale_rewards == "group":
        advantages = advantages / (std + STD_EPSILON)
    elif scale_rewards == "batch":
        spread = nanstd(rewards.view(1, -1), dim=1) if rewards.numel() > 1 else rewards.new_zeros(())
        advantages = advantages / (spread + STD_EPSILON)
    group_std = std.expand_as(grouped).reshape(-1)
    return torch.nan_to_num(advantages, nan=0.0).reshape(-1), group_std


def nanstd(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Unbiased standard deviation along ``dim`` over the non-``nan`` entries (kept dim)."""
    count = (~torch.isnan(values)).sum(dim=dim, keepdim=True)
    mean = torch.nanmean(values, dim=dim, keepdim=True)
    variance = torch.nanmean((values - mean) ** 2, dim=dim, keepdim=True) * count / (count - 1)
    return variance.sqrt()


def score_completions(
    rewards: Sequence[Any],
    weights: Sequence[float] | None,
    completions: Sequence[Any],
    columns: dict[str, list[Any]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Score completions with the reward functions (``--reward_funcs``/``--reward_weights``).

    Args:
        rewards: Loaded reward functions (:func:`swift.rewards.load_rewards`).
        weights: One weight per reward, or None for 1.0 each.
        completions: Strings, or chat-format message lists for multi-turn rollouts.
        columns: Keyword lists passed to every reward (every dataset column, ``prompts``,
            ``completion_ids`` …), one value per completion.

    Returns:
        ``(per_reward, totals)``: ``[N, R]`` scores (``nan`` where a reward skipped a
        completion) and ``[N]`` weighted totals (``nan`` where every reward skipped it:
        such a completion is unscorable, not worth 0).
    """
    from swift.rewards import combine_rewards

    per_reward, totals = combine_rewards(rewards, weights, completions, **columns)
    n = len(completions)
    table = torch.tensor(per_reward, dtype=torch.float32).reshape(n, len(rewards))
    totals = torch.tensor(totals, dtype=torch.float32)
    if table.shape[1]:
        totals[torch.isnan(table).all(dim=1)] = math.nan
    return table, totals


def reward_metrics(
    names: Sequence[str], per_reward: torch.Tensor, totals: torch.Tensor, group_std: torch.Tensor
) -> dict[str, float]:
    """Logged numbers of a round: ``reward``, ``reward_std``, ``rewards/<name>/mean`` and the like."""
    metrics = {
        "reward": torch.nanmean(totals).item(),
        "reward_std": nanstd(totals.view(1, -1), dim=1).item() if totals.numel() > 1 else 0.0,
        "frac_reward_zero_std": (group_std < STD_EPSILON).float().mean().item(),
    }
    for j, name in enumerate(names):
        column = per_reward[:, j]
        valid = column[~torch.isnan(column)]
        metrics[f"rewards/{name}/mean"] = valid.mean().item() if valid.numel() else math.nan
    return metrics
