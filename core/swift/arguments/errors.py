"""Errors raised while reading arguments."""

from swift.kernel.errors import SwiftError, UsageError


class ArgumentError(UsageError, ValueError):
    """A flag or value is wrong: unknown flag, bad value, invalid choice.

    Exits with status 2, like argparse. Also a ``ValueError`` so Python callers
    constructing arguments can catch it the usual way.

    Attributes:
        suggestion: The closest valid flag or choice, when one is close.
    """

    exit_code = 2

    def __init__(self, message: str, suggestion: str | None = None):
        super().__init__(message)
        self.suggestion = suggestion


class HelpRequested(SwiftError):
    """``-h``/``--help`` was given: ``text`` is the help to print; exit status 0."""

    exit_code = 0

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text
