"""The one helper every argument dataclass uses to declare a flag."""

import copy
import functools
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any

# Sentinel for "no const": a flag given without a value only makes sense for
# booleans unless a field says what the bare flag means.
_NO_CONST = object()


def arg(
    default: Any = MISSING,
    help: str = "",  # noqa: A002 - mirrors argparse's keyword, read by format_help
    *,
    aliases: tuple[str, ...] | list[str] = (),
    const: Any = _NO_CONST,
) -> Any:
    """Declare a dataclass field that is also a command-line flag.

    Mutable defaults (lists, dicts) become a ``default_factory`` returning a
    fresh copy, so instances never share them.

    Args:
        default: The default value.
        help: One line shown by ``swift <cmd> --help``.
        aliases: Other flag names accepted for this field (old or later
            ms-swift spellings, e.g. ``tuner_type`` for ``train_type``).
        const: Value used when the flag is given with no value
            (``--fsdp`` alone); booleans need no const, they mean True.

    Returns:
        A :func:`dataclasses.field`.
    """
    metadata: dict[str, Any] = {"help": help}
    if aliases:
        metadata["aliases"] = tuple(aliases)
    if const is not _NO_CONST:
        metadata["const"] = const
    if isinstance(default, (list, dict, set)):
        template = default
        return field(default_factory=lambda: copy.deepcopy(template), metadata=metadata)
    return field(default=default, metadata=metadata)


def default_of(f: Field) -> Any:
    """The default value of a dataclass field (calling its factory), or MISSING."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def aliases_of(f: Field) -> tuple[str, ...]:
    """The alias flag names a field declares."""
    return tuple(f.metadata.get("aliases", ()))


def alias_map(cls: type) -> dict[str, str]:
    """Map every alias of the dataclass ``cls`` to its field name."""
    return {alias: f.name for f in fields(cls) for alias in aliases_of(f)}


def accept_aliases(cls: type) -> type:
    """Let ``cls(...)`` take alias keywords too (``tuner_type=`` for ``train_type=``)."""
    aliases = alias_map(cls)
    if not aliases:
        return cls
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self: Any, **kwargs: Any) -> None:
        for alias, name in aliases.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"got both {name!r} and its alias {alias!r}")
                kwargs[name] = kwargs.pop(alias)
        init(self, **kwargs)

    cls.__init__ = __init__
    return cls


def argclass(cls: type) -> type:
    """``@dataclass(kw_only=True)`` whose constructor also accepts flag aliases."""
    return accept_aliases(dataclass(kw_only=True)(cls))
