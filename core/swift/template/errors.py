"""Errors a template raises about one row (the dataset pipeline counts and drops them)."""

from __future__ import annotations

from swift.kernel.errors import SwiftError


class TemplateError(SwiftError, ValueError):
    """A row cannot be rendered: no messages, an unknown role, non-string content and the like.

    It is a ``ValueError`` so data code can catch it like any bad value, and a
    :class:`~swift.kernel.errors.SwiftError` so the CLI reports it without a traceback.
    """


class MaxLengthError(TemplateError):
    """A row is longer than ``max_length`` and ``truncation_strategy`` is ``delete``.

    Attributes:
        length: Number of tokens of the encoded row.
        max_length: The limit it exceeded.
    """

    def __init__(self, length: int, max_length: int):
        self.length, self.max_length = length, max_length
        super().__init__(
            f"row has {length} tokens, more than max_length={max_length} "
            "(truncation_strategy='delete' drops it; use 'left' to keep its last tokens)"
        )
