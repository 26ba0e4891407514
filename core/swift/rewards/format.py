"""``format``: does the completion reason in ``<think>`` and answer in ``<answer>``?"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from swift.rewards._inputs import completion_texts

# DOTALL: reasoning spans lines. No MULTILINE: "$" must be the end of the text (or
# just before a final newline), so nothing may follow </answer>.
THINK_ANSWER = re.compile(r"^<think>.*?</think>\s*<answer>.*?</answer>$", re.DOTALL)


def format_reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """1.0 when the whole completion is ``<think>…</think>`` then ``<answer>…</answer>``.

    Args:
        completions: Strings or chat-format message lists.
        **kwargs: Dataset columns, ignored.

    Returns:
        1.0 or 0.0 per completion.
    """
    return [1.0 if THINK_ANSWER.match(text) else 0.0 for text in completion_texts(completions)]
