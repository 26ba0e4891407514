"""JSON round-tripping for the protocol dataclasses, without a schema library.

The protocol must stay importable by the core (no pydantic), yet every object
crosses process and HTTP boundaries. ``to_dict`` gives plain JSON types;
``from_dict`` rebuilds nested objects from the ``NESTED`` table of each class and
ignores keys it does not know, so newer OpenAI fields never break an older server.
Optional extensions of OpenAI's shapes (``token_ids`` …) are listed in ``OMIT_NONE``
and left out of ``to_dict`` while unset, so a client that did not ask for them sees
exactly OpenAI's body.
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
    OMIT_NONE: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of JSON types (nested objects become dicts; unset ``OMIT_NONE`` fields are left out)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name in self.OMIT_NONE:
                continue
            out[f.name] = _plain(value)
        return out

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


def _plain(value: Any) -> Any:
    # copies containers like dataclasses.asdict does, so the dict never aliases the object
    if isinstance(value, Serializable):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
