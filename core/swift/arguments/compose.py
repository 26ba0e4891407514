"""Combine a command's arguments class with the argument groups plugins contribute."""

import functools
from collections.abc import Sequence
from dataclasses import MISSING, fields, is_dataclass, make_dataclass
from typing import Any

from swift.arguments._fields import accept_aliases, aliases_of
from swift.kernel.errors import ConflictError

BASE_ATTR = "__swift_base__"
GROUPS_ATTR = "__swift_groups__"


def _provider(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def check_groups(cls: type, groups: Sequence[type]) -> None:
    """Refuse groups that are not dataclasses, lack defaults, or reuse a flag name.

    Raises:
        TypeError: A group is not a dataclass or has a field without default.
        ConflictError: Two groups (or a group and the command) define one flag.
    """
    owners: dict[str, str] = {}
    for f in fields(cls):
        for name in (f.name, *aliases_of(f)):
            owners[name] = _provider(cls)
    for group in groups:
        if not is_dataclass(group):
            raise TypeError(f"argument group {_provider(group)} must be a dataclass")
        for f in fields(group):
            if f.default is MISSING and f.default_factory is MISSING:
                raise TypeError(f"argument group {_provider(group)}: field {f.name!r} needs a default")
            for name in (f.name, *aliases_of(f)):
                if name in owners:
                    raise ConflictError("argument", f"--{name}", [owners[name], _provider(group)])
                owners[name] = _provider(group)


@functools.cache
def compose(cls: type, groups: tuple[type, ...] = ()) -> type:
    """A dataclass subclassing ``cls`` and every group, so all their fields are attributes.

    The same inputs give the same class (cached), so instances compare equal
    and pickle. ``cls.__post_init__`` runs first, then each group's own.

    Args:
        cls: The command's arguments dataclass (e.g. ``InferArguments``).
        groups: Dataclasses contributed by plugins.

    Returns:
        ``cls`` itself when there are no groups, else the combined class.
    """
    if not groups:
        return cls
    check_groups(cls, groups)

    def __post_init__(self: Any) -> None:
        base_post = getattr(cls, "__post_init__", None)
        if base_post is not None:
            base_post(self)
        for group in groups:
            own = group.__dict__.get("__post_init__")
            if own is not None:
                own(self)

    def __reduce__(self: Any) -> tuple:
        return (_rebuild, (cls, groups, dict(self.__dict__)))

    namespace = {
        "__post_init__": __post_init__,
        "__reduce__": __reduce__,
        BASE_ATTR: cls,
        GROUPS_ATTR: groups,
    }
    combined = make_dataclass(cls.__name__, [], bases=(cls, *groups), namespace=namespace, kw_only=True)
    combined.__doc__ = cls.__doc__
    return accept_aliases(combined)


def _rebuild(cls: type, groups: tuple[type, ...], state: dict) -> Any:
    obj = object.__new__(compose(cls, groups))
    obj.__dict__.update(state)
    return obj


def base_class(args_or_cls: Any) -> type:
    """The command's own class behind a combined one (itself otherwise)."""
    klass = args_or_cls if isinstance(args_or_cls, type) else type(args_or_cls)
    return getattr(klass, BASE_ATTR, klass)


def extra_groups(args_or_cls: Any) -> tuple[type, ...]:
    """The plugin groups combined into a class (empty for a plain class)."""
    klass = args_or_cls if isinstance(args_or_cls, type) else type(args_or_cls)
    return getattr(klass, GROUPS_ATTR, ())
