r"""``accuracy``: is the completion's final answer mathematically equal to ``solution``?

Equivalence is decided by `math-verify` (an optional dependency, imported on first
use), so ``0.5``, ``\frac{1}{2}`` and ``1/2`` are the same answer.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

from swift.kernel.errors import MissingProviderError, UsageError
from swift.rewards._inputs import completion_texts

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
# math-verify bounds its work with signal.alarm, which only the main thread may set.
_PARSE_TIMEOUT_S, _VERIFY_TIMEOUT_S = 10, 5


def _math_verify():
    try:
        import math_verify
    except ImportError as exc:
        raise MissingProviderError(
            "reward 'accuracy' needs the math-verify package: pip install math-verify", "rewards"
        ) from exc
    return math_verify


class _Checker:
    """Parses gold answers and completions with settings fixed once per call."""

    def __init__(self) -> None:
        mv = self.mv = _math_verify()
        in_main = threading.current_thread() is threading.main_thread()
        self.parse_timeout = _PARSE_TIMEOUT_S if in_main else None
        self.verify_timeout = _VERIFY_TIMEOUT_S if in_main else None
        if not in_main:  # it warns on every call that timeouts are off
            logging.getLogger("math_verify").setLevel(logging.ERROR)
        # In free text only anchored answers count (\boxed{}, $...$, "the answer is 7"):
        # a bare number in the reasoning is not the model's answer.
        self.anchored = [
            mv.LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=False),
            mv.ExprExtractionConfig(try_extract_without_anchor=False),
        ]

    def gold(self, solution: str) -> list:
        return self.mv.parse(str(solution), parsing_timeout=self.parse_timeout)

    def answer(self, text: str) -> list:
        tagged = _ANSWER_TAG.findall(text)
        if tagged:
            # An <answer> block *is* the answer: a bare "42" inside it counts.
            return self.mv.parse(tagged[-1], extraction_mode="first_match", parsing_timeout=self.parse_timeout)
        return self.mv.parse(
            text,
            extraction_config=self.anchored,
            extraction_mode="first_match",
            parsing_timeout=self.parse_timeout,
        )

    def equal(self, gold: list, answer: list) -> bool:
        return bool(answer) and self.mv.verify(gold, answer, timeout_seconds=self.verify_timeout)


def accuracy(completions: Sequence[Any], solution: Sequence[Any] | None = None, **kwargs: Any) -> list[float | None]:
    r"""1.0 when a completion's answer equals the reference ``solution``, else 0.0.

    The answer is the content of the last ``<answer>...</answer>`` block if there
    is one, otherwise the first anchored answer (``\boxed{}``, ``$...$``,
    "the answer is ...") of the completion. A completion without one scores 0.0.

    When the *gold* solution cannot be parsed the reward is ``None``: the example
    is skipped (TRL's convention; :func:`~swift.rewards.combine_rewards` leaves it
    out of the weighted total) rather than scored 1.0 as older ms-swift did, which
    inflated the logged accuracy.

    Args:
        completions: Strings or chat-format message lists.
        solution: The dataset's ``solution`` column, one reference per completion.
        **kwargs: Other dataset columns, ignored.

    Returns:
        One of 1.0, 0.0 or None per completion.

    Raises:
        UsageError: Without a ``solution`` column, or with one of another length.
        MissingProviderError: When math-verify is not installed.
    """
    if solution is None:
        raise UsageError(
            "reward 'accuracy' needs the dataset column 'solution' (the reference answer of each "
            "prompt); add it to the dataset or drop 'accuracy' from --reward_funcs."
        )
    if len(solution) != len(completions):
        raise UsageError(f"reward 'accuracy': {len(solution)} solutions for {len(completions)} completions")
    checker = _Checker()
    rewards: list[float | None] = []
    for text, sol in zip(completion_texts(completions), solution):
        gold = checker.gold(sol)
        rewards.append(float(checker.equal(gold, checker.answer(text))) if gold else None)
    return rewards
