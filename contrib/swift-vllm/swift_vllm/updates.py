"""``load_weights`` / ``load_adapter`` / ``reset_weights`` of the vllm engine (GRPO rollouts).

Full weights go through :class:`~swift_vllm.weights.WeightBook` (checked, completed to
whole fused layers) into vLLM's workers while generation is paused. The default LoRA
adapter is merged into the weights from the original base; a named adapter becomes a
vLLM ``LoRARequest`` served next to the others.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from swift.protocol import InvalidRequestError
from swift_vllm.adapters import AdapterTable
from swift_vllm.weights import WeightBook, merge_lora, named_pairs, read_adapter


class WeightUpdates:
    """The weight-update half of an engine.

    Args:
        model_dir: The served checkpoint (originals of every weight).
        reload: Applies safetensors bytes to the live model, generation paused.
        adapters: The engine's adapter table (named adapters).
        remove_lora: Drops a vLLM adapter by its integer id.
        lora_enabled: Whether vLLM has LoRA slots for named adapters.
    """

    def __init__(
        self,
        model_dir: str,
        reload: Callable[[bytes], None],
        adapters: AdapterTable,
        remove_lora: Callable[[int], None],
        lora_enabled: bool,
    ) -> None:
        self.model_dir = model_dir
        self._reload = reload
        self._adapters = adapters
        self._remove_lora = remove_lora
        self._lora_enabled = lora_enabled
        self._book: WeightBook | None = None
        self._merged: set[str] = set()  # weights the merged default adapter changed
        self._folders: dict[str, str] = {}  # named adapters written out for vLLM
        self._lock = threading.Lock()  # one update at a time

    @property
    def book(self) -> WeightBook:
        """The checkpoint's weight names and shapes, read on the first update."""
        if self._book is None:  # reading the checkpoint's headers waits for the first update
            self._book = WeightBook(self.model_dir)
        return self._book

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> int:
        """See :meth:`swift_vllm.engine.VllmEngine.load_weights`."""
        tensors = named_pairs(named_tensors)
        with self._lock:
            return self._apply(tensors)

    def _apply(self, tensors: dict[str, Any]) -> int:
        book = self.book
        book.check(tensors)
        self._reload(to_safetensors(book.complete(tensors)))
        book.remember(tensors)
        return len(tensors)

    def reset_weights(self) -> int:
        """See :meth:`swift_vllm.engine.VllmEngine.reset_weights`."""
        with self._lock:
            book = self.book
            names = sorted(book.pushed)
            if names:
                self._apply({name: book.original(name) for name in names})
                book.pushed.clear()
            self._merged = set()
            return len(names)

    def load_adapter(self, adapter: str | Mapping[str, Any], config: Mapping[str, Any] | None, name: str | None) -> int:
        """See :meth:`swift_vllm.engine.VllmEngine.load_adapter`."""
        tensors, adapter_config = read_adapter(adapter, config)
        with self._lock:
            if name is None:
                merged = merge_lora(self.book, tensors, adapter_config)
                # weights the previous adapter changed and this one does not go back to W0
                restore = {n: self.book.original(n) for n in self._merged - set(merged)}
                self._apply({**merged, **restore})
                self._merged = set(merged)
                return len(tensors)
            if not self._lora_enabled:
                raise InvalidRequestError(
                    f"cannot serve adapter {name!r}: this vllm engine has no LoRA slots; start "
                    "it with --adapters name=path, or load the adapter without a name (merged)"
                )
            folder = tempfile.mkdtemp(prefix=f"swift-vllm-{name}-")
            write_adapter(folder, tensors, adapter_config)
            previous = self._adapters.set(name, folder)
            if previous is not None:
                self._remove_lora(previous.lora_int_id)
            old = self._folders.pop(name, None)
            self._folders[name] = folder
            if old:
                shutil.rmtree(old, ignore_errors=True)
            return len(tensors)

    def close(self) -> None:
        """Delete the folders of named adapters loaded at run time."""
        for folder in self._folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        self._folders.clear()


def to_safetensors(tensors: Mapping[str, Any]) -> bytes:
    """Safetensors bytes of ``tensors``; tensors sharing memory (tied weights) are copied."""
    from safetensors.torch import save

    seen: set[int] = set()
    plain = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().to("cpu").contiguous()
        if tensor.data_ptr() in seen:
            tensor = tensor.clone()
        seen.add(tensor.data_ptr())
        plain[name] = tensor
    return save(plain)


def write_adapter(folder: str, tensors: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """A peft adapter folder vLLM can load: ``adapter_model.safetensors`` + its config."""
    from safetensors.torch import save_file

    plain = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    save_file(plain, os.path.join(folder, "adapter_model.safetensors"))
    with open(os.path.join(folder, "adapter_config.json"), "w", encoding="utf-8") as fh:
        json.dump(dict(config), fh)
