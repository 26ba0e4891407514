"""The names a server answers to: the model and its LoRA adapters.

* the model: ``--served_model_name``, else the engine's model name (the model
  folder's name);
* ``--adapters name=path``: each under its name, answered with that adapter;
* ``--adapters path`` (no name): always applied, as in ``swift infer``; the
  folder's name (``checkpoint-100``) is listed too and answers the same as the
  model name, so a client can tell which checkpoint it talks to.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from swift.kernel import UsageError
from swift.services import parse_adapter_specs
from swift_serve.errors import APIError


@dataclass(frozen=True)
class ServedModel:
    """One entry of ``/v1/models``.

    Attributes:
        name: The ``model`` value clients send.
        adapter: The engine adapter it selects (None = the engine's default).
        parent: For adapters, the name of the model they apply to.
        root: Where the weights come from (model id/path or adapter folder).
    """

    name: str
    adapter: str | None
    parent: str | None
    root: str


def _folder_name(path: str) -> str:
    return os.path.basename(str(path).replace("\\", "/").rstrip("/")) or str(path)


class ModelCatalog:
    """Resolves request ``model`` names to engine adapters and lists them.

    Args:
        engine: The engine (its ``model_name`` and ``adapter_names``).
        args: ``DeployArguments`` (``served_model_name``, ``adapters``, ``owned_by``, ``model``).

    Raises:
        UsageError: Two served names collide.
    """

    def __init__(self, engine: Any, args: Any):
        self.owned_by = getattr(args, "owned_by", None) or "swift"
        self.created = int(time.time())
        base = getattr(args, "served_model_name", None) or getattr(engine, "model_name", None) or "model"
        named = tuple(getattr(engine, "adapter_names", ()) or ())
        root = str(getattr(args, "model", None) or base)
        entries = [ServedModel(base, None, None, root)]
        for name, path in parse_adapter_specs(getattr(args, "adapters", None) or []):
            if name in named:
                entries.append(ServedModel(name, name, base, path))
            else:
                entries.append(ServedModel(_folder_name(path), None, base, path))
        # Engines may name adapters that were not given as `name=path` (none do today).
        given = {e.adapter for e in entries}
        entries += [ServedModel(n, n, base, n) for n in named if n not in given]
        self.entries: dict[str, ServedModel] = {}
        for entry in entries:
            if entry.name in self.entries:
                raise UsageError(
                    f"swift deploy: the name {entry.name!r} is served twice (model and adapter "
                    "names must differ); rename one: --served_model_name or --adapters name=path"
                )
            self.entries[entry.name] = entry
        self.default = entries[0]

    @property
    def names(self) -> list[str]:
        """Every name a client may send."""
        return list(self.entries)

    def resolve(self, name: str | None) -> ServedModel:
        """The entry for a request's ``model`` (None = the model itself).

        Raises:
            APIError: 404 naming the available models.
        """
        if name is None:
            return self.default
        entry = self.entries.get(name)
        if entry is None:
            raise APIError(
                404,
                f"The model {name!r} does not exist. Available models: {', '.join(self.names)}.",
                code="model_not_found",
                param="model",
            )
        return entry

    def add_adapter(self, name: str, root: str) -> None:
        """Serve adapter ``name`` (loaded at run time from ``root``) under its own name.

        Raises:
            APIError: 400 when the name is taken.
        """
        if name in self.entries:
            raise APIError(400, f"The lora adapter {name!r} has already been loaded.", param="lora_name")
        self.entries[name] = ServedModel(name, name, self.default.name, root)

    def remove_adapter(self, name: str) -> None:
        """Stop listing adapter ``name``.

        Raises:
            APIError: 404 when no adapter is served as ``name`` (the model itself cannot be removed).
        """
        entry = self.entries.get(name)
        if entry is None or entry.adapter != name:
            raise APIError(404, f"The lora adapter {name!r} is not loaded.", param="lora_name")
        del self.entries[name]

    def card(self, entry: ServedModel) -> dict[str, Any]:
        """The OpenAI model object of ``entry``."""
        return {
            "id": entry.name,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
            "root": entry.root,
            "parent": entry.parent,
        }

    def listing(self) -> dict[str, Any]:
        """The body of ``GET /v1/models``."""
        return {"object": "list", "data": [self.card(e) for e in self.entries.values()]}
