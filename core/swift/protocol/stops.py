"""Stop strings over generated text, shared by every engine.

Two facts make this worth one place: the answer is cut *before* the earliest
stop string (OpenAI's rule), and a stream must hold back a tail that could
still grow into a stop string, or the client would see half of it.
"""

from __future__ import annotations

from collections.abc import Sequence


def find_stop(text: str, stops: Sequence[str], start: int = 0) -> int | None:
    """Index where the earliest stop string in ``text[start:]`` begins, or None.

    Args:
        text: Generated text so far.
        stops: Stop strings (empty ones are ignored).
        start: Search from here (callers pass a little before the new text).
    """
    best: int | None = None
    for stop in stops:
        if not stop:
            continue
        at = text.find(stop, max(0, start))
        if at != -1 and (best is None or at < best):
            best = at
    return best


def stop_holdback(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that is a proper prefix of a stop string.

    A stream emits ``text[:len(text) - stop_holdback(text, stops)]``: the rest may
    become a stop string with the next token and must not be shown yet.
    """
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """``text`` cut before its earliest stop string, and whether one was found."""
    at = find_stop(text, stops)
    return (text, False) if at is None else (text[:at], True)
