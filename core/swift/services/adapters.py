"""``--adapters`` values: ``path`` or ``name=path``, parsed in one place.

Every command that takes adapters (``infer``, ``deploy``, ``export``, ``app`` …)
and every engine reads them through :func:`parse_adapter_specs`, so a path that
contains ``=`` and the rules for names are the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from swift.kernel.errors import UsageError


def parse_adapter_specs(specs: Iterable[str] | None) -> list[tuple[str | None, str]]:
    """``["ckpt", "lora2=/path"]`` → ``[(None, "ckpt"), ("lora2", "/path")]``.

    A value containing ``=`` is a path when such a path exists (paths may hold ``=``).

    Raises:
        UsageError: An empty name, a name with ``.`` (peft uses it in parameter
            names), or a name given twice.
    """
    parsed: list[tuple[str | None, str]] = []
    for spec in specs or ():
        spec = os.fspath(spec)
        name, sep, path = spec.partition("=")
        if sep and not os.path.exists(spec):
            name = name.strip()
            if not name or "." in name:
                raise UsageError(f"--adapters {spec!r}: an adapter name must be non-empty and contain no '.'")
            parsed.append((name, path))
        else:
            parsed.append((None, spec))
    names = [n for n, _ in parsed if n]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"--adapters: the names {', '.join(duplicates)} are given more than once")
    return parsed


def adapter_paths(specs: Iterable[str] | None) -> list[str]:
    """The folders of ``--adapters`` values, names dropped (``name=path`` → ``path``)."""
    return [path for _, path in parse_adapter_specs(specs)]


def trains_full_weights(train_type: str | None) -> bool:
    """Whether ``--train_type`` trains the base weights, as its tuner record says (``full``).

    Before a tuner plugin is installed (argument defaults, ``--help``) only the seed's
    own ``full`` is known to.
    """
    if not train_type:
        return False
    from swift.kernel import UsageError, registry

    try:
        return registry("tuners").get(train_type).full
    except UsageError:  # unknown or no tuner plugin: reported by the checks before any work
        return train_type == "full"


def adapter_tuner(train_type: str | None) -> str:
    """The tuner that loads a run's adapters.

    Its ``--train_type``, or ``lora`` when the run trained full weights (its record says ``full``) or named none.
    """
    if not train_type or trains_full_weights(train_type):
        return "lora"
    from swift.kernel import registry

    return registry("tuners").get(train_type).name
