"""LoRA adapters served through vLLM's ``LoRARequest``, chosen per request by name.

``--adapters path`` (no name) is the default of every request, as with the ``pt``
engine; ``--adapters name=path`` is used when a request names it. vLLM applies one
adapter per request, so at most one unnamed adapter can be given.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from swift.kernel import UsageError
from swift.protocol import InvalidRequestError
from swift.services import parse_adapter_specs

_ids = itertools.count(1)  # vLLM caches adapters by integer id: every new one gets its own


def adapter_rank(path: str) -> int:
    """The largest LoRA rank in a peft folder's ``adapter_config.json``."""
    with open(os.path.join(path, "adapter_config.json"), encoding="utf-8") as fh:
        config = json.load(fh)
    ranks = [config.get("r", 8), *(config.get("rank_pattern") or {}).values()]
    return max(int(r) for r in ranks)


class AdapterTable:
    """The adapters an engine serves.

    Args:
        specs: ``--adapters`` values (``path`` or ``name=path``).
        max_rank: ``--vllm_max_lora_rank``; larger adapters are refused up front.
    """

    def __init__(self, specs: list[str], max_rank: int) -> None:
        self.max_rank = max_rank
        self._named: dict[str, Any] = {}
        self.default: Any = None
        parsed = parse_adapter_specs(list(specs or []))
        unnamed = [path for name, path in parsed if name is None]
        if len(unnamed) > 1:
            raise UsageError(
                "the vllm engine applies one adapter per request: give at most one "
                "--adapters without a name (name the others: --adapters name=path), "
                "or merge them with --merge_lora true"
            )
        for name, path in parsed:
            request = self.make(name or "default", path)
            if name is None:
                self.default = request
            else:
                self._named[name] = request

    @property
    def names(self) -> tuple[str, ...]:
        """Adapters a request may name."""
        return tuple(self._named)

    def __len__(self) -> int:
        return len(self._named) + (self.default is not None)

    def make(self, name: str, path: str) -> Any:
        """A new ``LoRARequest`` for the peft folder ``path``.

        Raises:
            UsageError: Not an adapter folder, or its rank exceeds ``--vllm_max_lora_rank``.
        """
        from vllm.lora.request import LoRARequest

        if not os.path.isfile(os.path.join(path, "adapter_config.json")):
            raise UsageError(f"--adapters: {path!r} is not a folder with a peft adapter")
        rank = adapter_rank(path)
        if rank > self.max_rank:
            raise UsageError(
                f"adapter {path!r} has LoRA rank {rank}, above --vllm_max_lora_rank "
                f"{self.max_rank}; pass --vllm_max_lora_rank {rank} or larger"
            )
        return LoRARequest(lora_name=name, lora_int_id=next(_ids), lora_path=os.path.abspath(path))

    def set(self, name: str, path: str) -> Any:
        """Serve the adapter in ``path`` as ``name`` from now on; the previous one's request."""
        previous = self._named.get(name)
        self._named[name] = self.make(name, path)
        return previous

    def lookup(self, name: str | None) -> Any:
        """The ``LoRARequest`` of a request naming ``name`` (None: the default, maybe none).

        Raises:
            InvalidRequestError: For a name that is not served.
        """
        if name is None:
            return self.default
        request = self._named.get(name)
        if request is None:
            available = ", ".join(self._named) or "none (start with --adapters name=path)"
            raise InvalidRequestError(f"unknown adapter {name!r}; available adapters: {available}")
        return request
