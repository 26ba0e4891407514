"""Import an implementation from its ``"module:attr"`` reference, on use."""

from __future__ import annotations

import importlib
from typing import Any

from swift.kernel.errors import SwiftError


class ImplementationLoadError(SwiftError):
    """The implementation a record points to could not be imported."""


def load_object(reference: str, *, what: str = "") -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute.

    Args:
        reference: The import string of a record's ``load`` field.
        what: Words naming the record, used in the error message.

    Raises:
        ImplementationLoadError: With the reference and the underlying reason.
    """
    module_name, _, attr_path = reference.partition(":")
    label = f"{what} ({reference})" if what else reference
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or module_name
        raise ImplementationLoadError(
            f"cannot load {label}: module {missing!r} is not importable ({exc}). Install the package that provides it."
        ) from exc
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ImplementationLoadError(f"cannot load {label}: {module_name} has no attribute {attr_path!r}") from exc
    return obj


def lazy_exports(namespace: dict[str, Any], exports: dict[str, str]) -> tuple[Any, Any]:
    """``(__getattr__, __dir__)`` for a package that re-exports names of its modules on first use.

    A public module (``swift.arguments``, a plugin's ``api``) stays cheap to import: each name
    is imported from its module the first time it is read, then cached in ``namespace``.

    Example::

        _EXPORTS = {"TrainArguments": "swift.arguments.train"}
        __all__ = sorted(_EXPORTS)
        __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
    """
    package = namespace.get("__name__", "module")

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
