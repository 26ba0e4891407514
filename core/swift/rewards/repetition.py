"""``repetition``: a penalty growing with the share of repeated word n-grams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swift.kernel.errors import UsageError
from swift.rewards._inputs import completion_texts, setting


def repeated_ngram_ratio(text: str, n: int) -> float:
    """Share of the word n-grams of ``text`` that repeat an earlier one (0.0 to <1.0).

    Texts shorter than ``n`` words have no n-gram and score 0.0.
    """
    words = text.lower().split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


class RepetitionPenalty:
    """Reward ``repetition``: ``ratio * repetition_max_penalty``, so 0.0 for varied text.

    Settings come from ``--repetition_n_grams`` (n, default 3) and
    ``--repetition_max_penalty`` (the penalty a fully repetitive text approaches,
    default -1.0; must be <= 0).

    Args:
        args: The command's arguments, or None for the defaults.

    Raises:
        UsageError: For ``repetition_max_penalty > 0`` or ``repetition_n_grams < 1``.
    """

    __name__ = "repetition"

    def __init__(self, args: Any = None) -> None:
        self.n = int(setting(args, "repetition_n_grams"))
        self.max_penalty = float(setting(args, "repetition_max_penalty"))
        if self.max_penalty > 0:
            raise UsageError(f"--repetition_max_penalty must be <= 0 (it is a penalty), got {self.max_penalty}")
        if self.n < 1:
            raise UsageError(f"--repetition_n_grams must be >= 1, got {self.n}")

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        """The penalty of each completion (0.0 down to ``repetition_max_penalty``)."""
        return [
            (repeated_ngram_ratio(text, self.n) * self.max_penalty) or 0.0 for text in completion_texts(completions)
        ]
