"""What the scaffold writes for one family: a record, a module, dependencies, docs, tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FamilySnippet:
    """The parts a family adds to a generated plugin (``string.Template`` texts).

    Placeholders: ``$name`` (entry-point and record name), ``$ident`` (it as a Python
    identifier), ``$pkg`` (import package), ``$dist`` (distribution), ``$Camel``.

    Attributes:
        family: Family name (``tuners``).
        record_type: Record class the hook yields (``TunerRecord``).
        record: The record's keyword arguments as ``(name, Python expression)`` pairs.
        modules: ``{file name inside the package: source}``.
        dependencies: Requirements the implementation needs.
        usage: README lines showing the command line that uses it.
        tests: ``{file name under tests/: source}`` beyond the conformance suite.
    """

    family: str
    record_type: str
    record: tuple[tuple[str, str], ...]
    modules: dict[str, str]
    dependencies: tuple[str, ...] = ()
    usage: str = ""
    tests: dict[str, str] | None = None
