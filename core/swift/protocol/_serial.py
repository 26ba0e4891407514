"""JSON round-tripping for the protocol dataclasses, without a schema library.

The protocol must stay importable by the core (no pydantic), yet every object
crosses process and HTTP boundaries. ``to_dict`` gives plain JSON types;
``from_dict`` rebuilds nested objects from the ``NESTED`` table of each class and
ignores keys it does not know, so newer OpenAI fields never break an older server.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound="Serializable")


class Serializable:
    """Mixin for protocol dataclasses: ``to_dict`` / ``from_dict``.

    Subclasses list fields holding protocol objects in ``NESTED``:
    ``{"choices": (ChoiceClass, True)}`` where the flag says "a list of them".
    """

    NESTED: ClassVar[dict[str, tuple[type, bool]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of JSON types (nested objects become dicts)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build from a dict as :meth:`to_dict` (or an OpenAI payload) writes it."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}.from_dict expects a dict, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            nested = cls.NESTED.get(key)
            if nested is not None and value is not None:
                kind, many = nested
                value = [kind.from_dict(v) for v in value] if many else kind.from_dict(value)
            values[key] = value
        return cls(**values)
