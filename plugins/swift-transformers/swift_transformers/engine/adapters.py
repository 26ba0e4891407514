"""LoRA adapters held by an engine and chosen per request.

``--adapters path`` (no name) is always on, as in ``swift infer --adapters ckpt``.
``--adapters name=path`` is served on demand: a request that names it gets it, a
request without a name gets the unnamed adapters (or the base model). Adapters
are attached through the tuner family (``swift.contracts.load_tuner``), so whatever
method trained them (LoRA, DoRA …) loads them again.

:meth:`AdapterSet.replace` swaps an adapter while the engine serves (GRPO weight
sync): the new one is loaded under a fresh internal name, then the old one is
deleted, so adapters never stack.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from swift.contracts import load_tuner
from swift.kernel import UsageError
from swift.protocol import InvalidRequestError
from swift.services import parse_adapter_specs

_UNNAMED = "_swift_default_{}"


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
        self._train_type = train_type
        self._internal = {n: n for n in self.names}  # served name -> peft adapter name
        self._defaults: list[str] = []
        self._active: tuple[str, ...] | None = None
        self._loaded = len(parsed)
        if parsed:
            tuner = load_tuner(train_type)
            for i, (name, path) in enumerate(parsed):
                if not os.path.isdir(path):
                    raise UsageError(f"--adapters: {path!r} is not a folder with adapter weights")
                internal = name or _UNNAMED.format(i)
                model = tuner.load(model, path, is_trainable=False, adapter_name=internal)
                if name is None:
                    self._defaults.append(internal)
        self.model = model
        # a tuner that is not peft (ReFT) keeps its one adapter always on: nothing to switch
        self._is_peft = bool(parsed) and hasattr(model, "peft_config")

    def replace(self, adapter_dir: str, name: str | None = None) -> int:
        """Serve the adapter in ``adapter_dir`` as ``name``, dropping the adapters it replaces.

        ``name=None`` is the default adapter of requests naming none. The caller makes sure
        nothing generates meanwhile.

        Returns:
            The number of adapter tensors loaded.

        Raises:
            InvalidRequestError: The adapter does not fit the model.
        """
        if name is not None and (not name or "." in name):
            raise InvalidRequestError(f"adapter name {name!r} must be non-empty and contain no '.'")
        internal = _UNNAMED.format(self._loaded)
        tuner = load_tuner(self._train_type)
        try:
            model = tuner.load(self.model, adapter_dir, is_trainable=False, adapter_name=internal)
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise InvalidRequestError(f"cannot load the adapter: {exc}") from exc
        self._loaded += 1
        if name is None:
            replaced, self._defaults = self._defaults, [internal]
        else:
            old = self._internal.get(name)
            replaced = [old] if old else []
            self._internal[name] = internal
            self.names = self.names if name in self.names else (*self.names, name)
        # peft refuses to work once its active adapter is deleted: activate the new one first
        model.set_adapter(internal, inference_mode=True)
        for old_name in replaced:
            model.delete_adapter(old_name)
        self.model, self._is_peft, self._active = model, True, None
        marker = f".{internal}."
        return sum(1 for n, _ in model.named_parameters() if marker in n)

    def remove(self, name: str) -> None:
        """Stop serving adapter ``name`` and free its weights.

        The caller makes sure nothing generates meanwhile.

        Raises:
            InvalidRequestError: No adapter is served as ``name``.
        """
        self.check(name)
        if name is None:
            raise InvalidRequestError("name the adapter to unload")
        internal = self._internal.pop(name)
        self.names = tuple(n for n in self.names if n != name)
        others = [i for i in (*self._internal.values(), *self._defaults) if i != internal]
        if others:  # peft refuses to work once its active adapter is deleted: activate another first
            self.model.set_adapter(others[0], inference_mode=True)
            self.model.delete_adapter(internal)
        # the only adapter stays loaded (peft needs one) but no request can name it any more
        self._active = None

    def check(self, name: str | None) -> None:
        """Raise :class:`InvalidRequestError` unless ``name`` is None or a served adapter."""
        if name is None or name in self.names:
            return
        available = ", ".join(self.names) if self.names else "none (start with --adapters name=path)"
        raise InvalidRequestError(f"unknown adapter {name!r}; available adapters: {available}")

    @contextlib.contextmanager
    def activate(self, name: str | None) -> Iterator[None]:
        """Run the body with adapter ``name`` (None = the default adapters) active."""
        if not self._is_peft:
            yield
            return
        wanted = (self._internal[name],) if name else tuple(self._defaults)
        if not wanted:
            with self.model.disable_adapter():
                yield
            return
        if wanted != self._active:
            target = wanted[0] if len(wanted) == 1 else list(wanted)
            self.model.base_model.set_adapter(target, inference_mode=True)
            self._active = wanted
        yield
