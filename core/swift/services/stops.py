"""Stop words as an engine matches them: special tokens by id, the rest as text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def split_stops(tokenizer: Any, stops: Iterable[str] | None) -> tuple[set[int], list[str]]:
    """Split stop words into (token ids, strings).

    Engines decode generated text *without* special tokens, so a stop word that is one
    special token (``<|im_end|>``) is never seen as text and must stop by its id.

    Args:
        tokenizer: A tokenizer with ``all_special_tokens`` and ``convert_tokens_to_ids``.
        stops: Stop words (the template's plus the request's).
    """
    special = set(getattr(tokenizer, "all_special_tokens", ()) or ())
    ids: set[int] = set()
    texts: list[str] = []
    for stop in stops or ():
        if stop in special:
            ids.add(int(tokenizer.convert_tokens_to_ids(stop)))
        elif stop:
            texts.append(stop)
    return ids, texts
