"""Per-family registries: names → records, with suggestions and conflict reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from swift.kernel.errors import ConflictError, MissingProviderError, UnknownNameError
from swift.kernel.families import Family, install_hint
from swift.kernel.lazy import load_object
from swift.kernel.records import Record

R = TypeVar("R", bound=Record)


def _is_builtin(record: Record) -> bool:
    return record.provider is not None and record.provider.is_builtin


class Registry(Generic[R]):
    """The records of one family (``Registry[TunerRecord]`` …), looked up by name or alias.

    A plugin's record overrides a builtin one of the same name; two plugins that
    register one name are a conflict, reported when that name is used. ``load`` returns
    the implementation untyped; :mod:`swift.contracts` has the typed, checked loaders
    (``load_tuner(name) -> Tuner`` …).
    """

    def __init__(self, family: Family, records: list[R], failures: dict[str, str] | None = None):
        self.family = family
        # distribution → why its plugin failed to load, so errors don't say "install" it again
        self._failures = failures or {}
        self._by_name: dict[str, list[R]] = {}
        self._by_alias: dict[str, list[R]] = {}
        for record in records:
            self._by_name.setdefault(record.name, []).append(record)
            for alias in record.aliases:
                self._by_alias.setdefault(alias, []).append(record)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __iter__(self) -> Iterator[R]:
        return iter(self.records())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        """Primary names, sorted."""
        return sorted(self._by_name)

    def records(self) -> list[R]:
        """One record per name (the winning one; conflicts included once)."""
        return [self._winners(self._by_name[name])[0] for name in self.names()]

    def conflicts(self) -> dict[str, list[R]]:
        """Names registered by more than one non-builtin plugin."""
        return {name: recs for name, recs in self._by_name.items() if len(self._winners(recs)) > 1}

    @staticmethod
    def _winners(candidates: list[R]) -> list[R]:
        plugins = [r for r in candidates if not _is_builtin(r)]
        return plugins or candidates[-1:]

    def _find(self, name: str) -> list[R] | None:
        for table in (self._by_name, self._by_alias):
            if name in table:
                return self._winners(table[name])
        lowered = name.lower()
        for table in (self._by_name, self._by_alias):
            for key, recs in table.items():
                if key.lower() == lowered:
                    return self._winners(recs)
        return None

    def get(self, name: str) -> R:
        """The record called ``name`` (or aliased so).

        Raises:
            MissingProviderError: When no installed plugin provides the family at all.
            UnknownNameError: Listing what exists, the closest name, and what to install.
            ConflictError: Naming every plugin that registered ``name``.
        """
        found = self._find(name)
        if found is None and not self._by_name:
            raise MissingProviderError(f"no {self.family.label} {name!r}: {self._hint(name)}", self.family.name)
        if found is None:
            raise UnknownNameError(
                self.family.name, name, [*self._by_name, *self._by_alias], self._hint(name), self.family.label
            )
        if len(found) > 1:
            raise ConflictError(self.family.name, name, [r.provider.describe() for r in found if r.provider])
        return found[0]

    def load(self, name: str) -> Any:
        """Import and return the implementation of ``name``."""
        record = self.get(name)
        return load_object(record.load, what=f"{self.family.label} {record.name!r}")

    def _hint(self, name: str = "") -> str:
        distribution = self.family.distribution_of(name)
        if distribution and distribution in self._failures:
            return f"{distribution} is installed but failed to load: {self._failures[distribution]}"
        if distribution:
            label = self.family.label.capitalize()
            return f"{label} {name!r} is provided by {distribution}; {install_hint(distribution)}."
        if self._by_name:
            return "Run `swift plugins list` to see installed plugins."
        if self.family.provided_by:
            return f"No installed plugin provides {self.family.name}; {install_hint(self.family.provided_by)}."
        return f"No installed plugin provides {self.family.name}."
