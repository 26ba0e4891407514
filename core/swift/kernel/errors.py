"""Errors meant for people: what went wrong, what exists, how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SwiftError(Exception):
    """Base class of the errors swift reports without a traceback.

    Attributes:
        exit_code: Process exit status the CLI uses for this error.
    """

    exit_code = 1


class UsageError(SwiftError):
    """The user asked for something that does not exist or does not fit."""

    exit_code = 2


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``name``, or None when nothing is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


class UnknownNameError(UsageError):
    """A name asked for in a family that no plugin registered."""

    def __init__(self, family: str, name: str, available: Iterable[str], hint: str = "", label: str = ""):
        self.family, self.name = family, name
        self.available = sorted(set(available))
        self.suggestion = closest(name, self.available)
        lines = [f"unknown {label or family} {name!r}."]
        if self.suggestion:
            lines.append(f"Did you mean {self.suggestion!r}?")
        if self.available:
            shown = ", ".join(self.available[:40])
            more = f" … ({len(self.available) - 40} more)" if len(self.available) > 40 else ""
            lines.append(f"Available {family}: {shown}{more}.")
        if hint:
            lines.append(hint)
        super().__init__(" ".join(lines))


class MissingProviderError(UsageError):
    """No installed plugin provides what a command needs; the message says what to install."""

    def __init__(self, message: str, family: str = ""):
        self.family = family
        super().__init__(message)


class ConflictError(UsageError):
    """Two plugins registered the same name in one family."""

    def __init__(self, family: str, name: str, providers: Iterable[str]):
        self.family, self.name = family, name
        self.providers = list(providers)
        super().__init__(
            f"{family} name {name!r} is provided by several plugins: {'; '.join(self.providers)}. "
            "Uninstall one of them or disable it with SWIFT_DISABLE_PLUGINS=<plugin>."
        )


class PluginLoadError(SwiftError):
    """A plugin failed to import or to register (raised only in strict mode)."""
