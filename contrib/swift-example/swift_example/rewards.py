"""The ``example_politeness`` reward (``--reward_funcs example_politeness``)."""

from __future__ import annotations

from typing import Any

from swift.rewards import completion_texts

POLITE_WORDS = ("please", "thank")


def politeness(completions: list[Any], **columns: Any) -> list[float]:
    """1.0 for each completion that says please or thank you, else 0.0.

    Completions may be strings or chat messages; ``columns`` holds the dataset's
    other columns (unused here).
    """
    return [1.0 if any(w in text.lower() for w in POLITE_WORDS) else 0.0 for text in completion_texts(completions)]
