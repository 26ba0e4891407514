"""Rewards that depend on completion length in tokens: ``cosine`` and ``soft_overlong``.

Both count tokens, not characters: pass ``completion_ids`` (TRL's GRPO trainer
does) or a ``tokenizer`` keyword — see :func:`swift.rewards._inputs.completion_lengths`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from swift.kernel.errors import UsageError
from swift.rewards._inputs import completion_lengths, setting
from swift.rewards.accuracy import accuracy


def cosine_interpolate(length: int, max_len: int, value_at_zero: float, value_at_max: float) -> float:
    """Move from ``value_at_zero`` (length 0) to ``value_at_max`` along half a cosine.

    Lengths beyond ``max_len`` keep ``value_at_max``.
    """
    progress = min(length, max_len) / max_len
    return value_at_max + 0.5 * (value_at_zero - value_at_max) * (1.0 + math.cos(math.pi * progress))


class CosineReward:
    """Reward ``cosine``: accuracy scaled by length (arXiv 2502.03373).

    A correct answer earns ``cosine_min_len_value_correct`` (1.0) when very short,
    falling to ``cosine_max_len_value_correct`` (0.5) at ``cosine_max_len`` tokens;
    a wrong one earns ``cosine_min_len_value_wrong`` (-0.5) when very short, rising to
    ``cosine_max_len_value_wrong`` (0.0). Short and right beats long and right; short
    and wrong is punished hardest, so the model keeps thinking when unsure.
    ``cosine_max_len`` unset means ``--max_completion_length``. Correctness is the
    ``accuracy`` reward's (``solution`` column); a skipped example (unparseable
    solution) stays skipped (None).

    Args:
        args: The command's arguments, or None for the defaults.
    """

    __name__ = "cosine"

    def __init__(self, args: Any = None) -> None:
        self.correct = (
            float(setting(args, "cosine_min_len_value_correct")),
            float(setting(args, "cosine_max_len_value_correct")),
        )
        self.wrong = (
            float(setting(args, "cosine_min_len_value_wrong")),
            float(setting(args, "cosine_max_len_value_wrong")),
        )
        self.max_len = int(setting(args, "cosine_max_len") or setting(args, "max_completion_length"))
        if self.max_len < 1:
            raise UsageError(f"--cosine_max_len must be >= 1, got {self.max_len}")

    def __call__(
        self, completions: Sequence[Any], solution: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        """The length-scaled accuracy of each completion."""
        lengths = completion_lengths("cosine", completions, kwargs)
        correct = accuracy(completions, solution)
        rewards: list[float | None] = []
        for length, right in zip(lengths, correct):
            if right is None:
                rewards.append(None)
                continue
            at_zero, at_max = self.correct if right == 1.0 else self.wrong
            rewards.append(cosine_interpolate(length, self.max_len, at_zero, at_max))
        return rewards


class SoftOverlong:
    """Reward ``soft_overlong``: DAPO's soft overlong punishment.

    With ``L_max = --soft_max_length`` (unset: ``--max_completion_length``) and
    ``L_cache = --soft_cache_length``, a completion of ``n`` tokens scores 0.0 for
    ``n <= L_max - L_cache``, falls linearly to -1.0 over the cache window
    ``(L_max - L_cache, L_max]``, and stays -1.0 beyond ``L_max``.

    Args:
        args: The command's arguments, or None for the defaults.

    Raises:
        UsageError: Without ``--soft_cache_length``, or when it is not in ``(0, L_max]``.
    """

    __name__ = "soft_overlong"

    def __init__(self, args: Any = None) -> None:
        cache = setting(args, "soft_cache_length")
        self.max_len = int(setting(args, "soft_max_length") or setting(args, "max_completion_length"))
        if cache is None:
            raise UsageError(
                "reward 'soft_overlong' needs --soft_cache_length (the length of the penalty ramp "
                f"before --soft_max_length, here {self.max_len} tokens)."
            )
        self.cache = int(cache)
        if not 0 < self.cache <= self.max_len:
            raise UsageError(
                f"--soft_cache_length must be in (0, {self.max_len}] (--soft_max_length), got {self.cache}"
            )

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        """The overlong penalty of each completion (0.0 down to -1.0)."""
        start = self.max_len - self.cache
        return [
            0.0 if n <= start else -1.0 if n > self.max_len else (start - n) / self.cache
            for n in completion_lengths("soft_overlong", completions, kwargs)
        ]
