"""LoRA adapters held by an engine and chosen per request.

``--adapters path`` (no name) is always on, as in ``swift infer --adapters ckpt``.
``--adapters name=path`` is served on demand: a request that names it gets it, a
request without a name gets the unnamed adapters (or the base model). Adapters
are attached through the tuner family (``registry("tuners")``), so whatever
method trained them (LoRA, DoRA …) loads them again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from swift.kernel import UsageError, registry
from swift.protocol import InvalidRequestError

_UNNAMED = "_swift_default_{}"


def parse_adapter_specs(specs: list[str]) -> list[tuple[str | None, str]]:
    """``["ckpt", "lora2=/path"]`` → ``[(None, "ckpt"), ("lora2", "/path")]``.

    A value containing ``=`` is a path when such a path exists (paths may hold ``=``).
    """
    parsed: list[tuple[str | None, str]] = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if sep and not os.path.exists(spec):
            name = name.strip()
            if not name or "." in name:
                raise UsageError(
                    f"--adapters {spec!r}: an adapter name must be non-empty and contain no '.'"
                )
            parsed.append((name, path))
        else:
            parsed.append((None, spec))
    names = [n for n, _ in parsed if n]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"--adapters: the names {', '.join(duplicates)} are given more than once")
    return parsed


class AdapterSet:
    """Attaches adapters to a model and switches between them.

    Args:
        model: The base model.
        specs: ``--adapters`` values.
        train_type: The tuner that loads them (``lora`` unless the run says otherwise).

    Attributes:
        model: The model to generate with (a peft model when adapters were given).
        names: Adapters a request may name.
    """

    def __init__(self, model: Any, specs: list[str], train_type: str = "lora"):
        parsed = parse_adapter_specs(list(specs or []))
        self.names: tuple[str, ...] = tuple(n for n, _ in parsed if n)
        self._defaults: list[str] = []
        self._active: tuple[str, ...] | None = None
        if parsed:
            tuner = registry("tuners").load(train_type)
            for i, (name, path) in enumerate(parsed):
                if not os.path.isdir(path):
                    raise UsageError(f"--adapters: {path!r} is not a folder with adapter weights")
                internal = name or _UNNAMED.format(i)
                model = tuner.load(model, path, is_trainable=False, adapter_name=internal)
                if name is None:
                    self._defaults.append(internal)
        self.model = model
        self._is_peft = bool(parsed)

    def check(self, name: str | None) -> None:
        """Raise :class:`InvalidRequestError` unless ``name`` is None or a served adapter."""
        if name is None or name in self.names:
            return
        available = (
            ", ".join(self.names) if self.names else "none (start with --adapters name=path)"
        )
        raise InvalidRequestError(f"unknown adapter {name!r}; available adapters: {available}")

    @contextlib.contextmanager
    def activate(self, name: str | None) -> Iterator[None]:
        """Run the body with adapter ``name`` (None = the default adapters) active."""
        if not self._is_peft:
            yield
            return
        wanted = (name,) if name else tuple(self._defaults)
        if not wanted:
            with self.model.disable_adapter():
                yield
            return
        if wanted != self._active:
            target = wanted[0] if len(wanted) == 1 else list(wanted)
            self.model.base_model.set_adapter(target, inference_mode=True)
            self._active = wanted
        yield
